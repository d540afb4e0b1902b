#!/usr/bin/env bash
# Instructions per call, per tracing mode: weather-server runs under
# valgrind's callgrind (every thread: tokio workers, batch processors, the
# exporters), mcp-trace-loadgen sends WARMUP calls, the counters are zeroed,
# CALLS more are sent, the export threads get SETTLE seconds to send what
# those calls left (the batch processors' schedule delay is 5 s for spans,
# 1 s for logs), and the counters are dumped. Instructions do not depend on
# what else the machine is doing, so two builds or modes compare exactly
# even on a shared machine (BENCHMARKS.md, "instructions per call").
#
#   bash bench/callgrind.sh                  # MODES="off propagation_only native" CALLS=2000
#   MODES="native" ENV="OTEL_LOGS_EXPORTER=none" bash bench/callgrind.sh
#   KEEP=1 ...                               # keep target/callgrind/*.out for callgrind_annotate
#   FLOOR="span extract log call" ...        # also the SDK's own floor (mcp-trace-floor)
#
# Prints one line per mode: instructions per call, and native's ratio to off
# when both ran. ENV adds variables to the server's environment. FLOOR runs
# mcp-trace-floor's cases (the same span, context and log record written by
# hand on the bare SDK, see tests/src/bin/floor.rs) with --ops 0 and
# --ops FLOOR_OPS: the difference over FLOOR_OPS is instructions per
# operation, and what a call would cost any SDK-based tracer.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
target=${CARGO_TARGET_DIR:-$root/target}
MODES=${MODES:-off propagation_only native}
CALLS=${CALLS:-2000}
WARMUP=${WARMUP:-300}
CONCURRENCY=${CONCURRENCY:-4}
SETTLE=${SETTLE:-7}
SINK_PORT=${SINK_PORT:-4348}
ENV=${ENV:-}
FLOOR=${FLOOR:-}
FLOOR_OPS=${FLOOR_OPS:-20000}
out=$target/callgrind
mkdir -p "$out"

. "$bench/processes.sh"
[ -n "${NO_BUILD:-}" ] || build_release
start_sink "$SINK_PORT" /dev/null

# total_of DUMP: every instruction the dump counted, all threads.
total_of() { awk '/^summary:|^totals:/ { print $2; exit }' "$1"; }

declare -A per_call
for mode in $MODES; do
  port=$(free_port)
  rm -f "$out/$mode".out*
  # shellcheck disable=SC2086 # ENV is a list of NAME=value words
  env MCP_TRACE_MODE="$mode" OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" $ENV \
    valgrind --tool=callgrind --callgrind-out-file="$out/$mode.out" \
    "$target/release/weather-server" --stateless --port "$port" > /dev/null 2> "$out/$mode.log" &
  server=$!
  wait_ready "$port"
  load() {
    "$target/release/mcp-trace-loadgen" --url "http://127.0.0.1:$port/weather" \
      --concurrency "$CONCURRENCY" --calls "$1" --warmup 0 --label "$mode" --fail-on-errors > /dev/null
  }
  load "$WARMUP"
  sleep "$SETTLE"
  callgrind_control -z "$server" > /dev/null 2>&1
  load "$CALLS"
  sleep "$SETTLE"
  callgrind_control -d "$server" > /dev/null 2>&1
  stop_server || true
  dump=$(ls -t "$out/$mode".out.* | head -1)
  total=$(total_of "$dump")
  per_call[$mode]=$((total / CALLS))
  printf 'callgrind: %-17s %9d instructions per call (%d calls)\n' "$mode" "${per_call[$mode]}" "$CALLS"
  [ -n "${KEEP:-}" ] || rm -f "$out/$mode".out*
done
for case in $FLOOR; do
  for ops in 0 "$FLOOR_OPS"; do
    valgrind --tool=callgrind --callgrind-out-file="$out/floor-$case-$ops.out" \
      "$target/release/mcp-trace-floor" --case "$case" --ops "$ops" > /dev/null 2>&1
  done
  per_op=$(( ($(total_of "$out/floor-$case-$FLOOR_OPS.out") - $(total_of "$out/floor-$case-0.out")) / FLOOR_OPS ))
  printf 'callgrind: floor %-11s %9d instructions per operation (%d operations)\n' "$case" "$per_op" "$FLOOR_OPS"
  rm -f "$out/floor-$case"-*.out
done
if [ -n "${per_call[off]:-}" ] && [ -n "${per_call[native]:-}" ]; then
  awk -v n="${per_call[native]}" -v o="${per_call[off]}" \
    'BEGIN { printf "callgrind: native / off = %.3f (+%d instructions per call)\n", n / o, n - o }'
fi
