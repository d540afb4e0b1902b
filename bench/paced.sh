#!/usr/bin/env bash
# Latency at a given load, not at saturation: weather-server --stateless
# under mcp-trace-loadgen --rate (open loop: calls released on a schedule,
# latency from the release), interleaved rounds at each rate of
#   off                 nothing traced
#   native              every span and log record exported to mcp-trace-sink
#   native-unexported   OTEL_TRACES_EXPORTER=none OTEL_LOGS_EXPORTER=none
#   off-jemalloc, native-jemalloc
#                       off and native with jemalloc in place of glibc's
#                       malloc (LD_PRELOAD=$JEMALLOC; Debian's libjemalloc2),
#                       when that library is installed
# bench/load.sh's closed loop keeps both cores busy, so there any extra CPU
# becomes queueing; here a call waits only behind what runs when it arrives.
#
#   bash bench/paced.sh      # RATES="2000 5000" SECONDS_PER_RUN=4 ROUNDS=5 CONCURRENCY=32
#
# Rows go to bench/results/paced.csv, labelled VARIANT@RATE; medians with
# each variant's p99 against off's at the same rate are printed, and the
# machine's steal time (on a shared virtual machine, rounds with a high
# share measured the neighbours too), and again over the rounds with at
# most MAX_STEAL % (2) stolen.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
target=${CARGO_TARGET_DIR:-$root/target}
RATES=${RATES:-2000 5000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
ROUNDS=${ROUNDS:-5}
CONCURRENCY=${CONCURRENCY:-32}
MAX_STEAL=${MAX_STEAL:-2}
SINK_PORT=${SINK_PORT:-4318}
CSV=${CSV:-$bench/results/paced.csv}
JEMALLOC=${JEMALLOC:-/usr/lib/x86_64-linux-gnu/libjemalloc.so.2}
[ -e "$JEMALLOC" ] || echo "paced.sh: no $JEMALLOC (apt-get install libjemalloc2): no jemalloc rows" >&2
. "$bench/processes.sh"
build_release

mkdir -p "$(dirname "$CSV")"
rm -f "$CSV"
start_sink "$SINK_PORT"
run() { # label rate env...
  local label=$1 rate=$2 port
  shift 2
  port=$(free_port)
  env MCP_TRACE_MODE=native OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT "$@" \
    "$target/release/weather-server" --stateless --port "$port" > /dev/null 2>&1 &
  server=$!
  wait_ready "$port"
  "$target/release/mcp-trace-loadgen" --url "http://127.0.0.1:$port/weather" \
    --transport stateless --concurrency "$CONCURRENCY" --rate "$rate" \
    --calls $((rate * SECONDS_PER_RUN)) --warmup 2000 \
    --server-pid "$server" --label "$label@$rate" --csv "$CSV"
  stop_server || echo "paced.sh: $label@$rate exited with status $?" >&2
}
for round in $(seq "$ROUNDS"); do
  echo "== round $round"
  for rate in $RATES; do
    run off "$rate" MCP_TRACE_MODE=off
    run native "$rate"
    run native-unexported "$rate" OTEL_TRACES_EXPORTER=none OTEL_LOGS_EXPORTER=none
    if [ -e "$JEMALLOC" ]; then
      run off-jemalloc "$rate" MCP_TRACE_MODE=off LD_PRELOAD="$JEMALLOC"
      run native-jemalloc "$rate" LD_PRELOAD="$JEMALLOC"
    fi
  done
done
stop_sink

echo "== medians over $ROUNDS round(s), concurrency $CONCURRENCY ($CSV)"
python3 "$bench/medians.py" "$CSV"
echo "== medians over the rounds with at most ${MAX_STEAL}% of the machine's CPU time stolen"
python3 "$bench/medians.py" --max-steal "$MAX_STEAL" "$CSV"
