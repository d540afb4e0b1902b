#!/usr/bin/env bash
# Memory under a long traced load: 1,000,000 calls (CALLS) against
# `weather-server --stateless` in MCP_TRACE_MODE=native, exporting spans,
# logs and metrics over OTLP/HTTP to the counting sink. The loadgen records
# the server's RSS at the start, at the end and its maximum (sampled every
# second) into bench/results/memory.csv; this script also writes the RSS
# every 5 s to bench/results/memory-rss.csv (seconds, MiB), so a flat line
# (bounded by the export queues) is visible over time.
#
#   bash bench/memory.sh
#   CALLS=200000 bash bench/memory.sh
#
# Settings (environment): CALLS (1000000), CONCURRENCY (8), MODE (native),
# SINK_PORT (4318), CARGO_TARGET_DIR.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
target=${CARGO_TARGET_DIR:-$root/target}
CALLS=${CALLS:-1000000}
CONCURRENCY=${CONCURRENCY:-8}
MODE=${MODE:-native}
SINK_PORT=${SINK_PORT:-4318}


mkdir -p "$bench/results"
. "$bench/processes.sh"
build_release
start_sink "$SINK_PORT"

port=$(free_port)
MCP_TRACE_MODE=$MODE OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT \
  "$target/release/weather-server" --stateless --port "$port" > /dev/null 2>&1 &
server=$!
wait_ready "$port"

echo "seconds,rss_mib" > "$bench/results/memory-rss.csv"
(
  start=$SECONDS
  while kill -0 "$server" 2>/dev/null; do
    kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status" 2>/dev/null) || break
    [ -n "$kib" ] && echo "$((SECONDS - start)),$(awk "BEGIN {printf \"%.1f\", $kib / 1024}")" >> "$bench/results/memory-rss.csv"
    sleep 5
  done
) &
sampler=$!

"$target/release/mcp-trace-loadgen" --url "http://127.0.0.1:$port/weather" \
  --concurrency "$CONCURRENCY" --calls "$CALLS" --server-pid "$server" \
  --label "$MODE-$CALLS" --csv "$bench/results/memory.csv"
echo "RSS every 5 s: $bench/results/memory-rss.csv"
