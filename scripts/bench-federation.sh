#!/usr/bin/env bash
# Federation figures, all in one run on this machine:
#   - a registry serving FR (release build, pinned to SERVER_CPU) issues SEALS seals;
#   - the size of its status list and bundle, and the time to build and serve each;
#   - a verifier node (pinned to the same CPU) with the registry as its peer: the time
#     from its start to the registry's bundle in service, and the time its check of that
#     bundle took (signature, status list, keys);
#   - verifications per second of the same seals at the registry and at the verifier
#     node, cold (each seal once) and warm (the first WARM_SEALS again), wrk pinned to
#     LOAD_CPU, one node at a time (the other idle).
#
# Usage: scripts/bench-federation.sh
# Settings (environment): BIN (default target/release/cartouche, built if missing), SEALS
# (10000), WARM_SEALS (100), WARM_SECONDS (10), CONNECTIONS (16), PORT (8297; the verifier
# node listens on PORT+1), SERVER_CPU (0), LOAD_CPU (1). Traffic goes to 127.0.0.1 only.
# Needs wrk, taskset, curl, python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${BIN:-target/release/cartouche}
SEALS=${SEALS:-10000}
WARM_SEALS=${WARM_SEALS:-100}
WARM_SECONDS=${WARM_SECONDS:-10}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-8297}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
HOST=127.0.0.1
FR_URL="http://$HOST:$PORT"
CH_URL="http://$HOST:$((PORT + 1))"

die() { echo "bench-federation.sh: $*" >&2; exit 1; }
[[ $SEALS =~ ^[0-9]+$ ]] && (( SEALS >= 100 && SEALS <= 1000000 )) || die "SEALS must be 100 to 1000000"
[[ $WARM_SEALS =~ ^[1-9][0-9]*$ ]] && (( WARM_SEALS <= SEALS )) || die "WARM_SEALS must be 1 to SEALS"
for tool in wrk taskset curl python3; do command -v "$tool" >/dev/null || die "needs $tool"; done
for port in "$PORT" "$((PORT + 1))"; do
  if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then die "something already listens on $HOST:$port"; fi
done
[[ -x $BIN ]] || cargo build --release --bin cartouche

