#!/usr/bin/env bash
# CI's short load: weather-server in native mode under mcp-trace-loadgen
# (CALLS stateless calls, then CALLS over sessions), every call must
# succeed, and the counting sink must have received the spans and the log
# records over OTLP/HTTP. Not a measurement: bench/load.sh is.
#
#   bash bench/smoke.sh          # CALLS=3000 SINK_PORT=4328
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
target=${CARGO_TARGET_DIR:-$root/target}
CALLS=${CALLS:-3000}
SINK_PORT=${SINK_PORT:-4328}
PORT=${PORT:-9328}

(cd "$root" && cargo build --release -p weather-server -p mcp-trace-tests \
  --bin weather-server --bin mcp-trace-loadgen)

server=
sink=
cleanup() {
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$sink" ] && kill -TERM "$sink" 2>/dev/null && wait "$sink" 2>/dev/null
  return 0
}
trap cleanup EXIT

sink_log=$(mktemp)
python3 "$bench/sink.py" "$SINK_PORT" 2> "$sink_log" &
sink=$!

run() {
  local flag=$1 transport=$2
  MCP_TRACE_MODE=native OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT \
    OTEL_BSP_SCHEDULE_DELAY=200 OTEL_BLRP_SCHEDULE_DELAY=200 \
    "$target/release/weather-server" $flag --port "$PORT" > /dev/null &
  server=$!
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2> /dev/null && break
    sleep 0.1
  done
  "$target/release/mcp-trace-loadgen" --url "http://127.0.0.1:$PORT/weather" \
    --transport "$transport" --calls "$CALLS" --warmup 200 --server-pid "$server" \
    --label "native $transport" --fail-on-errors
  # SIGTERM: the server flushes what it has left before it exits.
  kill -TERM "$server"
  wait "$server"
  server=
}
run --stateless stateless
run "" session

kill -TERM "$sink"
wait "$sink" || true
sink=
cat "$sink_log"
grep -q '^sink: /v1/traces ' "$sink_log" || { echo "smoke: no spans reached the sink" >&2; exit 1; }
grep -q '^sink: /v1/logs ' "$sink_log" || { echo "smoke: no log records reached the sink" >&2; exit 1; }
echo "smoke: $((2 * CALLS)) calls traced, spans and log records exported"
