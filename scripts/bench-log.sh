#!/usr/bin/env bash
# The issuance log's costs, measured side by side in one run:
#  1. durable issuance through the store with the log (this tree) and without it (BASE,
#     the commit before the store wrote a log), the same criterion bench
#     (crates/cartouche-store/benches/issue.rs) compiled against both, one after the
#     other, with the store's size per certificate;
#  2. proof size and the cost of building and verifying a proof at 1,000 and 100,000
#     entries (crates/cartouche-log/benches/proofs.rs);
#  3. tile serving over HTTP: the release server with 300 certificates issued, wrk on a
#     full hash tile, a full entry bundle and the checkpoint, and /healthz as the peer in
#     the same run.
#
# Usage: scripts/bench-log.sh     Settings: BASE (default d6ef8da), LOAD_SECONDS (10),
# LOAD_PORT (8198), BIN (the server binary, default target/release/cartouche), PARTS
# (which parts to run, default "1 2 3"). Traffic goes to 127.0.0.1 only. Takes 10-20
# minutes, most of it compiling the base's store in release once (kept in
# target/bench-base/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BASE_COMMIT=${BASE:-d6ef8da}
SECONDS_PER_RUN=${LOAD_SECONDS:-10}
PORT=${LOAD_PORT:-8198}
HOST=127.0.0.1
URL="http://$HOST:$PORT"
BIN=${BIN:-target/release/cartouche}
PARTS=${PARTS:-1 2 3}
die() { echo "bench-log.sh: $*" >&2; exit 1; }
[[ $SECONDS_PER_RUN =~ ^[1-9][0-9]{0,2}$ ]] || die "LOAD_SECONDS must be 1 to 999"
[[ $PORT =~ ^[1-9][0-9]{0,4}$ ]] || die "LOAD_PORT must be a port number"
command -v wrk >/dev/null || {
  [[ $(id -u) == 0 ]] || die "needs wrk (apt-get install wrk)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); commit $(git rev-parse --short HEAD)"

# criterion's middle estimate of a bench, from its output.
middle() { grep -A1 "^$1" | grep -o 'time:.*' | sed -E 's/time: *\[[^ ]+ [^ ]+ ([^ ]+) ([^ ]+) .*/\1 \2/'; }
to_us() { awk -v v="$1" -v u="$2" 'BEGIN { f = (u == "ns") ? 0.001 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : 1; printf "%.1f", v * f }'; }

if [[ " $PARTS " == *" 1 "* ]]; then
echo "== 1. durable issuance through the store, without the log ($BASE_COMMIT) and with it ($(git rev-parse --short HEAD))"
WORKTREE=target/bench-base/tree
if [[ ! -d $WORKTREE ]]; then
  mkdir -p target/bench-base
  git worktree add --detach "$WORKTREE" "$BASE_COMMIT" >/dev/null
fi
mkdir -p "$WORKTREE/crates/cartouche-store/benches"
cp crates/cartouche-store/benches/issue.rs "$WORKTREE/crates/cartouche-store/benches/issue.rs"
if ! grep -q 'name = "issue"' "$WORKTREE/crates/cartouche-store/Cargo.toml"; then
  sed -i 's/^\[dev-dependencies\]$/[dev-dependencies]\ncriterion.workspace = true/' "$WORKTREE/crates/cartouche-store/Cargo.toml"
  printf '\n[[bench]]\nname = "issue"\nharness = false\n' >>"$WORKTREE/crates/cartouche-store/Cargo.toml"
fi
(cd "$WORKTREE" && CARGO_TARGET_DIR=../target cargo bench -q -p cartouche-store --bench issue -- --noplot) 2>&1 | tee target/bench-base/without.txt
cargo bench -q -p cartouche-store --bench issue -- --noplot 2>&1 | tee target/bench-base/with.txt
read -r V1 U1 <<<"$(middle store/issue_durable <target/bench-base/without.txt)"
read -r V2 U2 <<<"$(middle store/issue_durable <target/bench-base/with.txt)"
WITHOUT=$(to_us "$V1" "$U1"); WITH=$(to_us "$V2" "$U2")
awk -v a="$WITHOUT" -v b="$WITH" 'BEGIN { printf "   without the log: %.1f µs (%.0f/s); with it: %.1f µs (%.0f/s); ratio %.2f\n", a, 1e6/a, b, 1e6/b, b/a }'

fi

if [[ " $PARTS " == *" 2 "* ]]; then
echo "== 2. proofs at 1,000 and 100,000 entries"
cargo bench -q -p cartouche-log --bench proofs -- --noplot 2>&1 | grep -E "^proof at|^prove/|^verify/|time:"
fi

[[ " $PARTS " == *" 3 "* ]] || exit 0

echo "== 3. tile serving over HTTP ($BIN)"
[[ -x $BIN ]] || cargo build --release --bin cartouche
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
CARTOUCHE_LOG=warn "$BIN" serve --data-dir "$WORK/data" --listen "$HOST:$PORT" --verify-rate-limit 0 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$URL/healthz" >/dev/null || { cat "$WORK/server.log"; die "the server did not start"; }
"$BIN" token create --server "$URL" --role issuer --country FR --token-file "$WORK/data/admin.token" >"$WORK/issuer"
ISSUER=$(tr -d '\n' <"$WORK/issuer")
for i in $(seq 1 300); do
  curl -fsS -o /dev/null -X POST "$URL/api/v1/certificates" -H "authorization: Bearer $ISSUER" \
    -H 'content-type: application/json' --data-binary @schemas/examples/fr-painting-to-us.json
done
sleep 3
echo "   checkpoint: $(curl -fsS "$URL/log/checkpoint" | sed -n 2p) entries"
for path in /log/tile/0/000 /log/tile/entries/000 /log/checkpoint /healthz; do
  bytes=$(curl -fsS "$URL$path" | wc -c)
  printf '   %-24s %6s bytes: ' "$path" "$bytes"
  wrk -t1 -c16 -d"${SECONDS_PER_RUN}s" --latency "$URL$path" | awk '/Requests\/sec/ { rps = $2 } /99%/ { p99 = $2 } END { printf "%s requests/s, p99 %s\n", rps, p99 }'
done
