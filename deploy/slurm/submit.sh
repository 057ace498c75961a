#!/bin/sh
# Submits the array, then the merge to start only when every task succeeded.
set -eu
mkdir -p logs
array=$(sbatch --parsable shards.sbatch)
sbatch --dependency=afterok:"$array" merge.sbatch
echo "shards: job $array (squeue -j $array)"
