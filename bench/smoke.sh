#!/usr/bin/env bash
# CI's short load: weather-server in native mode under mcp-trace-loadgen
# (CALLS stateless calls, then CALLS over sessions), every call must
# succeed, and the counting sink must have received the spans and the log
# records over OTLP/HTTP; mcp-trace-floor runs each case once. Not a
# measurement: bench/load.sh and bench/callgrind.sh are.
#
#   bash bench/smoke.sh          # CALLS=3000 SINK_PORT=4328
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
target=${CARGO_TARGET_DIR:-$root/target}
CALLS=${CALLS:-3000}
SINK_PORT=${SINK_PORT:-4328}
PORT=${PORT:-9328}

. "$bench/processes.sh"
build_release
sink_log=$(mktemp)
start_sink "$SINK_PORT" "$sink_log"

run() {
  local flag=$1 transport=$2
  MCP_TRACE_MODE=native OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT \
    OTEL_BSP_SCHEDULE_DELAY=200 OTEL_BLRP_SCHEDULE_DELAY=200 \
    "$target/release/weather-server" $flag --port "$PORT" > /dev/null &
  server=$!
  wait_ready "$PORT"
  "$target/release/mcp-trace-loadgen" --url "http://127.0.0.1:$PORT/weather" \
    --transport "$transport" --calls "$CALLS" --warmup 200 --server-pid "$server" \
    --label "native $transport" --fail-on-errors
  stop_server
}
run --stateless stateless
run "" session

stop_sink
cat "$sink_log"
grep -q '^sink: /v1/traces ' "$sink_log" || { echo "smoke: no spans reached the sink" >&2; exit 1; }
grep -q '^sink: /v1/logs ' "$sink_log" || { echo "smoke: no log records reached the sink" >&2; exit 1; }
# The floor's binary (bench/callgrind.sh FLOOR=…) runs every case.
for case in span extract log call; do
  "$target/release/mcp-trace-floor" --case "$case" --ops 1000
done
echo "smoke: $((2 * CALLS)) calls traced, spans and log records exported; mcp-trace-floor ran"
