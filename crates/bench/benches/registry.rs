//! Per-block and per-epoch work against what anyone can register (issue 9 §2). Prints tables;
//! never a pass/fail timing.
//!
//! 1. A block and an epoch boundary with 10, 1k and 100k *registered* validators of which the
//!    top 100 are active: the cost must be flat (it reads the active set, never the registry).
//! 2. An epoch boundary with one reward program over one operator set of 10, 64 and 256
//!    (`max_operators_per_set`, the default cap) operators, each with delegators: the program walks
//!    the set's members, so the cost grows with them up to the cap and no further.
//!
//! Run: `cargo bench -p rampart-bench --bench registry` (`-- --quick`: fewer samples).
#![allow(clippy::disallowed_methods)]

use rampart_bench::{Chain, account, operator, staker, table};
use rampart_core::genesis::{Genesis, GenesisAccount, GenesisAsset, GenesisValidator};
use rampart_core::num::{ShareAmount, Shares};
use rampart_core::restaking::{Admission, Destination, RegisterService};
use rampart_core::rewards::{CreateRewardProgram, Weighting};
use rampart_core::{Action, Address, Amount, Bps, Duration, SetRef, Timestamp, Wad};
use std::hint::black_box;
use std::time::Instant;

const E18: u128 = 1_000_000_000_000_000_000;
const EPOCH: u64 = 3_600;
const BLOCK: u64 = 2;
const T0: u64 = 1_700_000_000;

fn validator(i: u64) -> Address {
    account(4, i)
}

fn service() -> Address {
    account(3, 0)
}

fn genesis(validators: u64, stakers: u64) -> Genesis {
    let mut accounts: Vec<GenesisAccount> = (0..stakers)
        .map(|i| GenesisAccount {
            address: staker(i),
            balances: [("stETH".to_owned(), Amount::new(1_000 * E18))].into(),
        })
        .collect();
    accounts.push(GenesisAccount {
        address: service(),
        balances: [("RAM".to_owned(), Amount::new(1_000_000_000 * E18))].into(),
    });
    Genesis {
        chain_id: 1,
        time: Timestamp::new(T0),
        governance: None,
        guardian: None,
        params: serde_json::from_value(serde_json::json!({
            "epoch_length_s": EPOCH, "block_time_s": BLOCK, "bonding_epochs": 0,
        }))
        .expect("params"),
        assets: vec![GenesisAsset {
            symbol: "stETH".into(),
            decimals: 18,
            issuer: Some(account(9, 0)),
            restakable: true,
        }],
        accounts,
        // The first 100 bond the most: they are the active set; the rest are registered only.
        validators: (0..validators)
            .map(|i| GenesisValidator {
                address: validator(i),
                self_bond: Amount::new(if i < 100 {
                    (10_000 + u128::from(i)) * E18
                } else {
                    E18 + u128::from(i)
                }),
                commission_bps: Bps::new(500),
                consensus_key: None,
                p2p_address: None,
            })
            .collect(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median µs of an ordinary block and ms of an epoch boundary with `registered` validators.
fn registered(registered: u64, samples: u64) -> Vec<String> {
    let setup = Instant::now();
    let mut chain = Chain::from_genesis(&genesis(registered, 0));
    chain.advance_to(T0 + EPOCH);
    let setup_s = setup.elapsed().as_secs_f64();
    let active = rampart_core::base::active_set(&chain.state).len();
    let (mut blocks, mut boundaries) = (Vec::new(), Vec::new());
    for e in 2..2 + samples {
        let start_of_epoch = T0 + (e - 1) * EPOCH;
        for b in 1..=20 {
            let start = Instant::now();
            black_box(chain.advance_to(start_of_epoch + b * BLOCK));
            blocks.push(start.elapsed().as_secs_f64());
        }
        chain.advance_to(T0 + e * EPOCH - BLOCK);
        let start = Instant::now();
        black_box(chain.advance_to(T0 + e * EPOCH));
        boundaries.push(start.elapsed().as_secs_f64());
    }
    vec![
        registered.to_string(),
        active.to_string(),
        format!("{setup_s:.1}"),
        format!("{:.1}", median(blocks) * 1e6),
        format!("{:.2}", median(boundaries) * 1e3),
    ]
}

/// Median ms of an epoch boundary paying one program over a set of `members` operators, each
/// with 10 delegators.
fn members(members: u64, samples: u64) -> Vec<String> {
    let stakers = members * 10;
    let mut chain = Chain::from_genesis(&genesis(100, stakers));
    chain.send(
        service(),
        Action::RegisterService(RegisterService {
            metadata_uri: String::new(),
            slasher: service(),
            resolver: None,
            veto_window_s: Duration::ZERO,
            max_slash_per_event_wad: Wad::new(E18 / 2),
            destination: Destination::Burn,
            resolution_delay_s: None,
            double_sign_wad: None,
        }),
    );
    let set = SetRef {
        service: service(),
        id: 0,
    };
    chain.send(
        service(),
        Action::CreateOperatorSet {
            set_id: 0,
            strategies: vec!["stETH".into()],
            admission: Admission::Open,
        },
    );
    for o in 0..members {
        chain.send(
            operator(o),
            Action::RegisterOperator {
                metadata_uri: String::new(),
                allocation_delay_s: Duration::ZERO,
                default_commission_bps: Some(Bps::new(1_000)),
                signing_key: None,
            },
        );
        chain.send(operator(o), Action::RegisterForSet { set });
        chain.send(
            operator(o),
            Action::Allocate {
                set,
                strategy: "stETH".into(),
                magnitude: Wad::new(E18 / 2),
            },
        );
    }
    for s in 0..stakers {
        chain.send(
            staker(s),
            Action::Deposit {
                asset: "stETH".into(),
                amount: Amount::new(100 * E18),
                min_shares_out: None,
            },
        );
        chain.send(
            staker(s),
            Action::Delegate {
                operator: operator(s % members),
                strategy: "stETH".into(),
                shares: ShareAmount::Exact(Shares::new(100 * E18)),
                validator: None,
            },
        );
    }
    chain.send(
        service(),
        Action::CreateRewardProgram(CreateRewardProgram {
            service: service(),
            set,
            asset: "RAM".into(),
            amount: Amount::new(1_000_000 * E18),
            start: None,
            duration_s: Duration::new(1_000 * EPOCH),
            weighting: Weighting::Allocated,
            multipliers: None,
        }),
    );
    chain.state.discard_journal();
    // Joins and stake count from the first full epoch.
    chain.advance_to(T0 + EPOCH);
    chain.advance_to(T0 + 2 * EPOCH);
    let mut times = Vec::new();
    for e in 3..3 + samples {
        chain.advance_to(T0 + e * EPOCH - BLOCK);
        let start = Instant::now();
        black_box(chain.advance_to(T0 + e * EPOCH));
        times.push(start.elapsed().as_secs_f64());
    }
    vec![
        members.to_string(),
        stakers.to_string(),
        format!("{:.2}", median(times) * 1e3),
    ]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let samples = if quick { 3 } else { 10 };
    let rows: Vec<Vec<String>> = [10, 1_000, 100_000]
        .iter()
        .map(|&n| registered(n, samples))
        .collect();
    table(
        "Blocks and epoch boundaries against registered validators (top 100 active), medians",
        &[
            "registered",
            "active",
            "setup s",
            "µs per block",
            "ms per boundary",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = [10, 64, 256].iter().map(|&n| members(n, samples)).collect();
    table(
        "An epoch boundary paying one program over one set, against operators in the set (cap: max_operators_per_set = 256)",
        &["operators in set", "delegators", "ms per boundary"],
        &rows,
    );
}
