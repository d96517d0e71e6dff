//! Hostile input at the HTTP API: signed `args` whose text reads differently from what would run
//! (duplicate keys, escapes, invisible characters, mis-checksummed addresses) are refused with
//! `invalid_input`; amounts as JSON numbers above `u64` are exact; oversized names and fees get
//! the codes `docs/node.md` documents; mixed-case addresses need their EIP-55 checksum in `from`,
//! inside `args` and in queries.

mod common;

use alloy_primitives::Address;
use common::{TestNode, addr};
use rampart_api::{SignedTx, UnsignedTx};
use rampart_node::demo;
use rampart_scenario::names::{dev_address, dev_signing_key};
use serde_json::json;

/// Signs `args` (raw text, exactly as a hostile client would) as `name` at its next nonce.
fn sign_raw(t: &TestNode, name: &str, action: &str, args: &str, fee: u128) -> SignedTx {
    let nonce = t.client.nonce(&dev_address(name)).expect("nonce").next;
    UnsignedTx {
        action: action.to_owned(),
        args: args.to_owned(),
        nonce,
        fee,
        priority_tip: 0,
    }
    .sign(&dev_signing_key(name), demo::CHAIN_ID)
    .expect("sign")
}

fn submit_code(t: &TestNode, tx: &SignedTx) -> String {
    let e = t.client.submit(tx).expect_err("refused");
    e.code().unwrap_or("none").to_owned()
}

fn balance(t: &TestNode, name: &str, asset: &str) -> u128 {
    let v = t
        .client
        .query(&json!({"query": "balance", "account": addr(name), "asset": asset}))
        .expect("balance");
    v["amount"]
        .as_str()
        .or_else(|| v["balance"].as_str())
        .unwrap_or_else(|| panic!("no amount in {v}"))
        .parse()
        .expect("decimal")
}

