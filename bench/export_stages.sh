#!/usr/bin/env bash
# Where export's share of native's p99 comes from (BENCHMARKS.md, issue 11):
# weather-server --stateless under mcp-trace-loadgen as in bench/load.sh,
# interleaved rounds of
#   off                  nothing traced
#   native               every span and log record exported to mcp-trace-sink
#   native-encoded       the same, but each batch is encoded and not sent
#   native-handed-over   each batch reaches the exporter and is dropped
#   native-unexported    OTEL_TRACES_EXPORTER=none OTEL_LOGS_EXPORTER=none
# The two middle ones are a build of HEAD with bench/export-stages.patch
# applied (EXPORT_STAGES_STOP_AT in the exporters), made in a git worktree
# with the same target directory and copied aside; the others are HEAD's own
# build. Rows go to bench/results/export_stages.csv, medians are printed.
#
#   bash bench/export_stages.sh     # CALLS=40000 ROUNDS=3 CONCURRENCY=8
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
target=${CARGO_TARGET_DIR:-$root/target}
CALLS=${CALLS:-40000}
ROUNDS=${ROUNDS:-3}
CONCURRENCY=${CONCURRENCY:-8}
SINK_PORT=${SINK_PORT:-4318}
CSV=${CSV:-$bench/results/export_stages.csv}
. "$bench/processes.sh"

# The patched build first, then HEAD's (build_release) over it.
worktree=$target/export-stages-tree
git -C "$root" worktree remove --force "$worktree" 2>/dev/null || true
git -C "$root" worktree add --quiet --detach "$worktree" HEAD
git -C "$worktree" apply "$bench/export-stages.patch"
(cd "$worktree" && CARGO_TARGET_DIR=$target cargo build --release -p weather-client -p weather-server --bin weather-server)
staged=$target/weather-server-export-stages
cp "$target/release/weather-server" "$staged"
git -C "$root" worktree remove --force "$worktree"
build_release

mkdir -p "$(dirname "$CSV")"
rm -f "$CSV"
start_sink "$SINK_PORT"
run() { # label binary env...
  local label=$1 binary=$2 port
  shift 2
  port=$(free_port)
  env MCP_TRACE_MODE=native OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT "$@" \
    "$binary" --stateless --port "$port" > /dev/null 2>&1 &
  server=$!
  wait_ready "$port"
  "$target/release/mcp-trace-loadgen" --url "http://127.0.0.1:$port/weather" --transport stateless \
    --concurrency "$CONCURRENCY" --calls "$CALLS" --warmup 2000 \
    --server-pid "$server" --label "$label" --csv "$CSV"
  stop_server || echo "export_stages.sh: $label exited with status $?" >&2
}
head=$target/release/weather-server
for round in $(seq "$ROUNDS"); do
  echo "== round $round"
  run off "$head" MCP_TRACE_MODE=off
  run native "$head"
  run native-encoded "$staged" EXPORT_STAGES_STOP_AT=encoded
  run native-handed-over "$staged" EXPORT_STAGES_STOP_AT=handed-over
  run native-unexported "$head" OTEL_TRACES_EXPORTER=none OTEL_LOGS_EXPORTER=none
done
stop_sink

echo "== medians over $ROUNDS round(s), concurrency $CONCURRENCY ($CSV)"
python3 "$bench/medians.py" "$CSV"
