#!/usr/bin/env bash
# Page render load: wrk against pages that need no log-in, each for a few seconds.
# Usage: bench/pages.sh [base-url] [seconds] [connections]   (defaults: http://127.0.0.1:8090 10 16)
# Start the server first, e.g. `target/release/tilgang --listen 127.0.0.1:8090 --log warn`.
set -euo pipefail
base=${1:-http://127.0.0.1:8090}
seconds=${2:-10}
connections=${3:-16}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
for path in / /studio/ /studio/user/login /auth/session; do
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$base$path")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-22s %10s req/s   p50 %-8s p99 %-8s %s\n' "$path" "$rps" "$p50" "$p99" "${non2xx:+non-2xx: $non2xx}"
done
