//! The demo chain of `rampart dev` over its default 30 simulated days (blocks four hours apart):
//! every transaction the driver sends commits successfully (its dry run keeps back the few
//! plans that would fail, counted here), and the vaults' history shows in the queries.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::{addr, temp_dir};
use rampart_api::types::TxStatus;
use rampart_node::demo::{self, Driver};
use rampart_node::{NodeConfig, Shared};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const T0: u64 = 1_750_000_000;
const STEP_S: u64 = 4 * 3_600;

fn error_code(s: &Shared, hash: alloy_primitives::B256) -> String {
    match s.tx_status(hash) {
        Ok(TxStatus::Committed { receipt }) => receipt
            .error
            .map(|e| format!("{}: {}", e.code, e.message))
            .unwrap_or_default(),
        other => format!("{other:?}"),
    }
}

fn query(s: &Shared, q: Value) -> Value {
    s.query(q.clone()).unwrap_or_else(|e| panic!("{q}: {e}"))
}

#[test]
fn thirty_days_of_demo_history_commit_every_setup_and_vault_transaction() {
    let mut config = NodeConfig::new(temp_dir("demo-30-days"));
    config.block_interval_ms = Some(0);
    let s = Shared::open(config, &demo::genesis(T0)).expect("opens");
    let mut driver = Driver::default();
    // `demo::run_history`, counting what the driver's dry run kept back.
    let (mut planned, mut sent) = (0usize, 0usize);
    let mut skipped: BTreeMap<String, u32> = BTreeMap::new();
    for _ in 0..30 * 86_400 / STEP_S {
        let txs = s.with_state(|st| driver.step(st)).unwrap();
        let time = s.with_state(|st| st.now().get()).unwrap() + STEP_S;
        let out = demo::submit(&s, &txs, time);
        planned += txs.len();
        sent += out.accepted;
        for (_, tx, code) in out.skipped {
            *skipped.entry(format!("{tx} {code}")).or_default() += 1;
        }
        s.produce_block_at(time).expect("block commits");
    }
    let skipped_total: u32 = skipped.values().sum();
    eprintln!("demo: {planned} planned, {sent} sent, {skipped_total} kept back: {skipped:?}");
    // The driver's plans are mostly right (the dry run is a safety net, not the planner).
    assert!(sent > 1_000, "{sent} of {planned} sent");
    assert!(
        u64::from(skipped_total) * 20 < planned as u64,
        "more than 5 % of the driver's plans would fail: {skipped:?}"
    );
    // Setup and vault transactions are never kept back.
    let setup_or_vault: Vec<&String> = skipped
        .keys()
        .filter(|k| k.contains("vault") || k.starts_with("create_") || k.starts_with("register"))
        .collect();
    assert!(setup_or_vault.is_empty(), "kept back: {skipped:?}");

    let setup = demo::setup_steps();
    let mut setup_committed = 0;
    let mut failed = Vec::new();
    let mut vault_actions: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for h in 1..=s.height().unwrap() {
        let block = s.block(Some(h)).unwrap();
        let in_setup = h <= setup.len() as u64;
        for t in &block.txs {
            if in_setup {
                setup_committed += 1;
            }
            let vault = t.action.starts_with("vault_") || t.action == "create_vault";
            if vault {
                let e = vault_actions.entry(t.action.clone()).or_default();
                e.0 += 1;
                e.1 += u32::from(!t.ok);
            }
            // No demo transaction fails: a failure in the demo is a bug to look at.
            if !t.ok {
                failed.push(format!(
                    "block {h} {}: {}",
                    t.action,
                    error_code(&s, t.hash)
                ));
            }
        }
    }
    assert!(failed.is_empty(), "failed transactions: {failed:#?}");
    // The history's proposal passed, was queued and applied.
    let gov = s
        .with_state(|st| {
            rampart_core::governance::governance_view(st, Some(0)).map(|g| g.proposals[0].clone())
        })
        .unwrap()
        .expect("the demo's proposal");
    assert_eq!(gov.status, "applied", "{gov:?}");
    assert_eq!(gov.votes.len(), 5, "four validators and a delegator voted");
    assert_eq!(
        s.with_state(|st| st.params().lst_fee_bps.get()).unwrap(),
        800
    );
    // None was refused at admission either: every setup transaction is in its block.
    assert_eq!(setup_committed, setup.iter().map(Vec::len).sum::<usize>());
    for action in [
        "create_vault",
        "vault_deposit",
        "vault_allocate",
        "vault_deallocate",
        "vault_harvest",
        "vault_withdraw_instant",
        "vault_request_withdrawal",
        "vault_claim",
        "vault_set_fees",
        "vault_set_policy",
    ] {
        assert!(
            vault_actions.get(action).is_some_and(|(n, _)| *n > 0),
            "the demo never ran {action}: {vault_actions:?}"
        );
    }
    let invariants = query(&s, json!({"query": "invariants"}));
    assert_eq!(invariants["ok"], true, "{invariants}");

    // The vaults earned and lost (slashes) and kept their positions within policy; the looser
    // rstETH policy (op3 added) applied after config_delay_s and the curator used it.
    for vault in ["rstETH", "rstRAM"] {
        let v = query(&s, json!({"query": "vault", "vault": vault}));
        let rate: u128 = v["rate_wad"].as_str().unwrap().parse().unwrap();
        assert!(rate > 0, "{vault}: {v}");
        let positions = v["positions"].as_array().unwrap();
        assert!(!positions.is_empty(), "{vault}: {v}");
        assert!(
            positions.iter().all(|p| p["allowed"] == true),
            "{vault}: {positions:?}"
        );
        assert!(
            v["rewards"]["earned"]
                .as_array()
                .is_some_and(|e| !e.is_empty()),
            "{vault} recognized rewards in its asset: {v}"
        );
    }
    let eth = query(&s, json!({"query": "vault", "vault": "rstETH"}));
    assert!(eth["pending_policy"].is_null(), "{eth}");
    assert!(
        eth["positions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["operator"] == addr("op3")),
        "{eth}"
    );

    // An LRT holder sees the vault layer in its position, yield and exit path.
    let grace = json!({"query": "yield", "account": addr("grace")});
    let y = query(&s, grace);
    assert!(
        y["layers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["layer"] == "vault" && !l["apr_bps"].is_null()),
        "{y}"
    );
    assert!(
        y["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["layer"] == "vault" && x["holding"] == "vault/rstRAM"),
        "{y}"
    );
    let p = query(&s, json!({"query": "position", "staker": addr("heidi")}));
    assert_eq!(p["vaults"][0]["vault"], "rstRAM", "{p}");
    let x = query(&s, json!({"query": "exit_path", "account": addr("heidi")}));
    assert!(
        x["paths"].as_array().unwrap().iter().any(|p| p["holding"]
            .as_str()
            .is_some_and(|h| h.starts_with("vault/rstRAM"))),
        "{x}"
    );
}
