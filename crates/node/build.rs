//! Bundles the dashboard's third-party code (uPlot, the charting library) from npm: `npm ci`
//! against the committed `ui-vendor/package.json` and `package-lock.json` (exact versions and
//! integrity hashes) in `OUT_DIR`, then copies the files the dashboard serves next to it for
//! `include_str!`. Nothing third-party is committed; the binary serves the files offline.
//!
//! Needs Node.js's `npm` on the PATH (or `$NPM`); without it the build stops with a message
//! saying so. It runs again only when the package files change.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Files copied out of `node_modules`: (path inside it, name served under `/ui/`).
const FILES: [(&str, &str); 2] = [
    ("uplot/dist/uPlot.esm.js", "uPlot.esm.js"),
    ("uplot/dist/uPlot.min.css", "uPlot.min.css"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let vendor = manifest.join("ui-vendor");
    println!("cargo:rerun-if-changed=ui-vendor/package.json");
    println!("cargo:rerun-if-changed=ui-vendor/package-lock.json");
    println!("cargo:rerun-if-env-changed=NPM");
    let work = out.join("npm");
    std::fs::create_dir_all(&work).expect("OUT_DIR is writable");
    for f in ["package.json", "package-lock.json"] {
        std::fs::copy(vendor.join(f), work.join(f))
            .unwrap_or_else(|e| panic!("copying ui-vendor/{f}: {e}"));
    }
    npm_ci(&work);
    for (from, to) in FILES {
        let src = work.join("node_modules").join(from);
        std::fs::copy(&src, out.join(to))
            .unwrap_or_else(|e| panic!("{} after npm ci: {e}", src.display()));
    }
}

fn npm_ci(dir: &Path) {
    let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".to_owned());
    let status = Command::new(&npm)
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(dir)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "\n\nrampart-node bundles the dashboard's charting library (uPlot) from npm, and \
             `{npm} ci` in {} failed ({s}). Check that the npm registry is reachable.\n\n",
            dir.display()
        ),
        Err(e) => panic!(
            "\n\nrampart-node bundles the dashboard's charting library (uPlot) from npm, but \
             `{npm}` could not run: {e}.\nInstall Node.js and npm (Debian: `apt-get install \
             npm`), or set NPM to the npm binary, then build again.\n\n"
        ),
    }
}
