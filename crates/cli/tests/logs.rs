//! Logs of `rampart dev` as an operator reads them: the filter follows `RUST_LOG` (over the
//! older `RAMPART_LOG`), each block is a DEBUG line (not INFO), with ISO 8601 times.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions
#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `rampart dev` (no history, no demo activity) for a few blocks and returns its stderr.
fn dev_stderr(name: &str, env: &[(&str, &str)]) -> String {
    let dir = std::env::temp_dir().join(format!("rampart-logs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = Command::new(env!("CARGO_BIN_EXE_rampart"));
    c.args(["dev", "--data-dir"])
        .arg(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--history-days", "0", "--quiet-chain"])
        .env_remove("RUST_LOG")
        .env_remove("RAMPART_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let child = c.spawn().unwrap();
    // The demo chain's blocks are 2 s apart: wait for a few.
    std::thread::sleep(Duration::from_secs(5));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn rust_log_sets_the_filter_and_blocks_are_debug_lines_with_iso_times() {
    let debug = dev_stderr("debug", &[("RUST_LOG", "debug"), ("NO_COLOR", "1")]);
    let block = debug
        .lines()
        .find(|l| l.contains("block committed"))
        .unwrap_or_else(|| panic!("no block line at debug: {debug}"));
    assert!(block.contains("DEBUG"), "{block}");
    let time = block.split("time=").nth(1).unwrap();
    assert!(
        time.len() > 20 && &time[4..5] == "-" && &time[10..11] == "T" && &time[19..20] == "Z",
        "ISO 8601: {block}"
    );
    assert!(
        debug.lines().next().unwrap_or_default().starts_with("20"),
        "{debug}"
    );
    // RUST_LOG wins over RAMPART_LOG; at info the blocks are quiet.
    let info = dev_stderr("info", &[("RUST_LOG", "info"), ("RAMPART_LOG", "debug")]);
    assert!(!info.contains("block committed"), "{info}");
    assert!(info.contains("node started"), "{info}");
    // The older name still works alone.
    let old = dev_stderr("old", &[("RAMPART_LOG", "debug")]);
    assert!(old.contains("block committed"), "{old}");
}
