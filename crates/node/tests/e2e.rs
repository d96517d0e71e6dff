//! End-to-end: a node on loopback driven over HTTP.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::{TestNode, addr};
use rampart_api::UnsignedTx;
use rampart_api::types::{BlockView, ProofView, TxStatus};
use serde_json::{Value, json};
use std::time::Duration;

#[test]
fn a_signed_transaction_lands_in_a_block_with_its_receipt_events_and_a_provable_balance() {
    let t = TestNode::start("lands", 100, |_| {});
    let r = t.run(
        "alice",
        &json!({"tx": "transfer", "to": addr("bob"), "asset": "stETH", "amount": "5"}),
    );
    assert!(r.ok, "{r:?}");
    assert_eq!(r.action, "transfer");
    assert_eq!(r.events[0]["event"], "transferred");
    assert_eq!(r.events[0]["asset"], "stETH");
    let block: BlockView = t.client.get(&format!("/v1/blocks/{}", r.height)).unwrap();
    assert_eq!(block.txs[0].hash, r.hash);
    assert_eq!(block.header.hash, block.header.compute_hash());
    let proof: ProofView = t
        .client
        .get(&format!("/v1/proof/balance/{}/stETH", addr("bob")))
        .unwrap();
    assert!(proof.verify());
    let mut forged = proof.clone();
    forged.value = Some("00".repeat(16));
    assert!(!forged.verify());
    let status = t.client.tx_status(&r.hash).unwrap();
    assert!(matches!(status, TxStatus::Committed { .. }));
}

#[test]
fn every_query_answers_over_post_and_get() {
    let t = TestNode::start("queries", 100, |_| {});
    t.setup_demo();
    let set = format!("{}/0", addr("oracle"));
    let queries = [
        json!({"query": "balance", "account": addr("alice"), "asset": "RAM"}),
        json!({"query": "asset", "asset": "stETH"}),
        json!({"query": "strategy", "strategy": "stETH"}),
        json!({"query": "operator", "operator": addr("op1")}),
        json!({"query": "service", "service": addr("oracle")}),
        json!({"query": "operator_set", "set": set}),
        json!({"query": "position", "staker": addr("alice")}),
        json!({"query": "withdrawals", "staker": addr("alice")}),
        json!({"query": "slash_requests", "service": addr("bridge")}),
        json!({"query": "params"}),
        json!({"query": "invariants"}),
        json!({"query": "state_root"}),
    ];
    for q in &queries {
        let mut params = Vec::new();
        for (k, v) in q.as_object().unwrap() {
            if k != "query" {
                params.push(format!("{k}={}", v.as_str().unwrap()));
            }
        }
        let path = format!(
            "/v1/query/{}?{}",
            q["query"].as_str().unwrap(),
            params.join("&")
        );
        // The node keeps producing blocks: an answer that names its height (the state root
        // changes every block) is compared between two reads of the same height.
        let mut tries = 0;
        loop {
            let by_post = t.client.query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
            let by_get: Value = t
                .client
                .get(&path)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            tries += 1;
            if by_post.get("height").is_some()
                && by_post["height"] != by_get["height"]
                && tries < 20
            {
                continue;
            }
            assert_eq!(by_post, by_get, "{path}");
            break;
        }
    }
    let position = t.client.query(&queries[6]).unwrap();
    assert!(!position["positions"].as_array().unwrap().is_empty());
    let e = t.client.query(&json!({"query": "teleport"})).unwrap_err();
    assert_eq!(e.code(), Some("unknown_query"));
}

