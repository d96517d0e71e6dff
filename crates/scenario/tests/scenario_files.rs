//! Every scenario under `tests/scenarios/` (and the spec's example) runs green: each step
//! succeeds or fails with the code it expects, every `expect` matches, and the invariants hold
//! after every step.

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let report = rampart_scenario::run(&text, &mut |_| {})
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if report.ok {
        return Ok(());
    }
    let failures: Vec<String> = report
        .lines
        .iter()
        .filter(|l| l["ok"] != serde_json::Value::Bool(true))
        .map(ToString::to_string)
        .collect();
    Err(format!("{}:\n  {}", path.display(), failures.join("\n  ")))
}

#[test]
fn every_scenario_file_passes_with_invariants_after_every_step() {
    let dir = repo_root().join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scenarios exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 15,
        "expected the §6 story scenarios, found {}",
        files.len()
    );
    let failures: Vec<String> = files.iter().filter_map(|f| run_file(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_product_spec_example_ends_with_38_steth() {
    let path = repo_root().join("../shared/spec/examples/slash-and-withdraw.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        // The shared spec sits beside the repository in CI and in development; nothing to run
        // without it.
        return;
    };
    let report = rampart_scenario::run(&text, &mut |_| {}).expect("the example is well formed");
    assert!(report.ok, "{:#?}", report.lines);
    let balance = report
        .lines
        .iter()
        .rev()
        .find(|l| l["query"] == "balance")
        .expect("a balance query");
    assert_eq!(balance["result"]["amount"], "38000000000000000000");
}

#[test]
fn the_same_scenario_gives_the_same_state_root_every_time() {
    let path =
        repo_root().join("tests/scenarios/redelegation-stays-slashable-by-old-operator.json");
    let text = std::fs::read_to_string(path).expect("scenario exists");
    let root = |t: &str| {
        let report = rampart_scenario::run(t, &mut |_| {}).expect("runs");
        report.lines.last().expect("final line")["state_root"].clone()
    };
    let first = root(&text);
    assert!(
        first
            .as_str()
            .is_some_and(|r| r.starts_with("0x") && r.len() == 66)
    );
    assert_eq!(first, root(&text));
}

#[test]
fn a_failed_step_makes_the_run_fail_and_names_the_step() {
    let text = r#"{"genesis": {"accounts": [{"name": "alice", "balances": {"RAM": "5"}}]},
        "steps": [{"tx": "transfer", "from": "alice", "to": "bob", "asset": "RAM", "amount": "6"}]}"#;
    let report = rampart_scenario::run(text, &mut |_| {}).expect("well formed");
    assert!(!report.ok);
    assert_eq!(report.lines[0]["error"]["code"], "insufficient_balance");
    assert_eq!(report.lines[1]["failed_steps"], serde_json::json!([1]));
}

#[test]
fn a_failed_transaction_changes_nothing_but_the_nonce() {
    let text = r#"{"genesis": {"assets": [{"symbol": "stETH", "issuer": "bridge"}],
        "accounts": [{"name": "alice", "balances": {"stETH": "10"}}]},
        "steps": [
          {"query": "state_root"},
          {"tx": "deposit", "from": "alice", "asset": "stETH", "amount": "10", "min_shares_out": "11", "expect_error": "slippage"},
          {"query": "position", "staker": "alice", "expect": {"deposits": [], "positions": []}},
          {"query": "balance", "account": "alice", "asset": "stETH", "expect": {"amount": "10"}}
        ]}"#;
    let report = rampart_scenario::run(text, &mut |_| {}).expect("well formed");
    assert!(report.ok, "{:#?}", report.lines);
}

#[test]
fn malformed_scenarios_are_rejected_with_a_code_not_a_panic() {
    for bad in [
        "",
        "{",
        "[]",
        r#"{"steps": 3}"#,
        r#"{"genesis": {"accounts": [{"balances": {}}]}}"#,
        r#"{"wat": 1}"#,
        r#"{"params": {"nope": 1}}"#,
        r#"{"genesis": {"accounts": [{"name": "a", "balances": {"NOPE": "1"}}]}}"#,
    ] {
        let err = rampart_scenario::run(bad, &mut |_| {}).expect_err(bad);
        assert!(
            ["malformed_scenario", "unknown_asset"].contains(&err.code()),
            "{bad}: {}",
            err.code()
        );
    }
}
