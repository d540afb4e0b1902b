#!/usr/bin/env bash
# Side-by-side load: before/after binaries × off/native, 3 interleaved rounds.
# Needs wrk and python3; put two release builds of weather-server here as
# weather-server-before and weather-server-after (see BENCHMARKS.md).
set -u
cd "$(dirname "$0")"
../target/release/mcp-trace-sink 4318 & SINK=$!  # cargo build --release -p mcp-trace-tests --bin mcp-trace-sink
sleep 1
tick=$(getconf CLK_TCK)
for round in 1 2 3; do
  for bin in before after; do
    for mode in off native; do
      port=$((9000 + RANDOM % 500))
      MCP_TRACE_MODE=$mode OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \
        ./weather-server-$bin --stateless --port $port > /dev/null 2>&1 &
      pid=$!
      sleep 0.5
      # warm-up
      wrk -t1 -c8 -d2s -s call.lua http://127.0.0.1:$port/weather > /dev/null
      read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
      out=$(wrk -t1 -c8 -d10s --latency -s call.lua http://127.0.0.1:$port/weather)
      read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
      reqs=$(echo "$out" | awk '/requests in/ {print $1}')
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      p99=$(echo "$out" | awk '$1=="99%" {print $2}')
      non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
      cpu_us=$(python3 -c "print(round((($u1-$u0)+($s1-$s0))/$tick*1e6/$reqs, 1))")
      echo "round=$round bin=$bin mode=$mode rps=$rps p99=$p99 cpu_us_per_call=$cpu_us non2xx=${non2xx:-0}"
      kill -TERM $pid; wait $pid 2>/dev/null
    done
  done
done
kill $SINK