#[test]
fn replayed_and_out_of_order_nonces_and_other_chains_are_rejected_before_execution() {
    let t = TestNode::start("replay", 100, |_| {});
    let action = json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": "1"});
    let signed = t.sign("alice", &action);
    let hash = t.client.submit(&signed).unwrap();
    let again = t.client.submit(&signed).unwrap_err();
    assert_eq!(again.code(), Some("already_known"));
    t.client
        .wait_receipt(&hash, Duration::from_secs(30))
        .unwrap();
    let replay = t.client.submit(&signed).unwrap_err();
    assert!(
        matches!(replay.code(), Some("already_known" | "bad_nonce")),
        "{replay}"
    );
    let other = json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": "2"});
    let resigned = rampart_node::demo::sign("alice", &other, 0, 0).unwrap();
    assert_eq!(
        t.client.submit(&resigned).unwrap_err().code(),
        Some("bad_nonce")
    );
    let gap = rampart_node::demo::sign("alice", &other, 5, 0).unwrap();
    assert_eq!(t.client.submit(&gap).unwrap_err().code(), Some("bad_nonce"));
    let key = rampart_scenario::names::dev_signing_key("alice");
    let other_chain = UnsignedTx::from_action_json(&action, 1, 0, 0)
        .unwrap()
        .sign(&key, 1)
        .unwrap();
    assert_eq!(
        t.client.submit(&other_chain).unwrap_err().code(),
        Some("wrong_chain_id")
    );
    let mut relabelled = other_chain;
    relabelled.chain_id = rampart_node::demo::CHAIN_ID;
    assert_eq!(
        t.client.submit(&relabelled).unwrap_err().code(),
        Some("bad_signature")
    );
    let nonce = t
        .client
        .nonce(&rampart_scenario::names::dev_address("alice"))
        .unwrap();
    assert_eq!(
        (nonce.committed, nonce.next),
        (1, 1),
        "nothing rejected consumed a nonce"
    );
}

