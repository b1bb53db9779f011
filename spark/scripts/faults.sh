#!/usr/bin/env bash
# Faults on a Spark standalone cluster of two one-core workers (see cluster-lib.sh), FMNIST-NET on
# 16,384 Fashion-MNIST images for one epoch (128 steps of 2 x 64):
#   1. a run without faults: the reference weights (their SHA-256);
#   2. a run whose second Worker JVM gets SIGKILL after step 50: Spark retries the lost tasks on the
#      other worker; the final weights must have the reference's hash;
#   3. a run whose driver gets SIGKILL after step 100 (its checkpoint is at step 100), then the same
#      command with --resume: the final weights must have the reference's hash.
source "$(dirname "$0")/cluster-lib.sh"
build
trap stop_cluster EXIT
start_master
start_worker 1
start_worker 2
job=(--limit 16384 --epochs 1)
hash_of() { grep -o "weights sha256 [0-9a-f]*" "$1" | awk '{print $3}'; }

echo "=== 1. no fault ==="
(run_job "${job[@]}") > "$run_dir/run1.log" 2>&1
grep -E "^epoch|^test|^steps|sha256" "$run_dir/run1.log"
reference=$(hash_of "$run_dir/run1.log")

echo "=== 2. SIGKILL of worker 2's JVM after step 50 ==="
run_job "${job[@]}" > "$run_dir/run2.log" 2>&1 &
driver=$!
wait_for "$run_dir/run2.log" "step 50/" 600
kill -9 "${worker_pid[2]}"
echo "killed worker 2 (pid ${worker_pid[2]})"
wait "$driver"
grep -E "^epoch|^test|^steps|sha256|Lost|lost" "$run_dir/run2.log" | head -20
[ "$(hash_of "$run_dir/run2.log")" = "$reference" ] && echo "PASS: same weights as without the fault" \
  || { echo "FAIL: weights differ from the run without the fault"; exit 1; }
start_worker 3

echo "=== 3. SIGKILL of the driver after step 100, then --resume ==="
checkpoint="$run_dir/fmnist.ckpt.safetensors"
rm -f "$checkpoint"
run_job "${job[@]}" --checkpoint "$checkpoint" > "$run_dir/run3.log" 2>&1 &
driver=$!
wait_for "$run_dir/run3.log" "step 100/" 600
kill -9 "$driver"
wait "$driver" 2>/dev/null || true
echo "killed the driver (pid $driver) after: $(grep "step 100/" "$run_dir/run3.log")"
(run_job "${job[@]}" --checkpoint "$checkpoint" --resume) > "$run_dir/run3b.log" 2>&1
grep -E "^resumed|^epoch|^test|sha256" "$run_dir/run3b.log"
[ "$(hash_of "$run_dir/run3b.log")" = "$reference" ] && echo "PASS: same weights as without the fault" \
  || { echo "FAIL: weights differ from the run without the fault"; exit 1; }
