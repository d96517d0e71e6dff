//! Free spam: admission refuses what a signer cannot pay for (counting its pending
//! transactions), a network genesis without a base fee gets a non-zero one, each account has
//! its own admission rate, and the per-IP limit counts every signature of a batch.

mod common;

use common::{TestNode, addr};
use rampart_core::Amount;
use rampart_core::genesis::GenesisAccount;
use rampart_node::config::{NETWORK_BASE_FEE, network_genesis};
use rampart_node::demo;
use rampart_node::node::unix_now;
use rampart_scenario::names::dev_address;
use serde_json::json;
use std::collections::BTreeMap;

fn transfer() -> serde_json::Value {
    json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": "1"})
}

/// A network genesis (no base fee set) where `rich` holds plenty and `poor` 2.5 base fees.
fn network() -> rampart_core::Genesis {
    let fund = |name: &str, amount: u128| GenesisAccount {
        address: dev_address(name),
        balances: BTreeMap::from([("RAM".to_owned(), Amount::new(amount))]),
    };
    network_genesis(rampart_core::Genesis {
        chain_id: demo::CHAIN_ID,
        time: rampart_core::Timestamp::new(unix_now()),
        accounts: vec![
            fund("rich", 1_000 * NETWORK_BASE_FEE),
            fund("poor", NETWORK_BASE_FEE * 5 / 2),
        ],
        ..rampart_core::Genesis::default()
    })
}

fn code(r: Result<alloy_primitives::B256, rampart_node::client::ClientError>) -> String {
    r.expect_err("refused").code().unwrap_or("none").to_owned()
}

#[test]
fn a_network_genesis_has_a_base_fee_and_unfunded_keys_cannot_submit() {
    let t = TestNode::start_with("spam-fee", 0, &network(), |_| {});
    let params = t.client.query(&json!({"query": "params"})).expect("params");
    assert_eq!(params["base_fee"], json!(NETWORK_BASE_FEE.to_string()));
    // A never-funded key: no fee is below the base fee, the base fee is more than it holds.
    let free = demo::sign("stranger", &transfer(), 0, 0).unwrap();
    assert_eq!(code(t.client.submit(&free)), "fee_too_low");
    let paid = demo::sign("stranger", &transfer(), 0, NETWORK_BASE_FEE).unwrap();
    assert_eq!(code(t.client.submit(&paid)), "insufficient_balance");
    // The dev genesis states its zero fee, so it stays free through `network_genesis`.
    let dev = network_genesis(demo::genesis(0));
    assert_eq!(dev.params.base_fee, Some(Amount::ZERO));
}

#[test]
fn admission_counts_the_fees_of_the_signers_pending_transactions() {
    // No blocks: everything submitted stays pending.
    let t = TestNode::start_with("spam-pending", 3_600_000, &network(), |_| {});
    let sign = |n| demo::sign("poor", &transfer(), n, NETWORK_BASE_FEE).unwrap();
    t.client.submit(&sign(0)).expect("first fee is covered");
    t.client.submit(&sign(1)).expect("second fee is covered");
    let e = t.client.submit(&sign(2)).unwrap_err();
    assert_eq!(e.code(), Some("insufficient_balance"));
    assert!(e.to_string().contains("2 pending transactions"), "{e}");
}

#[test]
fn each_account_has_its_own_admission_rate() {
    let t = TestNode::start_with("spam-account-rate", 3_600_000, &network(), |c| {
        c.mempool.account_rate_per_s = 1;
        c.mempool.account_burst = 5;
    });
    let txs: Vec<_> = (0..8)
        .map(|n| demo::sign("rich", &transfer(), n, NETWORK_BASE_FEE).unwrap())
        .collect();
    let items = t.client.submit_batch(&txs).expect("batch answered");
    let codes: Vec<&str> = items
        .iter()
        .map(|i| match i {
            rampart_api::types::BatchItem::Accepted { .. } => "accepted",
            rampart_api::types::BatchItem::Rejected { error } => &error.code,
        })
        .collect();
    assert_eq!(&codes[..5], ["accepted"; 5]);
    assert_eq!(&codes[5..], ["rate_limited"; 3], "{codes:?}");
    // Another account is not held back by this one.
    let other = demo::sign("poor", &transfer(), 0, NETWORK_BASE_FEE).unwrap();
    t.client.submit(&other).expect("another account's own rate");
}

#[test]
fn the_per_ip_limit_counts_every_signature_of_a_batch() {
    let t = TestNode::start_with("spam-ip", 3_600_000, &network(), |c| {
        c.http.rate_limit_per_s = 2;
        c.http.rate_burst = 50;
    });
    // 40 signatures in one request pass (the bucket held tokens), and leave it in debt.
    let txs: Vec<_> = (0..40)
        .map(|n| demo::sign("rich", &transfer(), n, NETWORK_BASE_FEE).unwrap())
        .collect();
    t.client
        .submit_batch(&txs)
        .expect("the batch is let through");
    let mut limited = false;
    for _ in 0..15 {
        if let Err(e) = t.client.status() {
            assert_eq!(e.code(), Some("rate_limited"), "{e}");
            limited = true;
            break;
        }
    }
    assert!(
        limited,
        "15 requests after a 40-signature batch with a burst of 50 must be limited"
    );
}
