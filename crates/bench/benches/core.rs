//! State-machine benchmarks (issue 2). Prints tables; never a pass/fail timing.
//!
//! 1. Throughput of a mix of deposit / delegate / allocate / queue_withdrawal with 100k stakers
//!    and 1k operators already present, in memory, one core.
//! 2. One slash against an operator with 10, 1k, 100k and 1M delegators (must be flat).
//! 3. `position` for a staker with 64 positions.
//!
//! Run: `cargo bench -p rampart-bench --bench core` (add `-- --quick` for smaller sizes).
#![allow(clippy::disallowed_methods)]

use rampart_bench::{ASSET, Chain, operator, service, set, staker, table};
use rampart_core::num::{ShareAmount, Shares};
use rampart_core::restaking::SlashArgs;
use rampart_core::{Action, Amount, Query, Wad};
use std::hint::black_box;
use std::time::Instant;

const E18: u128 = 1_000_000_000_000_000_000;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    throughput(
        if quick { 10_000 } else { 100_000 },
        1_000,
        if quick { 100_000 } else { 1_000_000 },
    );
    slash_cost(if quick {
        &[10, 1_000, 100_000]
    } else {
        &[10, 1_000, 100_000, 1_000_000]
    });
    position_cost();
}

/// A xorshift generator: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn throughput(stakers: u64, operators: u64, txs: u64) {
    let setup = Instant::now();
    let mut chain = Chain::new(stakers);
    chain.operators(operators);
    for i in 0..stakers {
        chain.stake(i, i % operators, 1_000 * E18);
        if i % 10_000 == 0 {
            chain.state.discard_journal();
        }
    }
    chain.state.discard_journal();
    let setup_s = setup.elapsed().as_secs_f64();

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut magnitude = vec![0u128; operators as usize];
    let mut counts = [0u64; 4];
    let mut depositor = 0;
    let work = (0..txs).map(|n| {
        let kind = (n % 4) as usize;
        counts[kind] += 1;
        let i = rng.below(stakers);
        match kind {
            0 => {
                depositor = i;
                (
                    staker(i),
                    Action::Deposit {
                        asset: ASSET.into(),
                        amount: Amount::new(E18),
                        min_shares_out: None,
                    },
                )
            }
            1 => {
                let op = rng.below(operators);
                // Delegates what the previous deposit brought in.
                (
                    staker(depositor),
                    Action::Delegate {
                        operator: operator(op),
                        strategy: ASSET.into(),
                        shares: ShareAmount::All,
                        validator: None,
                    },
                )
            }
            2 => {
                let op = rng.below(operators);
                magnitude[op as usize] += 1_000_000_000_000;
                (
                    operator(op),
                    Action::Allocate {
                        set: set(),
                        strategy: ASSET.into(),
                        magnitude: Wad::new(magnitude[op as usize]),
                    },
                )
            }
            _ => {
                let op = i % operators;
                (
                    staker(i),
                    Action::QueueWithdrawal {
                        operator: Some(operator(op)),
                        strategy: ASSET.into(),
                        shares: ShareAmount::Exact(Shares::new(1_000_000)),
                        validator: None,
                    },
                )
            }
        }
    });
    let elapsed = chain.run_blocks(work);
    let secs = elapsed.as_secs_f64();
    let rate = txs as f64 / secs;
    table(
        &format!(
            "State-machine throughput: {stakers} stakers, {operators} operators present (setup {setup_s:.1} s), one core, in memory"
        ),
        &["mix", "transactions", "seconds", "tx/s", "µs/tx", "target"],
        &[vec![
            format!(
                "deposit/delegate/allocate/queue_withdrawal {}/{}/{}/{}",
                counts[0], counts[1], counts[2], counts[3]
            ),
            txs.to_string(),
            format!("{secs:.2}"),
            format!("{rate:.0}"),
            format!("{:.2}", 1e6 / rate),
            "≥ 200,000 tx/s".into(),
        ]],
    );
}

fn slash_cost(sizes: &[u64]) {
    let mut rows = Vec::new();
    for &delegators in sizes {
        let mut chain = Chain::new(delegators);
        chain.operators(1);
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
        let slashes = 2_000u32;
        let start = Instant::now();
        for _ in 0..slashes {
            let out = chain.send(
                service(),
                Action::Slash(SlashArgs {
                    operator: operator(0),
                    set: set(),
                    strategies: vec![ASSET.into()],
                    wad: Wad::new(1_000_000_000_000),
                    evidence: String::new(),
                }),
            );
            black_box(out);
        }
        let per = start.elapsed().as_secs_f64() / f64::from(slashes);
        chain.state.discard_journal();
        let positions = chain.state.count::<rampart_core::schema::Positions>();
        rows.push(vec![
            delegators.to_string(),
            positions.to_string(),
            format!("{:.2}", per * 1e6),
            "≤ 20 µs, flat".into(),
        ]);
    }
    table(
        "Cost of one slash (whole transaction: envelope, slash, escrow, history) against one operator",
        &["delegators", "positions in state", "µs per slash", "target"],
        &rows,
    );
}

fn position_cost() {
    let mut chain = Chain::new(1);
    chain.operators(64);
    let amount = 64_000 * E18;
    chain.send(
        staker(0),
        Action::Deposit {
            asset: ASSET.into(),
            amount: Amount::new(amount),
            min_shares_out: None,
        },
    );
    for op in 0..64 {
        chain.send(
            operator(op),
            Action::Allocate {
                set: set(),
                strategy: ASSET.into(),
                magnitude: Wad::new(E18 / 2),
            },
        );
        chain.send(
            staker(0),
            Action::Delegate {
                operator: operator(op),
                strategy: ASSET.into(),
                shares: ShareAmount::Exact(Shares::new(1_000 * E18)),
                validator: None,
            },
        );
    }
    let query = Query::Position { staker: staker(0) };
    let value = query.run(&chain.state).expect("position");
    assert_eq!(value["positions"].as_array().map(Vec::len), Some(64));
    let runs = 2_000u32;
    let start = Instant::now();
    for _ in 0..runs {
        black_box(query.run(&chain.state).expect("position"));
    }
    let per = start.elapsed().as_secs_f64() / f64::from(runs);
    let typed_start = Instant::now();
    for _ in 0..runs {
        black_box(rampart_core::query::position_view(&chain.state, staker(0)).expect("position"));
    }
    let typed = typed_start.elapsed().as_secs_f64() / f64::from(runs);
    table(
        "Cost of the `position` query for a staker with 64 positions (each with one exposed set)",
        &["positions", "µs (typed view)", "µs (as JSON)"],
        &[vec![
            "64".into(),
            format!("{:.1}", typed * 1e6),
            format!("{:.1}", per * 1e6),
        ]],
    );
}
