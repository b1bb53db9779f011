#!/usr/bin/env bash
# A Spark standalone cluster on this machine (a Master and two Workers of one core each, separate
# JVMs on 127.0.0.1), FMNIST-NET trained on it with the reference recipe, then the same recipe on
# one JVM (the engine's Trainer on 2 threads) for comparison.
#   spark/scripts/cluster.sh [FashionMnistJob options, e.g. --epochs 2 --mode local:8]
# Needs Debian's dataset-fashion-mnist (or --data DIR). Logs: $AUTOPROP_CLUSTER_DIR (/tmp/autoprop-cluster).
source "$(dirname "$0")/cluster-lib.sh"
build
trap stop_cluster EXIT
start_master
start_worker 1
start_worker 2
echo "=== on the cluster ($master_url, 2 workers x 1 core) ==="
(run_job "$@") 2>&1 | grep -v -E "^(WARNING|Using Spark)| WARN | INFO "
echo "=== the same recipe on one JVM, 2 engine threads ==="
java $jvm_flags -Xmx3g -Dautoprop.threads=2 -cp "$app_jar:$spark_home/jars/*" org.autoprop.spark.FashionMnistJob \
  --single "$@" 2>&1 | grep -v -E "^WARNING"
