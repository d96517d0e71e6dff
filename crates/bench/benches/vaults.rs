//! Liquid restaking vault benchmarks (issue 4). Prints tables; never a pass/fail timing.
//!
//! 1. Throughput of `vault_deposit` and `vault_withdraw_instant` against a vault with 100
//!    operator positions, with two numbers of LRT holders: the cost must not depend on holders.
//! 2. The vault's rate computation (its value from state: idle, 100 positions at their current
//!    magnitudes, withdrawals in flight, rewards, vesting) and the whole `vault` query, with the
//!    same two holder counts.
//!
//! Run: `cargo bench -p rampart-bench --bench vaults` (add `-- --quick` for smaller sizes).
#![allow(clippy::disallowed_methods)]

use rampart_bench::{ASSET, Chain, operator, set, staker, table};
use rampart_core::params::ParamsPatch;
use rampart_core::vault::{AmountOrAll, CreateVault, Policy, VaultFees};
use rampart_core::{Action, Amount, Bps, Query, Wad};
use std::hint::black_box;
use std::time::Instant;

const E18: u128 = 1_000_000_000_000_000_000;
const LRT: &str = "rstETH";
const POSITIONS: u64 = 100;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let holder_counts: &[u64] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 100_000]
    };
    let txs = if quick { 10_000 } else { 50_000 };
    let mut throughput_rows = Vec::new();
    let mut rate_rows = Vec::new();
    for &holders in holder_counts {
        let (mut chain, setup_s) = vault_chain(holders);
        let (deposit, withdraw) = throughput(&mut chain, holders, txs);
        throughput_rows.push(vec![
            holders.to_string(),
            POSITIONS.to_string(),
            format!("{setup_s:.1}"),
            format!("{deposit:.0}"),
            format!("{:.1}", 1e6 / deposit),
            format!("{withdraw:.0}"),
            format!("{:.1}", 1e6 / withdraw),
        ]);
        let (typed, json) = rate_cost(&chain);
        rate_rows.push(vec![
            holders.to_string(),
            POSITIONS.to_string(),
            format!("{:.1}", typed * 1e6),
            format!("{:.1}", json * 1e6),
        ]);
    }
    table(
        "Vault throughput (whole transaction through the envelope, in memory, one core), vault with 100 operator positions",
        &[
            "LRT holders",
            "positions",
            "setup s",
            "vault_deposit tx/s",
            "µs/tx",
            "vault_withdraw_instant tx/s",
            "µs/tx",
        ],
        &throughput_rows,
    );
    table(
        "Vault rate computation (value from state) and the `vault` query, 100 operator positions",
        &[
            "LRT holders",
            "positions",
            "rate (value) µs",
            "`vault` query as JSON µs",
        ],
        &rate_rows,
    );
}

/// A chain with 100 operators in one set (half their magnitude allocated), a vault on stETH
/// delegating to all of them, and `holders` accounts holding its LRT.
fn vault_chain(holders: u64) -> (Chain, f64) {
    let start = Instant::now();
    let params = ParamsPatch {
        max_positions_per_staker: Some(128),
        max_vault_operators: Some(128),
        ..ParamsPatch::default()
    };
    let mut chain = Chain::with_params(holders + 1, params);
    chain.operators(POSITIONS);
    for op in 0..POSITIONS {
        chain.send(
            operator(op),
            Action::Allocate {
                set: set(),
                strategy: ASSET.into(),
                magnitude: Wad::new(E18 / 2),
            },
        );
    }
    let curator = staker(holders);
    chain.send(
        curator,
        Action::CreateVault(Box::new(CreateVault {
            asset: ASSET.into(),
            curator: None,
            lrt_symbol: LRT.into(),
            fees: VaultFees {
                management_bps: Bps::new(100),
                performance_bps: Bps::new(1_000),
                deposit_bps: Bps::new(5),
                withdrawal_bps: Bps::new(10),
            },
            deposit_cap: Amount::new(u128::MAX / 4),
            buffer_bps: Bps::new(2_000),
            policy: Policy {
                allowed_operators: (0..POSITIONS).map(operator).collect(),
                allowed_services: vec![rampart_bench::service()],
                max_per_operator_bps: Bps::new(10_000),
            },
            seed_amount: Amount::new(E18),
            min_request: None,
        })),
    );
    for i in 0..holders {
        chain.send(
            staker(i),
            Action::VaultDeposit {
                vault: LRT.into(),
                amount: Amount::new(1_000 * E18),
                min_lrt_out: None,
            },
        );
        if i % 10_000 == 0 {
            chain.state.discard_journal();
        }
    }
    let per_op = u128::from(holders) * 1_000 * E18 / 2 / u128::from(POSITIONS);
    for op in 0..POSITIONS {
        chain.send(
            curator,
            Action::VaultAllocate {
                vault: LRT.into(),
                operator: operator(op),
                amount: Amount::new(per_op),
            },
        );
    }
    chain.state.discard_journal();
    (chain, start.elapsed().as_secs_f64())
}

/// Deposits then instant withdrawals of one token by rotating holders; returns tx/s of each
/// (after a warm-up of a thousand deposits).
fn throughput(chain: &mut Chain, holders: u64, txs: u64) -> (f64, f64) {
    for n in 0..1_000 {
        chain.send(
            staker((n * 104_729) % holders),
            Action::VaultDeposit {
                vault: LRT.into(),
                amount: Amount::new(E18),
                min_lrt_out: None,
            },
        );
    }
    chain.state.discard_journal();
    let deposits = (0..txs).map(|n| {
        (
            staker((n * 7_919) % holders),
            Action::VaultDeposit {
                vault: LRT.into(),
                amount: Amount::new(E18),
                min_lrt_out: None,
            },
        )
    });
    let deposit = txs as f64 / chain.run_blocks(deposits).as_secs_f64();
    let exits = (0..txs).map(|n| {
        (
            staker((n * 7_919) % holders),
            Action::VaultWithdrawInstant {
                vault: LRT.into(),
                lrt: AmountOrAll::Exact(Amount::new(E18 / 2)),
                min_out: None,
            },
        )
    });
    let withdraw = txs as f64 / chain.run_blocks(exits).as_secs_f64();
    chain.state.discard_journal();
    (deposit, withdraw)
}

/// Seconds per rate computation (typed value) and per `vault` query rendered as JSON.
fn rate_cost(chain: &Chain) -> (f64, f64) {
    let runs = 2_000u32;
    let v = rampart_core::vault::value_now(&chain.state, 0).expect("value");
    assert!(v.positions > Amount::ZERO);
    let start = Instant::now();
    for _ in 0..runs {
        black_box(rampart_core::vault::value_now(&chain.state, 0).expect("value"));
    }
    let typed = start.elapsed().as_secs_f64() / f64::from(runs);
    let query = Query::Vault { vault: LRT.into() };
    let value = query.run(&chain.state).expect("vault query");
    assert_eq!(
        value["positions"].as_array().map(Vec::len),
        Some(POSITIONS as usize)
    );
    let runs = 200u32;
    let start = Instant::now();
    for _ in 0..runs {
        black_box(query.run(&chain.state).expect("vault query"));
    }
    let json = start.elapsed().as_secs_f64() / f64::from(runs);
    (typed, json)
}
