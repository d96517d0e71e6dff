//! Stress tests: StableSwap (TV-35 and the invariant), the de-peg examples, correlated
//! slashing, the exit race, progress reporting and scenario errors.

mod common;

use common::{frac, q};
use num_bigint::BigInt;
use proptest::prelude::*;
use rampart_risk::num::{Rational, decimal_text};
use rampart_risk::stress::stableswap::{Pool, get_y, to_units};
use rampart_risk::stress_json;
use serde_json::Value;

fn num(v: &Value) -> Rational {
    q(frac(v).expect("a number"))
}

fn example(path: &str) -> String {
    std::fs::read_to_string(format!("{}/examples/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("example exists")
}

fn run(path: &str) -> Value {
    stress_json(&example(path), &mut |_, _| {}).expect("scenario runs")
}

fn tv35_pool() -> Pool {
    Pool::new(
        BigInt::from(50),
        [to_units(&q("1000")), to_units(&q("1000"))],
        q("0"),
    )
    .expect("valid pool")
}

/// Price of coin 0 when the pool holds `x0` of it at the TV-35 invariant.
fn price_at(x0: &str) -> (String, String) {
    let pool = tv35_pool();
    let x = to_units(&q(x0));
    let y = get_y(&x, &pool.invariant(), &BigInt::from(200));
    let moved = Pool::new(BigInt::from(50), [x, y.clone()], q("0")).expect("valid pool");
    let y = rampart_risk::stress::stableswap::from_units(&y);
    (decimal_text(&y, 4), decimal_text(&moved.spot_price(0), 5))
}

#[test]
fn tv35_stableswap_invariant_of_a_balanced_pool_is_the_sum() {
    assert_eq!(tv35_pool().invariant(), to_units(&q("2000")));
}

#[test]
fn tv35_selling_500_returns_496_7527_at_price_0_98296() {
    let mut pool = tv35_pool();
    let swap = pool.swap(0, &to_units(&q("500")));
    let out = rampart_risk::stress::stableswap::from_units(&swap.amount_out);
    assert_eq!(decimal_text(&out, 4), "496.7527");
    assert_eq!(decimal_text(&pool.spot_price(0), 5), "0.98296");
}

#[test]
fn tv35_depeg_curve_matches_the_research_table() {
    assert_eq!(price_at("1500"), ("503.2473".into(), "0.98296".into()));
    assert_eq!(price_at("1800"), ("215.75".into(), "0.90616".into()));
    assert_eq!(price_at("1900"), ("130.3707".into(), "0.77978".into()));
    assert_eq!(price_at("1950"), ("94.3519".into(), "0.65218".into()));
}

proptest! {
    #[test]
    fn stableswap_swaps_never_lower_the_invariant(
        a in 1u32..2000,
        b0 in 1u64..1_000_000,
        b1 in 1u64..1_000_000,
        fee_bps in 0u32..100,
        trades in prop::collection::vec((0usize..2, 1u64..500_000), 1..8),
    ) {
        let fee = Rational::new(fee_bps.into(), 10_000.into());
        let mut pool = Pool::new(a.into(), [BigInt::from(b0) * 1_000_000_000u64, BigInt::from(b1) * 1_000_000_000u64], fee)
            .expect("valid pool");
        for (coin, amount) in trades {
            let before = pool.invariant();
            let swap = pool.swap(coin, &(BigInt::from(amount) * 1_000_000_000u64));
            prop_assert!(swap.amount_out >= BigInt::from(0));
            prop_assert!(pool.balances[1 - coin] > BigInt::from(0));
            prop_assert!(pool.invariant() >= before, "invariant fell from {} to {}", before, pool.invariant());
        }
    }
}

#[test]
fn depeg_example_is_flat_then_a_cliff_with_bad_debt_only_in_the_high_ltv_market() {
    let out = run("depeg-flat-then-cliff.json");
    let d = &out["depeg"];
    let prices: Vec<Rational> = d["trace"]
        .as_array()
        .expect("trace")
        .iter()
        .map(|r| num(&r["oracle_price"]))
        .collect();
    assert!(d["settled"].as_bool().expect("bool"));
    // Flat: eight rounds of selling keep the price within 2% of the peg.
    assert!(prices[..8].iter().all(|p| p > &q("0.98")), "{prices:?}");
    // Cliff: one round takes more than 7% off.
    let cliff = prices.windows(2).any(|w| &w[0] - &w[1] > q("0.07"));
    assert!(cliff, "{prices:?}");
    assert!(num(&d["markets"]["high"]["bad_debt"]) > q("0"));
    assert_eq!(num(&d["markets"]["low"]["bad_debt"]), q("0"));
    assert!(
        d["markets"]["low"]["liquidations"].as_u64() > Some(0),
        "the low-LTV market is liquidated cleanly"
    );
    assert_eq!(num(&d["bad_debt"]), num(&d["markets"]["high"]["bad_debt"]));
    assert!(num(&d["final_price"]) < q("0.8"));
}

#[test]
fn exchange_rate_oracle_liquidates_nothing_in_a_market_depeg() {
    let out = run("depeg-exchange-rate-oracle.json");
    let d = &out["depeg"];
    assert_eq!(num(&d["liquidated"]["debt_repaid"]), q("0"));
    assert_eq!(num(&d["bad_debt"]), q("0"));
    // The market price fell below the high-LTV positions' liquidation price (0.80/0.86 ≈ 0.93),
    // which a market-price oracle would have acted on.
    assert!(num(&d["final_price"]) < q("0.93"), "the de-peg happened");
    assert_eq!(d["markets"]["high"]["liquidations"], 0);
}

#[test]
fn correlated_slashing_reports_losses_per_operator_service_vault_and_holder() {
    let out = run("correlated-slashing.json");
    let s = &out["slashing"];
    assert_eq!(num(&s["operators"]["op-a"]["loss"]), q("275"));
    assert_eq!(num(&s["operators"]["op-b"]["loss"]), q("240"));
    assert_eq!(num(&s["operators"]["op-c"]["loss"]), q("100"));
    assert_eq!(num(&s["total_loss"]), q("615"));
    assert_eq!(num(&s["total_loss_fraction"]), q("123/400"));
    assert_eq!(num(&s["services"]["eigenda"]["stake_after"]), q("1085"));
    assert_eq!(num(&s["services"]["oracle"]["stake_after"]), q("675"));
    assert_eq!(num(&s["services"]["bridge"]["stake_after"]), q("330"));
    assert_eq!(num(&s["vaults"]["vault-1"]["rate_drop"]), q("103/320"));
    assert_eq!(num(&s["vaults"]["vault-2"]["rate_drop"]), q("1/4"));
    assert_eq!(num(&s["holders"]["alice"]["loss"]), q("103/2"));
    assert_eq!(num(&s["holders"]["lrt-x"]["loss"]), q("715/2"));
}

#[test]
fn exit_race_compares_amm_with_the_queue() {
    let out = run("exit-race.json");
    let e = &out["exit_race"];
    assert_eq!(decimal_text(&num(&e["break_even_discount"]), 5), "0.00191");
    assert_eq!(num(&e["amm"]["amount"]), q("9000"));
    assert!(
        num(&e["amm"]["first_tranche_price"]) > num(&e["amm"]["last_tranche_price"]),
        "early sellers get more"
    );
    assert!(num(&e["queue"]["present_value_per_unit"]) < q("1"));
    assert_eq!(e["better_per_unit"], "queue");
}

#[test]
fn progress_is_reported_up_to_the_total() {
    let mut calls = Vec::new();
    stress_json(
        &example("depeg-flat-then-cliff.json"),
        &mut |done, total| calls.push((done, total)),
    )
    .expect("runs");
    let last = calls.last().copied().expect("progress reported");
    assert_eq!(last.0, last.1);
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "monotonic");
}

#[test]
fn stress_output_is_byte_for_byte_deterministic() {
    let a = serde_json::to_string(&run("depeg-flat-then-cliff.json")).expect("json");
    let b = serde_json::to_string(&run("depeg-flat-then-cliff.json")).expect("json");
    assert_eq!(a, b);
}

#[test]
fn malformed_scenarios_are_refused_with_stable_codes() {
    let code = |text: &str| stress_json(text, &mut |_, _| {}).err().map(|e| e.code());
    assert_eq!(code("["), Some("bad_json"));
    assert_eq!(code("{}"), Some("bad_scenario"));
    assert_eq!(code(r#"{"depeg": {"poool": {}}}"#), Some("bad_scenario"));
    let bad_fraction = example("exit-race.json").replace("\"3/10\"", "\"3/2\"");
    assert_eq!(code(&bad_fraction), Some("out_of_range"));
    let bad_pool = example("exit-race.json").replace("\"20000\",", "\"0\",");
    assert_eq!(code(&bad_pool), Some("bad_scenario"));
    let unknown_op = example("correlated-slashing.json")
        .replace("\"operator\": \"op-b\"", "\"operator\": \"op-z\"");
    assert_eq!(code(&unknown_op), Some("unknown_operator"));
}
