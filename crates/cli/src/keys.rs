//! `rampart keys`: encrypted keystore files in Ethereum's keystore v3 format (scrypt + AES-128-
//! CTR, via `eth-keystore`), one `<name>.json` per key, with the `address` field geth and other
//! wallets write, so the files import into (and from) existing Ethereum tools.

use crate::output::Output;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use k256::ecdsa::SigningKey;
use rampart_core::Address;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where keys live and how to unlock them.
#[derive(Debug, Clone, Args)]
pub struct KeystoreArgs {
    /// Keystore directory (default: `$RAMPART_KEYSTORE`, else `~/.rampart/keystore`).
    #[arg(long, global = true)]
    pub keystore: Option<PathBuf>,
    /// Environment variable holding the keystore password.
    #[arg(long, global = true, default_value = "RAMPART_PASSWORD")]
    pub password_env: String,
}

impl KeystoreArgs {
    /// The keystore directory.
    pub fn dir(&self) -> PathBuf {
        if let Some(d) = &self.keystore {
            return d.clone();
        }
        if let Ok(d) = std::env::var("RAMPART_KEYSTORE") {
            return PathBuf::from(d);
        }
        let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
        PathBuf::from(home).join(".rampart").join("keystore")
    }

    /// The password: from the environment variable, else one line of standard input.
    pub fn password(&self) -> anyhow::Result<String> {
        if let Ok(p) = std::env::var(&self.password_env) {
            return Ok(p);
        }
        eprint!(
            "keystore password (input is visible; set ${} to avoid this): ",
            self.password_env
        );
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// `rampart keys …`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(flatten)]
    store: KeystoreArgs,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a new random key.
    Create {
        /// Name of the key (its file is `<name>.json`).
        name: String,
    },
    /// Import a key: a dev account's (`--dev alice`), or a raw private key from an environment
    /// variable or a file (hex).
    Import {
        /// Name of the key.
        name: String,
        /// Import the public dev key of this name (test networks only).
        #[arg(long, conflicts_with_all = ["private_key_env", "private_key_file"])]
        dev: Option<String>,
        /// Environment variable holding the private key (hex).
        #[arg(long)]
        private_key_env: Option<String>,
        /// File holding the private key (hex).
        #[arg(long)]
        private_key_file: Option<PathBuf>,
    },
    /// List the keys and their addresses.
    List,
}

/// Runs a `keys` command.
pub fn run(args: KeysArgs, out: Output) -> anyhow::Result<ExitCode> {
    let dir = args.store.dir();
    match args.command {
        KeysCommand::Create { name } => {
            let key = SigningKey::random(&mut rand_08::rngs::OsRng);
            save(&dir, &name, &key, &args.store, out)
        }
        KeysCommand::Import {
            name,
            dev,
            private_key_env,
            private_key_file,
        } => {
            let key = match (dev, private_key_env, private_key_file) {
                (Some(dev), _, _) => rampart_scenario::names::dev_signing_key(&dev),
                (_, Some(var), _) => {
                    parse_key(&std::env::var(&var).with_context(|| format!("${var} is not set"))?)?
                }
                (_, _, Some(file)) => parse_key(
                    &std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?,
                )?,
                _ => bail!("give --dev NAME, --private-key-env VAR or --private-key-file FILE"),
            };
            save(&dir, &name, &key, &args.store, out)
        }
        KeysCommand::List => list(&dir, out),
    }
}

fn parse_key(text: &str) -> anyhow::Result<SigningKey> {
    let hex = text.trim();
    let hex = hex.strip_prefix("0x").unwrap_or(hex);
    let bytes = rampart_api::tx::hex_decode(hex).context("the private key is not hex")?;
    SigningKey::from_slice(&bytes).context("not a valid secp256k1 private key")
}

fn validate_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        bail!("key names are letters, digits, `-` and `_`");
    }
    Ok(())
}

fn save(
    dir: &Path,
    name: &str,
    key: &SigningKey,
    store: &KeystoreArgs,
    out: Output,
) -> anyhow::Result<ExitCode> {
    validate_name(name)?;
    let file = dir.join(format!("{name}.json"));
    if file.exists() {
        bail!("{} already exists", file.display());
    }
    let password = store.password()?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let spinner = crate::dev::spinner("encrypting (scrypt)", out);
    eth_keystore::encrypt_key(
        dir,
        &mut rand_08::rngs::OsRng,
        key.to_bytes(),
        &password,
        Some(&format!("{name}.json")),
    )
    .context("writing the keystore file")?;
    spinner.finish_and_clear();
    let address = Address::from_private_key(key);
    add_address_field(&file, &address)?;
    out.either(
        &format!("{name}  {address:#x}  {}", file.display()),
        &serde_json::json!({"name": name, "address": format!("{address:#x}"), "file": file}),
    );
    Ok(ExitCode::SUCCESS)
}

/// Adds geth's `address` field (lowercase hex, no prefix) so the address is readable without the
/// password.
fn add_address_field(file: &Path, address: &Address) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)?;
    let mut json: serde_json::Value = serde_json::from_str(&text)?;
    json["address"] = serde_json::Value::String(format!("{address:x}"));
    std::fs::write(file, serde_json::to_vec(&json)?)?;
    Ok(())
}

fn stored_address(file: &Path) -> anyhow::Result<Address> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file)?)?;
    let text = json["address"]
        .as_str()
        .context("the file has no `address` field")?;
    let text = text.strip_prefix("0x").unwrap_or(text);
    format!("0x{text}").parse().context("bad `address` field")
}

fn list(dir: &Path, out: Output) -> anyhow::Result<ExitCode> {
    let mut keys = Vec::new();
    if dir.exists() {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let address = stored_address(&path)
                    .map(|a| format!("{a:#x}"))
                    .unwrap_or_else(|_| "?".into());
                keys.push((name, address));
            }
        }
    }
    keys.sort();
    if out.json {
        out.value(
            &keys
                .iter()
                .map(|(n, a)| serde_json::json!({"name": n, "address": a}))
                .collect::<Vec<_>>(),
        );
    } else if keys.is_empty() {
        println!("no keys in {}", dir.display());
    } else {
        for (n, a) in keys {
            println!("{n:<20} {a}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The address called `name`: a keystore key's, else the dev account's.
pub fn address_of(name: &str, dir: &Path) -> anyhow::Result<Address> {
    let file = dir.join(format!("{name}.json"));
    if file.exists() {
        return stored_address(&file);
    }
    Ok(rampart_scenario::names::dev_address(name))
}

/// Unlocks the key `name` from the keystore.
pub fn load(name: &str, store: &KeystoreArgs) -> anyhow::Result<SigningKey> {
    validate_name(name)?;
    let file = store.dir().join(format!("{name}.json"));
    if !file.exists() {
        bail!(
            "no key `{name}` in {} (see `rampart keys list`)",
            store.dir().display()
        );
    }
    let password = store.password()?;
    let secret =
        eth_keystore::decrypt_key(&file, password).context("cannot decrypt (wrong password?)")?;
    SigningKey::from_slice(&secret).context("the keystore holds an invalid key")
}
