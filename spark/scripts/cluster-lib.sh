# Functions for a Spark standalone cluster on 127.0.0.1 built from Maven Central's jars, sourced by
# cluster.sh and faults.sh. Spark's own Master and Worker classes run as separate JVMs; a Worker
# launches executors from a "Spark home" whose jars/ folder the module's build fills
# (maven-dependency-plugin, spark/target/spark-home/jars) and whose RELEASE file tells Spark's
# launcher to take its classpath from jars/ (SPARK_SCALA_VERSION spares it looking for a source build).
set -euo pipefail
spark_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root_dir=$(dirname "$spark_dir")
spark_home="$spark_dir/target/spark-home"
app_jar="$spark_dir/target/autoprop-spark-0.1.0-SNAPSHOT.jar"
run_dir="${AUTOPROP_CLUSTER_DIR:-/tmp/autoprop-cluster}"
master_url="spark://127.0.0.1:17077"
# What Spark 4 passes to the JVMs it launches itself (JavaModuleOptions), for the ones we launch.
jvm_flags=$(sed -n '/<spark.jvm.flags>/,/<\/spark.jvm.flags>/p' "$spark_dir/pom.xml" | sed 's/<[^>]*>//g' | tr '\n' ' ')
declare -A worker_pid=()
master_pid=""

build() {
  (cd "$root_dir" && ./mvnw -q -B install -DskipTests)
  (cd "$spark_dir" && "$root_dir/mvnw" -q -B package -DskipTests)
  touch "$spark_home/RELEASE"
}

start_master() {
  mkdir -p "$run_dir"
  java $jvm_flags -Xmx512m -cp "$spark_home/jars/*" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port 17077 --webui-port 18080 > "$run_dir/master.log" 2>&1 &
  master_pid=$!
  wait_for "$run_dir/master.log" "I have been elected leader" 60
}

# start_worker N: a Worker JVM with one core and 2 GB for its executors.
start_worker() {
  local n=$1
  mkdir -p "$run_dir/worker-$n"
  SPARK_HOME="$spark_home" SPARK_SCALA_VERSION=2.13 java $jvm_flags -Xmx512m -cp "$spark_home/jars/*" org.apache.spark.deploy.worker.Worker \
    --host 127.0.0.1 --cores 1 --memory 2g --webui-port $((18080 + n)) --work-dir "$run_dir/worker-$n" \
    "$master_url" > "$run_dir/worker-$n.log" 2>&1 &
  worker_pid[$n]=$!
  wait_for "$run_dir/worker-$n.log" "Successfully registered with master" 60
}

# The driver: FashionMnistJob in client mode; the app jar goes to the executors as spark.jars.
# exec: run in the background, the job's $! is the driver JVM itself.
run_job() {
  exec java $jvm_flags -Xmx3g -cp "$app_jar:$spark_home/jars/*" org.autoprop.spark.FashionMnistJob \
    --master "$master_url" --jars "$app_jar" "$@"
}

stop_cluster() {
  for pid in "${worker_pid[@]}" $master_pid; do
    kill "$pid" 2>/dev/null || true
  done
  sleep 2
  pkill -f "CoarseGrainedExecutorBackend.*$master_url" 2>/dev/null || true
  pkill -f "org.apache.spark.executor.CoarseGrainedExecutorBackend" 2>/dev/null || true
}

# wait_for FILE TEXT SECONDS: until FILE holds TEXT, or fail.
wait_for() {
  local file=$1 text=$2 seconds=$3
  for _ in $(seq 1 $((seconds * 5))); do
    if grep -q "$text" "$file" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "timed out after ${seconds}s waiting for '$text' in $file" >&2
  tail -20 "$file" >&2
  return 1
}
