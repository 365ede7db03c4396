//! Proof size and cost at 1,000 and 100,000 entries: building an inclusion proof from the
//! stored hashes, and verifying it (with the checkpoint signature, as a verifier does).

use cartouche_log::note::LogSigner;
use cartouche_log::proof::TlogProof;
use cartouche_log::tree::{MemoryTree, inclusion_proof};
use criterion::{Criterion, criterion_group, criterion_main};

fn proofs(c: &mut Criterion) {
    let log = LogSigner::new("bench.example/log", &[1u8; 32]).unwrap();
    let verifier = log.verifier();
    for size in [1_000u64, 100_000] {
        let mut tree = MemoryTree::new();
        let entry = |i: u64| format!("{{\"entry\":{i}}}").into_bytes();
        for i in 0..size {
            tree.push(&entry(i)).unwrap();
        }
        let index = size / 3;
        let note = log.sign(size, tree.root_at(size).unwrap()).unwrap();
        let proof =
            TlogProof { extra: None, index, hashes: inclusion_proof(size, index, &tree).unwrap(), checkpoint: note };
        println!("proof at {size} entries: {} hashes, {} bytes", proof.hashes.len(), proof.to_text().len());
        c.bench_function(&format!("prove/{size}"), |b| b.iter(|| inclusion_proof(size, index, &tree).unwrap()));
        let text = proof.to_text();
        let wanted = entry(index);
        c.bench_function(&format!("verify/{size}"), |b| {
            b.iter(|| TlogProof::parse(&text).unwrap().verify(&wanted, &verifier, &[]).unwrap())
        });
    }
}

criterion_group!(benches, proofs);
criterion_main!(benches);
