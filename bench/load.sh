#!/usr/bin/env bash
# Under load: weather-server in each tracing mode against the Python seed's
# server, driven by mcp-trace-loadgen, interleaved rounds.
#
#   bash bench/load.sh            # 3 rounds × off, propagation_only, native, python-seed
#   CALLS=20000 PY_CALLS=2000 ROUNDS=1 bash bench/load.sh
#
# Contenders: `weather-server --stateless` with MCP_TRACE_MODE=off,
# propagation_only and native (everything exported over OTLP/HTTP to the
# counting sink), and bench/seed_server.py (FastMCP + Langfuse @observe,
# exporting to the same sink), all driven by the same loadgen command: the
# same concurrency, stateless `tools/call get_weather` with a fresh
# traceparent per call. Rows go to bench/results/load.csv (rewritten per
# run); the medians over the rounds are printed at the end.
#
# Settings (environment): CONCURRENCY (8), CALLS (50000, each Rust
# contender), WARMUP (2000), PY_CALLS (5000, the Python seed: ~30-50×
# slower), PY_WARMUP (500), PY_UNTRACED (1 adds `python-untraced`: the
# seed's server with no tracing, SEED_TRACING=0, to tell its tracing's cost
# apart), ROUNDS (3), SINK_PORT (4318), CSV (bench/results/load.csv),
# BENCH_VENV (target/bench-venv: the seed server's venv, made from
# bench/requirements.txt when missing or stale), CARGO_TARGET_DIR.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
target=${CARGO_TARGET_DIR:-$root/target}
CONCURRENCY=${CONCURRENCY:-8}
CALLS=${CALLS:-50000}
WARMUP=${WARMUP:-2000}
PY_CALLS=${PY_CALLS:-5000}
PY_WARMUP=${PY_WARMUP:-500}
ROUNDS=${ROUNDS:-3}
SINK_PORT=${SINK_PORT:-4318}
CSV=${CSV:-$bench/results/load.csv}
BENCH_VENV=${BENCH_VENV:-$root/target/bench-venv}

. "$bench/processes.sh"
build_release
server_bin=$target/release/weather-server
loadgen=$target/release/mcp-trace-loadgen

# The seed server's venv, rebuilt when requirements.txt changed.
if ! cmp -s "$bench/requirements.txt" "$BENCH_VENV/bench-requirements.txt"; then
  python3 -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install --quiet -r "$bench/requirements.txt"
  cp "$bench/requirements.txt" "$BENCH_VENV/bench-requirements.txt"
fi

mkdir -p "$(dirname "$CSV")"
rm -f "$CSV"
start_sink "$SINK_PORT"
endpoint=http://127.0.0.1:$SINK_PORT

run() { # contender calls warmup
  local contender=$1 calls=$2 warmup=$3 port
  port=$(free_port)
  case $contender in
    python-seed | python-untraced)
      SEED_TRACING=$([ "$contender" = python-seed ] && echo 1 || echo 0) \
      LANGFUSE_HOST=$endpoint LANGFUSE_PUBLIC_KEY=pk-lf-bench LANGFUSE_SECRET_KEY=sk-lf-bench \
        "$BENCH_VENV/bin/python" "$bench/seed_server.py" --port "$port" > /dev/null 2>&1 &
      ;;
    *)
      MCP_TRACE_MODE=$contender OTEL_EXPORTER_OTLP_ENDPOINT=$endpoint \
        "$server_bin" --stateless --port "$port" > /dev/null 2>&1 &
      ;;
  esac
  server=$!
  wait_ready "$port"
  "$loadgen" --url "http://127.0.0.1:$port/weather" --transport stateless \
    --concurrency "$CONCURRENCY" --calls "$calls" --warmup "$warmup" \
    --server-pid "$server" --label "$contender" --csv "$CSV"
  stop_server || echo "load.sh: $contender exited with status $?" >&2
}

for round in $(seq "$ROUNDS"); do
  echo "== round $round"
  for contender in off propagation_only native; do
    run "$contender" "$CALLS" "$WARMUP"
  done
  run python-seed "$PY_CALLS" "$PY_WARMUP"
  if [ "${PY_UNTRACED:-0}" = 1 ]; then
    run python-untraced "$PY_CALLS" "$PY_WARMUP"
  fi
done

stop_sink

echo "== medians over $ROUNDS round(s), concurrency $CONCURRENCY ($CSV)"
python3 "$bench/medians.py" "$CSV"
