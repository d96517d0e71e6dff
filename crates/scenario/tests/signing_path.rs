//! A `tx` step goes through the node's path: EIP-712 signing with the named account's dev key,
//! the node's stateless verification (chain id, sizes, fields, signature), then execution as
//! the recovered signer.

use serde_json::{Value, json};

fn run(steps: Value) -> Vec<Value> {
    let scenario = json!({
        "genesis": {
            "assets": [ { "symbol": "stETH", "issuer": "bridge" } ],
            "accounts": [ { "name": "alice", "balances": { "stETH": "100" } } ]
        },
        "steps": steps
    });
    rampart_scenario::run(&scenario.to_string(), &mut |_| {})
        .expect("well formed")
        .lines
}

#[test]
fn args_larger_than_the_node_accepts_are_refused_with_payload_too_large() {
    let huge = "x".repeat(20_000);
    let lines = run(json!([
        { "tx": "register_operator", "from": "op1", "metadata_uri": huge, "expect_error": "payload_too_large" }
    ]));
    assert_eq!(lines[0]["ok"], true, "{}", lines[0]);
    assert_eq!(lines[0]["error"]["code"], "payload_too_large");
}

#[test]
fn only_named_accounts_sign_a_raw_address_or_module_account_cannot() {
    let lines = run(json!([
        { "tx": "transfer", "from": "0x00000000000000000000000000000000000000aa", "to": "alice", "asset": "stETH", "amount": "1" },
        { "tx": "transfer", "from": "module:fee-pool", "to": "alice", "asset": "stETH", "amount": "1" }
    ]));
    for line in &lines[..2] {
        assert_eq!(line["ok"], false);
        assert_eq!(line["error"]["code"], "invalid_input");
        assert!(
            line["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no dev key"),
            "{line}"
        );
    }
}

#[test]
fn an_amount_above_128_bits_is_amount_overflow_which_refines_invalid_input() {
    let too_big = "340282366920938463463374607431768211456";
    let lines = run(json!([
        { "tx": "deposit", "from": "alice", "asset": "stETH", "amount": too_big, "expect_error": "invalid_input" },
        { "tx": "deposit", "from": "alice", "asset": "stETH", "amount": too_big, "expect_error": "amount_overflow" },
        { "tx": "deposit", "from": "alice", "asset": "stETH", "amount": "-1", "expect_error": "amount_overflow" }
    ]));
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["error"]["code"], "amount_overflow");
    assert_eq!(lines[1]["ok"], true);
    // A malformed number is invalid input, not an overflow: the refinement goes one way only.
    assert_eq!(lines[2]["ok"], false);
    assert_eq!(lines[2]["error"]["code"], "invalid_input");
}

#[test]
fn the_signer_is_the_recovered_key_so_authority_follows_the_name() {
    let lines = run(json!([
        { "tx": "mint", "from": "alice", "to": "alice", "asset": "stETH", "amount": "1", "expect_error": "unauthorized" },
        { "tx": "mint", "from": "bridge", "to": "alice", "asset": "stETH", "amount": "1" },
        { "query": "balance", "account": "alice", "asset": "stETH", "expect": { "amount": "101" } }
    ]));
    assert!(lines.iter().all(|l| l["ok"] == true), "{lines:#?}");
}
