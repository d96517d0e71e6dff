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

#[test]
fn signed_by_attestations_are_checked_and_signed_with_the_named_dev_key() {
    let d = |b: &str| format!("0x{}", b.repeat(32));
    let evidence = |a: Value, b: Value| {
        json!({ "tx": "submit_double_sign_evidence", "from": "watcher", "operator": "op1",
                "set": "oracle/0", "height": 1, "digest_a": d("11"), "signature_a": a,
                "digest_b": d("22"), "signature_b": b })
    };
    let lines = run(json!([
        evidence(
            json!({"signed_by": "module:slash-escrow"}),
            json!({"signed_by": "op1"})
        ),
        evidence(
            json!({"signed_by": "op1", "colour": 1}),
            json!({"signed_by": "op1"})
        ),
        evidence(json!({"signed_by": "op1"}), json!({"signed_by": "op1"})),
    ]));
    let codes: Vec<&Value> = lines[..3].iter().map(|l| &l["error"]["code"]).collect();
    // Only named accounts sign; unknown fields are refused; a well-formed pair reaches the
    // protocol (op1 is not an operator in this scenario).
    assert_eq!(
        codes,
        ["invalid_input", "invalid_input", "unknown_operator"]
    );
    assert!(
        lines[0]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("has no dev key")),
        "{}",
        lines[0]
    );
}
