//! `rampart dev` end to end: the demo network, with two days of history, answers every query of
//! PROTOCOL.md §11 that the protocol has — over HTTP and through `rampart query` — and serves
//! its dashboard. The demo's vaults show in `vault`, and in the `yield` and `exit_path` of
//! accounts holding their LRT.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use serde_json::Value;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Every query name the core knows (from its vocabulary), plus the node's own two.
fn query_names() -> Vec<String> {
    let err = serde_json::from_value::<rampart_core::Query>(serde_json::json!({"query": "?"}))
        .unwrap_err()
        .to_string();
    let list = err
        .split("expected one of")
        .nth(1)
        .expect("serde lists the variants");
    let mut names: Vec<String> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    names.extend(["security".to_owned(), "state_root".to_owned()]);
    names
}

/// Each query with its fields as `rampart query` takes them (`@name`: a demo account).
const CASES: &[(&str, &[&str])] = &[
    ("balance", &["account=@alice", "asset=RAM"]),
    ("asset", &["asset=stETH"]),
    ("strategy", &["strategy=stETH"]),
    ("operator", &["operator=@op1"]),
    ("service", &["service=@oracle"]),
    ("operator_set", &["set=@oracle/0"]),
    ("position", &["staker=@alice"]),
    ("withdrawals", &["staker=@alice"]),
    ("slash_requests", &["service=@bridge"]),
    ("validator", &["validator=@val1"]),
    ("base_delegation", &["delegator=@grace"]),
    ("lst", &["account=@grace"]),
    ("reward_program", &["id=0"]),
    ("yield", &["account=@grace"]),
    ("exit_path", &["account=@heidi"]),
    ("vault", &["vault=rstETH"]),
    ("governance", &["proposal=0"]),
    ("params", &[]),
    ("consensus", &[]),
    ("invariants", &[]),
    ("security", &["shock=1/10", "budget_ms=2000"]),
    ("state_root", &[]),
];

/// `field=@name` → `field=0x…` (and `@name/3` → `0x…/3`) for a URL.
fn url_field(pair: &str) -> String {
    let (key, value) = pair.split_once('=').unwrap();
    let value = match value.strip_prefix('@') {
        Some(name) => {
            let (account, rest) = name
                .split_once('/')
                .map_or((name, None), |(a, r)| (a, Some(r)));
            let address = format!("{:#x}", rampart_scenario::names::dev_address(account));
            match rest {
                Some(r) => format!("{address}%2F{r}"),
                None => address,
            }
        }
        None => value.replace('/', "%2F"),
    };
    format!("{key}={value}")
}

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
            std::env::temp_dir().join("rampart-dev-queries-no-keys"),
        )
        .output()
        .unwrap()
}

#[test]
fn the_dev_network_answers_every_query_over_http_and_the_cli() {
    let names = query_names();
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !CASES.iter().any(|(c, _)| c == n))
        .collect();
    assert!(
        missing.is_empty(),
        "queries with no case here (add one, and demo data for it): {missing:?}"
    );

    let dir = std::env::temp_dir().join(format!("rampart-dev-queries-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let _dev = Dev(Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args([
            "--json",
            "dev",
            "--data-dir",
            dir.to_str().unwrap(),
            "--listen",
            &listen,
        ])
        .args(["--history-days", "2", "--history-step-s", "7200"])
        .env("RAMPART_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap());
    let node = format!("http://{listen}");
    let client = rampart_node::client::Client::new(&node);
    client.wait_ready(Duration::from_secs(180)).unwrap();

    for (name, fields) in CASES {
        // Over HTTP.
        let params: Vec<String> = fields.iter().map(|f| url_field(f)).collect();
        let path = format!("/v1/query/{name}?{}", params.join("&"));
        let by_http: Value = client
            .get(&path)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert!(!by_http.is_null(), "{path} answered null");
        // Through the CLI.
        let mut args = vec!["--json", "query", "--dev", name];
        args.extend(fields.iter());
        let out = rampart(&args, &node);
        assert!(
            out.status.success(),
            "rampart query {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let by_cli: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("rampart query {name}: {e}"));
        assert!(!by_cli.is_null(), "rampart query {name} printed null");
        match *name {
            "invariants" => assert_eq!(by_cli["ok"], true, "{by_cli}"),
            "security" => {
                assert!(by_cli["analysis"]["certificate"]["certified"].is_boolean());
                assert!(by_cli["analysis"]["cascade"]["psi"].is_object());
                assert_eq!(
                    by_cli["sets"].as_array().unwrap().len(),
                    4,
                    "the demo's sets"
                );
            }
            "yield" => {
                assert!(
                    !by_cli["sources"].as_array().unwrap().is_empty(),
                    "{by_cli}"
                );
                // grace holds rstRAM: the vault layer, with its sources.
                assert!(
                    by_cli["sources"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|s| s["layer"] == "vault" && s["holding"] == "vault/rstRAM"),
                    "{by_cli}"
                );
            }
            // heidi holds rstRAM: its exit goes through the vault's buffer or queue.
            "exit_path" => assert!(
                by_cli["paths"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["holding"]
                        .as_str()
                        .is_some_and(|h| h.starts_with("vault/rstRAM"))),
                "{by_cli}"
            ),
            "vault" => {
                let rate: u128 = by_cli["rate_wad"].as_str().unwrap().parse().unwrap();
                assert!(rate > 0, "{by_cli}");
                let atlas = format!("{:#x}", rampart_scenario::names::dev_address("atlas"));
                assert_eq!(by_cli["curator"], Value::String(atlas), "{by_cli}");
                let positions = by_cli["positions"].as_array().unwrap();
                assert!(positions.len() >= 3, "the curator's allocations: {by_cli}");
                assert!(positions.iter().all(|p| p["allowed"] == true), "{by_cli}");
                assert!(by_cli["queue"].is_array(), "{by_cli}");
                assert_eq!(by_http["vault"], by_cli["vault"]);
            }
            "validator" => assert_eq!(by_cli["status"], "active"),
            // The history's proposal passed, was queued and applied.
            "governance" => assert_eq!(by_cli["proposals"][0]["status"], "applied", "{by_cli}"),
            "reward_program" => assert_eq!(by_cli["weighting"], "allocated"),
            _ => {}
        }
    }
    let (status, page) = client.raw("GET", "/", b"").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("/ui/app.js"));

    // A newcomer's proposal from the CLI: submitted, voted on by a validator and by a delegator
    // overriding its validator, visible with its tally.
    let changes = r#"changes=[{"params": {"lst_fee_bps": 700}}]"#;
    for (signer, fields) in [
        (
            "grace",
            vec![
                "submit_proposal",
                "title=Lower the LST fee to 7 %",
                changes,
                "deposit=1000000000000000000000",
            ],
        ),
        ("val1", vec!["vote", "proposal=1", "option=yes"]),
        ("heidi", vec!["vote", "proposal=1", "option=no"]),
    ] {
        let mut args = vec!["--json", "tx"];
        args.extend(fields.iter());
        args.extend(["--dev", signer]);
        let out = rampart(&args, &node);
        assert!(
            out.status.success(),
            "rampart tx {fields:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = rampart(&["--json", "query", "governance", "proposal=1"], &node);
    let g: Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &g["proposals"][0];
    assert_eq!(p["status"], "voting", "{g}");
    assert_eq!(p["votes"].as_array().unwrap().len(), 2, "{g}");
    let tally = |k: &str| p["tally"][k].as_str().unwrap().parse::<u128>().unwrap();
    assert!(tally("yes") > 0 && tally("no") > 0, "{g}");
}