#[test]
fn signed_args_that_read_differently_from_what_runs_are_refused() {
    let t = TestNode::start("hostile-args", 100, |_| {});
    let (a, b) = (addr("bob"), addr("carol"));
    let cases = [
        format!(r#"{{"to":"{a}","asset":"RAM","amount":"1000","to":"{b}","amount":"7"}}"#),
        format!(r#"{{"to":"{a}","asset":"RAM","amount":"1000","\u0074o":"{b}"}}"#),
        format!(r#"{{"to":"{a}","asset":"\u0052AM","amount":"1000"}}"#),
        format!("{{\"to\":\"{a}\",\"asset\":\"R\u{202E}AM\",\"amount\":\"1000\"}}"),
    ];
    let before = balance(&t, "carol", "RAM");
    for args in cases {
        let tx = sign_raw(&t, "alice", "transfer", &args, 0);
        assert_eq!(submit_code(&t, &tx), "invalid_input", "{args}");
    }
    assert_eq!(balance(&t, "carol", "RAM"), before);
    let e = t
        .client
        .submit(&sign_raw(
            &t,
            "alice",
            "transfer",
            &format!(r#"{{"to":"{a}","amount":"1","to":"{b}","asset":"RAM"}}"#),
            0,
        ))
        .unwrap_err();
    assert!(e.to_string().contains("duplicate key `to`"), "{e}");
}

#[test]
fn an_amount_as_a_json_number_above_u64_is_exact() {
    let t = TestNode::start("hostile-wide", 100, |_| {});
    let amount: u128 = 20_000_000_000_000_000_000; // 20 RAM, above u64::MAX
    assert!(amount > u128::from(u64::MAX));
    let before = balance(&t, "bob", "RAM");
    let args = format!(
        r#"{{"to":"{}","asset":"RAM","amount":{amount}}}"#,
        addr("bob")
    );
    let hash = t
        .client
        .submit(&sign_raw(&t, "alice", "transfer", &args, 0))
        .expect("accepted");
    let receipt = t
        .client
        .wait_receipt(&hash, std::time::Duration::from_secs(20))
        .expect("committed");
    assert!(receipt.ok, "{receipt:?}");
    assert_eq!(balance(&t, "bob", "RAM") - before, amount);
    let too_wide = format!(
        r#"{{"to":"{}","asset":"RAM","amount":{}0}}"#,
        addr("bob"),
        u128::MAX
    );
    let tx = sign_raw(&t, "alice", "transfer", &too_wide, 0);
    assert_eq!(submit_code(&t, &tx), "amount_overflow");
}

#[test]
fn oversized_action_names_and_fees_get_their_documented_codes() {
    let t = TestNode::start("hostile-codes", 100, |_| {});
    let args = format!(r#"{{"to":"{}","asset":"RAM","amount":"1"}}"#, addr("bob"));
    let long = sign_raw(&t, "alice", &"x".repeat(65), &args, 0);
    assert_eq!(submit_code(&t, &long), "payload_too_large");
    let mut fee = sign_raw(&t, "alice", "transfer", &args, 0);
    fee.fee = format!("1{}", "0".repeat(100));
    assert_eq!(submit_code(&t, &fee), "amount_overflow");
    let mut not_a_number = sign_raw(&t, "alice", "transfer", &args, 0);
    not_a_number.fee = "12a".into();
    assert_eq!(submit_code(&t, &not_a_number), "invalid_input");
}

/// An address with one letter's case flipped: still hex, but not its EIP-55 checksum.
fn bad_checksum(address: Address) -> String {
    let good = address.to_checksum(None);
    let i = good[2..]
        .find(|c: char| c.is_ascii_alphabetic())
        .expect("a letter")
        + 2;
    let mut bytes = good.into_bytes();
    bytes[i] ^= 0x20;
    String::from_utf8(bytes).expect("ascii")
}

#[test]
fn mixed_case_addresses_need_their_eip55_checksum() {
    let t = TestNode::start("hostile-eip55", 100, |_| {});
    let bob = dev_address("bob");
    let good_args = |to: &str| format!(r#"{{"to":"{to}","asset":"RAM","amount":"5"}}"#);

    // Inside args: a checksummed address commits, a mis-checksummed one is refused.
    let tx = sign_raw(
        &t,
        "alice",
        "transfer",
        &good_args(&bob.to_checksum(None)),
        0,
    );
    let hash = t.client.submit(&tx).expect("checksummed address accepted");
    let r = t
        .client
        .wait_receipt(&hash, std::time::Duration::from_secs(20))
        .expect("committed");
    assert!(r.ok, "{r:?}");
    let tx = sign_raw(&t, "alice", "transfer", &good_args(&bad_checksum(bob)), 0);
    let e = t.client.submit(&tx).unwrap_err();
    assert_eq!(e.code(), Some("invalid_input"));
    assert!(e.to_string().contains("EIP-55"), "{e}");

    // In `from`: the envelope's address is checked the same way.
    let tx = sign_raw(&t, "alice", "transfer", &good_args(&addr("bob")), 0);
    let mut body = serde_json::to_value(&tx).expect("json");
    body["from"] = json!(bad_checksum(dev_address("alice")));
    let (status, text) = t
        .client
        .raw("POST", "/v1/tx", body.to_string().as_bytes())
        .expect("answer");
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("invalid_input") && text.contains("EIP-55"),
        "{text}"
    );
    body["from"] = json!(dev_address("alice").to_checksum(None));
    let (status, text) = t
        .client
        .raw("POST", "/v1/tx", body.to_string().as_bytes())
        .expect("answer");
    assert_eq!(status, 202, "{text}");

    // In queries and paths, with a message that shows the expected form.
    let e = t
        .client
        .query(&json!({"query": "balance", "account": bad_checksum(bob), "asset": "RAM"}))
        .unwrap_err();
    assert_eq!(e.code(), Some("invalid_input"));
    let (status, text) = t
        .client
        .raw("GET", "/v1/accounts/0x1234/nonce", b"")
        .expect("answer");
    assert_eq!(status, 400);
    assert!(text.contains("an address has 40"), "{text}");
}
