//! Issue 12, "done means": on a running dev network, a watcher who sees an operator sign two
//! different digests for one height gets that operator slashed with nothing but public data and
//! the CLI — `rampart attest` (the operator's software, signing twice), `rampart query`, `rampart
//! tx submit_double_sign_evidence` — and the staker sees the loss and the event: in `position`,
//! in the server-sent event stream, in the block history, and on the dashboard's account view.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Dev(Child);

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rampart(args: &[&str], node: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env("RAMPART_NODE", node)
        .env("RAMPART_LOG", "warn")
        .env(
            "RAMPART_KEYSTORE",
            std::env::temp_dir().join("rampart-double-sign-no-keys"),
        )
        .output()
        .unwrap()
}

/// Runs `rampart --json …`, requires success, returns its JSON.
fn json(args: &[&str], node: &str) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = rampart(&all, node);
    assert!(
        out.status.success(),
        "rampart {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("rampart {args:?}: not JSON ({e})"))
}

fn amount(v: &Value) -> u128 {
    v.as_str().unwrap().parse().unwrap()
}

/// alice's position with op1 in stETH.
fn op1_steth(position: &Value, op1: &str) -> Value {
    position["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["operator"] == op1 && p["strategy"] == "stETH")
        .cloned()
        .expect("alice delegates stETH to op1 in the demo")
}

/// The event stream, read until `needle` shows or `deadline` passes.
fn stream_until(stream: &mut TcpStream, needle: &str, deadline: Instant) -> String {
    let mut seen = String::new();
    let mut buf = [0u8; 8192];
    while Instant::now() < deadline && !seen.contains(needle) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(_) => {} // read timeout: try again until the deadline
        }
    }
    seen
}

