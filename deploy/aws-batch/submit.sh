#!/bin/sh
# Registers the job definition, submits the array job (size 8 = --shards 8;
# AWS_BATCH_JOB_ARRAY_INDEX 0..7), then the merge, which AWS Batch starts
# only when every child of the array succeeded.
set -eu
aws batch register-job-definition --cli-input-json file://job-definition.json >/dev/null
array=$(aws batch submit-job --cli-input-json file://submit-shards.json --query jobId --output text)
sed "s/ARRAY_JOB_ID/$array/" submit-merge.json > /tmp/warmly-submit-merge.json
aws batch submit-job --cli-input-json file:///tmp/warmly-submit-merge.json --query jobId --output text
echo "shards: array job $array"
