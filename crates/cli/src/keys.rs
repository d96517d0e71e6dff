//! `rampart keys`: encrypted keystore files in Ethereum's keystore v3 format ([`crate::keystore`]:
//! scrypt + AES-128-CTR), one `<name>.json` per key, with the `address` field geth and other
//! wallets write, so the files import into (and from) existing Ethereum tools. geth's own
//! `UTC--…--<address>` files in the directory are keys too, named by their file name.
//!
//! Passwords come from `$RAMPART_PASSWORD` (or `--password-env VAR`), else a hidden prompt on
//! a terminal (twice when creating), else one line of standard input. An empty password is
//! refused unless `--insecure-empty-password`. Files are written with mode 0600 in a 0700
//! directory.

use crate::keystore;
use crate::output::Output;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use k256::ecdsa::SigningKey;
use rampart_core::Address;
use std::io::IsTerminal;
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

/// Whether a new password must be typed twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prompt {
    Unlock,
    New,
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

    /// The password to unlock a key.
    pub fn password(&self) -> anyhow::Result<String> {
        self.read_password(Prompt::Unlock)
    }

    /// The password: from the environment variable, else a hidden prompt on a terminal
    /// (confirmed for a new key), else one line of standard input.
    fn read_password(&self, prompt: Prompt) -> anyhow::Result<String> {
        if let Ok(p) = std::env::var(&self.password_env) {
            return Ok(p);
        }
        if std::io::stdin().is_terminal() {
            let first = rpassword::prompt_password("keystore password: ")
                .context("reading the password")?;
            if prompt == Prompt::New {
                let again = rpassword::prompt_password("the same password again: ")
                    .context("reading the password")?;
                if again != first {
                    bail!("the two passwords differ; nothing was written");
                }
            }
            return Ok(first);
        }
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
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
        /// Allow an empty password (anyone who can read the file has the key).
        #[arg(long)]
        insecure_empty_password: bool,
    },
    /// Import a key: a dev account's (`--dev alice`), or a raw private key from an environment
    /// variable or a file (hex).
    Import {
        /// Name of the key.
        name: String,
        /// Import the public dev key of this name (test networks only).
        #[arg(long, conflicts_with_all = ["private_key_env", "private_key_file", "keystore_file"])]
        dev: Option<String>,
        /// Copy a keystore v3 file made elsewhere (geth, ethers, eth-account, MetaMask export)
        /// under this name; its password stays the same.
        #[arg(long, conflicts_with_all = ["private_key_env", "private_key_file"])]
        keystore_file: Option<PathBuf>,
        /// Allow an empty password (anyone who can read the file has the key).
        #[arg(long)]
        insecure_empty_password: bool,
        /// Environment variable holding the private key (hex).
        #[arg(long)]
        private_key_env: Option<String>,
        /// File holding the private key (hex).
        #[arg(long)]
        private_key_file: Option<PathBuf>,
    },
    /// List the keys and their addresses.
    List,
    /// ed25519 consensus keys of validators (BFT mode).
    #[cfg(feature = "bft")]
    Consensus {
        #[command(subcommand)]
        command: ConsensusKeyCommand,
    },
}

#[cfg(feature = "bft")]
#[derive(Debug, Subcommand)]
enum ConsensusKeyCommand {
    /// Write a new consensus key (a hex ed25519 seed, mode 0600) to FILE and print its public key.
    New {
        /// The key file.
        file: PathBuf,
        /// The public dev key of this name instead of a random one (test networks only).
        #[arg(long)]
        dev: Option<String>,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
}

/// Runs a `keys` command.
pub fn run(args: KeysArgs, out: Output) -> anyhow::Result<ExitCode> {
    let dir = args.store.dir();
    match args.command {
        KeysCommand::Create {
            name,
            insecure_empty_password,
        } => {
            let key = SigningKey::random(&mut rand_08::rngs::OsRng);
            save(&dir, &name, &key, &args.store, insecure_empty_password, out)
        }
        KeysCommand::Import {
            name,
            dev,
            keystore_file,
            private_key_env,
            private_key_file,
            insecure_empty_password,
        } => {
            if let Some(file) = keystore_file {
                return import_file(&dir, &name, &file, out);
            }
            let key = match (dev, private_key_env, private_key_file) {
                (Some(dev), _, _) => rampart_scenario::names::dev_signing_key(&dev),
                (_, Some(var), _) => {
                    parse_key(&std::env::var(&var).with_context(|| format!("${var} is not set"))?)?
                }
                (_, _, Some(file)) => parse_key(
                    &std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?,
                )?,
                _ => bail!(
                    "give --dev NAME, --private-key-env VAR, --private-key-file FILE or --keystore-file FILE"
                ),
            };
            save(&dir, &name, &key, &args.store, insecure_empty_password, out)
        }
        KeysCommand::List => list(&dir, out),
        #[cfg(feature = "bft")]
        KeysCommand::Consensus {
            command: ConsensusKeyCommand::New { file, dev, force },
        } => crate::bft::keys_new(&file, dev.as_deref(), force, out),
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
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        bail!("key names are letters, digits, `-`, `_` and `.` (not first)");
    }
    Ok(())
}

/// Creates the directory (0700 on Unix) if needed.
fn create_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Writes a new file readable by its owner only (0600 on Unix); never overwrites.
fn write_private(file: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(file)
        .with_context(|| format!("creating {}", file.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", file.display()))
}

fn save(
    dir: &Path,
    name: &str,
    key: &SigningKey,
    store: &KeystoreArgs,
    allow_empty: bool,
    out: Output,
) -> anyhow::Result<ExitCode> {
    validate_name(name)?;
    let file = dir.join(format!("{name}.json"));
    if find(dir, name).is_some() {
        bail!("a key `{name}` already exists in {}", dir.display());
    }
    let log_n = keystore::scrypt_log_n()?;
    let password = store.read_password(Prompt::New)?;
    if password.is_empty() && !allow_empty {
        bail!(
            "refusing an empty password: anyone who can read {} would have the key (use --insecure-empty-password for a throwaway key)",
            file.display()
        );
    }
    create_dir(dir)?;
    let spinner = crate::dev::spinner("encrypting (scrypt)", out);
    let address = Address::from_private_key(key);
    let json = keystore::encrypt(&key.to_bytes(), &address, &password, log_n);
    spinner.finish_and_clear();
    write_private(&file, &serde_json::to_vec(&json?)?)?;
    out.either(
        &format!("{name}  {address:#x}  {}", file.display()),
        &serde_json::json!({"name": name, "address": format!("{address:#x}"), "file": file}),
    );
    Ok(ExitCode::SUCCESS)
}

fn import_file(dir: &Path, name: &str, source: &Path, out: Output) -> anyhow::Result<ExitCode> {
    validate_name(name)?;
    if find(dir, name).is_some() {
        bail!("a key `{name}` already exists in {}", dir.display());
    }
    let text =
        std::fs::read_to_string(source).with_context(|| format!("reading {}", source.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", source.display()))?;
    if !keystore::is_keystore(&json) {
        bail!("{} is not a keystore v3 file", source.display());
    }
    let address = keystore::declared_address(&json).with_context(|| {
        format!(
            "{} has no `address` field (re-export it with its address, or import the private key)",
            source.display()
        )
    })?;
    create_dir(dir)?;
    let file = dir.join(format!("{name}.json"));
    write_private(&file, text.as_bytes())?;
    out.either(
        &format!("{name}  {address:#x}  {}", file.display()),
        &serde_json::json!({"name": name, "address": format!("{address:#x}"), "file": file}),
    );
    Ok(ExitCode::SUCCESS)
}

/// The keystore file of the key `name`: `<name>.json`, or a file called `name` (geth's
/// `UTC--…` files), if it is a keystore.
fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(format!("{name}.json")), dir.join(name)]
        .into_iter()
        .find(|f| f.is_file() && read_keystore(f).is_ok())
}

pub(crate) fn read_keystore(file: &Path) -> anyhow::Result<serde_json::Value> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file)?)?;
    if !keystore::is_keystore(&json) {
        bail!("{} is not a keystore v3 file", file.display());
    }
    Ok(json)
}

