//! BFT mode (feature `bft`, on by default): consensus keys, `rampart node` with a
//! `[consensus]` section, and `rampart testnet`.

use crate::output::Output;
use alloy_primitives::B256;
use anyhow::Context;
use clap::Args;
use rampart_core::base::consensus::dev_consensus_seed;
use rampart_core::genesis::{GenesisAccount, GenesisValidator};
use rampart_core::{Amount, Bps, Genesis, Timestamp};
use rampart_node::NodeConfig;
use rampart_scenario::names::dev_address;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const E18: u128 = 1_000_000_000_000_000_000;

/// Reads a consensus key file (hex seed, optional `0x`).
pub fn read_seed(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the consensus key {}", path.display()))?;
    let bytes = alloy_primitives::hex::decode(text.trim())
        .with_context(|| format!("{} is not hex", path.display()))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| anyhow::anyhow!("{} must hold a 32-byte seed", path.display()))
}

fn write_seed(path: &Path, seed: &[u8; 32]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, format!("0x{}\n", alloy_primitives::hex::encode(seed)))
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

fn public(seed: [u8; 32]) -> anyhow::Result<B256> {
    rampart_consensus::convert::public_of_seed(seed).context("not an ed25519 seed")
}

/// `rampart keys consensus new FILE [--dev NAME] [--force]`.
pub fn keys_new(
    path: &Path,
    dev: Option<&str>,
    force: bool,
    out: Output,
) -> anyhow::Result<ExitCode> {
    if path.exists() && !force {
        anyhow::bail!("{} exists (--force replaces it)", path.display());
    }
    let seed = match dev {
        Some(name) => dev_consensus_seed(name),
        None => {
            let mut s = [0u8; 32];
            rand_08::RngCore::fill_bytes(&mut rand_08::rngs::OsRng, &mut s);
            s
        }
    };
    write_seed(path, &seed)?;
    let key = public(seed)?;
    out.either(
        &format!("consensus key {key:#x} written to {}", path.display()),
        &serde_json::json!({"key": key, "file": path}),
    );
    Ok(ExitCode::SUCCESS)
}

/// `rampart node` with a `[consensus]` section.
pub fn run_node(config: NodeConfig, genesis: Genesis, out: Output) -> anyhow::Result<ExitCode> {
    let Some(section) = config.consensus.clone() else {
        anyhow::bail!("no [consensus] section");
    };
    let seed = section.key.as_deref().map(read_seed).transpose()?;
    if let Some(seed) = seed {
        out.status(&format!(
            "validator with consensus key {:#x}, p2p on {}",
            public(seed)?,
            section.p2p_listen
        ));
    } else {
        out.status(&format!(
            "follower (no consensus key), p2p on {}",
            section.p2p_listen
        ));
    }
    let mut engine = rampart_consensus::engine::EngineConfig {
        partition_prefix: "rampart".into(),
        leader_timeout: Duration::from_millis(section.leader_timeout_ms.max(1)),
        certification_timeout: Duration::from_millis(section.certification_timeout_ms.max(1)),
        ..Default::default()
    };
    engine.app.block_interval = Duration::from_millis(section.block_interval_ms);
    engine.app.max_block_txs = config.max_block_txs;
    let v = rampart_consensus::network::Validator {
        seed,
        p2p_listen: section.p2p_listen,
        peers: section.peers.iter().map(|p| (p.key, p.address)).collect(),
        engine,
    };
    let clean = rampart_consensus::network::run(config, genesis, v)?;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `rampart testnet …`.
#[derive(Debug, Args)]
pub struct TestnetArgs {
    /// Number of validators.
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// Directory of the network (genesis, one directory per node); reused if it exists.
    #[arg(long, default_value = "./testnet")]
    data_dir: PathBuf,
    /// HTTP of node i on FIRST_PORT + i; p2p of node i on FIRST_PORT + validators + i.
    #[arg(long, default_value_t = 8645)]
    first_port: u16,
    /// Consensus epoch length (`consensus_epoch_blocks`) of a new genesis.
    #[arg(long, default_value_t = 600)]
    epoch_blocks: u64,
    /// Write the files and exit without starting the nodes.
    #[arg(long)]
    no_start: bool,
}

fn port(first: u16, i: usize) -> anyhow::Result<u16> {
    u16::try_from(i)
        .ok()
        .and_then(|i| first.checked_add(i))
        .context("port out of range")
}

fn testnet_genesis(n: usize, first_port: u16, epoch_blocks: u64) -> anyhow::Result<Genesis> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut accounts: Vec<GenesisAccount> = ["alice", "bob", "carol", "dave"]
        .iter()
        .map(|name| GenesisAccount {
            address: dev_address(name),
            balances: [("RAM".to_owned(), Amount::new(1_000_000 * E18))].into(),
        })
        .collect();
    let mut validators = Vec::new();
    for i in 0..n {
        let name = format!("validator-{i}");
        accounts.push(GenesisAccount {
            address: dev_address(&name),
            balances: [("RAM".to_owned(), Amount::new(1_000 * E18))].into(),
        });
        validators.push(GenesisValidator {
            address: dev_address(&name),
            self_bond: Amount::new(10_000 * E18),
            commission_bps: Bps::new(500),
            consensus_key: Some(public(dev_consensus_seed(&name))?),
            p2p_address: Some(format!("127.0.0.1:{}", port(first_port, n + i)?)),
        });
    }
    Ok(Genesis {
        chain_id: 1337,
        time: Timestamp::new(now),
        governance: Some(dev_address("governance")),
        guardian: None,
        params: rampart_core::params::ParamsPatch {
            consensus_epoch_blocks: Some(epoch_blocks),
            ..Default::default()
        },
        assets: Vec::new(),
        accounts,
        validators,
    })
}

