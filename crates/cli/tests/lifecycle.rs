//! The node's lifecycle as a process: `rampart dev` stops within seconds on SIGTERM/SIGINT with
//! an event stream and an idle keep-alive connection open (exit 0, "shutting down…"), a second
//! signal exits at once, `--reset` refuses a directory another process holds (naming it, deleting
//! nothing), and a port in use fails at once naming the address and leaving no data directory.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions
#![cfg(unix)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rampart-life-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn dev(data: &Path, port: u16, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rampart"));
    c.args(["dev", "--data-dir"])
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env("RAMPART_LOG", "warn")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(data: &Path, port: u16) -> Node {
    let child = dev(data, port, &["--history-days", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let node = Node(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if get(port, "/v1/status").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            return node;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("rampart dev did not answer on port {port}");
}

/// One GET on a fresh connection (closed after), the whole response as text.
fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(text)
}

fn signal(node: &Node, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &node.0.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name}");
}

fn wait_exit(node: &mut Node, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = node.0.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn stderr_of(node: &mut Node) -> String {
    let mut text = String::new();
    if let Some(mut e) = node.0.stderr.take() {
        let _ = e.read_to_string(&mut text);
    }
    text
}

/// An event-stream client (headers read, then left open) and an idle keep-alive connection.
fn open_clients(port: u16) -> (TcpStream, TcpStream) {
    let mut events = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        events,
        "GET /v1/events HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut buf = [0u8; 512];
    events
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = events.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(idle, "GET /v1/status HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let n = idle.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    (events, idle)
}

#[test]
fn sigterm_stops_the_node_within_seconds_with_an_event_stream_and_an_idle_connection_open() {
    let data = temp("term");
    let port = free_port();
    let mut node = start(&data, port);
    let _clients = open_clients(port);
    let sent = Instant::now();
    signal(&node, "TERM");
    let status = wait_exit(&mut node, Duration::from_secs(5)).expect("exits within 5 s");
    let took = sent.elapsed();
    assert!(status.success(), "exit 0, got {status:?}");
    let stderr = stderr_of(&mut node);
    assert!(stderr.contains("shutting down…"), "{stderr}");
    eprintln!("stopped {took:?} after SIGTERM");
    // The lock went with the process: the directory opens again.
    let mut again = start(&data, port);
    signal(&again, "INT");
    assert!(
        wait_exit(&mut again, Duration::from_secs(5))
            .expect("exits")
            .success()
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_second_signal_exits_at_once_while_a_client_holds_the_shutdown() {
    let data = temp("twice");
    let port = free_port();
    let mut node = start(&data, port);
    // A request whose body never finishes keeps its connection busy for the grace period.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        slow,
        "POST /v1/query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    signal(&node, "INT");
    std::thread::sleep(Duration::from_millis(300));
    assert!(node.0.try_wait().unwrap().is_none(), "still draining");
    let sent = Instant::now();
    signal(&node, "INT");
    let status = wait_exit(&mut node, Duration::from_secs(2)).expect("exits at once");
    assert!(sent.elapsed() < Duration::from_secs(2));
    assert_eq!(status.code(), Some(130), "{status:?}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn reset_refuses_a_data_directory_held_by_a_running_node_and_deletes_nothing() {
    let data = temp("reset");
    let port = free_port();
    let node = start(&data, port);
    let before: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let started = Instant::now();
    let out = dev(&data, free_port(), &["--reset", "--history-days", "0"])
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in use by pid"), "{stderr}");
    assert!(
        stderr.contains(&node.0.id().to_string()),
        "names the holder: {stderr}"
    );
    assert!(data.join("chain.redb").exists(), "the chain is still there");
    let after: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after);
    assert!(
        get(port, "/v1/status").unwrap().starts_with("HTTP/1.1 200"),
        "the node still runs"
    );
    drop(node);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_port_in_use_fails_at_once_naming_the_address_and_leaves_no_data_directory() {
    let data = temp("port");
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let started = Instant::now();
    let out = dev(&data, port, &["--history-days", "30"])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert_eq!(
        stderr.matches("in use").count(),
        1,
        "the OS message once: {stderr}"
    );
    assert!(!data.exists(), "no data directory left behind");
}
