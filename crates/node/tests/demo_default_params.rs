//! The demo driver for 90 simulated days at the protocol's *default* delays (21-day unbonding,
//! 14-day withdrawal and deallocation delays, hour-long epochs, default per-account limits), with
//! an LST redemption every block (every block crosses an epoch boundary, so the pool undelegates at
//! nearly every boundary — far more than `max_unbondings_per_delegator` entries inside one
//! unbonding period): every block commits, the invariants hold throughout, and every redemption is
//! paid within one unbonding period and an epoch of its batch.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::temp_dir;
use rampart_node::demo::{self, Driver};
use rampart_node::{NodeConfig, Shared};
use serde_json::{Value, json};

const T0: u64 = 1_750_000_000;
const STEP_S: u64 = 2 * 3_600;
const DAYS: u64 = 90;
const REDEEMER: &str = "heidi";

fn query(s: &Shared, q: Value) -> Value {
    s.query(q.clone()).unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn num(v: &Value) -> u128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64().map(u128::from))
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn ninety_days_of_demo_at_default_delays_with_a_redemption_every_block() {
    let mut genesis = demo::genesis(T0);
    // Back to the protocol defaults (the demo shortens them to show exits within its history).
    genesis.params.withdrawal_delay_s = None;
    genesis.params.deallocation_delay_s = None;
    genesis.params.resolution_delay_s = None;
    genesis.params.unbonding_period_s = None;
    genesis.params.commission_delay_s = None;
    let mut config = NodeConfig::new(temp_dir("demo-default-params"));
    config.block_interval_ms = Some(0);
    let s = Shared::open(config, &genesis).expect("opens");
    let defaults = rampart_core::params::Params::default();
    assert_eq!(
        s.with_state(|st| st.params().unbonding_period_s).unwrap(),
        defaults.unbonding_period_s
    );
    let unbonding = defaults.unbonding_period_s.get();
    let epoch = defaults.epoch_length_s.get();

    let me = rampart_scenario::names::dev_address(REDEEMER);
    let mut driver = Driver::default();
    let (mut requested, mut blocks) = (0u32, 0u64);
    for step in 0..DAYS * 86_400 / STEP_S {
        let mut txs = s.with_state(|st| driver.step(st)).unwrap();
        // After the setup (which gives the redeemer its LST), a small redemption every block.
        if step > 20 {
            txs.push((
                REDEEMER.to_owned(),
                json!({"tx": "lst_request_redeem", "shares": "1000000000000000000"}),
            ));
        }
        let time = s.with_state(|st| st.now().get()).unwrap() + STEP_S;
        demo::submit(&s, &txs, time);
        s.produce_block_at(time).expect("every block commits");
        blocks += 1;
        if step % 120 == 0 {
            let inv = query(&s, json!({"query": "invariants"}));
            assert_eq!(inv["ok"], true, "day {}: {inv}", step * STEP_S / 86_400);
            s.check_delegator_index().unwrap();
        }
    }
    let inv = query(&s, json!({"query": "invariants"}));
    assert_eq!(inv["ok"], true, "{inv}");

    // Count the redemptions that committed, and check every one that fell due was paid: the
    // driver claims whatever is claimable, so what is still queued must be younger than one
    // unbonding period plus an epoch (and a block to claim it in).
    for h in 1..=s.height().unwrap() {
        for t in &s.block(Some(h)).unwrap().txs {
            if t.action == "lst_request_redeem" && t.ok {
                requested += 1;
            }
        }
    }
    assert!(
        requested > 500,
        "only {requested} redemptions committed in {blocks} blocks"
    );
    let now = s.with_state(|st| st.now().get()).unwrap();
    let view = query(&s, json!({"query": "lst", "account": format!("{me:#x}")}));
    let mut queued = 0;
    for r in view["redemptions"].as_array().into_iter().flatten() {
        queued += 1;
        // Due ones are claimed by the driver in the next block.
        if !r["claimable_at"].is_null() {
            let at = u64::try_from(num(&r["claimable_at"])).unwrap();
            assert!(
                at + 2 * STEP_S > now,
                "redemption due at {at} still unpaid at {now}: {r}"
            );
        }
    }
    let max_queued = (unbonding + epoch + 2 * STEP_S) / STEP_S;
    assert!(
        queued <= max_queued,
        "{queued} redemptions queued, at most {max_queued} expected"
    );
}