#[test]
fn a_watcher_gets_a_double_signing_operator_slashed_with_the_cli_and_the_staker_sees_it() {
    let dir = std::env::temp_dir().join(format!("rampart-double-sign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    // A quiet chain: blocks keep coming, but no demo activity moves alice's position meanwhile.
    let _dev = Dev(Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["--json", "dev", "--data-dir", dir.to_str().unwrap()])
        .args(["--listen", &listen, "--quiet-chain"])
        .args(["--history-days", "1", "--history-step-s", "14400"])
        .env("RAMPART_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    let node = format!("http://{listen}");
    let client = rampart_node::client::Client::new(&node);
    client.wait_ready(Duration::from_secs(180)).unwrap();
    let op1 = format!("{:#x}", rampart_scenario::names::dev_address("op1"));

    // Public data: op1's signing key, and that oracle/0 has an objective rule.
    let operator = json(&["query", "--dev", "operator", "operator=@op1"], &node);
    assert_eq!(operator["signing_key"], op1.as_str());
    let oracle_set = format!("{:#x}/0", rampart_scenario::names::dev_address("oracle"));
    let allocation = operator["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["set"] == oracle_set.as_str() && a["strategy"] == "stETH")
        .cloned()
        .unwrap();
    assert_eq!(allocation["double_sign_wad"], "100000000000000000");
    let before = json(&["query", "--dev", "position", "staker=@alice"], &node);
    let position = op1_steth(&before, &op1);
    let exposure = position["exposure"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["set"] == oracle_set.as_str())
        .cloned()
        .unwrap();
    let expected_loss = amount(&exposure["double_sign_loss"]);
    assert!(expected_loss > 0, "{exposure}");

    // op1's software signs two different digests for the oracle's height 777 (the fault).
    let digest_a = format!("0x{}", "a1".repeat(32));
    let digest_b = format!("0x{}", "b2".repeat(32));
    let attest = |digest: &str| {
        let out = json(
            &[
                "attest", "--set", "oracle/0", "--height", "777", "--digest", digest, "--dev",
                "op1",
            ],
            &node,
        );
        assert_eq!(out["signer"], op1.as_str());
        out["signature"].as_str().unwrap().to_owned()
    };
    let (signature_a, signature_b) = (attest(&digest_a), attest(&digest_b));
    assert_ne!(signature_a, signature_b);

    // The watcher: a fresh account with RAM for the fee, watching the event stream.
    json(
        &[
            "tx",
            "transfer",
            "to=@watcher",
            "asset=RAM",
            "amount=1000000000000000000",
            "--dev",
            "grace",
        ],
        &node,
    );
    let mut events = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        events,
        "GET /v1/events HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    events
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let fields = [
        "operator=@op1".to_owned(),
        "set=@oracle/0".to_owned(),
        "height=777".to_owned(),
        format!("digest_a={digest_a}"),
        format!("signature_a={signature_a}"),
        format!("digest_b={digest_b}"),
        format!("signature_b={signature_b}"),
    ];
    let mut args = vec!["tx", "submit_double_sign_evidence"];
    args.extend(fields.iter().map(String::as_str));
    args.extend(["--dev", "watcher"]);
    let receipt = json(&args, &node);
    assert_eq!(receipt["ok"], true, "{receipt}");
    let kinds: Vec<&str> = receipt["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert!(
        kinds.contains(&"slashed") && kinds.contains(&"double_sign_proven"),
        "{receipt}"
    );

    // The staker's position shows the loss: what the exposure said a double sign would take.
    let after = json(&["query", "--dev", "position", "staker=@alice"], &node);
    let lost = amount(&position["withdrawable"]) - amount(&op1_steth(&after, &op1)["withdrawable"]);
    assert!(
        lost.abs_diff(expected_loss) <= 2,
        "lost {lost}, the exposure said {expected_loss}"
    );
    // The history: the slash request list and the block that carried the evidence.
    let slashes = json(
        &["query", "--dev", "slash_requests", "service=@oracle"],
        &node,
    );
    let slash = slashes
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "double_sign")
        .cloned()
        .expect("the evidence slash is listed");
    assert_eq!(slash["double_sign_height"], 777);
    assert_eq!(slash["status"], "executed");
    let height = receipt["height"].as_u64().unwrap();
    let block = json(&["query", "block", &height.to_string()], &node);
    assert!(
        block.to_string().contains("submit_double_sign_evidence"),
        "{block}"
    );
    // The event stream carried the proof.
    let seen = stream_until(
        &mut events,
        "double_sign_proven",
        Instant::now() + Duration::from_secs(30),
    );
    assert!(seen.contains("double_sign_proven"), "{seen}");
    // The same evidence again is refused with its code.
    let mut again = vec!["--json", "tx", "submit_double_sign_evidence"];
    again.extend(fields.iter().map(String::as_str));
    again.extend(["--dev", "watcher"]);
    let refused = rampart(&again, &node);
    assert_eq!(refused.status.code(), Some(1));
    let refused: Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(refused["error"]["code"], "evidence_already_used");

    // PROTOCOL §12 on the live state after the slash.
    let invariants = json(&["query", "invariants"], &node);
    assert_eq!(invariants["ok"], true, "{invariants}");

    dashboard_shows_the_double_sign(&format!("http://{listen}"));
}

/// The dashboard's account view for alice names the slash as a double sign and shows the loss
/// (headless Chromium, as in `crates/node/tests/dashboard.rs`; skipped without one unless
/// `RAMPART_REQUIRE_BROWSER` is set).
fn dashboard_shows_the_double_sign(base: &str) {
    let browser = std::env::var_os("RAMPART_CHROMIUM")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
                .find(|p| p.is_file())
        });
    let Some(browser) = browser else {
        assert!(
            std::env::var_os("RAMPART_REQUIRE_BROWSER").is_none(),
            "RAMPART_REQUIRE_BROWSER is set but no chromium was found"
        );
        eprintln!("dashboard check skipped: no chromium on the PATH");
        return;
    };
    let profile = std::env::temp_dir().join(format!("rampart-ds-chromium-{}", std::process::id()));
    let alice = format!("{:#x}", rampart_scenario::names::dev_address("alice"));
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=1500",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("{base}/#/account/{alice}"))
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    for marker in [
        "Slashes that reached this account's operators",
        "double sign · service height 777 (objective evidence, no veto)",
        "Lost to slashes (shares)",
        "If it double-signs",
    ] {
        assert!(
            dom.contains(marker),
            "the account view lacks `{marker}`:\n{dom}"
        );
    }
}
