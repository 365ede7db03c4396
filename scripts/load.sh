#!/usr/bin/env bash
# A load run on loopback: starts the release binary on a temporary data directory, issues
# the FR example certificate, then runs wrk against POST /api/v1/verify (with that
# certificate's QR text), GET /v/{token} (the officer's server-rendered verdict page) and
# GET /healthz, prints wrk's latency distribution and
# requests/s, stops the server and removes the data directory.
#
# Usage: scripts/load.sh          (from anywhere in the repository)
# Settings (environment):
#   LOAD_SECONDS      seconds of load per endpoint   (default 20, at most 600)
#   LOAD_THREADS      wrk threads                    (default 2)
#   LOAD_CONNECTIONS  wrk connections                (default 32)
#   LOAD_PORT         port on 127.0.0.1              (default 8199)
# Traffic goes to 127.0.0.1 only; there is deliberately no setting for the host.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_PER_RUN=${LOAD_SECONDS:-20}
THREADS=${LOAD_THREADS:-2}
CONNECTIONS=${LOAD_CONNECTIONS:-32}
PORT=${LOAD_PORT:-8199}
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
BIN=target/release/cartouche
EXAMPLE=schemas/examples/fr-painting-to-us.json

die() {
  echo "load.sh: $*" >&2
  exit 1
}

is_count() { [[ $1 =~ ^[1-9][0-9]{0,5}$ ]]; }
if ! is_count "$SECONDS_PER_RUN" || (( SECONDS_PER_RUN > 600 )); then
  die "LOAD_SECONDS must be 1 to 600, not '$SECONDS_PER_RUN'"
fi
is_count "$THREADS" || die "LOAD_THREADS must be a positive number, not '$THREADS'"
is_count "$CONNECTIONS" || die "LOAD_CONNECTIONS must be a positive number, not '$CONNECTIONS'"
(( CONNECTIONS >= THREADS )) || die "LOAD_CONNECTIONS ($CONNECTIONS) must be at least LOAD_THREADS ($THREADS)"
if ! is_count "$PORT" || (( PORT > 65535 )); then
  die "LOAD_PORT must be a port number, not '$PORT'"
fi

# Tools: wrk and curl from Debian's packages; jq or python3 to read JSON.
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if (( ${#missing[@]} > 0 )); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "needs ${missing[*]}: install the Debian package(s) (apt-get install ${missing[*]}) and run again"
  fi
fi

# json_get PATH: prints the member at PATH (dot-separated) of the JSON on stdin.
json_get() {
  if command -v jq >/dev/null; then
    jq -r --arg path "$1" 'getpath($path | split("."))'
  elif command -v python3 >/dev/null; then
    python3 -c 'import functools, json, sys; print(functools.reduce(lambda v, k: v[k], sys.argv[1].split("."), json.load(sys.stdin)))' "$1"
  else
    die "needs jq or python3 to read JSON"
  fi
}

if [[ ! -x $BIN ]]; then
  echo "== $BIN is missing: cargo build --release"
  cargo build --release
fi

if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  die "something already listens on $HOST:$PORT; set LOAD_PORT to a free port"
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting $BIN on $BASE (data in a temporary directory)"
# The per-address verification rate limit is off: all load comes from 127.0.0.1.
CARTOUCHE_LOG=warn "$BIN" serve --data-dir "$WORK/data" --listen "$HOST:$PORT" --verify-rate-limit 0 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server stopped during start-up"; }
  sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null || { cat "$WORK/server.log" >&2; die "the server did not answer /healthz within 10 s"; }

export CARTOUCHE_SERVER=$BASE
"$BIN" token create --role issuer --country FR --label "load test" \
  --token-file "$WORK/data/admin.token" >"$WORK/issuer.token"
"$BIN" issue "$EXAMPLE" --idempotency-key load-test --token-file "$WORK/issuer.token" \
  >"$WORK/issued.json"
QR_TEXT=$(json_get qr_text <"$WORK/issued.json")
NUMBER=$(json_get certificate.number <"$WORK/issued.json")
TOKEN=$(json_get token <"$WORK/issued.json")
# The whole output is captured (not piped to head), and the exit status is 2 or 3 for
# a verdict other than VALID: look at the first line only.
VERDICT=$("$BIN" verify "$QR_TEXT" 2>&1) || true
VERDICT=${VERDICT%%$'\n'*}
[[ $VERDICT == VALID ]] || die "$NUMBER does not verify as VALID before the load (got '$VERDICT')"
echo "   issued $NUMBER; its QR text is ${#QR_TEXT} bytes and verifies VALID"

echo "== machine: $(nproc) cores; commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "== load: ${SECONDS_PER_RUN} s per endpoint, $THREADS threads, $CONNECTIONS connections"

run_wrk() {
  # `timeout` is a backstop in case wrk itself hangs; wrk stops on its own after -d.
  timeout --signal=INT $(( SECONDS_PER_RUN + 30 )) \
    wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" "$@"
}

echo
echo "== POST /api/v1/verify"
CARTOUCHE_QR_TEXT=$QR_TEXT run_wrk -s scripts/load-verify.lua "$BASE/api/v1/verify"

echo
echo "== GET /v/{token} (verdict page, HTML)"
run_wrk -H "Accept: text/html" "$BASE/v/$TOKEN"

echo
echo "== GET /healthz"
run_wrk "$BASE/healthz"

echo
curl -fsS "$BASE/healthz" >/dev/null || die "the server no longer answers /healthz after the load"
echo "== server still healthy; stopping it"
