#!/usr/bin/env bash
# Verification and issuance against the running release server, side by side with the
# peers a reader would compare against, all in one run:
#   - the server pinned to one core (SERVER_CPU), wrk pinned to the other (LOAD_CPU);
#   - issuance: SEALS distinct applications (the FR example, its title numbered), each a
#     durable 201, with the store's growth per certificate;
#   - cold verification: every seal verified exactly once (rules in the loop, the full
#     verdict JSON, each answer checked VALID);
#   - warm verification: the first WARM_SEALS seals again (the same day, the same
#     checkpoint), at the peak rate and then at half of it, for the p99;
#   - PyJWT (with cryptography) checking the same seals' signatures after a kid lookup in
#     the JWKS, and `openssl speed ed25519`, both on the server's core;
#   - the ratios.
#
# Usage: scripts/bench-verify.sh
# Settings (environment): BIN (default target/release/cartouche, built if missing),
# SEALS (default 20000, at least 10000), WARM_SEALS (100), WARM_SECONDS (10),
# CONNECTIONS (16), PORT (8197), SERVER_CPU (0), LOAD_CPU (1).
# Traffic goes to 127.0.0.1 only. Needs wrk, taskset, openssl, python3 with venv; PyJWT is
# installed into target/bench-verify/venv from PyPI on the first run. Takes 2-4 minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${BIN:-target/release/cartouche}
SEALS=${SEALS:-20000}
WARM_SEALS=${WARM_SEALS:-100}
WARM_SECONDS=${WARM_SECONDS:-10}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-8197}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
HOST=127.0.0.1
URL="http://$HOST:$PORT"
STATE=target/bench-verify

die() { echo "bench-verify.sh: $*" >&2; exit 1; }
[[ $SEALS =~ ^[0-9]+$ ]] && (( SEALS >= 10000 && SEALS <= 1000000 )) || die "SEALS must be 10000 to 1000000"
[[ $WARM_SEALS =~ ^[1-9][0-9]*$ ]] && (( WARM_SEALS <= SEALS )) || die "WARM_SEALS must be 1 to SEALS"
[[ $WARM_SECONDS =~ ^[1-9][0-9]{0,2}$ ]] || die "WARM_SECONDS must be 1 to 999"
[[ $CONNECTIONS =~ ^[1-9][0-9]{0,3}$ ]] || die "CONNECTIONS must be 1 to 9999"
[[ $PORT =~ ^[1-9][0-9]{0,4}$ ]] || die "PORT must be a port number"
CPUS=$(nproc)
for cpu in "$SERVER_CPU" "$LOAD_CPU"; do
  [[ $cpu =~ ^[0-9]+$ ]] && (( cpu < CPUS )) || die "SERVER_CPU and LOAD_CPU must be CPUs of this machine (0 to $((CPUS - 1)))"
done
[[ $SERVER_CPU != "$LOAD_CPU" ]] || die "SERVER_CPU and LOAD_CPU must differ"

