//! The web dashboard: served from the binary, every file it loads exists, every API path its
//! JavaScript calls answers on the demo network, and (where a Chromium is installed, which
//! `scripts/test.sh` does) every view renders in a headless browser without an error.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use common::browser::{render, render_at};
use common::{TestNode, addr};
use rampart_node::ui::ASSETS;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Status, headers (lower-cased) and body of a GET; with `headers_only`, stops after the headers
/// (for the event stream, which never ends).
fn get_raw(addr: std::net::SocketAddr, path: &str, headers_only: bool) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => break,
        }
        if headers_only && find(&buf, b"\r\n\r\n").is_some() {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_lowercase(), body.to_owned())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn asset(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.body)
        .unwrap_or_else(|| panic!("{name} is embedded"))
}

/// Every single-quoted string literal in `text` that starts with `/`.
fn quoted_paths(text: &str) -> Vec<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with('/') && !s.contains(' '))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_dashboard_and_every_file_it_loads_are_served_from_the_binary() {
    let t = TestNode::start("dashboard-files", 0, |_| {});
    let addr = t.node.as_ref().unwrap().addr;
    let (status, head, body) = get_raw(addr, "/", false);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(head.contains("content-security-policy: default-src 'self'"));
    assert!(body.contains(r#"<script type="module" src="/ui/app.js">"#));
    for a in ASSETS {
        let (status, head, body) = get_raw(addr, &format!("/ui/{}", a.name), false);
        assert_eq!(status, 200, "/ui/{}", a.name);
        assert!(
            head.contains(&format!("content-type: {}", a.content_type)),
            "{}: {head}",
            a.name
        );
        assert_eq!(body, a.body, "/ui/{} is the embedded file", a.name);
    }
    // Everything the page references is embedded: the HTML's src/href and every module import.
    let index = asset("index.html");
    for part in index.split("=\"/ui/").skip(1) {
        let name = part.split('"').next().unwrap();
        asset(name);
    }
    for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
        for part in a.body.split("from './").skip(1) {
            let name = part.split('\'').next().unwrap();
            asset(name);
        }
        // Nothing is fetched from elsewhere: the dashboard works offline. The bundled library
        // (`vendored`, from npm at build time) names web pages in its comments only: it makes
        // no request at all.
        if a.vendored {
            for call in [
                "fetch(",
                "XMLHttpRequest",
                "WebSocket",
                "import(",
                "EventSource",
            ] {
                assert!(!a.body.contains(call), "{} calls {call}", a.name);
            }
        } else {
            assert!(
                !a.body.contains("http://") && !a.body.contains("https://"),
                "{}",
                a.name
            );
        }
    }
    assert!(!index.contains("https://") && !asset("style.css").contains("url("));
    let (status, _, body) = get_raw(addr, "/ui/missing.js", false);
    assert_eq!(status, 404);
    assert!(body.contains("\"not_found\""));
}

/// Fills the `{name}` placeholders of a dashboard API path with demo values (`hash`: a committed
/// transaction's).
fn fill(template: &str, hash: &str) -> String {
    let oracle_set = format!("{}/0", addr("oracle"));
    let values = [
        ("validator", addr("val1")),
        ("operator", addr("op1")),
        ("service", addr("oracle")),
        ("set", oracle_set),
        ("id", "0".to_owned()),
        ("account", addr("grace")),
        ("asset", "RAM".to_owned()),
        ("budget_ms", "500".to_owned()),
        ("shock", "1%2F10".to_owned()),
        ("name", "depeg-flat-then-cliff".to_owned()),
        ("vault", "rstETH".to_owned()),
        ("group", "tvl".to_owned()),
        ("strategy", "stETH".to_owned()),
        ("hash", hash.to_owned()),
        ("limit", "2".to_owned()),
        ("after", addr("alice")),
    ];
    let mut path = template.to_owned();
    for (k, v) in values {
        path = path.replace(&format!("{{{k}}}"), &v);
    }
    assert!(!path.contains('{'), "unfilled placeholder in {template}");
    path
}

#[test]
fn every_api_path_the_dashboard_calls_answers_on_the_demo() {
    let t = TestNode::start("dashboard-paths", 100, |_| {});
    t.setup_demo();
    let h = t
        .submit_as(
            "grace",
            &serde_json::json!({"tx": "submit_proposal", "title": "t",
                "changes": [{"params": {"lst_fee_bps": 800}}], "deposit": "1000000000000000000000"}),
        )
        .expect("accepted");
    assert!(
        t.client
            .wait_receipt(&h, Duration::from_secs(30))
            .expect("committed")
            .ok
    );
    let addr = t.node.as_ref().unwrap().addr;
    // Every path is declared in api.js; no other file names one, so this list is complete.
    let paths = quoted_paths(asset("api.js"));
    assert!(paths.len() >= 20, "{paths:?}");
    for a in ASSETS
        .iter()
        .filter(|a| a.name.ends_with(".js") && a.name != "api.js")
    {
        let stray: Vec<String> = quoted_paths(a.body)
            .into_iter()
            .filter(|p| p.starts_with("/v1") || p.starts_with("/metrics"))
            .collect();
        assert!(
            stray.is_empty(),
            "{} calls {stray:?} outside api.js",
            a.name
        );
    }
    for template in &paths {
        if template == "/v1/tx" || template == "/v1/simulate" {
            continue; // POST only: the wallet test (tests/wallet.rs) goes through them
        }
        let path = fill(template, &format!("{h:#x}"));
        if path == "/v1/events" {
            let (status, head, _) = get_raw(addr, &path, true);
            assert_eq!(status, 200, "{path}");
            assert!(head.contains("content-type: text/event-stream"), "{head}");
            continue;
        }
        let (status, _, body) = get_raw(addr, &path, false);
        assert_eq!(status, 200, "{path}: {body}");
        if path != "/metrics" {
            let v: serde_json::Value =
                serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
            assert!(!v.is_null(), "{path} answered null");
        }
    }
}

#[test]
fn every_view_renders_in_headless_chromium_without_an_error() {
    let Some(browser) = common::browser::chromium_or_skip() else {
        return;
    };
    let t = TestNode::start("dashboard-browser", 200, |c| {
        c.labels = rampart_node::demo::labels();
        c.vault_names = rampart_node::demo::vault_names();
    });
    t.setup_demo();
    // A proposal in its vote, with one validator's vote in the tally.
    for (name, action) in [
        (
            "grace",
            serde_json::json!({"tx": "submit_proposal", "title": "Lower the LST fee",
                "changes": [{"params": {"lst_fee_bps": 800}}], "deposit": "1000000000000000000000"}),
        ),
        (
            "val1",
            serde_json::json!({"tx": "vote", "proposal": 0, "option": "yes"}),
        ),
    ] {
        let h = t.submit_as(name, &action).expect("accepted");
        let r = t
            .client
            .wait_receipt(&h, Duration::from_secs(30))
            .expect("committed");
        assert!(r.ok, "{name}: {r:?}");
    }
    let base = format!("http://{}", t.node.as_ref().unwrap().addr);
    let operator = format!("operator/{}", addr("op1"));
    let service = format!("service/{}", addr("oracle"));
    let validator = format!("validator/{}", addr("val1"));
    let views = [
        (
            "overview",
            vec![
                "Network",
                "Validators active",
                "secure",
                "TVL per strategy",
                "Security margin per operator set",
                "Yield per window",
                "no history yet",
            ],
        ),
        (
            &*operator,
            vec![
                "<h2>Operator op1",
                "Stake per strategy",
                "Allocations per operator set",
                "Commission per service",
                "Earned so far",
                "Delegators <span class=\"muted\">(",
                "erin",
                "Slashes",
            ],
        ),
        (
            &*service,
            vec![
                "<h2>Service oracle",
                "Slashing rules",
                "Cost of corruption",
                "Declared profit",
                "Reward programs it funds",
                "APR to the set",
                "Pending slash requests",
            ],
        ),
        (
            &*validator,
            vec![
                "<h2>Validator val1",
                "Uptime",
                "Bonded stake over time",
                "Delegators <span class=\"muted\">(",
                "\">Delegator</th>",
            ],
        ),
        ("validators", vec!["Rewards by source", "val1"]),
        (
            "consensus",
            vec![
                "<h2>Consensus",
                "single producer",
                "Active set",
                "val1",
                "Missed / window",
                "100.00 %",
            ],
        ),
        (
            "restaking",
            vec!["Allocations (unique stake", "oracle/0", "op1"],
        ),
        (
            "security",
            vec!["Security of the live state", "Certificate", "bridge/0"],
        ),
        ("rewards", vec!["Reward programs", "streaming"]),
        ("lst", vec!["Liquid staking", "Redemption queue"]),
        (
            "vaults",
            vec![
                "Atlas restaked ETH",
                "Meridian restaked RAM",
                "Buffer vs target",
                "Published policy",
                "Positions per operator",
                "Withdrawal queue",
            ],
        ),
        (
            "vaults/rstRAM",
            vec!["<h2>Meridian restaked RAM", "rstRAM · stRAM", "meridian"],
        ),
        (
            &*format!("account/{}", addr("grace")),
            vec![
                "grace",
                "Yield stack by source",
                "Slash exposure per set",
                "Exit path",
                "Vaults (LRT held",
                "Meridian restaked RAM",
            ],
        ),
        ("stress", vec!["De-peg and liquidations", "class=\"uplot"]),
        (
            "stress/correlated-slashing",
            vec!["Correlated slashing", "Loss per operator", "class=\"uplot"],
        ),
        (
            "stress/exit-race",
            vec!["Exit race", "Value per unit", "class=\"uplot"],
        ),
        ("events", vec!["event-kind"]),
        (
            "governance",
            vec![
                "<h2>Governance",
                "Timelock, risk-raising",
                "Queued changes",
                "Lower the LST fee",
                "turnout",
            ],
        ),
        (
            "governance/0",
            vec!["Changes", "lst_fee_bps", "Votes", "yes"],
        ),
    ];
    for (view, markers) in views {
        render(&browser, &base, view, &markers, false);
    }
}

/// The charts read the node's history: on a node with ten days of demo history (one block, and
/// one epoch boundary, every four hours), every chart of the first page and of the operator,
/// service and validator pages has data points from `/v1/history`, and the 7-day window yields
/// are annualised while the 30-day ones say there is not enough history.
#[test]
fn charts_draw_the_history_api_in_headless_chromium() {
    let Some(browser) = common::browser::chromium_or_skip() else {
        return;
    };
    const STEP_S: u64 = 4 * 3_600;
    let blocks = 10 * 86_400 / STEP_S;
    let start = rampart_node::node::unix_now() - blocks * STEP_S;
    let mut config = rampart_node::NodeConfig::new(common::temp_dir("dashboard-charts"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.http.rate_limit_per_s = 0;
    config.labels = rampart_node::demo::labels();
    config.vault_names = rampart_node::demo::vault_names();
    let shared = rampart_node::Shared::open(config, &rampart_node::demo::genesis(start)).unwrap();
    rampart_node::demo::run_history(
        &shared,
        &mut rampart_node::demo::Driver::default(),
        blocks,
        STEP_S,
        &mut |_| {},
    )
    .unwrap();
    let (runtime, node) = common::serve(shared);
    let base = format!("http://{}", node.addr);
    let dom = render(
        &browser,
        &base,
        "overview",
        &[
            "TVL per strategy",
            "TVL per vault",
            "Bonded stake",
            "LST and LRT rates",
            "APY per window over time",
            "Security margin per operator set",
            "class=\"uplot",
            "stRAM (liquid staking)",
            "not enough history for 30 d",
        ],
        true,
    );
    assert!(dom.contains("APR "), "a 7-day window yield is shown");
    // Narrow (a phone, 420 px): the same page, charts and all, without an error.
    render_at(
        &browser,
        &base,
        "overview",
        &["TVL per strategy"],
        true,
        420,
    );
    for (view, markers) in [
        (
            format!("operator/{}", addr("op1")),
            vec!["Delegated stake over time"],
        ),
        (
            format!("service/{}", addr("oracle")),
            vec!["Security margin over time"],
        ),
        (
            format!("validator/{}", addr("val1")),
            vec!["Bonded stake over time"],
        ),
    ] {
        render(&browser, &base, &view, &markers, true);
    }
    // The account page: positions over time, and the account's own 7-day yield (net earnings
    // over the average value held) from the same history.
    let dom = render(
        &browser,
        &base,
        &format!("account/{}", addr("grace")),
        &[
            "Positions over time",
            "value held",
            "net earnings",
            "all its positions",
        ],
        true,
    );
    let row = dom.split("all its positions").nth(1).unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("APR ") && row.contains("earned "), "{row}");
    assert!(row.contains("not enough history for 30 d"), "{row}");
    runtime.block_on(node.shutdown());
}
