//! The node's state machine boundary without HTTP: authorization, determinism, replay.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::{addr, temp_dir};
use rampart_api::types::TxStatus;
use rampart_node::chain::{Chain, replay_roots};
use rampart_node::demo::{self, Driver};
use rampart_node::{NodeConfig, Shared};
use rampart_storage::Store;
use serde_json::{Value, json};

const T0: u64 = 1_750_000_000;

fn shared(name: &str) -> Shared {
    let mut config = NodeConfig::new(temp_dir(name));
    config.block_interval_ms = Some(0);
    Shared::open(config, &demo::genesis(T0)).expect("opens")
}

/// Submits `txs` through the full admission path and commits one block `step_s` later.
fn block(s: &Shared, txs: &[(String, Value)], step_s: u64) -> Vec<alloy_primitives::B256> {
    let mut hashes = Vec::new();
    let mut next = std::collections::BTreeMap::new();
    for (name, action) in txs {
        let who = rampart_scenario::names::dev_address(name);
        let nonce = *next
            .entry(who)
            .or_insert_with(|| s.nonce(who).unwrap().next);
        let signed = demo::sign(name, action, nonce, 0).expect("signs");
        hashes.push(
            s.submit(signed)
                .unwrap_or_else(|e| panic!("{name} {action}: {e}")),
        );
        next.insert(who, nonce + 1);
    }
    let now = s.with_state(|st| st.now().get()).unwrap();
    s.produce_block_at(now + step_s).expect("block commits");
    hashes
}

fn receipt(s: &Shared, hash: &alloy_primitives::B256) -> rampart_api::types::ReceiptView {
    match s.tx_status(*hash).expect("known") {
        TxStatus::Committed { receipt } => *receipt,
        TxStatus::Pending { .. } => panic!("still pending"),
    }
}

#[test]
fn every_action_signed_by_the_wrong_account_is_rejected() {
    let s = shared("authz");
    for step in demo::setup_steps() {
        block(&s, &step, 10);
    }
    let queued = block(
        &s,
        &[(
            "alice".into(),
            json!({"tx": "queue_withdrawal", "operator": addr("op1"), "strategy": "stETH", "shares": "1000"}),
        )],
        10,
    );
    let withdrawal = receipt(&s, &queued[0]).outcome["withdrawal"].clone();
    let requested = block(
        &s,
        &[(
            "bridge".into(),
            json!({"tx": "slash", "operator": addr("op1"), "set": format!("{}/0", addr("bridge")), "strategies": ["stETH"], "wad": "1000"}),
        )],
        10,
    );
    let slash = receipt(&s, &requested[0]).outcome["slash"].clone();
    assert!(!withdrawal.is_null() && !slash.is_null(), "fixtures exist");
    let oracle0 = format!("{}/0", addr("oracle"));
    let oracle1 = format!("{}/1", addr("oracle"));
    // (action signed by mallory, the codes that count as a refusal of authority)
    let matrix: Vec<(Value, &[&str])> = vec![
        (
            json!({"tx": "transfer", "to": addr("mallory"), "asset": "stETH", "amount": "1"}),
            &["insufficient_balance"],
        ),
        (
            json!({"tx": "mint", "to": addr("mallory"), "asset": "stETH", "amount": "1"}),
            &["unauthorized"],
        ),
        (
            json!({"tx": "burn", "asset": "stETH", "amount": "1"}),
            &["unauthorized"],
        ),
        (
            json!({"tx": "set_operator_commitments", "max_total_wad": "1"}),
            &["unknown_operator"],
        ),
        (
            json!({"tx": "set_service_slasher", "slasher": addr("mallory")}),
            &["unknown_service"],
        ),
        (
            json!({"tx": "create_operator_set", "set_id": 9, "strategies": ["stETH"]}),
            &["unknown_service"],
        ),
        (
            json!({"tx": "approve_operator", "operator": addr("op1"), "set": oracle1}),
            &["unauthorized"],
        ),
        (
            json!({"tx": "register_for_set", "set": oracle0}),
            &["unknown_operator"],
        ),
        (
            json!({"tx": "deregister_from_set", "set": oracle0, "operator": addr("op1")}),
            &["unauthorized"],
        ),
        (
            json!({"tx": "delegate", "operator": addr("op1"), "strategy": "stETH", "shares": "1"}),
            &["insufficient_shares"],
        ),
        (
            json!({"tx": "allocate", "set": oracle0, "strategy": "stETH", "magnitude": "1"}),
            &["unknown_operator"],
        ),
        (
            json!({"tx": "queue_withdrawal", "operator": addr("op1"), "strategy": "stETH", "shares": "1"}),
            &["no_position"],
        ),
        (
            json!({"tx": "complete_withdrawal", "id": withdrawal}),
            &["unauthorized"],
        ),
        (
            json!({"tx": "redelegate", "from_operator": addr("op1"), "to_operator": addr("op2"), "strategy": "stETH", "shares": "1"}),
            &["no_position"],
        ),
        (
            json!({"tx": "slash", "operator": addr("op1"), "set": oracle0, "strategies": ["stETH"], "wad": "1000"}),
            &["unauthorized"],
        ),
        (json!({"tx": "veto_slash", "id": slash}), &["unauthorized"]),
        (
            json!({"tx": "register_asset", "symbol": "FAKE", "decimals": 18}),
            &["unauthorized"],
        ),
        (
            json!({"tx": "set_params", "withdrawal_delay_s": 1}),
            &["unauthorized"],
        ),
    ];
    let txs: Vec<(String, Value)> = matrix
        .iter()
        .map(|(a, _)| ("mallory".to_owned(), a.clone()))
        .collect();
    let root_before = s.status().unwrap().state_root;
    let hashes = block(&s, &txs, 1);
    let mut wrong = Vec::new();
    for ((action, allowed), hash) in matrix.iter().zip(&hashes) {
        let r = receipt(&s, hash);
        let code = r
            .error
            .as_ref()
            .map(|e| e.code.to_string())
            .unwrap_or_default();
        if r.ok || !allowed.contains(&code.as_str()) {
            wrong.push(format!("{}: ok={} code={code}", action["tx"], r.ok));
        }
    }
    assert!(wrong.is_empty(), "not refused as expected: {wrong:#?}");
    assert_ne!(
        s.status().unwrap().state_root,
        root_before,
        "mallory's nonce moved"
    );
    assert_eq!(
        s.nonce(rampart_scenario::names::dev_address("mallory"))
            .unwrap()
            .committed,
        matrix.len() as u64
    );
    // The right accounts can do what mallory could not.
    let controls = block(
        &s,
        &[
            (
                "bridge-council".into(),
                json!({"tx": "veto_slash", "id": slash}),
            ),
            (
                "oracle".into(),
                json!({"tx": "approve_operator", "operator": addr("op1"), "set": format!("{}/1", addr("oracle"))}),
            ),
            (
                "bridge".into(),
                json!({"tx": "mint", "to": addr("mallory"), "asset": "stETH", "amount": "1"}),
            ),
        ],
        1,
    );
    for h in controls {
        let r = receipt(&s, &h);
        assert!(r.ok, "{r:?}");
    }
}

