# Sourced by bench/load.sh, memory.sh and smoke.sh: the processes a bench
# script starts (the counting sink, the server under load, an RSS sampler)
# and the one cleanup that stops them however the script ends.
# The sourcing script sets `bench` (this folder) first.

# build_release: weather-server and the load generator, built with the
# features of the builds .ci/run has just made, so nothing is compiled
# twice: weather-server as the demo's `cargo run --release -p
# weather-client` resolves it, the load generator by the benches' build
# (benches build their package's binaries). The sourcing script sets `root`.
build_release() {
  (cd "$root" && cargo build --release -p weather-client -p weather-server --bin weather-server)
  (cd "$root" && cargo bench --workspace --no-run)
}

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

# start_sink PORT [FILE]: the counting sink, mcp-trace-sink, on PORT (what it
# received goes to FILE, or stderr, when it stops; SINK_FAULT makes it a
# failing collector); exits the script when PORT is taken. The binary comes
# from build_release, or is built here when a script has not called it.
start_sink() {
  local sink_bin=${CARGO_TARGET_DIR:-$root/target}/release/mcp-trace-sink
  [ -x "$sink_bin" ] || (cd "$root" && cargo build -q --release -p mcp-trace-tests --bin mcp-trace-sink)
  "$sink_bin" "$1" 2> "${2:-/dev/stderr}" &
  sink=$!
  sleep 0.5
  kill -0 "$sink" 2>/dev/null || {
    echo "$(basename "$0"): the sink cannot listen on $1 (set SINK_PORT)" >&2
    exit 1
  }
}

# stop_sink: stops the sink, which then reports what it received.
stop_sink() {
  kill -TERM "$sink"
  wait "$sink" || true
  sink=
}

# free_port: a loopback port nothing listens on.
free_port() {
  local port
  while :; do
    port=$((9000 + RANDOM % 900))
    ss -ltn | grep -q ":$port " || { echo "$port"; return; }
  done
}

# wait_ready PORT: until the server ($server) accepts connections on PORT
# (the Python seed needs seconds to import); fails if it exits first.
wait_ready() {
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
    kill -0 "$server" 2>/dev/null || { echo "$(basename "$0"): the server exited" >&2; return 1; }
    sleep 0.2
  done
  echo "$(basename "$0"): no answer on port $1" >&2
  return 1
}

# stop_server: SIGTERM, so that the server flushes what it has left; fails
# with the server's exit status when that is not 0.
stop_server() {
  local status=0
  kill -TERM "$server"
  wait "$server" || status=$?
  server=
  return "$status"
}
