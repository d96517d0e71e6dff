//! Output for people or, with `--json`, for machines; and log set-up.

use serde::Serialize;

/// How to print.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// JSON (one object per line) instead of text.
    pub json: bool,
}

impl Output {
    /// Prints a JSON value: one compact line with `--json`, pretty otherwise.
    pub fn value(&self, value: &impl Serialize) {
        let text = if self.json {
            serde_json::to_string(value)
        } else {
            serde_json::to_string_pretty(value)
        };
        match text {
            Ok(t) => println!("{t}"),
            Err(e) => eprintln!("error: cannot render output: {e}"),
        }
    }

    /// Prints `text` for people, or `value` with `--json`.
    pub fn either(&self, text: &str, value: &impl Serialize) {
        if self.json {
            self.value(value);
        } else {
            println!("{text}");
        }
    }

    /// A progress line for people on stderr (a JSON `{"status": …}` line with `--json`).
    pub fn status(&self, text: &str) {
        if self.json {
            eprintln!("{}", serde_json::json!({ "status": text }));
        } else {
            eprintln!("{text}");
        }
    }

    /// Reports a command's failure on stderr (as `{"error": …}` JSON with `--json`).
    pub fn error(&self, e: &anyhow::Error) {
        if self.json {
            let code = e
                .downcast_ref::<rampart_node::client::ClientError>()
                .and_then(|c| c.code().map(str::to_owned))
                .unwrap_or_else(|| "cli_error".to_owned());
            eprintln!(
                "{}",
                serde_json::json!({"error": {"code": code, "message": format!("{e:#}")}})
            );
        } else {
            eprintln!("error: {e:#}");
        }
    }

    /// Installs the log subscriber: JSON lines with `--json`, text otherwise (coloured only
    /// when stderr is a terminal and `NO_COLOR` is unset), times in ISO 8601 (RFC 3339, UTC).
    /// The filter is `RUST_LOG` (`info`, `rampart_node=debug,warn`, …; `tracing`'s
    /// `EnvFilter` syntax), else `RAMPART_LOG` (the older name), else `info`.
    pub fn init_logs(&self) {
        let spec = std::env::var("RUST_LOG")
            .or_else(|_| std::env::var("RAMPART_LOG"))
            .unwrap_or_else(|_| "info".to_owned());
        let (filter, bad) = match tracing_subscriber::EnvFilter::try_new(&spec) {
            Ok(f) => (f, None),
            Err(e) => (tracing_subscriber::EnvFilter::new("info"), Some(e)),
        };
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(
                std::io::IsTerminal::is_terminal(&std::io::stderr())
                    && std::env::var_os("NO_COLOR").is_none(),
            )
            .with_target(false);
        let _ = if self.json {
            builder.json().try_init()
        } else {
            builder.try_init()
        };
        if let Some(e) = bad {
            tracing::warn!(filter = %spec, error = %e, "the log filter does not parse; logging at info");
        }
    }
}
