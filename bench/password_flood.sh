#!/usr/bin/env bash
# Memory and answers under a flood of password log-ins (security review, issue 11 item 4):
# CONCURRENCY clients at once send Basic-authenticated Gitea API calls with unknown users (no
# account needed, each would cost one argon2id check of ~19 MiB), TOTAL calls in all. Each call
# comes from its own address (X-Forwarded-For through a trusted proxy: a distributed attacker,
# so the per-source lock does not hide the load gate). Prints the status counts, the slowest
# answer and the server's peak resident memory (VmHWM).
# Usage: cargo build --release && bench/password_flood.sh [concurrency] [total] [port]
set -euo pipefail
bin="$(cd "$(dirname "$0")/.." && pwd)/target/release/tilgang"
concurrency="${1:-100}"
total="${2:-2000}"
port="${3:-18081}"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
if curl -s "http://127.0.0.1:$port/health" >/dev/null; then echo "port $port is taken; give another as the third argument" >&2; exit 1; fi
cd "$work"
"$bin" --listen "127.0.0.1:$port" --log warn --trusted-proxies 127.0.0.1 >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.01; done
idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
seq "$total" | awk '{printf "%d 10.%d.%d.1\n", $1, int($1 / 250), $1 % 250}' |
  xargs -P "$concurrency" -n 2 sh -c \
    'curl -s -o /dev/null -w "%{http_code} %{time_total}\n" -u "ukjent$1:feil-passord" -H "X-Forwarded-For: $2" "$0"' \
    "http://127.0.0.1:$port/studio/api/v1/user" > "$work/answers"
peak=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
echo "calls: $total, $concurrency at a time"
echo "answers by status:"; awk '{print "  " $1}' "$work/answers" | sort | uniq -c
echo "slowest answer: $(sort -k2 -n "$work/answers" | tail -n 1 | awk '{print $2}') s"
echo "resident memory: idle $((idle / 1024)) MB, peak $((peak / 1024)) MB"
curl -s "http://127.0.0.1:$port/metrics" | grep '^tilgang_rejected_for_load_total'
