//! `rampart scenario run`: JSON lines out, exit 0 on success, 1 on an unexpected step error or an
//! invariant violation, 2 on a file that is not a scenario; never a panic.

use std::process::Command;

fn rampart(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rampart-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn a_passing_scenario_prints_one_json_object_per_step_and_exits_zero() {
    let path = write(
        "ok.json",
        r#"{"genesis": {"accounts": [{"name": "alice", "balances": {"RAM": "5"}}]},
        "steps": [{"query": "balance", "account": "alice", "asset": "RAM"}, {"advance": {"seconds": 10}}]}"#,
    );
    let out = rampart(&["scenario", "run", path.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["result"]["amount"], "5");
    assert_eq!(lines[2]["final"], true);
}

#[test]
fn an_unexpected_error_exits_one() {
    let path = write(
        "fail.json",
        r#"{"steps": [{"tx": "teleport", "from": "alice"}]}"#,
    );
    let out = rampart(&["scenario", "run", path.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unknown_action"));
}

#[test]
fn malformed_json_and_missing_files_exit_two_with_a_message() {
    let path = write("bad.json", "{ this is not json");
    let out = rampart(&["scenario", "run", path.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("malformed_scenario"));
    let out = rampart(&["scenario", "run", "/definitely/not/here.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading"));
}
