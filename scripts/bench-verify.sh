#!/usr/bin/env bash
# Verification and issuance against the running release server, side by side with the
# peers a reader would compare against, all in one run:
#   - the server pinned to one core (SERVER_CPU), wrk pinned to the other (LOAD_CPU);
#   - issuance: SEALS distinct applications (the FR example, its title numbered), each a
#     durable 201, with the store's growth per certificate;
#   - cold verification: every seal verified exactly once (rules in the loop, the full
#     verdict JSON, each answer checked VALID);
#   - warm verification: the first WARM_SEALS seals again (the same day, the same
#     checkpoint), at the peak rate and then at about half of it, for the p99;
#   - PyJWT (with cryptography) checking the same seals' signatures after a kid lookup in
#     the JWKS, and `openssl speed ed25519`, both on the server's core;
#   - the ratios.
#
# Usage: scripts/bench-verify.sh
# Settings (environment): BIN (default target/release/cartouche, built if missing), or
# BINS, several server binaries measured one after the other in the same run (before and
# after a change: "old=path/to/cartouche new=target/release/cartouche"), one table row
# each, the peers once; SEALS (default 10000, at least 10000), WARM_SEALS (100),
# WARM_SECONDS (10), CONNECTIONS (16), PORT (8197), SERVER_CPU (0), LOAD_CPU (1).
# Traffic goes to 127.0.0.1 only. Needs wrk, taskset, openssl, python3 with venv; PyJWT is
# installed into target/bench-verify/venv from PyPI on the first run. Takes about a
# minute and a half per server binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${BIN:-target/release/cartouche}
SEALS=${SEALS:-10000}
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
if [[ -z ${BINS:-} ]]; then
  [[ -x $BIN ]] || cargo build --release --bin cartouche
  BINS="$(git rev-parse --short HEAD 2>/dev/null || echo this)=$BIN"
