//! What a plugin costs by the language it was written in, measured in one process on the
//! production host: component size, compile time at publication, compiled artifact size
//! and load time (as at every start), instantiate + evaluate time (median and 90th
//! percentile, a fresh instance per call as in service), fuel and peak linear memory.
//!
//! ```sh
//! cargo run --release -p cartouche-rules --example plugin_costs -- \
//!     LABEL=COMPONENT.wasm,MANIFEST.json,CASES.json ...
//! ```
//!
//! Each plugin is evaluated on the first case of its case file (its phase, date and
//! reference data). `scripts/bench-plugins.sh` builds the components and runs this.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cartouche_model::plugin::{CaseFile, PluginManifest};
use cartouche_rules::{CallContext, Host, Limits};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(mut samples: Vec<Duration>, p: usize) -> Duration {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn main() {
    let host = Host::new(Limits::default()).expect("the host starts");
    println!(
        "| plugin | component | compile at publication | artifact | artifact load | instantiate + evaluate, median (p90) | fuel | peak memory |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for argument in std::env::args().skip(1) {
        let (label, paths) = argument.split_once('=').expect("LABEL=COMPONENT,MANIFEST,CASES");
        let paths: Vec<&str> = paths.split(',').collect();
        let [component, manifest, cases] = paths[..] else { panic!("LABEL=COMPONENT,MANIFEST,CASES") };
        let bytes = std::fs::read(component).expect("the component");
        let manifest: PluginManifest =
            serde_json::from_str(&std::fs::read_to_string(manifest).expect("the manifest")).expect("a manifest");
        let file: CaseFile =
            serde_json::from_str(&std::fs::read_to_string(cases).expect("the cases")).expect("a case file");

        // Compile: the best of three (what publication pays once).
        let mut compiles = Vec::new();
        let mut compiled = None;
        for _ in 0..3 {
            let started = Instant::now();
            compiled = Some(host.compile_with(&bytes, &manifest.limits).expect("it compiles"));
            compiles.push(started.elapsed());
        }
        let compiled = compiled.expect("compiled");
        let compile = compiles.iter().min().copied().unwrap_or_default();

        // Load the artifact: the median of five (what every start pays).
        let artifact = compiled.artifact().expect("an artifact");
        let loads: Vec<Duration> = (0..5)
            .map(|_| {
                let started = Instant::now();
                let loaded = host.load_artifact(&artifact, &manifest.limits).expect("it loads");
                let elapsed = started.elapsed();
                drop(loaded);
                elapsed
            })
            .collect();

        // Instantiate + evaluate the first case, a fresh instance each call.
        let case = &file.cases[0];
        let subject = case.subject(&file).expect("the case's certificate");
        let json = String::from_utf8(cartouche_model::canonical::to_canonical_json(&subject).unwrap()).unwrap();
        let context = CallContext {
            phase: case.phase,
            date: case.date,
            checkpoint_country: case.checkpoint_country.clone(),
            parameters: case.parameters.clone(),
        };
        let reference = Arc::new(file.reference.clone());
        let first = host.evaluate(&compiled, &json, &context, Arc::clone(&reference)).expect("the case runs");
        let calls = if compiled.uses_wasi() { 200 } else { 2000 };
        let times: Vec<Duration> = (0..calls)
            .map(|_| {
                let started = Instant::now();
                let run = host.evaluate(&compiled, &json, &context, Arc::clone(&reference)).expect("the case runs");
                let elapsed = started.elapsed();
                assert_eq!(run.fuel, first.fuel, "deterministic");
                elapsed
            })
            .collect();
        println!(
            "| {label} | {:.1} MB | {} | {:.1} MB | {} | {} ({}) | {} | {:.1} MiB |",
            bytes.len() as f64 / 1e6,
            ms(compile),
            artifact.len() as f64 / 1e6,
            ms(median(loads)),
            ms(median(times.clone())),
            ms(percentile(times, 90)),
            first.fuel,
            first.peak_memory as f64 / (1 << 20) as f64,
        );
    }
}
