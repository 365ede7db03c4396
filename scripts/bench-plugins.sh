#!/usr/bin/env bash
# What a rule plugin costs by its language, in one run on one machine: the same sample rule
# (the scaffold's: over 100 years and EUR 50,000) written in Rust, Python and JavaScript by
# `cartouche plugin new --lang`, and the two ports next to their Rust originals (Italy in
# Python, the watch list in JavaScript). Each is built with its toolchain, then measured by
# crates/cartouche-rules/examples/plugin_costs.rs on the production host: component size,
# compile time, artifact load time, instantiate + evaluate time (median, p90), fuel, peak
# memory. Needs scripts/plugin-toolchains. Figures: BENCHMARKS.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/plugin-toolchains >/dev/null

cargo build --release --quiet -p cartouche
cargo build --release --quiet -p cartouche-rules --example plugin_costs
bin=target/release/cartouche
work=target/bench-plugins
rm -rf "$work"
mkdir -p "$work"

for lang in rust python javascript; do
  "$bin" plugin new ch-export --jurisdiction CH --lang "$lang" --dir "$work/ch-export-$lang" >/dev/null
done
"$bin" plugin build "$work/ch-export-rust" --out "$work/ch-export-rust.wasm" >/dev/null
"$bin" plugin build "$work/ch-export-python" --out "$work/ch-export-python.wasm" >/dev/null
"$bin" plugin build "$work/ch-export-javascript" --out "$work/ch-export-javascript.wasm" >/dev/null
for plugin in it-export it-export-py watch-list watch-list-js; do
  "$bin" plugin build "plugins/$plugin" --out "$work/$plugin.wasm" >/dev/null
done

args=()
for lang in rust python javascript; do
  dir=$work/ch-export-$lang
  args+=("sample rule, $lang=$work/ch-export-$lang.wasm,$dir/manifest.json,$dir/cases.json")
done
for pair in "it-export=Italy, Rust" "it-export-py=Italy, Python" "watch-list=watch list, Rust" "watch-list-js=watch list, JavaScript"; do
  plugin=${pair%%=*}
  args+=("${pair#*=}=$work/$plugin.wasm,plugins/$plugin/manifest.json,plugins/$plugin/cases.json")
done

echo "# $(date -u +%FT%TZ), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
target/release/examples/plugin_costs "${args[@]}"
