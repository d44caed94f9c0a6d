#!/usr/bin/env bash
# Page render load: wrk against pages that need no log-in, then against the portal's pages for a
# signed-in person (Kari, daglig leder of Fjellbekk Bakeri in the demo data, logged in through
# the embedded ID-porten with curl), each for a few seconds.
# Usage: bench/pages.sh [base-url] [seconds] [connections]   (defaults: http://127.0.0.1:8090 10 16)
# Start the server first, e.g. `target/release/tilgang --listen 127.0.0.1:8090 --log warn`.
set -euo pipefail
base=${1:-http://127.0.0.1:8090}
seconds=${2:-10}
connections=${3:-16}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
measure() { # path [header]
  local out
  if [ -n "${2:-}" ]; then
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "$2" "$base$1")
  else
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$base$1")
  fi
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-62s %10s req/s   p50 %-8s p99 %-8s %s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:+non-2xx: $non2xx}"
}
for path in / /docs /studio/ /studio/user/login /studio/user/forgot_password /auth/session; do
  measure "$path"
done

# Signed in: the log-in through the embedded ID-porten, its cookies kept in a jar.
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
login=$(curl -sS -c "$jar" -b "$jar" -L "$base/auth/login/idporten")
request_id=$(sed -n 's/.*name="request_id" value="\([^"]*\)".*/\1/p' <<<"$login")
[ -n "$request_id" ] || { echo "no log-in form at $base/auth/login/idporten" >&2; exit 1; }
curl -sS -c "$jar" -b "$jar" -L -o /dev/null --data "request_id=$request_id&pid=05827536549" "$base/idporten/authorize/login"
cookie=$(awk -F'\t' 'NF >= 7 && $1 !~ /^# / {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$jar")
org=315287138
id=$(curl -sS -b "$cookie" "$base/accessmanagement/ui/systemuser/overview?org=$org" \
  | sed -n 's/.*class="ds-link detail" href="\/accessmanagement\/ui\/systemuser\/\([^?"]*\)?.*/\1/p' | head -n1)
measure "/accessmanagement/ui/systemuser/overview?org=$org" "Cookie: $cookie"
measure "/accessmanagement/ui/systemuser/create?org=$org" "Cookie: $cookie"
if [ -z "$id" ]; then
  # Method B: a vendor registers a visible system (test token generator of the local
  # profile), and the organisation creates a system user for it.
  system=317219253_pagebench
  token=$(curl -sS "$base/api/GetEnterpriseToken?orgNo=317219253&scopes=altinn:authentication/systemregister.write")
  curl -sS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data '{"id":"'"$system"'","vendor":{"ID":"0192:317219253"},"name":{"nb":"Sidemåling","nn":"Sidemåling","en":"Page bench"},"description":{"nb":"Måler sider","nn":"Måler sider","en":"Measures pages"},"rights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-krav-og-betalinger"}]}],"clientId":["page-bench"],"isVisible":true}' \
    "$base/authentication/api/v1/systemregister/vendor"
  csrf=$(curl -sS -b "$cookie" "$base/accessmanagement/ui/systemuser/create?org=$org&system=$system" \
    | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)
  curl -sS -b "$cookie" -o /dev/null --data "org=$org&system=$system&csrf=$csrf&title=Benchmark" \
    "$base/accessmanagement/ui/systemuser/create"
  id=$(curl -sS -b "$cookie" "$base/accessmanagement/ui/systemuser/overview?org=$org" \
    | sed -n 's/.*class="ds-link detail" href="\/accessmanagement\/ui\/systemuser\/\([^?"]*\)?.*/\1/p' | head -n1)
fi
if [ -n "$id" ]; then
  measure "/accessmanagement/ui/systemuser/$id?org=$org" "Cookie: $cookie"
else
  echo "(the organisation has no system user: no detail page to measure)"
fi
