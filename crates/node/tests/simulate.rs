//! `POST /v1/simulate`: an unsigned action run as the signer's next transaction on the next
//! block. It changes nothing (root, height, balances, nonces), counts the signer's pending
//! transactions, reports refusals and action errors with their codes, and what it predicts is
//! what the signed transaction then does.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::{addr, temp_dir};
use rampart_node::client::Client;
use rampart_node::{NodeConfig, Shared, demo};
use serde_json::{Value, json};

const T0: u64 = 1_750_000_000;

fn simulate(client: &Client, from: &str, action: &str, args: Value) -> Value {
    client
        .post(
            "/v1/simulate",
            &json!({"from": from, "action": action, "args": args.to_string()}),
        )
        .unwrap()
}

#[test]
fn a_simulation_changes_nothing_and_predicts_the_signed_transaction() {
    let mut config = NodeConfig::new(temp_dir("simulate"));
    config.block_interval_ms = Some(0);
    config.http.rate_limit_per_s = 0;
    let s = Shared::open(config, &demo::genesis(T0)).expect("opens");
    s.produce_block_at(T0 + 10).unwrap();
    let (runtime, node) = common::serve(s);
    let client = Client::new(&format!("http://{}", node.addr));
    let (alice, bob) = (addr("alice"), addr("bob"));
    let balance = |who: &str| -> Value {
        client
            .query(&json!({"query": "balance", "account": who, "asset": "RAM"}))
            .unwrap()
    };
    let status_before: Value = client.get("/v1/status").unwrap();
    let bob_before = balance(&bob);
    let transfer = json!({"to": bob, "asset": "RAM", "amount": "1000000000000000000"});

    let sim = simulate(&client, &alice, "transfer", transfer.clone());
    assert_eq!(sim["ok"], true, "{sim}");
    assert_eq!(sim["nonce"], 0);
    assert_eq!(sim["height"], status_before["height"].as_u64().unwrap() + 1);
    assert!(!sim["events"].as_array().unwrap().is_empty(), "{sim}");
    // Nothing moved.
    let status_after: Value = client.get("/v1/status").unwrap();
    assert_eq!(status_after["state_root"], status_before["state_root"]);
    assert_eq!(status_after["height"], status_before["height"]);
    assert_eq!(balance(&bob), bob_before);
    assert_eq!(
        client.nonce(&alice.parse().unwrap()).unwrap().next,
        0,
        "a simulation takes no nonce"
    );

    // After a signed transaction of alice waits in the mempool, the next simulation is her
    // second transaction: nonce 1.
    let signed = demo::sign(
        "alice",
        &json!({"tx": "transfer", "to": bob, "asset": "RAM", "amount": "1000000000000000000"}),
        0,
        0,
    )
    .unwrap();
    let hash = client.submit(&signed).unwrap();
    let second = simulate(&client, &alice, "transfer", transfer.clone());
    assert_eq!(second["ok"], true, "{second}");
    assert_eq!(second["nonce"], 1, "{second}");

    // What it predicted is what the transaction does.
    node.shared.produce_block_at(T0 + 20).unwrap();
    let receipt = client
        .wait_receipt(&hash, std::time::Duration::from_secs(10))
        .unwrap();
    assert!(receipt.ok);
    assert_eq!(receipt.outcome, sim["outcome"]);
    assert_eq!(json!(receipt.events), sim["events"]);

    // An action that fails says why, with its code; a refusal before execution too.
    let nobody = format!("{:#x}", alloy_primitives::Address::repeat_byte(0x42));
    let broke = simulate(&client, &nobody, "transfer", transfer.clone());
    assert_eq!(broke["ok"], false, "{broke}");
    assert!(
        broke["error"]["code"].as_str().unwrap().len() > 2,
        "{broke}"
    );
    let claim = simulate(&client, &bob, "claim_rewards", json!({}));
    assert_eq!(claim["ok"], false, "{claim}");
    assert_eq!(claim["error"]["code"], "nothing_to_claim", "{claim}");

    // Malformed requests are the same errors a signed transaction would get.
    for (body, code) in [
        (
            json!({"from": "0x12", "action": "transfer", "args": transfer.to_string()}),
            "invalid_input",
        ),
        (
            json!({"from": alice, "action": "no_such_action", "args": "{}"}),
            "unknown_action",
        ),
        (
            json!({"from": alice, "action": "transfer", "args": "{\"to\":1,\"to\":2}"}),
            "invalid_input",
        ),
    ] {
        let err = client.post::<Value>("/v1/simulate", &body).unwrap_err();
        assert!(err.to_string().contains(code), "{body}: {err}");
    }
    runtime.block_on(node.shutdown());
}
