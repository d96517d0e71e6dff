//! `rampart risk analyze|stress`: the risk engine on a graph file or a stress scenario.

use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Risk analysis commands.
#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Security of a restaking graph (RISK.md §5): certificate, exact attack search, γ-slack,
    /// cascade after a shock, concentration. Prints JSON.
    Analyze {
        /// The graph file.
        #[arg(long)]
        graph: PathBuf,
        /// Shock size ψ (a fraction `p/q` or a decimal in [0, 1]); adds the cascade analysis.
        #[arg(long)]
        shock: Option<String>,
        /// Wall-time budget for the exact searches, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        budget_ms: u64,
        /// Services for local security (repeatable).
        #[arg(long = "target")]
        targets: Vec<String>,
        /// Include the service overlap matrix.
        #[arg(long)]
        overlap: bool,
        /// Include per-operator leverage.
        #[arg(long)]
        leverage: bool,
    },
    /// Run a stress scenario (correlated slashing, de-peg and liquidations, exit race). Prints
    /// JSON; shows progress on stderr.
    Stress {
        /// The stress scenario file.
        #[arg(long)]
        scenario: PathBuf,
    },
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Runs a risk command.
pub fn run(cmd: RiskCommand) -> anyhow::Result<ExitCode> {
    let value = match cmd {
        RiskCommand::Analyze {
            graph,
            shock,
            budget_ms,
            targets,
            overlap,
            leverage,
        } => {
            let opts = rampart_risk::AnalyzeOptions {
                shock,
                budget_ms,
                targets,
                overlap,
                leverage,
                ..Default::default()
            };
            rampart_risk::analyze_json(&read(&graph)?, &opts)
        }
        RiskCommand::Stress { scenario } => {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} stress test {bar:40} {pos}/{len} ({eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let result = rampart_risk::stress_json(&read(&scenario)?, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            });
            bar.finish_and_clear();
            result
        }
    };
    match value {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!(
                "{}",
                serde_json::json!({"error": {"code": e.code(), "message": e.to_string()}})
            );
            Ok(ExitCode::from(2))
        }
    }
}
