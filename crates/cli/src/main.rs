//! `rampart`: the command-line entry point.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Rampart: a restaking network in one node.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the development network with demo data.
    Dev {
        /// Demo scenario to run (default: the built-in demo).
        #[arg(long)]
        scenario: Option<PathBuf>,
    },
    /// Scenario files: deterministic what-if runs on an in-memory chain.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ScenarioCommand {
    /// Run a scenario file and print one JSON object per step, then a summary.
    Run {
        /// The scenario file.
        file: PathBuf,
        /// Pretty-print each object.
        #[arg(long)]
        pretty: bool,
    },
}

const DEMO: &str = include_str!("../../../examples/demo.json");

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scenario {
            command: ScenarioCommand::Run { file, pretty },
        } => run_scenario_file(&file, pretty),
        Command::Dev { scenario } => dev(scenario),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_scenario_file(file: &PathBuf, pretty: bool) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    run_scenario_text(&text, pretty)
}

fn run_scenario_text(text: &str, pretty: bool) -> anyhow::Result<ExitCode> {
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

fn dev(scenario: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    match scenario {
        Some(file) => run_scenario_file(&file, true),
        None => run_scenario_text(DEMO, true),
    }
}
