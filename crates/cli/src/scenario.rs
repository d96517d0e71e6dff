//! `rampart scenario run FILE`: deterministic what-if runs on an in-memory chain.

use anyhow::Context;
use clap::Subcommand;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Scenario subcommands.
#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Run a scenario file and print one JSON object per step, then a summary.
    Run {
        /// The scenario file.
        file: PathBuf,
        /// Pretty-print each object.
        #[arg(long)]
        pretty: bool,
    },
}

/// Runs a scenario command.
pub fn run(command: ScenarioCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScenarioCommand::Run { file, pretty } => run_file(&file, pretty),
    }
}

fn run_file(file: &Path, pretty: bool) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    run_text(&text, pretty)
}

fn run_text(text: &str, pretty: bool) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut write_err = None;
    let report = rampart_scenario::run(text, &mut |line| {
        let rendered = if pretty {
            serde_json::to_string_pretty(line)
        } else {
            serde_json::to_string(line)
        };
        let res = rendered
            .map_err(anyhow::Error::from)
            .and_then(|s| writeln!(out, "{s}").map_err(anyhow::Error::from));
        if let Err(e) = res {
            write_err.get_or_insert(e);
        }
    });
    if let Some(e) = write_err {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        let closed = e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
        if !closed {
            return Err(e);
        }
    }
    match report {
        Ok(r) if r.ok => Ok(ExitCode::SUCCESS),
        Ok(_) => Ok(ExitCode::from(1)),
        Err(e) => {
            let line = serde_json::json!({"error": {"code": e.code(), "message": e.to_string()}});
            writeln!(out, "{line}")?;
            Ok(ExitCode::from(2))
        }
    }
}
