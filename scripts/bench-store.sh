#!/usr/bin/env bash
# Issuance and verification by store, in one run: the embedded sled store, PostgreSQL
# with one node, and PostgreSQL with two nodes on one database.
#   - servers and PostgreSQL pinned to one core (SERVER_CPU), wrk to the other (LOAD_CPU);
#   - issuance: SEALS distinct applications (the FR example, its title numbered), each a
#     durable 201 (PostgreSQL: committed, fsync on);
#   - cold verification: every seal verified once (rules in the loop, full verdict);
#   - with two nodes, two wrk processes at once, one per node, half the connections and
#     half the seals each: the rate is all answers over the longer of the two runs, the
#     p99 the worse of the two.
# PostgreSQL is a throw-away cluster (Debian's server binaries, initdb as `postgres` when
# run as root) in a temporary directory on 127.0.0.1, stopped and removed at the end.
#
# Usage: scripts/bench-store.sh
# Settings (environment): BIN (default target/release/cartouche, built if missing), SEALS
# (default 4000), CONNECTIONS (16), PORT (8201; the second node PORT+1), PG_PORT (8301),
# SERVER_CPU (0), LOAD_CPU (1). Needs wrk, taskset, curl, psql and PostgreSQL's server binaries.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${BIN:-target/release/cartouche}
SEALS=${SEALS:-4000}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-8201}
PG_PORT=${PG_PORT:-8301}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
HOST=127.0.0.1

die() { echo "bench-store.sh: $*" >&2; exit 1; }
[[ $SEALS =~ ^[0-9]+$ ]] && (( SEALS >= 100 && SEALS <= 1000000 )) || die "SEALS must be 100 to 1000000"
(( SEALS % 2 == 0 )) || die "SEALS must be even (two nodes take half each)"
[[ $CONNECTIONS =~ ^[1-9][0-9]{0,3}$ ]] && (( CONNECTIONS % 2 == 0 )) || die "CONNECTIONS must be an even number"
for port in "$PORT" "$PG_PORT"; do
  [[ $port =~ ^[1-9][0-9]{0,4}$ ]] || die "PORT and PG_PORT must be port numbers"
done
for port in "$PORT" "$((PORT + 1))" "$PG_PORT"; do
  if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then die "something already listens on $HOST:$port"; fi
