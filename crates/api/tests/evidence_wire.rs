//! The wire form of `submit_double_sign_evidence` and `set_signing_key` (issue 12): the node's
//! transaction parsing takes `set` as `"<service>/<id>"`, digests as 32-byte `0x` hex and
//! signatures as 65-byte `r ‖ s ‖ v` `0x` hex, exactly as `rampart attest` and any EIP-712 wallet
//! print them; anything else is `invalid_input` before execution.
#![allow(clippy::unwrap_used)]

use rampart_api::{UnsignedTx, codes, verify};
use rampart_core::Action;
use serde_json::{Value, json};

const CHAIN: u64 = 31_337;

/// Literal attestations of digests 0xaa…aa and 0xbb…bb for oracle/0 at height 42 by the dev key
/// of `op1`, made with ethers 6.17.0 (see tests/scenarios/double-sign-evidence-*.json).
fn evidence() -> Value {
    json!({
        "tx": "submit_double_sign_evidence",
        "operator": "0x44bcf83f450fa8e093fc601ca29eed19720e431c",
        "set": "0xf5153655d72563895c5b60b0a60aaf727a1c50e7/0",
        "height": 42,
        "digest_a": format!("0x{}", "aa".repeat(32)),
        "signature_a": "0xb7698fd1ef25b25d7191d640dcd32930d1c908cd13adb3fd2ba3e6352f4cc32a09d8b03b9bac42982d461666dade880ec90f8b615aecd7c27acc39626dd622771c",
        "digest_b": format!("0x{}", "bb".repeat(32)),
        "signature_b": "0xfbd3635e88dada3a40ce5e6a226e96fe7434440518bd57fbbd2990eb6fa4d3542a13b68784b3d72eaefec2bf00a244e60729689bd830fb802839077e60e527541b",
    })
}

fn submit(action: &Value) -> Result<Action, String> {
    let key = k256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap();
    let signed = UnsignedTx::from_action_json(action, 0, 0, 0)
        .unwrap()
        .sign(&key, CHAIN)
        .unwrap();
    verify(signed, CHAIN)
        .map(|v| v.tx.action)
        .map_err(|e| e.code.into_owned())
}

#[test]
fn the_documented_json_parses_into_the_action() {
    let Action::SubmitDoubleSignEvidence(args) = submit(&evidence()).unwrap() else {
        panic!("another action");
    };
    assert_eq!(args.height, 42);
    assert_eq!(args.set.id, 0);
    assert_eq!(args.signature_a.len(), 65);
    assert_eq!(args.digest_b.0, [0xbb; 32]);
    let rotate = json!({"tx": "set_signing_key", "signing_key": "0x44bcf83f450fa8e093fc601ca29eed19720e431c"});
    assert!(matches!(
        submit(&rotate).unwrap(),
        Action::SetSigningKey { .. }
    ));
}

#[test]
fn malformed_fields_are_invalid_input_before_execution() {
    let cases: [(&str, Value); 6] = [
        ("digest_a", json!(format!("0x{}", "aa".repeat(31)))),
        ("digest_b", json!("not hex")),
        ("signature_a", json!("0xzz")),
        ("set", json!("0xf5153655d72563895c5b60b0a60aaf727a1c50e7")),
        ("height", json!(-1)),
        ("operator", json!("op1")),
    ];
    for (field, value) in cases {
        let mut action = evidence();
        action[field] = value;
        assert_eq!(
            submit(&action),
            Err(codes::INVALID_INPUT.to_owned()),
            "{field}"
        );
    }
    let mut extra = evidence();
    extra["reason"] = json!("x");
    assert_eq!(submit(&extra), Err(codes::INVALID_INPUT.to_owned()));
    let mut missing = evidence();
    missing.as_object_mut().unwrap().remove("signature_b");
    assert_eq!(submit(&missing), Err(codes::INVALID_INPUT.to_owned()));
}
