#!/usr/bin/env bash
# Retakes docs/phoenix-trace.png: the weather demo's distributed trace
# (weather-client and weather-server, both exporting over OTLP/HTTP) in the
# trace view of Arize Phoenix running locally, shot with headless Chromium.
#
# Not part of CI: run it by hand when the picture needs redoing, then look
# at the PNG before committing it.
#
#   bash docs/screenshot.sh [OUT.png]        # default: docs/phoenix-trace.png
#
# Needs: cargo; python3 with venv and pip (arize-phoenix, the version pinned
# in tests/interop/requirements.txt, with tests/interop/constraints.txt);
# node and npm (playwright-core, pinned below); Chromium — Debian's
# `apt-get install chromium`, or set CHROMIUM to another binary. The Python
# and npm packages go under ${MCP_TRACE_SCREENSHOT_DIR:-/tmp/mcp-trace-screenshot}
# and are reused on the next run. Phoenix gets a fresh SQLite working dir
# and free ports on 127.0.0.1; it is stopped when the script exits.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$(realpath -m "${1:-docs/phoenix-trace.png}")"
work="${MCP_TRACE_SCREENSHOT_DIR:-/tmp/mcp-trace-screenshot}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
playwright_version=1.65.1
phoenix_version="$(sed -n 's/^arize-phoenix==//p' tests/interop/requirements.txt)"
say() { printf 'screenshot: %s\n' "$*"; }

# --- Phoenix (Python venv) -----------------------------------------------------
venv="$work/venv"
if [[ "$("$venv/bin/python" -m pip show arize-phoenix 2>/dev/null | sed -n 's/^Version: //p')" != "$phoenix_version" ]]; then
    say "installing arize-phoenix==$phoenix_version into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --progress-bar off "arize-phoenix==$phoenix_version" -c tests/interop/constraints.txt
fi

# --- playwright-core (npm) -----------------------------------------------------
js="$work/js"
if [[ "$(node -p "require('$js/node_modules/playwright-core/package.json').version" 2>/dev/null)" != "$playwright_version" ]]; then
    say "installing playwright-core@$playwright_version into $js"
    rm -rf "$js"
    mkdir -p "$js"
    (cd "$js" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error \
        "playwright-core@$playwright_version" >/dev/null)
fi
cp docs/screenshot.mjs "$js/screenshot.mjs" # so that it finds playwright-core

chromium="${CHROMIUM:-/usr/bin/chromium}"
[[ -x "$chromium" ]] || { say "no Chromium at $chromium (apt-get install chromium, or set CHROMIUM)"; exit 1; }

# --- the demo's binaries -------------------------------------------------------
cargo build --release --quiet -p weather-client -p weather-server --bin weather-client --bin weather-server
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

# --- start Phoenix -------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
phoenix_dir="$(mktemp -d "$work/phoenix.XXXXXX")"
phoenix_pid=
cleanup() {
    if [[ -n "$phoenix_pid" ]]; then
        kill -- "-$phoenix_pid" 2>/dev/null || true # its process group
        wait "$phoenix_pid" 2>/dev/null || true
    fi
    rm -rf "$phoenix_dir"
}
trap cleanup EXIT
say "starting Phoenix $phoenix_version on 127.0.0.1:$port"
PHOENIX_HOST=127.0.0.1 PHOENIX_PORT="$port" PHOENIX_GRPC_PORT="$(free_port)" \
    PHOENIX_WORKING_DIR="$phoenix_dir" PHOENIX_TELEMETRY_ENABLED=false \
    PHOENIX_ALLOW_EXTERNAL_RESOURCES=false \
    setsid "$venv/bin/phoenix" serve >"$phoenix_dir/phoenix.log" 2>&1 &
phoenix_pid=$!
for _ in $(seq 240); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    kill -0 "$phoenix_pid" 2>/dev/null || { tail -40 "$phoenix_dir/phoenix.log"; exit 1; }
    sleep 0.5
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { say "Phoenix did not start"; tail -40 "$phoenix_dir/phoenix.log"; exit 1; }

# --- the demo, both processes exporting to Phoenix ------------------------------
# The demo's server is a child process and inherits the environment.
# Phoenix takes traces only (its /v1/logs answers 405): no OTLP logs.
say "running weather-client --demo Paris against Phoenix"
trace_id="$(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_LOGS_EXPORTER=none \
    "$target_dir/release/weather-client" --demo --json Paris \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["trace_id"])')"
say "trace $trace_id"

# Phoenix inserts spans in batches: wait until the count stops growing.
count_spans() {
    curl -sf "http://127.0.0.1:$port/v1/projects/default/spans?trace_id=$trace_id&limit=1000" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))' 2>/dev/null || echo 0
}
last=-1 stable=0
for _ in $(seq 60); do
    now="$(count_spans)"
    if [[ "$now" -gt 0 && "$now" == "$last" ]]; then
        stable=$((stable + 1))
        [[ "$stable" -ge 3 ]] && break
    else
        stable=0
    fi
    last="$now"
    sleep 0.5
done
say "Phoenix has $last spans of the trace"

# --- the picture ---------------------------------------------------------------
mkdir -p "$(dirname "$out")"
CHROMIUM="$chromium" node "$js/screenshot.mjs" "http://127.0.0.1:$port" "$trace_id" "$out"
say "$(du -k "$out" | cut -f1) KiB, $(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' "$out")"
