//! Double-sign evidence (issue 12). Prints tables; never a pass/fail timing.
//!
//! 1. One `submit_double_sign_evidence` transaction — two EIP-712 signer recoveries and one
//!    instant slash through the shared slashing path (magnitudes, escrow, history, events) —
//!    against an operator with 10, 1k and 100k delegators (the slash part must stay flat).
//! 2. Its parts: the two recoveries alone, and a plain instant `slash` of the same size.
//!
//! Attestations are signed before the clock starts (signing is the operator's work, not the
//! chain's). Run: `cargo bench -p rampart-bench --bench evidence` (`-- --quick`: fewer sizes).
#![allow(clippy::disallowed_methods)]

use alloy_primitives::B256;
use rampart_bench::{ASSET, Chain, operator, service, set, table};
use rampart_core::restaking::{
    Admission, Destination, DoubleSignEvidenceArgs, RegisterService, SlashArgs,
    attestation_signing_hash, recover_signer,
};
use rampart_core::{Action, Address, Duration, Wad};
use std::hint::black_box;
use std::time::Instant;

const E18: u128 = 1_000_000_000_000_000_000;
/// Evidence transactions timed per size.
const ROUNDS: u64 = 2_000;
/// A small rule, so 2,000 slashes never exhaust the allocation.
const DOUBLE_SIGN_WAD: u128 = 1_000_000_000_000;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[u64] = if quick {
        &[10, 1_000]
    } else {
        &[10, 1_000, 100_000]
    };
    let mut rows = Vec::new();
    for &delegators in sizes {
        rows.push(measure(delegators));
    }
    table(
        "Cost of one double-sign evidence transaction (envelope, 2 recoveries, instant slash, escrow, events) against one operator",
        &[
            "delegators",
            "µs per evidence tx",
            "µs: 2 recoveries alone",
            "µs: plain instant slash",
        ],
        &rows,
    );
}

/// A chain whose operator 0 signs with `key` and has `delegators` delegators, all allocated to
/// the set of a service with an objective rule.
fn chain(delegators: u64, key: Address) -> Chain {
    let mut chain = Chain::new(delegators);
    chain.send(
        service(),
        Action::RegisterService(RegisterService {
            metadata_uri: String::new(),
            slasher: service(),
            resolver: None,
            veto_window_s: Duration::ZERO,
            max_slash_per_event_wad: Wad::ONE,
            destination: Destination::Burn,
            resolution_delay_s: None,
            double_sign_wad: Some(Wad::new(DOUBLE_SIGN_WAD)),
        }),
    );
    chain.send(
        service(),
        Action::CreateOperatorSet {
            set_id: 0,
            strategies: vec![ASSET.into()],
            admission: Admission::Open,
        },
    );
    chain.send(
        operator(0),
        Action::RegisterOperator {
            metadata_uri: String::new(),
            allocation_delay_s: Duration::ZERO,
            default_commission_bps: None,
            signing_key: Some(key),
        },
    );
    chain.send(operator(0), Action::RegisterForSet { set: set() });
    for i in 0..delegators {
        chain.stake(i, 0, 1_000 * E18);
        if i % 10_000 == 0 {
            chain.state.discard_journal();
        }
    }
    chain.send(
        operator(0),
        Action::Allocate {
            set: set(),
            strategy: ASSET.into(),
            magnitude: Wad::ONE,
        },
    );
    chain.state.discard_journal();
    chain
}

fn measure(delegators: u64) -> Vec<String> {
    let key = rampart_scenario::names::dev_signing_key("bench-operator");
    let signer = rampart_scenario::names::dev_address("bench-operator");
    let mut chain = chain(delegators, signer);
    let chain_id = chain.state.meta().chain_id;
    let digest = |height: u64, which: u8| {
        let mut d = [which; 32];
        d[..8].copy_from_slice(&height.to_be_bytes());
        B256::from(d)
    };
    let evidence: Vec<DoubleSignEvidenceArgs> = (0..ROUNDS)
        .map(|height| {
            let (a, b) = (digest(height, 0xaa), digest(height, 0xbb));
            let sign = |d: B256| {
                rampart_scenario::attest::attest(&key, chain_id, set(), height, d)
                    .expect("signs")
                    .to_vec()
                    .into()
            };
            DoubleSignEvidenceArgs {
                operator: operator(0),
                set: set(),
                height,
                digest_a: a,
                signature_a: sign(a),
                digest_b: b,
                signature_b: sign(b),
            }
        })
        .collect();

    // The two recoveries alone.
    let start = Instant::now();
    for e in &evidence {
        for (d, s) in [(e.digest_a, &e.signature_a), (e.digest_b, &e.signature_b)] {
            let hash = attestation_signing_hash(chain_id, e.set, e.height, d);
            black_box(recover_signer(hash, s).expect("recovers"));
        }
    }
    let recover_us = start.elapsed().as_secs_f64() / ROUNDS as f64 * 1e6;

    // Whole evidence transactions.
    let txs: Vec<_> = evidence
        .into_iter()
        .map(|e| {
            chain.tx(
                Address::repeat_byte(0x77),
                Action::SubmitDoubleSignEvidence(e),
            )
        })
        .collect();
    let start = Instant::now();
    for tx in txs {
        black_box(chain.execute(tx));
    }
    let evidence_us = start.elapsed().as_secs_f64() / ROUNDS as f64 * 1e6;
    chain.state.discard_journal();

    // A plain instant slash of the same size, for comparison.
    let slashes: Vec<_> = (0..ROUNDS)
        .map(|_| {
            chain.tx(
                service(),
                Action::Slash(SlashArgs {
                    operator: operator(0),
                    set: set(),
                    strategies: vec![ASSET.into()],
                    wad: Wad::new(DOUBLE_SIGN_WAD),
                    evidence: String::new(),
                }),
            )
        })
        .collect();
    let start = Instant::now();
    for tx in slashes {
        black_box(chain.execute(tx));
    }
    let slash_us = start.elapsed().as_secs_f64() / ROUNDS as f64 * 1e6;
    chain.state.discard_journal();
    vec![
        delegators.to_string(),
        format!("{evidence_us:.1}"),
        format!("{recover_us:.1}"),
        format!("{slash_us:.1}"),
    ]
}