/// Writes the network's files (a genesis only if there is none yet).
fn write_testnet(a: &TestnetArgs) -> anyhow::Result<Vec<PathBuf>> {
    let n = a.validators;
    anyhow::ensure!(n >= 1, "at least one validator");
    std::fs::create_dir_all(&a.data_dir)?;
    let genesis_path = a.data_dir.join("genesis.json");
    if !genesis_path.exists() {
        let g = testnet_genesis(n, a.first_port, a.epoch_blocks)?;
        std::fs::write(&genesis_path, serde_json::to_string_pretty(&g)?)?;
    }
    let mut configs = Vec::new();
    for i in 0..n {
        let dir = a.data_dir.join(format!("node{i}"));
        std::fs::create_dir_all(&dir)?;
        let seed = dev_consensus_seed(&format!("validator-{i}"));
        let key_path = dir.join("consensus.key");
        if !key_path.exists() {
            write_seed(&key_path, &seed)?;
        }
        let mut toml = format!(
            "data_dir = \"data\"\nlisten = \"127.0.0.1:{}\"\ngenesis = \"../genesis.json\"\n\n[consensus]\nkey = \"consensus.key\"\np2p_listen = \"127.0.0.1:{}\"\n",
            port(a.first_port, i)?,
            port(a.first_port, n + i)?
        );
        for j in (0..n).filter(|j| *j != i) {
            let key = public(dev_consensus_seed(&format!("validator-{j}")))?;
            toml.push_str(&format!(
                "\n[[consensus.peers]]\nkey = \"{key:#x}\"\naddress = \"127.0.0.1:{}\"\n",
                port(a.first_port, n + j)?
            ));
        }
        let path = dir.join("node.toml");
        std::fs::write(&path, toml)?;
        configs.push(path);
    }
    Ok(configs)
}

/// Starts the validators as child processes and stops them all on Ctrl-C.
pub fn testnet(a: TestnetArgs, out: Output) -> anyhow::Result<ExitCode> {
    let configs = write_testnet(&a)?;
    let urls: Vec<String> = (0..a.validators)
        .map(|i| port(a.first_port, i).map(|p| format!("http://127.0.0.1:{p}")))
        .collect::<anyhow::Result<_>>()?;
    if a.no_start {
        out.either(
            &format!("testnet written to {}", a.data_dir.display()),
            &serde_json::json!({"dir": a.data_dir, "urls": urls}),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let log_path = config.with_file_name("node.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let child = std::process::Command::new(&exe)
            .arg("node")
            .arg("--config")
            .arg(config)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting node {i}"))?;
        children.push(child);
    }
    for (i, url) in urls.iter().enumerate() {
        out.status(&format!(
            "validator-{i}: {url}  (log {})",
            configs[i].with_file_name("node.log").display()
        ));
    }
    out.either(
        "testnet running; Ctrl-C stops every node",
        &serde_json::json!({"urls": urls}),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crate::node::wait_for_signal());
    out.status("stopping the testnet…");
    for c in &children {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .status();
    }
    for mut c in children {
        let _ = c.wait();
    }
    Ok(ExitCode::SUCCESS)
}
