//! Epoch and reward benchmarks (issue 3). Prints tables; never a pass/fail timing.
//!
//! 1. One epoch boundary with 100 validators (issuance, fees, active-set selection, the LST
//!    pool), 10k operators, 1k reward programs (one per operator set, ~20 operators each) and
//!    1M restaking positions — then the same with 10× the positions: the cost must not move.
//! 2. `claim_rewards` after 1, 10, 100 and 1,000 epochs without claiming: must be flat.
//!
//! Run: `cargo bench -p rampart-bench --bench epoch` (`-- --quick`: 100k and 1M positions).
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
const T0: u64 = 1_700_000_000;
const VALIDATORS: u64 = 100;
const OPERATORS: u64 = 10_000;
const SERVICES: u64 = 100;
const SETS_PER_SERVICE: u32 = 10;
const POSITIONS_PER_STAKER: u64 = 10;

fn validator(i: u64) -> Address {
    account(4, i)
}

fn service(i: u64) -> Address {
    account(3, i)
}

fn set_of(i: u64) -> SetRef {
    SetRef {
        service: service(i / u64::from(SETS_PER_SERVICE)),
        id: (i % u64::from(SETS_PER_SERVICE)) as u32,
    }
}

fn genesis(stakers: u64, services: u64) -> Genesis {
    let mut accounts: Vec<GenesisAccount> = (0..stakers)
        .map(|i| GenesisAccount {
            address: staker(i),
            balances: [
                ("stETH".to_owned(), Amount::new(1_000_000 * E18)),
                ("RAM".to_owned(), Amount::new(1_000 * E18)),
            ]
            .into(),
        })
        .collect();
    accounts.extend((0..services).map(|i| GenesisAccount {
        address: service(i),
        balances: [("RAM".to_owned(), Amount::new(1_000_000_000 * E18))].into(),
    }));
    Genesis {
        chain_id: 1,
        time: Timestamp::new(T0),
        governance: None,
        guardian: None,
        params: serde_json::from_value(serde_json::json!({
            "epoch_length_s": EPOCH, "bonding_epochs": 0, "protocol_fee_bps": 500,
            "max_positions_per_staker": 64, "max_programs_per_set": 64,
        }))
        .expect("params"),
        assets: vec![GenesisAsset {
            symbol: "stETH".into(),
            decimals: 18,
            issuer: Some(account(9, 0)),
            restakable: true,
        }],
        accounts,
        validators: (0..VALIDATORS)
            .map(|i| GenesisValidator {
                address: validator(i),
                self_bond: Amount::new((1_000 + u128::from(i)) * E18),
                commission_bps: Bps::new(500 + (i % 10) as u32 * 100),
                consensus_key: None,
                p2p_address: None,
            })
            .collect(),
    }
}

/// Services with sets, operators in two sets each, and one long reward program per set.
fn restaking_world(chain: &mut Chain, operators: u64, sets: u64, epochs: u64) {
    for s in 0..sets.div_ceil(u64::from(SETS_PER_SERVICE)) {
        chain.send(
            service(s),
            Action::RegisterService(RegisterService {
                metadata_uri: String::new(),
                slasher: service(s),
                resolver: None,
                veto_window_s: Duration::ZERO,
                max_slash_per_event_wad: Wad::new(E18 / 2),
                destination: Destination::Burn,
                resolution_delay_s: None,
                double_sign_wad: None,
            }),
        );
    }
    for i in 0..sets {
        let set = set_of(i);
        chain.send(
            set.service,
            Action::CreateOperatorSet {
                set_id: set.id,
                strategies: vec!["stETH".into()],
                admission: Admission::Open,
            },
        );
    }
    for o in 0..operators {
        chain.send(
            operator(o),
            Action::RegisterOperator {
                metadata_uri: String::new(),
                allocation_delay_s: Duration::ZERO,
                default_commission_bps: Some(Bps::new(1_000)),
                signing_key: None,
            },
        );
        let mut joined = vec![o % sets, (o * 7 + 3) % sets];
        joined.dedup();
        for set in joined {
            chain.send(operator(o), Action::RegisterForSet { set: set_of(set) });
            chain.send(
                operator(o),
                Action::Allocate {
                    set: set_of(set),
                    strategy: "stETH".into(),
                    magnitude: Wad::new(E18 * 2 / 5),
                },
            );
        }
        if o % 1_000 == 0 {
            chain.state.discard_journal();
        }
    }
    for i in 0..sets {
        let set = set_of(i);
        chain.send(
            set.service,
            Action::CreateRewardProgram(CreateRewardProgram {
                service: set.service,
                set,
                asset: "RAM".into(),
                amount: Amount::new(1_000_000 * E18),
                start: None,
                duration_s: Duration::new(epochs * EPOCH),
                weighting: if i % 2 == 0 {
                    Weighting::Allocated
                } else {
                    Weighting::Delegated
                },
                multipliers: None,
            }),
        );
    }
    chain.state.discard_journal();
}