/// Every key in `dir`: its name and declared address (if any), sorted by name.
pub fn keys_in(dir: &Path) -> Vec<(String, Option<Address>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut keys: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter_map(|path| {
            let file_name = path.file_name()?.to_string_lossy().into_owned();
            let name = file_name
                .strip_suffix(".json")
                .map_or(file_name.clone(), str::to_owned);
            let json = read_keystore(&path).ok()?;
            Some((name, keystore::declared_address(&json)))
        })
        .collect();
    keys.sort();
    keys
}

fn list(dir: &Path, out: Output) -> anyhow::Result<ExitCode> {
    let keys = keys_in(dir);
    let shown = |a: &Option<Address>| a.map_or_else(|| "?".to_owned(), |a| format!("{a:#x}"));
    if out.json {
        out.value(
            &keys
                .iter()
                .map(|(n, a)| serde_json::json!({"name": n, "address": shown(a)}))
                .collect::<Vec<_>>(),
        );
    } else if keys.is_empty() {
        println!("no keys in {}", dir.display());
    } else {
        for (n, a) in &keys {
            println!("{n:<20} {}", shown(a));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `@name` may also mean a public dev account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    /// Keystore keys only.
    Keystore,
    /// Keystore keys, then dev accounts (dev networks: `--dev`).
    KeystoreAndDev,
}

/// The address called `name`: a keystore key's, or (with [`Names::KeystoreAndDev`]) the dev
/// account's. Anything else is an error that lists the known names.
pub fn address_of(name: &str, dir: &Path, names: Names) -> anyhow::Result<Address> {
    if let Some(file) = find(dir, name) {
        let json = read_keystore(&file)?;
        return keystore::declared_address(&json)
            .with_context(|| format!("{} has no `address` field", file.display()));
    }
    if names == Names::KeystoreAndDev {
        return Ok(rampart_scenario::names::dev_address(name));
    }
    let known: Vec<String> = keys_in(dir).into_iter().map(|(n, _)| n).collect();
    let listed = if known.is_empty() {
        format!("there are no keys in {}", dir.display())
    } else {
        format!("keys in {}: {}", dir.display(), known.join(", "))
    };
    bail!(
        "no key `@{name}`: {listed}; dev account names (alice, op1, …) need --dev on a dev network"
    )
}

/// Unlocks the key `name` from the keystore.
pub fn load(name: &str, store: &KeystoreArgs) -> anyhow::Result<SigningKey> {
    validate_name(name)?;
    let dir = store.dir();
    let Some(file) = find(&dir, name) else {
        let known: Vec<String> = keys_in(&dir).into_iter().map(|(n, _)| n).collect();
        bail!(
            "no key `{name}` in {} (keys: {})",
            dir.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        );
    };
    let json = read_keystore(&file)?;
    let password = store.password()?;
    let secret = keystore::decrypt(&json, &password)
        .with_context(|| format!("cannot open {}", file.display()))?;
    let key = SigningKey::from_slice(&secret).context("the keystore holds an invalid key")?;
    if let Some(declared) = keystore::declared_address(&json)
        && declared != Address::from_private_key(&key)
    {
        bail!(
            "{} declares {declared:#x} but holds the key of another address",
            file.display()
        );
    }
    Ok(key)
}
