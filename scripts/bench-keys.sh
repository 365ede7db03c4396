#!/usr/bin/env bash
# Durable issuance per second by where the signing key lives, all in one run:
#   - clear:   a build from before keys were sealed (CLEAR_BIN), the key in the store in
#              clear (skipped when CLEAR_BIN is not given or missing);
#   - sealed:  this build, the key sealed under the KEK (opened once, at start);
#   - softhsm: this build with --keys pkcs11:..., the key in a throw-away SoftHSM2 token,
#              every seal signed in the token.
# For each: a fresh data directory, the release server pinned to SERVER_CPU, wrk pinned to
# LOAD_CPU issuing ISSUES distinct applications (the FR example, its title numbered) over
# CONNECTIONS connections, every answer a durable 201. The rate is measured in the wrk
# script (scripts/bench-verify.lua, mode issue), from the first request to the last answer.
#
# Usage: scripts/bench-keys.sh
# Settings (environment): BIN (default target/release/cartouche, built if missing),
# CLEAR_BIN (optional), ALG (EdDSA or ES256, default EdDSA), ISSUES (default 3000),
# CONNECTIONS (8), PORT (8198), SERVER_CPU (0), LOAD_CPU (1). 127.0.0.1 only. Needs wrk,
# taskset, curl and SoftHSM2 (Debian's softhsm2; installed as root with apt if missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${BIN:-target/release/cartouche}
CLEAR_BIN=${CLEAR_BIN:-}
ALG=${ALG:-EdDSA}
ISSUES=${ISSUES:-3000}
CONNECTIONS=${CONNECTIONS:-8}
PORT=${PORT:-8198}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
HOST=127.0.0.1
URL="http://$HOST:$PORT"
MODULE=/usr/lib/softhsm/libsofthsm2.so

die() { echo "bench-keys.sh: $*" >&2; exit 1; }
[[ $ALG == EdDSA || $ALG == ES256 ]] || die "ALG must be EdDSA or ES256"
[[ $ISSUES =~ ^[1-9][0-9]{2,6}$ ]] || die "ISSUES must be 100 to 9999999"
[[ $CONNECTIONS =~ ^[1-9][0-9]{0,2}$ ]] || die "CONNECTIONS must be 1 to 999"
[[ $PORT =~ ^[1-9][0-9]{0,4}$ ]] || die "PORT must be a port number"
[[ $SERVER_CPU != "$LOAD_CPU" ]] || die "SERVER_CPU and LOAD_CPU must differ"
missing=()
for tool in wrk taskset curl softhsm2-util; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[[ -e $MODULE ]] || missing+=(softhsm2)
if (( ${#missing[@]} )); then
  [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || die "needs ${missing[*]}: install them and run again"
  packages=("${missing[@]/taskset/util-linux}")
  packages=("${packages[@]/softhsm2-util/softhsm2}")
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  die "something already listens on $HOST:$PORT; set PORT to a free port"
fi
[[ -x $BIN ]] || cargo build --release --bin cartouche

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

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "== $ISSUES $ALG issuances per server, $CONNECTIONS connections; server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU"

python3 - "$WORK/body.json" <<'PY'
import json, sys
with open("schemas/examples/fr-painting-to-us.json", encoding="utf-8") as f:
    application = json.load(f)
application["objects"][0]["title"] += " (bench @@N@@)"
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(application, f)
PY

# The throw-away token.
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" >"$WORK/softhsm2.conf"
export SOFTHSM2_CONF=$WORK/softhsm2.conf
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 5678 >/dev/null
printf '1234' >"$WORK/pin"

# measure LABEL BIN [serve arguments...]: prints one table row.
measure() {
  local label=$1 bin=$2
  shift 2
  local data=$WORK/data-$label
  rm -rf "$WORK/seals" && mkdir -p "$WORK/seals"
  CARTOUCHE_LOG=warn taskset -c "$SERVER_CPU" "$bin" serve --data-dir "$data" --listen "$HOST:$PORT" \
    --countries FR --no-bundled-plugins --verify-rate-limit 0 "$@" 2>"$WORK/server-$label.log" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fsS "$URL/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server-$label.log" >&2; die "$label: the server stopped during start-up"; }
    sleep 0.1
  done
  local admin token
  admin=$(cat "$data/admin.token")
  if [[ $ALG == ES256 ]]; then
    curl -fsS -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
      -d '{"alg": "ES256"}' "$URL/api/v1/countries/FR/keys" >/dev/null
  fi
  token=$(curl -fsS -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"role": "issuer", "country": "FR", "label": "bench-keys"}' "$URL/api/v1/tokens" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
  local per_thread=$ISSUES
  env BENCH_MODE=issue BENCH_SEALS_DIR="$WORK/seals" BENCH_BODY_FILE="$WORK/body.json" BENCH_TOKEN="$token" \
    BENCH_PER_THREAD="$per_thread" taskset -c "$LOAD_CPU" wrk --latency -t 1 -c "$CONNECTIONS" -d 600s --timeout 10s \
    -s scripts/bench-verify.lua "$URL" >"$WORK/wrk.out" 2>&1 &
  local wrk_pid=$!
  for _ in $(seq 1 6000); do
    [[ -e $WORK/seals/1.done ]] && break
    kill -0 "$wrk_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" || true
  local result custody
  result=$(grep '^RESULT' "$WORK/wrk.out") || { cat "$WORK/wrk.out" >&2; die "$label: wrk printed no result"; }
  custody=$(curl -fsS -H "Authorization: Bearer $admin" "$URL/api/v1/keys" 2>/dev/null |
    python3 -c 'import json, sys; print(",".join(sorted({k["custody"]["kind"] for k in json.load(sys.stdin)["items"] if k["signs_here"]})))' 2>/dev/null ||
    echo "store (GET /api/v1/keys predates this build)")
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$result"; }
  (( $(field bad) == 0 )) || { cut -c1-400 "$WORK"/seals/*.bad >&2 || true; die "$label: some issuances failed"; }
  printf '| %s | %s | %s/s | %s ms | %s ms |\n' "$label" "$custody" "$(field rate | cut -d. -f1)" "$(field p50_ms)" "$(field p99_ms)" >>"$WORK/rows"
  echo "   $label: $result"
}

if [[ -n $CLEAR_BIN ]]; then
  [[ -x $CLEAR_BIN ]] || die "CLEAR_BIN $CLEAR_BIN is not an executable"
  measure clear "$CLEAR_BIN"
fi
measure sealed "$BIN"
measure softhsm "$BIN" --keys "pkcs11:token=bench?module-path=$MODULE&pin-source=file:$WORK/pin"

echo
echo "| key | custody | durable issuance | p50 | p99 |"
echo "|---|---|---|---|---|"
cat "$WORK/rows"