/// `stakers` stakers, each with `POSITIONS_PER_STAKER` positions on spread-out operators.
fn positions(chain: &mut Chain, stakers: u64, operators: u64) {
    for s in 0..stakers {
        chain.send(
            staker(s),
            Action::Deposit {
                asset: "stETH".into(),
                amount: Amount::new(u128::from(POSITIONS_PER_STAKER) * 100 * E18),
                min_shares_out: None,
            },
        );
        for k in 0..POSITIONS_PER_STAKER {
            chain.send(
                staker(s),
                Action::Delegate {
                    operator: operator((s * 7_919 + k * 1_013) % operators),
                    strategy: "stETH".into(),
                    shares: ShareAmount::Exact(Shares::new(100 * E18)),
                    validator: None,
                },
            );
        }
        if s % 10_000 == 0 {
            chain.state.discard_journal();
        }
    }
    chain.state.discard_journal();
}

fn epoch_boundary(position_count: u64) -> Vec<String> {
    let setup = Instant::now();
    let stakers = position_count / POSITIONS_PER_STAKER;
    let sets = SERVICES * u64::from(SETS_PER_SERVICE);
    let mut chain = Chain::from_genesis(&genesis(stakers, SERVICES));
    restaking_world(&mut chain, OPERATORS, sets, 10_000);
    positions(&mut chain, stakers, OPERATORS);
    // The LST pool, spread over the active set at each boundary.
    chain.send(
        staker(0),
        Action::LstDeposit {
            amount: Amount::new(500 * E18),
            min_lst_out: None,
        },
    );
    chain.state.discard_journal();
    // Two boundaries: every position and the LST's bonds become active.
    chain.advance_to(T0 + EPOCH);
    chain.advance_to(T0 + 2 * EPOCH);
    let setup_s = setup.elapsed().as_secs_f64();
    let held = chain.state.count::<rampart_core::schema::Positions>();

    let mut times = Vec::new();
    let mut distributed = 0;
    for e in 3..(3 + std::env::var("RAMPART_BOUNDARIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10u64))
    {
        // A block inside the epoch with a transaction paying a fee, then the boundary alone.
        chain.advance_to(T0 + e * EPOCH - 2);
        let start = Instant::now();
        let events = chain.advance_to(T0 + e * EPOCH);
        times.push(start.elapsed().as_secs_f64());
        distributed = events
            .iter()
            .filter(|ev| matches!(ev, rampart_core::Event::RewardDistributed { .. }))
            .count();
        black_box(events);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    vec![
        VALIDATORS.to_string(),
        OPERATORS.to_string(),
        distributed.to_string(),
        held.to_string(),
        format!("{setup_s:.0}"),
        format!("{:.1}", median * 1e3),
        format!("{:.1}", times[times.len() - 1] * 1e3),
        "≤ 100 ms, flat".into(),
    ]
}

/// `claim_rewards` by 1,000 stakers who have not claimed for `k` epochs.
fn claim_after(k: u64) -> Vec<String> {
    let stakers = 1_000u64;
    let mut chain = Chain::from_genesis(&genesis(stakers, 1));
    restaking_world(&mut chain, 10, 1, 5_000);
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
                operator: operator(s % 10),
                strategy: "stETH".into(),
                shares: ShareAmount::All,
                validator: None,
            },
        );
    }
    chain.state.discard_journal();
    // Active from epoch 1; then k epochs of rewards, each boundary processed in turn.
    chain.advance_to(T0 + EPOCH);
    for e in 2..=k + 1 {
        chain.advance_to(T0 + e * EPOCH);
    }
    let start = Instant::now();
    for s in 0..stakers {
        black_box(chain.send(
            staker(s),
            Action::ClaimRewards {
                operator: None,
                strategy: None,
            },
        ));
    }
    let per = start.elapsed().as_secs_f64() / stakers as f64;
    vec![k.to_string(), format!("{:.2}", per * 1e6)]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // `RAMPART_POSITIONS=n` measures one size (for profiling).
    let sizes: Vec<u64> = match std::env::var("RAMPART_POSITIONS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => vec![n],
        None if quick => vec![100_000, 1_000_000],
        None => vec![1_000_000, 10_000_000],
    };
    let rows: Vec<Vec<String>> = sizes.iter().map(|&n| epoch_boundary(n)).collect();
    table(
        "One epoch boundary (base rewards for 100 validators, active set, LST pool, 1k reward programs over 1k sets of ~20 operators), median of 10",
        &[
            "validators",
            "operators",
            "programs paid",
            "positions",
            "setup s",
            "ms (median)",
            "ms (max)",
            "target",
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = [1, 10, 100, 1_000]
        .iter()
        .map(|&k| claim_after(k))
        .collect();
    table(
        "`claim_rewards` (whole transaction) after k epochs without claiming, mean over 1,000 stakers",
        &["epochs since last claim", "µs per claim"],
        &rows,
    );
}
