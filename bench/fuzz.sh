#!/usr/bin/env bash
# Property-based fuzzing of a running tilgang with schemathesis: every operation of the served
# /openapi.json gets generated requests (valid and invalid), and the run fails on any 5xx.
#
# Usage:   bench/fuzz.sh [BASE_URL] [extra schemathesis run flags...]
#          BASE_URL defaults to http://127.0.0.1:8080
# Needs:   a tilgang in the local profile (for /api/GetEnterpriseToken), curl, python3, and
#          pip install -r bench/requirements-fuzz.txt   (schemathesis 4.x; its flags are used here)
#
# What it does:
#   1. checks /health and fetches $BASE/openapi.json, validating it with openapi-spec-validator;
#   2. collects every scope named in the document's security requirements and fetches a test token
#      for them from GET /api/GetEnterpriseToken?orgNo=317219253&scopes=... (local profile only);
#      with FUZZ_PID set it asks GET /api/GetPersonalToken?pid=$FUZZ_PID instead (a person's token,
#      which the portal endpoints need);
#   3. runs `schemathesis run` with that bearer token, the check not_a_server_error only, a small
#      number of examples per operation and a wall-clock limit.
#
# Exit status: 0 when no request got a 5xx; schemathesis's non-zero status when one did (or when a
# request failed at the network level); 124 when the time limit ended the run; 2 for setup errors.
#
# The fuzzer deletes, imports and creates whatever its random requests happen to hit: run it only
# against a throw-away local instance (it refuses other hosts than loopback unless
# FUZZ_ALLOW_REMOTE=1).
#
# Settings (environment):
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase   (default 5)
#   FUZZ_TIMEOUT       wall-clock limit in seconds            (default 600)
#   FUZZ_WORKERS       concurrent workers                     (default 2)
#   FUZZ_PHASES        e.g. examples,coverage,fuzzing         (default: schemathesis's own set)
#   FUZZ_SEED          seed for a reproducible run            (default: random; printed at the end)
#   FUZZ_ORG_NO        organisation of the test token         (default 317219253)
#   FUZZ_PID           use a person's token for this synthetic national identity number
#   FUZZ_REPORT_DIR    JUnit and NDJSON reports               (default ${TMPDIR:-/tmp}/tilgang-fuzz)
set -euo pipefail

base="${1:-http://127.0.0.1:8080}"
base="${base%/}"
[ $# -gt 0 ] && shift
max_examples="${FUZZ_MAX_EXAMPLES:-5}"
limit="${FUZZ_TIMEOUT:-600}"
workers="${FUZZ_WORKERS:-2}"
org_no="${FUZZ_ORG_NO:-317219253}"
report_dir="${FUZZ_REPORT_DIR:-${TMPDIR:-/tmp}/tilgang-fuzz}"
here="$(cd "$(dirname "$0")" && pwd)"

die() { echo "fuzz.sh: $*" >&2; exit 2; }

if [[ ! "$base" =~ ^https?://(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost|\[::1\])(:[0-9]+)?(/.*)?$ ]] \
    && [ "${FUZZ_ALLOW_REMOTE:-}" != 1 ]; then
    die "$base is not a loopback address; the fuzzer changes data, so set FUZZ_ALLOW_REMOTE=1 to mean it"
fi
command -v curl >/dev/null || die "curl is missing"
command -v python3 >/dev/null || die "python3 is missing"
command -v schemathesis >/dev/null \
    || die "schemathesis is missing: pip install -r $here/requirements-fuzz.txt"
want=$(sed -n 's/^schemathesis==//p' "$here/requirements-fuzz.txt")
have=$(schemathesis --version 2>/dev/null | awk '{print $NF}')
if [ -n "$want" ] && [ "$have" != "$want" ]; then
    echo "fuzz.sh: warning: schemathesis $have is installed, this script was written for $want" >&2
fi

mkdir -p "$report_dir"
curl -fsS --max-time 10 "$base/health" >/dev/null || die "no tilgang answers at $base/health"
schema="$report_dir/openapi.json"
curl -fsS --max-time 10 "$base/openapi.json" -o "$schema" || die "cannot fetch $base/openapi.json"
if command -v openapi-spec-validator >/dev/null; then
    openapi-spec-validator --validation-errors all "$schema" || die "the served OpenAPI document is not valid"
fi

# Every scope that some operation's security requirement names, space-separated.
scopes=$(python3 - "$schema" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
scopes = set()
for item in doc.get("paths", {}).values():
    for op in item.values():
        if isinstance(op, dict):
            for requirement in op.get("security") or []:
                for names in requirement.values():
                    scopes.update(names)
print(" ".join(sorted(scopes)))
EOF
)
[ -n "$scopes" ] || die "the document names no scopes"
ttl=$(( limit + 600 > 86400 ? 86400 : limit + 600 ))
if [ -n "${FUZZ_PID:-}" ]; then
    token_url="$base/api/GetPersonalToken"
    who=(--data-urlencode "pid=$FUZZ_PID")
else
    token_url="$base/api/GetEnterpriseToken"
    who=(--data-urlencode "orgNo=$org_no")
fi
token=$(curl -fsS --max-time 10 -G "$token_url" "${who[@]}" \
    --data-urlencode "scopes=$scopes" --data-urlencode "ttl=$ttl") \
    || die "no test token from $token_url (is the server in the local profile?)"
echo "fuzz.sh: token with scopes: $scopes"

args=(
    run "$base/openapi.json"
    --url "$base"
    --header "Authorization: Bearer $token"
    --checks not_a_server_error
    --max-examples "$max_examples"
    --workers "$workers"
    --request-timeout 10
    --generation-database none
    --report "junit,ndjson"
    --report-dir "$report_dir"
)
[ -n "${FUZZ_PHASES:-}" ] && args+=(--phases "$FUZZ_PHASES")
[ -n "${FUZZ_SEED:-}" ] && args+=(--seed "$FUZZ_SEED")

status=0
timeout --signal=INT --kill-after=30 "$limit" schemathesis "${args[@]}" "$@" || status=$?
case "$status" in
    0) echo "fuzz.sh: no server errors; reports in $report_dir" ;;
    124) echo "fuzz.sh: stopped by the time limit (${limit}s, FUZZ_TIMEOUT); reports in $report_dir" >&2 ;;
    *) echo "fuzz.sh: schemathesis found failures (exit $status); reports in $report_dir" >&2 ;;
esac
exit "$status"
