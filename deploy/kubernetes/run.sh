#!/bin/sh
# The shards, then the merge once every shard has finished.
set -eu
kubectl apply -f volume.yaml
kubectl delete job warmly-christmas-2026-shards warmly-christmas-2026-merge --ignore-not-found
kubectl apply -f shards-job.yaml
kubectl wait --for=condition=complete --timeout=6h job/warmly-christmas-2026-shards
kubectl apply -f merge-job.yaml
kubectl wait --for=condition=complete --timeout=1h job/warmly-christmas-2026-merge
kubectl logs job/warmly-christmas-2026-merge
