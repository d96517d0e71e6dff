//! Connection hygiene and HTTP-layer errors, over raw TCP: idle and trickling connections are
//! closed, connection caps answer a JSON 503, every error the HTTP layer produces (400, 408,
//! 414, 431, bad UTF-8 in a path) is JSON with a code, a committed transaction replayed after its
//! signer's balance is gone is `already_known`, and `/metrics` shows the height after a restart.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::{TestNode, addr};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Sends raw bytes and reads until the server closes (or the read times out).
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = connect(addr);
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The status and JSON body of a raw response.
fn parse(response: &str) -> (u16, Value) {
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body:?}"));
    (status, body)
}

fn node_addr(t: &TestNode) -> SocketAddr {
    t.node.as_ref().unwrap().addr
}

#[test]
fn every_error_of_the_http_layer_is_json_with_a_code() {
    let t = TestNode::start("hyg-errors", 0, |c| {
        c.http.max_uri_bytes = 1024;
        c.http.max_headers = 20;
        c.http.body_timeout_ms = 300;
    });
    let a = node_addr(&t);
    let cases: Vec<(Vec<u8>, u16, &str)> =
        vec![
        (b"NOT HTTP AT ALL\r\n\r\n".to_vec(), 400, "malformed_request"),
        (
            format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000)).into_bytes(),
            414,
            "uri_too_long",
        ),
        (
            format!("GET /v1/{} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", "a".repeat(2000))
                .into_bytes(),
            414,
            "uri_too_long",
        ),
        (
            format!(
                "GET /v1/status HTTP/1.1\r\nhost: x\r\n{}\r\n",
                (0..40).map(|i| format!("x-h{i}: v\r\n")).collect::<String>()
            )
            .into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            b"GET /v1/tx/%FF%FE HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
            400,
            "invalid_input",
        ),
        (
            b"GET /v1/query/balance?account=%FF HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
                .to_vec(),
            400,
            "invalid_input",
        ),
        (
            b"POST /v1/query HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{".to_vec(),
            408,
            "request_timeout",
        ),
        (
            b"DELETE /v1/status HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
            405,
            "method_not_allowed",
        ),
    ];
    for (request, status, code) in cases {
        let response = exchange(a, &request);
        let (got, body) = parse(&response);
        let shown = String::from_utf8_lossy(&request[..request.len().min(60)]).into_owned();
        assert_eq!(got, status, "{shown}: {response}");
        assert_eq!(body["code"], code, "{shown}: {body}");
    }
}

#[test]
fn idle_and_trickling_connections_are_closed_and_caps_answer_a_json_503() {
    let t = TestNode::start("hyg-conns", 0, |c| {
        c.http.idle_timeout_ms = 300;
        c.http.max_connections_per_ip = 3;
    });
    let a = node_addr(&t);
    // Idle: nothing sent, closed after the idle timeout.
    let mut idle = connect(a);
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let n = idle.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "closed without a response");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // Trickling headers: closed too, although bytes keep coming.
    let mut slow = connect(a);
    slow.write_all(b"GET /v1/status HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(100));
        if slow.write_all(b"x-a: b\r\n").is_err() {
            closed = true;
            break;
        }
    }
    let _ = slow.read(&mut buf);
    assert!(
        closed || slow.read(&mut buf).unwrap_or(0) == 0,
        "a trickling client is cut off"
    );
    // The per-IP cap: the fourth open connection gets a JSON 503.
    let held: Vec<TcpStream> = (0..3).map(|_| connect(a)).collect();
    std::thread::sleep(Duration::from_millis(50));
    let (status, body) = parse(&exchange(a, b"GET /v1/status HTTP/1.1\r\nhost: x\r\n\r\n"));
    assert_eq!(status, 503);
    assert_eq!(body["code"], "too_many_connections");
    drop(held);
    std::thread::sleep(Duration::from_millis(100));
    let ok = exchange(
        a,
        b"GET /v1/status HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
}

#[test]
fn a_committed_transaction_replayed_after_its_signer_is_drained_is_already_known() {
    let t = TestNode::start("hyg-replay", 50, |_| {});
    let who = rampart_scenario::names::dev_address("alice");
    let nonce = t.client.nonce(&who).unwrap().next;
    let tip = 1_000u128;
    let first = rampart_node::demo::sign_with_tip(
        "alice",
        &json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": "1"}),
        nonce,
        0,
        tip,
    )
    .unwrap();
    let hash = t.client.submit(&first).unwrap();
    assert!(
        t.client
            .wait_receipt(&hash, Duration::from_secs(30))
            .unwrap()
            .ok
    );
    let balance = t
        .client
        .query(&json!({"query": "balance", "account": addr("alice"), "asset": "RAM"}))
        .unwrap();
    let all = balance["amount"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| balance["balance"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("balance: {balance}"));
    let drain = t.run(
        "alice",
        &json!({"tx": "transfer", "to": addr("bob"), "asset": "RAM", "amount": all}),
    );
    assert!(drain.ok, "{drain:?}");
    let err = t.client.submit(&first).unwrap_err();
    assert_eq!(err.code(), Some("already_known"), "{err}");
}

#[test]
fn metrics_show_the_stored_height_right_after_a_restart() {
    let dir = common::temp_dir("hyg-metrics");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let genesis = rampart_node::demo::genesis(rampart_node::node::unix_now());
    let mut config = rampart_node::NodeConfig::new(dir.clone());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.block_interval_ms = Some(0);
    let shared = rampart_node::Shared::open(config.clone(), &genesis).unwrap();
    for _ in 0..3 {
        shared.produce_block().unwrap();
    }
    drop(shared);
    let node = runtime
        .block_on(rampart_node::start(config, &genesis))
        .unwrap();
    let client = rampart_node::client::Client::new(&format!("http://{}", node.addr));
    let (_, text) = client.raw("GET", "/metrics", &[]).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("rampart_height"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.ends_with(" 3"), "{line}");
    runtime.block_on(node.shutdown());
}