WORK=$(mktemp -d)
PIDS=()
WRK_PID=
cleanup() {
  [[ -n $WRK_PID ]] && kill -INT "$WRK_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
python3 - "$WORK/body.json" <<'PY'
import json, sys
with open("schemas/examples/fr-painting-to-us.json", encoding="utf-8") as f:
    application = json.load(f)
application["objects"][0]["title"] += " (federation @@N@@)"
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(application, f)
PY

# run_wrk URL MODE SECONDS [env...]: as in bench-verify.sh; prints the RESULT line.
run_wrk() {
  local url=$1 mode=$2 seconds=$3
  shift 3
  rm -f "$WORK"/seals/*.done "$WORK"/seals/*.bad
  env BENCH_MODE="$mode" BENCH_SEALS_DIR="$WORK/seals" "$@" \
    taskset -c "$LOAD_CPU" wrk --latency -t 1 -c "$CONNECTIONS" -d "${seconds}s" --timeout 10s \
    -s scripts/bench-verify.lua "$url" >"$WORK/wrk.out" 2>&1 &
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
wait_healthy() {
  for _ in $(seq 1 300); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$1 did not answer /healthz within 30 s"
}

echo "== registry FR at $FR_URL (CPU $SERVER_CPU)"
CARTOUCHE_LOG=warn taskset -c "$SERVER_CPU" "$BIN" serve --data-dir "$WORK/fr" --listen "$HOST:$PORT" \
  --public-url "$FR_URL" --countries FR --verify-rate-limit 0 2>"$WORK/fr.log" &
PIDS+=($!)
wait_healthy "$FR_URL"
TOKEN=$(CARTOUCHE_SERVER=$FR_URL "$BIN" token create --role issuer --country FR --label bench \
  --token-file "$WORK/fr/admin.token" 2>/dev/null)
mkdir -p "$WORK/seals"
ISSUE=$(run_wrk "$FR_URL" issue 900 BENCH_BODY_FILE="$WORK/body.json" BENCH_TOKEN="$TOKEN" BENCH_PER_THREAD="$SEALS")
echo "   issued: $ISSUE"
sleep 6 # past the status list's rebuild interval: the next one covers every issuance

measure_get() { # URL -> "bytes seconds"
  curl -fsS -o "$WORK/doc" -w '%{size_download} %{time_total}\n' "$1"
}
read -r LIST_BYTES LIST_FIRST < <(measure_get "$FR_URL/api/v1/status-list")
read -r _ LIST_AGAIN < <(measure_get "$FR_URL/api/v1/status-list")
sleep 6
read -r BUNDLE_BYTES BUNDLE_FIRST < <(measure_get "$FR_URL/api/v1/bundle")
read -r _ BUNDLE_AGAIN < <(measure_get "$FR_URL/api/v1/bundle")
ENTRIES=$(python3 - "$WORK/doc" <<'PY'
import base64, json, sys, zlib
bundle = open(sys.argv[1]).read().split(".")[1]
payload = json.loads(base64.urlsafe_b64decode(bundle + "=" * (-len(bundle) % 4)))
status = payload["status_list"].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(status + "=" * (-len(status) % 4)))
lst = claims["status_list"]["lst"]
raw = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
print(len(raw) * 2, len(payload["plugins"]), len(payload["trust_list"]["keys"]))
PY
)
echo "   status list: $LIST_BYTES B (first build ${LIST_FIRST} s, then ${LIST_AGAIN} s); bundle: $BUNDLE_BYTES B (${BUNDLE_FIRST} s, then ${BUNDLE_AGAIN} s); entries, plugins, keys: $ENTRIES"

KEY=$(curl -fsS "$FR_URL/.well-known/cartouche-registry.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["federation_key"])')
echo "== verifier node CH at $CH_URL (CPU $SERVER_CPU), peer FR"
START=$(date +%s.%N)
CARTOUCHE_LOG=info taskset -c "$SERVER_CPU" "$BIN" serve --data-dir "$WORK/ch" --listen "$HOST:$((PORT + 1))" \
  --public-url "$CH_URL" --verifier --no-bundled-plugins --peer "$FR_URL=$KEY" --verify-rate-limit 0 2>"$WORK/ch.log" &
PIDS+=($!)
wait_healthy "$CH_URL"
for _ in $(seq 1 600); do
  curl -fsS "$CH_URL/healthz" | grep -q '"state":"ok"' && break
  sleep 0.05
done
SYNCED=$(date +%s.%N)
# FR pins CH in turn (it answers CH's requests for a certificate's text, for the rules):
# restarted on the same data directory.
CH_KEY=$(curl -fsS "$CH_URL/.well-known/cartouche-registry.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["federation_key"])')
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
CARTOUCHE_LOG=warn taskset -c "$SERVER_CPU" "$BIN" serve --data-dir "$WORK/fr" --listen "$HOST:$PORT" \
  --public-url "$FR_URL" --countries FR --verify-rate-limit 0 --peer "$CH_URL=$CH_KEY" 2>>"$WORK/fr.log" &
PIDS[0]=$!
wait_healthy "$FR_URL"
FIRST=$(head -n 1 "$WORK/seals/1.txt")
for _ in $(seq 1 600); do
  curl -fsS -H 'content-type: application/json' -d "{\"qr\": \"$FIRST\"}" "$CH_URL/api/v1/verify" | grep -q '"verdict":"VALID"' && break
  sleep 0.1
done
curl -fsS -H 'content-type: application/json' -d "{\"qr\": \"$FIRST\"}" "$CH_URL/api/v1/verify" | grep -q '"verdict":"VALID"' \
  || die "CH does not verify FR's seals VALID (its plugins or FR's pin); see $WORK/ch.log"
CHECKED_MS=$(grep -m1 'peer bundle in service' "$WORK/ch.log" | sed -E 's/.*checked_ms=([0-9.]+).*/\1/')
CHECKED_MS=$(awk -v v="$CHECKED_MS" 'BEGIN { printf "%.2f", v }')
SYNC_S=$(awk -v a="$START" -v b="$SYNCED" 'BEGIN { printf "%.2f", b - a }')
echo "   from start to FR's bundle in service: ${SYNC_S} s; the bundle's check: ${CHECKED_MS} ms"

declare -A RATE P99
for node in FR CH; do
  url=$FR_URL
  [[ $node == CH ]] && url=$CH_URL
  cold=$(run_wrk "$url" cold 900)
  (( $(field bad "$cold") == 0 )) || { cut -c1-400 "$WORK"/seals/*.bad >&2; die "$node: some cold verifications were not VALID"; }
  warm=$(run_wrk "$url" warm "$WARM_SECONDS" BENCH_WARM_SEALS="$WARM_SEALS")
  (( $(field bad "$warm") == 0 )) || die "$node: some warm verifications were not VALID"
  echo "   $node cold: $cold"
  echo "   $node warm: $warm"
  RATE[$node-cold]=$(field rate "$cold"); P99[$node-cold]=$(field p99_ms "$cold")
  RATE[$node-warm]=$(field rate "$warm"); P99[$node-warm]=$(field p99_ms "$warm")
done

echo
echo "== summary ($SEALS seals; one node at a time on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU)"
echo "| status list | bundle | entries, plugins, keys | bundle check at the node | start to bundle in service |"
echo "|---|---|---|---|---|"
echo "| $LIST_BYTES B | $BUNDLE_BYTES B | $ENTRIES | $CHECKED_MS ms | $SYNC_S s |"
echo
echo "| verification | registry FR | verifier node CH | CH / FR |"
echo "|---|---|---|---|"
for kind in cold warm; do
  awk -v k="$kind" -v fr="${RATE[FR-$kind]}" -v frp="${P99[FR-$kind]}" -v ch="${RATE[CH-$kind]}" -v chp="${P99[CH-$kind]}" \
    'BEGIN { printf "| %s | %d/s (p99 %s ms) | %d/s (p99 %s ms) | %.2f |\n", k, fr, frp, ch, chp, ch / fr }'
done
