#!/usr/bin/env bash
# What a failing collector costs weather-server under load (RELIABILITY.md,
# item 4): native mode, stateless tools/call from mcp-trace-loadgen, every
# span and log record exported to mcp-trace-sink behaving as SINK_FAULT says,
# or to a port where nothing listens (`down`); `back` is 503 for the first
# 5 s, then healthy. Per fault: calls/s, p50/p99, server CPU per call, max
# RSS (bench/results/faults.csv), then the server's own account at SIGTERM
# (its one warning and its loss line) and how long it took to exit.
#
#   bash bench/faults.sh      # CALLS=30000 ROUNDS=2 FAULTS="healthy down hang slow:2000 503 429 500 back"
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
target=${CARGO_TARGET_DIR:-$root/target}
CALLS=${CALLS:-30000}
ROUNDS=${ROUNDS:-2}
FAULTS=${FAULTS:-healthy down hang slow:2000 503 429 500 back}
CSV=${CSV:-$bench/results/faults.csv}
SINK_PORT=${SINK_PORT:-4338}

mkdir -p "$(dirname "$CSV")"
rm -f "$CSV"
. "$bench/processes.sh"
build_release

run() {
  local fault=$1 port stderr started
  case $fault in
    down) ;;
    healthy) start_sink "$SINK_PORT" /dev/null ;;
    back) SINK_FAULT=503 SINK_FAULT_SECONDS=5 start_sink "$SINK_PORT" /dev/null ;;
    *) SINK_FAULT=$fault start_sink "$SINK_PORT" /dev/null ;;
  esac
  port=$(free_port)
  stderr=$(mktemp)
  MCP_TRACE_MODE=native OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT \
    "$target/release/weather-server" --stateless --port "$port" > /dev/null 2> "$stderr" &
  server=$!
  wait_ready "$port"
  "$target/release/mcp-trace-loadgen" --url "http://127.0.0.1:$port/weather" \
    --calls "$CALLS" --warmup 1000 --server-pid "$server" --label "$fault" \
    --csv "$CSV" --fail-on-errors
  started=$(date +%s%N)
  stop_server
  echo "faults: $fault: exit $(( ($(date +%s%N) - started) / 1000000 )) ms after SIGTERM"
  sed 's/^/faults:   /' "$stderr"
  rm -f "$stderr"
  [ -n "$sink" ] && stop_sink
  return 0
}

for round in $(seq "$ROUNDS"); do
  echo "== round $round"
  for fault in $FAULTS; do run "$fault"; done
done
column -s, -t < "$CSV"