fi
for entry in $BINS; do
  [[ $entry == *=* && -x ${entry#*=} ]] || die "BINS entries are LABEL=PATH to an executable; '$entry' is not"
done

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
echo "== server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU ($CONNECTIONS connections); $SEALS seals per server"

# The FR example with a numbered title: every application distinct.
python3 - "$WORK/body.json" <<'PY'
import json, sys
with open("schemas/examples/fr-painting-to-us.json", encoding="utf-8") as f:
    application = json.load(f)
application["objects"][0]["title"] += " (bench @@N@@)"
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(application, f)
PY

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
field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }
# check_all WHAT RESULT: stops the run if an issuance failed; for verifications, shows
# the first answers that were not VALID (they are counted in the table).
check_all() {
  if (( $(field bad "$2") != 0 )); then
    cut -c1-600 "$WORK"/seals/*.bad >&2 2>/dev/null || true
    [[ $1 != issuance ]] || die "some issuances failed (above: the first of them)"
    echo "   $(field bad "$2") answers of the $1 run were not VALID (above: the first of them)" >&2
  fi
}

# measure LABEL BIN: one server on a fresh data directory, every server-side figure;
# appends one line to $WORK/rows.
measure() {
  local label=$1 bin=$2 data=$WORK/data-$1
  echo "== $label ($bin)"
  rm -rf "$WORK/seals"
  mkdir -p "$WORK/seals"
  CARTOUCHE_LOG=warn taskset -c "$SERVER_CPU" "$bin" serve --data-dir "$data" --listen "$HOST:$PORT" \
    --verify-rate-limit 0 --reference-data plugins/reference-data.example.json 2>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server stopped during start-up"; }
    sleep 0.1
  done
  curl -fsS "$URL/healthz" >/dev/null || die "the server did not answer /healthz within 20 s"
  local token before after issued per_cert issue cold warm half delay health
  token=$(CARTOUCHE_SERVER=$URL "$bin" token create --role issuer --country FR --label bench-verify \
    --token-file "$data/admin.token" 2>/dev/null)
  curl -fsS "$URL/.well-known/jwks.json" >"$WORK/jwks.json"

  before=$(du -sb "$data" | cut -f1)
  issue=$(run_wrk issue 900 BENCH_BODY_FILE="$WORK/body.json" BENCH_TOKEN="$token" BENCH_PER_THREAD="$SEALS")
  echo "   issuance: $issue"
  issued=$(wc -l <"$WORK/seals/1.txt")
  (( issued >= SEALS )) || die "only $issued seals were issued; see $WORK/server.log"
  check_all issuance "$issue"
  sleep 4 # the next checkpoint covers every issuance (--log-interval 2)
  after=$(du -sb "$data" | cut -f1)
  per_cert=$(( (after - before) / issued ))
  echo "   store: $before B at start, $after B after $issued issuances: $per_cert B per certificate"

  cold=$(run_wrk cold 900)
  echo "   cold verification, each of the $issued seals once: $cold"
  check_all "cold verification" "$cold"
  warm=$(run_wrk warm "$WARM_SECONDS" BENCH_WARM_SEALS="$WARM_SEALS")
  echo "   warm verification, the first $WARM_SEALS seals again for ${WARM_SECONDS} s: $warm"
  check_all "warm verification" "$warm"
  # About half the peak: each connection waits so that all of them together send half.
  delay=$(awk -v c="$CONNECTIONS" -v r="$(field rate "$warm")" 'BEGIN { printf "%d", c * 1000 / (r / 2) }')
  half=$(run_wrk warm "$WARM_SECONDS" BENCH_WARM_SEALS="$WARM_SEALS" BENCH_DELAY_MS="$delay")
  echo "   warm at about half the peak ($delay ms between a connection's requests): $half"
  check_all "half-peak verification" "$half"
  health=$(taskset -c "$LOAD_CPU" wrk -t 1 -c "$CONNECTIONS" -d 3s "$URL/healthz" | awk '/Requests\/sec/ { printf "%d", $2 }')
  echo "   GET /healthz: $health/s"
  head -n 2000 "$WORK/seals/1.txt" >"$WORK/peer-seals.txt"
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  local not_valid=$(( $(field bad "$cold") + $(field bad "$warm") + $(field bad "$half") ))
  echo "$label $(field rate "$cold") $(field p99_ms "$cold") $(field rate "$warm") $(field p99_ms "$warm")" \
    "$(field rate "$half") $(field p99_ms "$half") $(field rate "$issue") $per_cert $health $not_valid" >>"$WORK/rows"
}

for entry in $BINS; do
  measure "${entry%%=*}" "${entry#*=}"
done

echo "== peers on CPU $SERVER_CPU (the server stopped), on the last server's seals and JWKS"
PYJWT=$(taskset -c "$SERVER_CPU" "$VENV/bin/python" scripts/bench-verify-pyjwt.py "$WORK/jwks.json" "$WORK/peer-seals.txt" 5)
echo "   PyJWT $("$VENV/bin/python" -c 'import jwt, cryptography; print(jwt.__version__, "with cryptography", cryptography.__version__)'): $PYJWT"
OPENSSL_OUT=$(taskset -c "$SERVER_CPU" openssl speed -seconds 5 ed25519 2>/dev/null | grep -E 'EdDSA \(Ed25519\)' | tail -1)
OPENSSL=$(awk '{ print $NF }' <<<"$OPENSSL_OUT")
echo "   $(openssl version | cut -d' ' -f1-2) speed ed25519, verify/s: $OPENSSL"

echo
echo "== summary (per core; ratios against the peers of this run)"
echo "PyJWT signature check after a kid lookup: $(field rate "$PYJWT")/s; OpenSSL Ed25519 verify: ${OPENSSL%.*}/s"
echo
awk -v py="$(field rate "$PYJWT")" -v ossl="$OPENSSL" 'BEGIN {
  print "| server | cold verification | x PyJWT | of OpenSSL | warm verification | x PyJWT | of OpenSSL | warm at about half the peak | not VALID | durable issuance | store per certificate | GET /healthz |"
  print "|---|---|---|---|---|---|---|---|---|---|---|---|"
}
{
  printf "| %s | %d/s (p99 %s ms) | %.2f | %.0f%% | %d/s (p99 %s ms) | %.2f | %.0f%% | %d/s (p99 %s ms) | %d | %d/s | %d B | %d/s |\n",
    $1, $2, $3, $2 / py, 100 * $2 / ossl, $4, $5, $4 / py, 100 * $4 / ossl, $6, $7, $11, $8, $9, $10
}' "$WORK/rows"
