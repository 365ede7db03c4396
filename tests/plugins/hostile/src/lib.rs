//! A plugin that misbehaves on demand, to prove the host contains it. It behaves (no
//! findings) unless an object's title starts with `HOSTILE:`, followed by one of:
//!
//! - `loop`: an infinite loop (runs out of fuel);
//! - `grow`: allocates until memory passes the cap;
//! - `output`: returns far more findings than allowed;
//! - `big-message`: one finding with a 1 MiB message;
//! - `trap`: panics (an `unreachable` trap with panic=abort);
//! - `recursion`: recurses until the stack overflows;
//! - `garbage`: returns a finding whose code and field are malformed;

use std::collections::BTreeMap;

use cartouche_rules_sdk::prelude::*;

/// The rule.
pub struct Hostile;

#[inline(never)]
fn recurse(depth: u64, trail: &mut Vec<u64>) -> u64 {
    let mut frame = [depth; 64];
    frame[(depth % 64) as usize] = trail.len() as u64;
    trail.push(frame[3]);
    recurse(depth + 1, trail) + frame[(depth % 7) as usize]
}

impl Rule for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "hostile-test".into(),
            jurisdiction: "INT".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance, Phase::ExitCheck],
            descriptions: BTreeMap::from([(
                "en".into(),
                "Test only: misbehaves when an object's title starts with HOSTILE: (loop, grow, output, trap, recursion, garbage).".into(),
            )]),
        }
    }

    fn evaluate(subject: &RuleSubject, _context: &Context, _reference: &dyn Reference) -> Vec<Finding> {
        let behaviour = subject
            .application
            .objects
            .iter()
            .find_map(|object| object.title.as_deref()?.strip_prefix("HOSTILE:"))
            .unwrap_or("");
        match behaviour {
            "loop" => {
                let mut counter = 0u64;
                loop {
                    counter = std::hint::black_box(counter.wrapping_add(1));
                }
            }
            "grow" => {
                let mut blocks: Vec<Vec<u8>> = Vec::new();
                loop {
                    // Reserve without filling: memory grows, fuel barely moves.
                    let mut block = Vec::<u8>::with_capacity(1 << 20);
                    block.push(1);
                    blocks.push(block);
                    std::hint::black_box(&blocks);
                }
            }
            "output" => (0..1_000).map(|_| finding("HOSTILE.SPAM", Severity::Info, "spam")).collect(),
            "big-message" => vec![finding("HOSTILE.BIG", Severity::Info, "x".repeat(1 << 20))],
            "trap" => panic!("the hostile plugin traps"),
            "recursion" => {
                let mut trail = Vec::new();
                vec![finding("HOSTILE.DEPTH", Severity::Info, recurse(0, &mut trail).to_string())]
            }
            "garbage" => {
                let mut bad = finding("not a code!", Severity::Error, "");
                bad.field = Some("no leading slash".into());
                vec![bad]
            }
            _ => Vec::new(),
        }
    }
}

cartouche_rules_sdk::export_rule!(Hostile);