missing=()
for tool in wrk taskset openssl python3 curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if (( ${#missing[@]} )); then
  [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || die "needs ${missing[*]}: install them and run again"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]/taskset/util-linux}" >/dev/null
fi
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  die "something already listens on $HOST:$PORT; set PORT to a free port"
fi
[[ -x $BIN ]] || cargo build --release --bin cartouche

mkdir -p "$STATE"
VENV=$STATE/venv
if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import jwt, cryptography' 2>/dev/null; then
  echo "== installing PyJWT and cryptography into $VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install -q 'PyJWT>=2.9,<3' 'cryptography>=43' || die "pip install failed"
fi

WORK=$(mktemp -d)
SERVER_PID=
WRK_PID=
cleanup() {
  [[ -n $WRK_PID ]] && kill -INT "$WRK_PID" 2>/dev/null
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $CPUS cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "== server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU ($CONNECTIONS connections); $SEALS seals"

DATA=$WORK/data
CARTOUCHE_LOG=warn taskset -c "$SERVER_CPU" "$BIN" serve --data-dir "$DATA" --listen "$HOST:$PORT" \
  --verify-rate-limit 0 --reference-data plugins/reference-data.example.json 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 200); do
  curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server stopped during start-up"; }
  sleep 0.1
done
curl -fsS "$URL/healthz" >/dev/null || die "the server did not answer /healthz within 20 s"
TOKEN=$(CARTOUCHE_SERVER=$URL "$BIN" token create --role issuer --country FR --label bench-verify \
  --token-file "$DATA/admin.token")
curl -fsS "$URL/.well-known/jwks.json" >"$WORK/jwks.json"

# The FR example with a numbered title: every application distinct.
python3 - "$WORK/body.json" <<'EOF'
import json, sys
with open("schemas/examples/fr-painting-to-us.json", encoding="utf-8") as f:
    application = json.load(f)
application["objects"][0]["title"] += " (bench @@N@@)"
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(application, f)
EOF

# run_wrk MODE SECONDS [extra env]: runs wrk on LOAD_CPU with the script in MODE; for the
# modes that stop by themselves (issue, cold), interrupts wrk once every thread is done.
# Prints the script's RESULT line.
run_wrk() {
  local mode=$1 seconds=$2
  shift 2
  rm -f "$WORK"/seals/*.done "$WORK"/seals/*.bad
  env BENCH_MODE="$mode" BENCH_SEALS_DIR="$WORK/seals" "$@" \
    taskset -c "$LOAD_CPU" wrk --latency -t 1 -c "$CONNECTIONS" -d "${seconds}s" --timeout 10s \
    -s scripts/bench-verify.lua "$URL" >"$WORK/wrk.out" 2>&1 &
  WRK_PID=$!
  if [[ $mode != warm ]]; then
    for _ in $(seq 1 $(( seconds * 10 ))); do
      [[ -e $WORK/seals/1.done ]] && break
      kill -0 "$WRK_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -INT "$WRK_PID" 2>/dev/null || true
  fi
  wait "$WRK_PID" || true
  WRK_PID=
  grep '^RESULT' "$WORK/wrk.out" || { cat "$WORK/wrk.out" >&2; die "wrk printed no result ($mode)"; }
}
# check_all MODE RESULT: stops the run if any answer was not the expected one.
check_all() {
  if (( $(field bad "$2") != 0 )); then
    cat "$WORK"/seals/*.bad >&2 2>/dev/null || true
    die "some answers of the $1 run were not as expected (above: the first of them)"
  fi
}
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }

mkdir -p "$WORK/seals"
BEFORE=$(du -sb "$DATA" | cut -f1)
echo "== issuance: $SEALS distinct applications, POST /api/v1/certificates"
ISSUE=$(run_wrk issue 900 BENCH_BODY_FILE="$WORK/body.json" BENCH_TOKEN="$TOKEN" BENCH_PER_THREAD="$SEALS")
echo "   $ISSUE"
ISSUED=$(wc -l <"$WORK/seals/1.txt")
(( ISSUED >= SEALS )) || die "only $ISSUED seals were issued; see $WORK/server.log"
check_all issuance "$ISSUE"
sleep 4 # the next checkpoint covers every issuance (--log-interval 2)
AFTER=$(du -sb "$DATA" | cut -f1)
PER_CERT=$(( (AFTER - BEFORE) / ISSUED ))
echo "   store: $BEFORE B at start, $AFTER B after $ISSUED issuances: $PER_CERT B per certificate"

echo "== cold verification: each of the $ISSUED seals once"
COLD=$(run_wrk cold 900)
echo "   $COLD"
check_all "cold verification" "$COLD"

echo "== warm verification: the first $WARM_SEALS seals again, ${WARM_SECONDS} s"
WARM=$(run_wrk warm "$WARM_SECONDS" BENCH_WARM_SEALS="$WARM_SEALS")
echo "   $WARM"
check_all "warm verification" "$WARM"
WARM_RATE=$(field rate "$WARM")
# Half the peak: each connection waits so that all of them together send about half.
DELAY=$(awk -v c="$CONNECTIONS" -v r="$WARM_RATE" 'BEGIN { printf "%d", c * 1000 / (r / 2) }')
HALF=$(run_wrk warm "$WARM_SECONDS" BENCH_WARM_SEALS="$WARM_SEALS" BENCH_DELAY_MS="$DELAY")
echo "   at about half the peak ($DELAY ms between a connection's requests): $HALF"
check_all "half-peak verification" "$HALF"

echo "== peers on CPU $SERVER_CPU (the server idle)"
head -n 2000 "$WORK/seals/1.txt" >"$WORK/peer-seals.txt"
PYJWT=$(taskset -c "$SERVER_CPU" "$VENV/bin/python" scripts/bench-verify-pyjwt.py "$WORK/jwks.json" "$WORK/peer-seals.txt" 5)
echo "   PyJWT $("$VENV/bin/python" -c 'import jwt, cryptography; print(jwt.__version__, "with cryptography", cryptography.__version__)'): $PYJWT"
OPENSSL_OUT=$(taskset -c "$SERVER_CPU" openssl speed -seconds 5 ed25519 2>/dev/null | grep -E 'EdDSA \(Ed25519\)' | tail -1)
OPENSSL=$(awk '{ print $NF }' <<<"$OPENSSL_OUT")
echo "   $(openssl version | cut -d' ' -f1-2) speed ed25519, verify/s: $OPENSSL"
HEALTH=$(taskset -c "$LOAD_CPU" wrk -t 1 -c "$CONNECTIONS" -d 3s "$URL/healthz" | awk '/Requests\/sec/ { print $2 }')
echo "   GET /healthz: $HEALTH/s"

echo
echo "== summary (per core; ratios against the peers of this run)"
awk -v cold="$(field rate "$COLD")" -v warm="$WARM_RATE" -v py="$(field rate "$PYJWT")" -v ossl="$OPENSSL" \
  -v issue="$(field rate "$ISSUE")" -v per="$PER_CERT" -v half="$(field rate "$HALF")" \
  -v p99cold="$(field p99_ms "$COLD")" -v p99warm="$(field p99_ms "$WARM")" -v p99half="$(field p99_ms "$HALF")" \
  -v health="$HEALTH" 'BEGIN {
  printf "| what | rate | ratios |\n|---|---|---|\n"
  printf "| cold verification (each seal once) | %d/s (p99 %s ms) | %.2fx PyJWT, %.0f%% of OpenSSL Ed25519 |\n", cold, p99cold, cold / py, 100 * cold / ossl
  printf "| warm verification (peak) | %d/s (p99 %s ms) | %.2fx PyJWT, %.0f%% of OpenSSL Ed25519 |\n", warm, p99warm, warm / py, 100 * warm / ossl
  printf "| warm verification at about half the peak | %d/s | p99 %s ms |\n", half, p99half
  printf "| PyJWT signature check after a kid lookup | %d/s | |\n", py
  printf "| OpenSSL Ed25519 verify | %d/s | |\n", ossl
  printf "| durable issuance | %d/s | %d B of store per certificate |\n", issue, per
  printf "| GET /healthz | %d/s | |\n", health
}'
