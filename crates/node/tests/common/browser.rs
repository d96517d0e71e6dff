//! A headless Chromium for the dashboard tests (std only, so a test of another crate can
//! include this file with `#[path]`): find one, dump a page's DOM after its scripts ran, and
//! check that a view rendered without an error.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A Chromium to drive (`$RAMPART_CHROMIUM`, or one on the PATH), or `None` with a message when
/// there is none; fails instead when `RAMPART_REQUIRE_BROWSER` is set (as `scripts/test.sh`
/// does where it could install one).
pub fn chromium_or_skip() -> Option<PathBuf> {
    let found = std::env::var_os("RAMPART_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .flat_map(|dir| {
                    ["chromium", "chromium-browser", "google-chrome"]
                        .into_iter()
                        .map(move |n| dir.join(n))
                })
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("RAMPART_REQUIRE_BROWSER").is_none(),
            "RAMPART_REQUIRE_BROWSER is set but no chromium was found"
        );
        eprintln!("skipped: no chromium on the PATH (scripts/test.sh installs one)");
    }
    found
}

/// The DOM of `url` after its scripts ran (virtual time: timers and fetches complete, the
/// event stream opens only after the budget), in a window `width` px wide.
pub fn dump_dom_at(browser: &PathBuf, url: &str, width: u32) -> String {
    // One profile per run: tests run in parallel, and two Chromiums cannot share one.
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile =
        std::env::temp_dir().join(format!("rampart-chromium-{}-{run}", std::process::id()));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=1500",
            "--dump-dom",
        ])
        .arg(format!("--window-size={width},2400"))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    out
}

/// Renders `#/{view}` and checks that it shows no error and every marker; with `points`, that
/// every chart on it has data points (the chart boxes count what they plot).
pub fn render(browser: &PathBuf, base: &str, view: &str, markers: &[&str], points: bool) -> String {
    render_at(browser, base, view, markers, points, 1280)
}

/// [`render`] in a window `width` px wide.
pub fn render_at(
    browser: &PathBuf,
    base: &str,
    view: &str,
    markers: &[&str],
    points: bool,
    width: u32,
) -> String {
    let dom = dump_dom_at(browser, &format!("{base}/#/{view}"), width);
    let errors = dom
        .split("id=\"errors\"")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or_default();
    assert!(
        errors.contains("hidden"),
        "#/{view} shows an error: {}",
        dom.split("id=\"errors\"").nth(1).unwrap_or(&dom)
    );
    for m in markers {
        assert!(dom.contains(m), "#/{view} lacks `{m}`:\n{dom}");
    }
    if points {
        let mut charts = 0;
        for part in dom.split("class=\"chart-box\"").skip(1) {
            charts += 1;
            let id = part.split("id=\"").nth(1).and_then(|r| r.split('"').next());
            let n: u64 = part
                .split("data-points=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            assert!(n > 0, "#/{view}: chart {id:?} has no data points");
        }
        assert!(charts > 0, "#/{view} draws no chart");
    }
    dom
}