#[test]
fn two_nodes_fed_the_same_blocks_agree_on_every_root_and_a_replay_reproduces_them() {
    let a = shared("det-a");
    let mut driver = Driver::new(7);
    let mut progress = |_| {};
    demo::run_history(&a, &mut driver, 40, 3_600, &mut progress).expect("history");
    let head = a.height().unwrap();
    assert_eq!(head, 40);
    // Node B: a fresh chain from the same genesis, fed node A's blocks through the follower path.
    let dir = temp_dir("det-b");
    let mut b = Chain::open(
        Store::open(&dir.join("chain.redb")).expect("store"),
        &demo::genesis(T0),
        rampart_api::tx::Verifier::new(demo::CHAIN_ID, rampart_api::TxLimits::default()),
    )
    .expect("chain");
    let mut txs = 0;
    for h in 1..=head {
        let body = a.block_body(h).expect("block");
        let stored = stored_block(&a, h, body);
        txs += stored.txs.len();
        let root = b.apply_block(&stored).expect("B accepts A's block");
        assert_eq!(root, stored.header.state_root, "root of block {h}");
    }
    assert!(
        txs > 100,
        "the blocks carried real activity ({txs} transactions)"
    );
    // A block whose root was tampered with is refused, and B stays at its head.
    let mut forged = stored_block(&a, head, a.block_body(head).expect("block"));
    forged.header.height = head + 1;
    assert!(b.apply_block(&forged).is_err());
    assert_eq!(b.head().height, head);
    // A replay from genesis of B's store gives the same roots.
    let replayed =
        replay_roots(b.store(), demo::CHAIN_ID, rampart_api::TxLimits::default()).expect("replay");
    assert_eq!(replayed.len() as u64, head + 1);
    for (h, root) in replayed.iter().skip(1) {
        assert_eq!(*root, a.block(Some(*h)).expect("block").header.state_root);
    }
}

fn stored_block(
    s: &Shared,
    h: u64,
    body: rampart_api::types::BlockBody,
) -> rampart_storage::StoredBlock {
    let view = s.block(Some(h)).expect("block");
    rampart_storage::StoredBlock {
        header: body.header,
        txs: body
            .txs
            .into_iter()
            .zip(view.txs)
            .map(|(signed, summary)| rampart_storage::StoredTx {
                hash: summary.hash,
                ok: summary.ok,
                signed,
            })
            .collect(),
        events: view.events,
        missed: vec![],
        evidence: vec![],
    }
}

#[test]
fn a_restarted_node_resumes_at_its_last_committed_block() {
    let dir = temp_dir("restart");
    let mut config = NodeConfig::new(dir.clone());
    config.block_interval_ms = Some(0);
    let (root, height) = {
        let s = Shared::open(config.clone(), &demo::genesis(T0)).expect("opens");
        let mut driver = Driver::new(3);
        demo::run_history(&s, &mut driver, 12, 600, &mut |_| {}).expect("history");
        let st = s.status().unwrap();
        (st.state_root, st.height)
    };
    let s = Shared::open(config, &demo::genesis(T0 + 999)).expect("reopens");
    let st = s.status().unwrap();
    assert_eq!((st.height, st.state_root), (height, root));
    let hashes = block(
        &s,
        &[(
            "alice".into(),
            json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": "1"}),
        )],
        5,
    );
    assert!(receipt(&s, &hashes[0]).ok);
    assert_eq!(s.height().unwrap(), height + 1);
}
