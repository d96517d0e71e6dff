//! `rampart keys create` on a terminal (a pseudo-terminal from util-linux's `script`): the
//! password is asked twice with hidden prompts, two different passwords write nothing, the same
//! one twice writes the key. Skipped with a message where `script` is missing.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions
#![cfg(unix)]

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `rampart keys create NAME` under a pseudo-terminal, typing `lines`, and returns what
/// the terminal showed.
fn create_on_a_terminal(dir: &std::path::Path, name: &str, lines: &str) -> String {
    let command = format!(
        "{} keys create {name} --keystore {}",
        env!("CARGO_BIN_EXE_rampart"),
        dir.display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("RAMPART_PASSWORD")
        .env("RAMPART_SCRYPT_LOG_N", "12")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_new_password_is_asked_twice_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` (util-linux) for a pseudo-terminal");
        return;
    }
    let dir = std::env::temp_dir().join(format!("rampart-keys-tty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let shown = create_on_a_terminal(&dir, "differs", "first one\nsecond one\n");
    assert!(shown.contains("keystore password:"), "{shown}");
    assert!(shown.contains("the same password again:"), "{shown}");
    assert!(shown.contains("the two passwords differ"), "{shown}");
    assert!(!dir.join("differs.json").exists());
    let shown = create_on_a_terminal(&dir, "same", "good horse\ngood horse\n");
    assert!(dir.join("same.json").exists(), "{shown}");
}