done
for tool in wrk taskset curl psql; do command -v "$tool" >/dev/null || die "needs $tool"; done
PG_BIN=${CARTOUCHE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[[ -x $PG_BIN/initdb ]] || die "needs PostgreSQL's server binaries (Debian: apt-get install postgresql)"
[[ -x $BIN ]] || cargo build --release --bin cartouche

WORK=$(mktemp -d)
chmod 755 "$WORK"
PIDS=()
WRK_PIDS=()
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${WRK_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  [[ -f $WORK/pg/data/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "== servers and PostgreSQL on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU ($CONNECTIONS connections); $SEALS seals per configuration"

mkdir -p "$WORK/pg"
[[ $(id -u) == 0 ]] && chown postgres "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
as_pg taskset -c "$SERVER_CPU" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w \
  -o "-c port=$PG_PORT -c listen_addresses=$HOST -c unix_socket_directories=$WORK/pg -c max_connections=200 -c shared_buffers=128MB" start >/dev/null
echo "== $("$PG_BIN/postgres" --version) on $HOST:$PG_PORT (fsync on, synchronous_commit on)"

python3 - "$WORK/body.json" <<'PY'
import json, sys
with open("schemas/examples/fr-painting-to-us.json", encoding="utf-8") as f:
    application = json.load(f)
application["objects"][0]["title"] += " (bench @@N@@)"
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(application, f)
PY

field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }

# start_wrk MODE URL DIR CONNECTIONS [env...]: wrk on LOAD_CPU in the background.
start_wrk() {
  local mode=$1 url=$2 dir=$3 connections=$4
  shift 4
  rm -f "$dir"/*.done "$dir"/*.bad
  env BENCH_MODE="$mode" BENCH_SEALS_DIR="$dir" "$@" \
    taskset -c "$LOAD_CPU" wrk --latency -t 1 -c "$connections" -d 900s --timeout 10s \
    -s scripts/bench-verify.lua "$url" >"$dir/wrk.out" 2>&1 &
  WRK_PIDS+=($!)
}
# finish_wrk DIR...: waits until each run's thread is done, stops wrk, prints each RESULT.
finish_wrk() {
  for _ in $(seq 1 9000); do
    local all=1
    for dir in "$@"; do [[ -e $dir/1.done ]] || all=0; done
    (( all )) && break
    sleep 0.1
  done
  for pid in "${WRK_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  # Called in a command substitution (a subshell), which cannot wait for wrk: wait for its
  # RESULT line instead.
  for dir in "$@"; do
    for _ in $(seq 1 100); do grep -q '^RESULT' "$dir/wrk.out" 2>/dev/null && break; sleep 0.1; done
    grep '^RESULT' "$dir/wrk.out" || { cat "$dir/wrk.out" >&2; die "wrk printed no result in $dir"; }
  done
}
# combine RESULT...: one line, rate = answers over the longest run, p99 the worst.
combine() {
  awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
         answers += v["answers"]; bad += v["bad"]; if (v["seconds"] > s) s = v["seconds"]; if (v["p99_ms"] > p) p = v["p99_ms"] }
       END { printf "RESULT answers=%d bad=%d seconds=%.2f rate=%d p99_ms=%.1f\n", answers, bad, s, answers / s, p }'
}

wait_up() {
  local url=$1 pid=$2 log=$3
  for _ in $(seq 1 600); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "a server stopped during start-up"; }
    sleep 0.1
  done
  die "a server did not answer /healthz within 60 s"
}

# measure LABEL NODES STORE: NODES servers (1 or 2) on STORE (sled, or a database name),
# issuance then cold verification.
measure() {
  local label=$1 nodes=$2 store=$3 kek=
  echo "== $label"
  local urls=() dirs=() args=()
  if [[ $store != sled ]]; then
    as_pg "$PG_BIN/createdb" -h "$HOST" -p "$PG_PORT" -U postgres "$store"
    args=(--store "postgres://postgres@$HOST:$PG_PORT/$store")
  fi
  for n in $(seq 1 "$nodes"); do
    local port=$((PORT + n - 1)) data=$WORK/data-$label-$n
    mkdir -p "$data"
    [[ -n $kek ]] && cp "$kek" "$data/kek.key"
    CARTOUCHE_LOG=warn taskset -c "$SERVER_CPU" "$BIN" serve --data-dir "$data" --listen "$HOST:$port" \
      --verify-rate-limit 0 --reference-data plugins/reference-data.example.json "${args[@]}" 2>"$data/server.log" &
    PIDS+=($!)
    wait_up "http://$HOST:$port" "$!" "$data/server.log"
    [[ -z $kek ]] && kek=$data/kek.key && cp "$data/admin.token" "$WORK/admin-$label"
    urls+=("http://$HOST:$port")
    dirs+=("$WORK/seals-$label-$n")
    mkdir -p "$WORK/seals-$label-$n"
  done
  local token
  token=$(CARTOUCHE_SERVER=${urls[0]} "$BIN" token create --role issuer --country FR --label bench-store \
    --token-file "$WORK/admin-$label" 2>/dev/null)
  local per_node=$((SEALS / nodes)) conns=$((CONNECTIONS / nodes)) size_before=0 size_after=0
  [[ $store != sled ]] && size_before=$(psql_size "$store")
  for n in $(seq 0 $((nodes - 1))); do
    start_wrk issue "${urls[$n]}" "${dirs[$n]}" "$conns" BENCH_BODY_FILE="$WORK/body.json" BENCH_TOKEN="$token" BENCH_PER_THREAD="$per_node"
  done
  local issue cold
  issue=$(finish_wrk "${dirs[@]}" | combine)
  WRK_PIDS=()
  (( $(field bad "$issue") == 0 )) || { cut -c1-600 "${dirs[0]}"/*.bad >&2; die "issuances failed"; }
  echo "   issuance: $issue"
  if [[ $store != sled ]]; then
    size_after=$(psql_size "$store")
    echo "   database: $(( (size_after - size_before) / SEALS )) B per certificate"
  else
    echo "   store: $(( $(du -sb "$WORK/data-$label-1/store" | cut -f1) / SEALS )) B per certificate (with what start-up wrote)"
  fi
  for n in $(seq 0 $((nodes - 1))); do start_wrk cold "${urls[$n]}" "${dirs[$n]}" "$conns"; done
  cold=$(finish_wrk "${dirs[@]}" | combine)
  WRK_PIDS=()
  echo "   cold verification: $cold"
  (( $(field bad "$cold") == 0 )) || echo "   $(field bad "$cold") verifications were not VALID" >&2
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=()
  echo "$label $(field rate "$issue") $(field p99_ms "$issue") $(field rate "$cold") $(field p99_ms "$cold")" >>"$WORK/rows"
}
psql_size() {
  psql -h "$HOST" -p "$PG_PORT" -U postgres -tAc "SELECT pg_database_size('$1')"
}

measure sled 1 sled
measure postgres-1-node 1 registry1
measure postgres-2-nodes 2 registry2

echo
echo "| store | durable issuance | p99 | cold verification | p99 |"
echo "|---|---|---|---|---|"
while read -r label irate ip99 crate cp99; do
  echo "| $label | $irate/s | $ip99 ms | $crate/s | $cp99 ms |"
done <"$WORK/rows"
