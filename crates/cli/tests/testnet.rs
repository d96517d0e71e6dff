//! `rampart testnet` over loopback (issue 11): four validator processes, transactions sent to
//! different nodes all commit on every node, every node has the same root at a common height,
//! and a SIGKILLed node restarted on its directory catches up.
#![cfg(feature = "bft")]
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

#[path = "../../node/tests/common/browser.rs"]
mod browser;

use rampart_node::client::Client;
use rampart_scenario::names::{dev_address, dev_signing_key};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free block of 8 ports (HTTP 4, p2p 4).
fn first_port() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let p = l.local_addr().unwrap().port();
        drop(l);
        if p < 60_000 && (0..8).all(|i| std::net::TcpListener::bind(("127.0.0.1", p + i)).is_ok()) {
            return p;
        }
    }
}

struct Kill(Vec<Child>);
impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

fn wait_height(clients: &[Client], height: u64, limit: Duration) {
    let start = Instant::now();
    loop {
        let heights: Vec<u64> = clients
            .iter()
            .map(|c| c.status().map(|s| s.height).unwrap_or(0))
            .collect();
        if heights.iter().all(|h| *h >= height) {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "heights {heights:?} below {height}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn root_at(c: &Client, h: u64) -> String {
    let b: serde_json::Value = c.get(&format!("/v1/blocks/{h}")).unwrap();
    b["header"]["state_root"].to_string()
}

#[test]
fn four_processes_agree_and_a_killed_one_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let p = first_port();
    let testnet = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args([
            "testnet",
            "--validators",
            "4",
            "--first-port",
            &p.to_string(),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("RAMPART_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = Kill(vec![testnet]);
    let clients: Vec<Client> = (0..4)
        .map(|i| Client::new(&format!("http://127.0.0.1:{}", p + i)))
        .collect();
    for c in &clients {
        c.wait_ready(Duration::from_secs(60)).unwrap();
    }
    wait_height(&clients, 3, Duration::from_secs(60));
    // One transfer from each of four accounts, each sent to a different node.
    let mut hashes = Vec::new();
    for (i, name) in ["alice", "bob", "carol", "dave"].iter().enumerate() {
        let action = serde_json::json!({
            "tx": "transfer", "to": format!("{:#x}", dev_address("erin")), "asset": "RAM", "amount": "1",
        });
        let unsigned =
            rampart_api::UnsignedTx::from_action_json(&action, 0, 1_000_000_000_000_000, 0)
                .unwrap();
        let signed = unsigned.sign(&dev_signing_key(name), 1337).unwrap();
        hashes.push(clients[i].submit(&signed).unwrap());
    }
    for c in &clients {
        for h in &hashes {
            let r = c.wait_receipt(h, Duration::from_secs(60)).unwrap();
            assert!(r.ok);
        }
    }
    // SIGKILL node 2, let the others go on, restart it on its directory.
    let node2 = dir.path().join("node2").join("node.toml");
    let find = Command::new("pgrep")
        .args(["-f", &format!("node --config {}", node2.display())])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&find.stdout).trim().to_owned();
    assert!(!pid.is_empty(), "node 2 runs");
    Command::new("kill").args(["-9", &pid]).status().unwrap();
    let live = [&clients[0], &clients[1], &clients[3]];
    let h = live
        .iter()
        .map(|c| c.status().unwrap().height)
        .max()
        .unwrap();
    let live_owned: Vec<Client> = live.iter().map(|c| Client::new(c.base())).collect();
    wait_height(&live_owned, h + 10, Duration::from_secs(60));
    let restarted = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["node", "--config"])
        .arg(&node2)
        .env("RAMPART_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    guard.0.push(restarted);
    clients[2].wait_ready(Duration::from_secs(60)).unwrap();
    let target = clients[0].status().unwrap().height + 5;
    wait_height(&clients, target, Duration::from_secs(90));
    let roots: Vec<String> = clients.iter().map(|c| root_at(c, target)).collect();
    assert!(
        roots.iter().all(|r| *r == roots[0]),
        "roots at {target}: {roots:?}"
    );

    // What each node reports of consensus: its own seat in the same committee, the blocks it saw
    // finalized with their finality, and, from the chain's downtime tracking, the blocks the
    // killed node missed.
    let status: Vec<serde_json::Value> = clients
        .iter()
        .map(|c| c.get("/v1/consensus").unwrap())
        .collect();
    let seats = |s: &serde_json::Value| -> Vec<(String, String)> {
        s["committee"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["validator"].to_string(), m["key"].to_string()))
            .collect()
    };
    for (i, s) in status.iter().enumerate() {
        assert_eq!(s["mode"], "bft", "node {i}: {s}");
        assert_eq!(s["role"], "validator", "node {i}");
        assert_eq!(s["committee"].as_array().unwrap().len(), 4, "node {i}");
        assert_eq!(
            seats(s),
            seats(&status[0]),
            "node {i} sees another committee"
        );
        let own: Vec<&serde_json::Value> = s["committee"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["this_node"] == true)
            .collect();
        assert_eq!(own.len(), 1, "node {i} finds its own seat once");
        assert_eq!(own[0]["key"], s["key"], "node {i}");
        assert!(!s["recent"].as_array().unwrap().is_empty(), "node {i}");
        assert!(s["finalized_view"].as_u64().unwrap() > 0, "node {i}");
        assert!(s["counters"]["executed"].as_u64().unwrap() > 0, "node {i}");
    }
    assert!(
        status[0]["finality_ms_p50"].as_u64().is_some(),
        "{}",
        status[0]
    );
    let killed = status[2]["committee"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["this_node"] == true)
        .unwrap()["validator"]
        .clone();
    let seen_by_0 = status[0]["committee"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["validator"] == killed)
        .unwrap()
        .clone();
    assert!(
        seen_by_0["missed_blocks"].as_u64().unwrap() > 0,
        "the killed validator missed no block: {seen_by_0}"
    );

    // The dashboard's consensus page on one validator: the committee, this node's seat, the
    // finalized blocks and a finality chart with data points.
    if let Some(chromium) = browser::chromium_or_skip() {
        browser::render(
            &chromium,
            clients[1].base(),
            "consensus",
            &[
                "<h2>Consensus",
                "Commonware simplex",
                "Committee",
                "this node",
                "Finalized blocks",
                "Engine counters",
            ],
            true,
        );
    }
}