#[test]
fn malformed_wrong_typed_huge_and_overflowing_requests_get_clear_errors_and_the_node_stays_healthy()
{
    let t = TestNode::start("malformed", 100, |_| {});
    let c = &t.client;
    let code = |(status, body): (u16, String)| -> (u16, String) {
        let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
        assert!(v["message"].is_string(), "{body}");
        (status, v["code"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(
        code(c.raw("POST", "/v1/tx", b"{ not json").unwrap()),
        (400, "malformed_json".into())
    );
    assert_eq!(
        code(c.raw("POST", "/v1/tx", br#"{"chain_id": "x"}"#).unwrap()),
        (400, "invalid_input".into())
    );
    // Above the 64 KiB limit, small enough for the loopback socket buffer (the node answers
    // 413 before reading the body, and a client still writing would see a closed pipe).
    let huge = vec![b'a'; 200 * 1024];
    let node_addr = t.node.as_ref().unwrap().addr;
    assert_eq!(
        code(raw_post(node_addr, "/v1/tx", &huge)),
        (413, "payload_too_large".into())
    );
    assert_eq!(
        code(raw_post(node_addr, "/v1/query", &huge)),
        (413, "payload_too_large".into())
    );
    let mut signed = t.sign(
        "alice",
        &json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": "1"}),
    );
    signed.fee = "1".repeat(80);
    let body = serde_json::to_vec(&signed).unwrap();
    assert_eq!(
        code(c.raw("POST", "/v1/tx", &body).unwrap()).1,
        "invalid_input"
    );
    signed.fee = format!("{}", u128::MAX) + "0";
    let body = serde_json::to_vec(&signed).unwrap();
    assert_eq!(
        code(c.raw("POST", "/v1/tx", &body).unwrap()).1,
        "amount_overflow"
    );
    let overflow_args = json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": format!("{}9", u128::MAX)});
    let signed = t.sign("alice", &overflow_args);
    assert_eq!(
        t.client.submit(&signed).unwrap_err().code(),
        Some("amount_overflow")
    );
    let wrong_type = json!({"tx": "transfer", "to": addr("bob"), "asset": 7, "amount": "1"});
    assert_eq!(
        t.client
            .submit(&t.sign("alice", &wrong_type))
            .unwrap_err()
            .code(),
        Some("invalid_input")
    );
    let unknown = json!({"tx": "teleport", "to": addr("bob")});
    assert_eq!(
        t.client
            .submit(&t.sign("alice", &unknown))
            .unwrap_err()
            .code(),
        Some("unknown_action")
    );
    let big_args = json!({"tx": "register_operator", "metadata_uri": "x".repeat(40_000)});
    let big = serde_json::to_vec(&t.sign("op1", &big_args)).unwrap();
    assert_eq!(
        code(raw_post(node_addr, "/v1/tx", &big)).1,
        "payload_too_large"
    );
    assert_eq!(
        code(c.raw("POST", "/v1/query", b"[1,2]").unwrap()).1,
        "invalid_input"
    );
    assert_eq!(
        code(
            c.raw(
                "POST",
                "/v1/query",
                br#"{"query": "balance", "account": 5}"#
            )
            .unwrap()
        )
        .1,
        "invalid_input"
    );
    assert_eq!(
        code(c.raw("GET", "/v1/blocks/banana", b"").unwrap()),
        (400, "invalid_input".into())
    );
    assert_eq!(
        code(c.raw("GET", "/v1/blocks/99999999", b"").unwrap()),
        (404, "not_found".into())
    );
    assert_eq!(
        code(c.raw("GET", "/nowhere", b"").unwrap()),
        (404, "not_found".into())
    );
    assert_eq!(
        code(c.raw("DELETE", "/v1/tx", b"").unwrap()),
        (405, "method_not_allowed".into())
    );
    let r = t.run(
        "alice",
        &json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": "1"}),
    );
    assert!(r.ok, "the node still commits transactions");
    let invariants = t.client.query(&json!({"query": "invariants"})).unwrap();
    assert_eq!(invariants["ok"], true, "{invariants}");
}

#[test]
fn requests_above_the_rate_limit_get_rate_limited() {
    let t = TestNode::start("ratelimit", 100, |c| {
        c.http.rate_limit_per_s = 1;
        c.http.rate_burst = 5;
    });
    let codes: Vec<u16> = (0..20)
        .map(|_| t.client.raw("GET", "/v1/status", b"").unwrap().0)
        .collect();
    assert!(codes.iter().take(5).all(|c| *c == 200), "{codes:?}");
    assert!(codes.contains(&429), "{codes:?}");
}

#[test]
fn openapi_metrics_batches_and_the_event_stream_are_served() {
    let t = TestNode::start("surface", 100, |_| {});
    let doc: Value = t.client.get("/openapi.json").unwrap();
    for path in [
        "/v1/tx",
        "/v1/txs",
        "/v1/query",
        "/v1/blocks/{height}",
        "/v1/proof/{key}",
        "/v1/events",
        "/metrics",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"].get("SignedTx").is_some());
    let txs: Vec<_> = (0..3)
        .map(|n| {
            rampart_node::demo::sign(
                "carol",
                &json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": "1"}),
                n,
                0,
            )
            .unwrap()
        })
        .collect();
    let items = t.client.submit_batch(&txs).unwrap();
    assert!(
        items
            .iter()
            .all(|i| matches!(i, rampart_api::types::BatchItem::Accepted { .. })),
        "{items:?}"
    );
    let (status, text) = t.client.raw("GET", "/metrics", b"").unwrap();
    assert_eq!(status, 200);
    for m in [
        "rampart_height",
        "rampart_tx_per_second",
        "rampart_mempool_size",
        "rampart_commit_latency_seconds_bucket",
    ] {
        assert!(text.contains(m), "{m} missing");
    }
    // The event stream: read until a `transferred` event arrives.
    let addr = t.node.as_ref().unwrap().addr;
    let reader = std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(s, "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let lines = BufReader::new(s).lines();
        lines
            .map_while(Result::ok)
            .find(|l| l.contains("\"transferred\""))
            .is_some()
    });
    std::thread::sleep(Duration::from_millis(300));
    t.run(
        "dave",
        &json!({"tx": "transfer", "to": common::addr("bob"), "asset": "RAM", "amount": "1"}),
    );
    assert!(
        reader.join().unwrap(),
        "the event stream delivered the transfer"
    );
}

/// POSTs over a raw socket, ignoring a write cut short by an early answer, and reads the
/// answer's status and body.
fn raw_post(addr: std::net::SocketAddr, path: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s
        .write_all(head.as_bytes())
        .and_then(|()| s.write_all(body));
    let mut response = Vec::new();
    let _ = s.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
