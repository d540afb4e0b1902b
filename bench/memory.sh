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

(cd "$root" && cargo build --release -p weather-server -p mcp-trace-tests \
  --bin weather-server --bin mcp-trace-loadgen)

mkdir -p "$bench/results"
server=
sink=
sampler=
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$sink" ] && kill -TERM "$sink" 2>/dev/null && wait "$sink" 2>/dev/null
  return 0
}
trap cleanup EXIT

python3 "$bench/sink.py" "$SINK_PORT" &
sink=$!
sleep 0.5
kill -0 "$sink" 2>/dev/null || { echo "memory.sh: the sink cannot listen on $SINK_PORT (set SINK_PORT)" >&2; exit 1; }

port=$((9000 + RANDOM % 900))
MCP_TRACE_MODE=$MODE OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT \
  "$target/release/weather-server" --stateless --port "$port" > /dev/null 2>&1 &
server=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

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
