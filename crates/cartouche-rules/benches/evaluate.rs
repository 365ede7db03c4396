//! One `evaluate` call of a typical plugin (Italy's export rules) on a one-object
//! certificate: in the sandbox (fresh instance from the cached InstancePre, fuel, epoch
//! deadline, memory cap, output checks) against the same rule compiled natively, both
//! starting from the certificate's JSON; and the exit check of a certificate as the
//! server runs it at verification (the three bundled plugins that cover a French export,
//! each in its own instance, on one issued certificate's canonical JSON).
//! `cargo bench -p cartouche-rules --bench evaluate`.

use std::hint::black_box;
use std::sync::Arc;

use cartouche_model::RulePhase;
use cartouche_model::plugin::{CaseFile, RuleSubject};
use cartouche_model::reference::ReferenceData;
use cartouche_rules::{CallContext, Host, Limits};
use cartouche_rules_sdk::{Context, Rule};
use criterion::{Criterion, criterion_group, criterion_main};
use time::macros::date;

fn subject() -> (String, ReferenceData) {
    let plugin = cartouche_plugins::bundled("it-export").expect("it-export is bundled");
    let file: CaseFile = serde_json::from_str(plugin.cases).unwrap();
    let case = &file.cases[0];
    let subject = case.subject(&file).unwrap();
    assert_eq!(subject.application.objects.len(), 1);
    let json = String::from_utf8(cartouche_model::canonical::to_canonical_json(&subject).unwrap()).unwrap();
    (json, file.reference.clone())
}

fn bench(c: &mut Criterion) {
    let (json, reference) = subject();
    let host = Host::new(Limits::default()).unwrap();
    let compiled = host.compile(cartouche_plugins::bundled("it-export").unwrap().component).unwrap();
    let context = CallContext {
        phase: RulePhase::Issuance,
        date: date!(2026 - 11 - 28),
        checkpoint_country: None,
        parameters: Default::default(),
    };
    let shared = Arc::new(reference.clone());
    let run = host.evaluate(&compiled, &json, &context, Arc::clone(&shared)).unwrap();
    eprintln!(
        "sandboxed call: {} findings, {} fuel, peak memory {} bytes",
        run.findings.len(),
        run.fuel,
        run.peak_memory
    );

    let mut group = c.benchmark_group("it-export evaluate, one object");
    group.bench_function("sandbox: instantiate + call + drop", |b| {
        b.iter(|| black_box(host.evaluate(&compiled, black_box(&json), &context, Arc::clone(&shared)).unwrap()))
    });
    group.bench_function("sandbox: instantiate + describe + drop (the fixed cost)", |b| {
        b.iter(|| black_box(host.describe(&compiled).unwrap()))
    });
    let native_context = Context {
        phase: RulePhase::Issuance,
        date: date!(2026 - 11 - 28),
        checkpoint_country: None,
        parameters: Default::default(),
    };
    group.bench_function("native: parse JSON + evaluate", |b| {
        b.iter(|| {
            let subject: RuleSubject = serde_json::from_str(black_box(&json)).unwrap();
            black_box(cartouche_plugin_it_export::ItalyExport::evaluate(&subject, &native_context, &reference))
        })
    });
    group.finish();
}

/// The exit check of `fr-certificate.json` (the FR example as the release server issued
/// it, with its issuance evaluations), plugin by plugin, as `Rules::evaluate` runs it.
fn exit_check(c: &mut Criterion) {
    let certificate: RuleSubject = serde_json::from_str(include_str!("fr-certificate.json")).unwrap();
    let json = String::from_utf8(cartouche_model::canonical::to_canonical_json(&certificate).unwrap()).unwrap();
    let host = Host::new(Limits::default()).unwrap();
    let reference: ReferenceData =
        serde_json::from_str(include_str!("../../../plugins/reference-data.example.json")).unwrap();
    let reference = Arc::new(reference);
    let context = CallContext {
        phase: RulePhase::ExitCheck,
        date: certificate.issue_date,
        checkpoint_country: None,
        parameters: Default::default(),
    };
    let mut group = c.benchmark_group(format!("exit check, FR certificate ({} bytes)", json.len()));
    for id in ["cites-ivory", "eu-export", "watch-list"] {
        let compiled = host.compile(cartouche_plugins::bundled(id).unwrap().component).unwrap();
        let run = host.evaluate(&compiled, &json, &context, Arc::clone(&reference)).unwrap();
        eprintln!("{id}: {} findings, {} fuel, peak memory {} bytes", run.findings.len(), run.fuel, run.peak_memory);
        group.bench_function(format!("sandbox: {id}"), |b| {
            b.iter(|| black_box(host.evaluate(&compiled, black_box(&json), &context, Arc::clone(&reference)).unwrap()))
        });
    }
    group.bench_function("native: parse JSON into the SDK's RuleSubject", |b| {
        b.iter(|| black_box(serde_json::from_str::<RuleSubject>(black_box(&json)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench, exit_check);
criterion_main!(benches);
