//! The demo chain of `rampart dev`: a genesis with named dev accounts and a deterministic
//! driver that gives every layer of the protocol a history and keeps the chain busy.
//!
//! What the demo network holds:
//!
//! - **base layer**: four genesis validators with self bonds and commissions; base delegators
//!   (some split over two validators), an undelegation and its claim, a commission change,
//!   builder payments (MEV) and priority tips to the proposer;
//! - **liquid staking**: LST deposits, a redemption requested and claimed after the unbonding
//!   period, LST restaked;
//! - **restaking**: four operators, three services with four operator sets (each with a
//!   security profile, one set admitting by approval, one with a veto resolver and
//!   redistribution), stakers with split delegations in stETH, rETH, the LST and native stake,
//!   allocations and re-allocations, withdrawals queued and completed, redelegations, slashes
//!   (instant, and requested then executed after the veto window);
//! - **rewards**: programs weighted by allocated and by delegated stake, operator commissions
//!   per service, a protocol fee, claims;
//! - **governance prices** for stETH and rETH, so cross-asset values are stated;
//! - **liquid restaking vaults** ([`VAULTS`]): `rstETH` on stETH (curator `atlas`) and `rstRAM`
//!   on the LST (curator `meridian`), each with published fees and policy, deposits from several
//!   stakers and the curator's allocations to allowed operators within the per-operator cap and
//!   the buffer target; reward programs in stETH and stRAM that the vaults compound (RAM rewards
//!   go to their side pockets). The driver keeps them busy: deposits, instant exits within the
//!   buffer, withdrawal requests and their claims once finalized, harvests, re-allocations and
//!   deallocations, a fee rise (scheduled for the next epoch) and a looser policy (pending for
//!   `config_delay_s`). Every vault transaction is sized from the state so it succeeds.
//!
//! Every demo transaction is signed with its account's dev key (`rampart_scenario::names`) and
//! goes through the same path as any client's: EIP-712 signature, verification, mempool, block.
//!
//! To extend the demo: add assets and balances in [`genesis`], one-off actions in
//! [`setup_steps`] (vaults in [`vault_setup`]), recurring ones in [`Driver::step`]. A demo
//! transaction that fails is still committed (`ok: false` in its block, counted in the
//! `failed` of the block log line and metrics); one refused at admission is logged at debug.
//! `tests/demo.rs` runs 30 days of history and checks that every setup and vault transaction
//! succeeds.

use crate::node::Shared;
use alloy_primitives::Address;
use rampart_api::{ApiError, SignedTx, UnsignedTx};
use rampart_core::genesis::{GenesisAccount, GenesisAsset, GenesisValidator};
use rampart_core::params::ParamsPatch;
use rampart_core::vault::VaultView;
use rampart_core::{Amount, AssetId, Bps, Duration, Genesis, Query, State, Timestamp, Wad, bank};
use rampart_scenario::names::{dev_address, dev_signing_key};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Seconds between two rounds of the live driver's activity ([`Driver::step`]) once the
/// history is built: a plausible rate for a live chain with 2 s blocks (the history itself
/// runs one round per block, blocks four hours apart).
pub const LIVE_STEP_S: u64 = 60;

/// The demo chain's EIP-712 chain id.
pub const CHAIN_ID: u64 = 31_337;
/// Stakers of the demo (restaking, some base delegation and LST too).
pub const STAKERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
/// Base-layer delegators and LST holders who also restake native stake and the LST.
pub const DELEGATORS: [&str; 2] = ["grace", "heidi"];
/// Operators of the demo.
pub const OPERATORS: [&str; 4] = ["op1", "op2", "op3", "op4"];
/// Services of the demo.
pub const SERVICES: [&str; 3] = ["oracle", "bridge", "sequencer"];
/// Genesis validators: name, self bond in whole RAM, commission in bps.
pub const VALIDATORS: [(&str, u128, u32); 4] = [
    ("val1", 20_000, 500),
    ("val2", 15_000, 800),
    ("val3", 10_000, 1_000),
    ("val4", 5_000, 300),
];
/// Restakable external assets of the demo.
pub const ASSETS: [&str; 2] = ["stETH", "rETH"];
/// Other named accounts: the bridge's veto council, governance, a block builder.
pub const OTHERS: [&str; 3] = ["bridge-council", "governance", "builder"];
/// The LST's symbol.
pub const LST: &str = rampart_core::lst::LST_SYMBOL;
/// Curators of the demo's vaults.
pub const CURATORS: [&str; 2] = ["atlas", "meridian"];

/// A liquid restaking vault of the demo.
#[derive(Clone, Copy, Debug)]
pub struct DemoVault {
    /// Its LRT symbol: the vault's name in actions and queries.
    pub lrt: &'static str,
    /// Its display name (`NodeConfig::vault_names`).
    pub name: &'static str,
    /// The asset it holds.
    pub asset: &'static str,
    /// Its curator.
    pub curator: &'static str,
    /// Who the driver has deposit into it (never an account whose balance of the asset a
    /// milestone needs).
    pub depositors: &'static [&'static str],
    /// Who may hold its LRT: the driver's instant exits and withdrawal requests come from them.
    pub holders: &'static [&'static str],
}

/// The demo's vaults: stETH curated by `atlas` across oracle and bridge operators, and the LST
/// curated by `meridian` across the sequencer's operators.
pub const VAULTS: [DemoVault; 2] = [
    DemoVault {
        lrt: "rstETH",
        name: "Atlas restaked ETH",
        asset: "stETH",
        curator: "atlas",
        depositors: &["alice", "bob", "carol", "dave", "erin", "frank"],
        holders: &["alice", "bob", "carol", "dave", "erin", "frank"],
    },
    DemoVault {
        lrt: "rstRAM",
        name: "Meridian restaked RAM",
        asset: LST,
        curator: "meridian",
        depositors: &["carol", "dave", "heidi", "alice", "bob", "erin", "frank"],
        holders: &[
            "grace", "heidi", "carol", "dave", "alice", "bob", "erin", "frank",
        ],
    },
];

const E18: u128 = 1_000_000_000_000_000_000;

fn ram(whole: u128) -> String {
    (whole * E18).to_string()
}

/// Every named account of the demo, for display names (`NodeConfig::labels`).
pub fn labels() -> BTreeMap<Address, String> {
    STAKERS
        .iter()
        .chain(&DELEGATORS)
        .chain(&OPERATORS)
        .chain(&SERVICES)
        .chain(&OTHERS)
        .chain(&CURATORS)
        .copied()
        .chain(VALIDATORS.iter().map(|(v, _, _)| *v))
        .map(|n| (dev_address(n), n.to_owned()))
        .collect()
}

/// Display names of the demo's vaults, by LRT symbol (`NodeConfig::vault_names`).
pub fn vault_names() -> BTreeMap<String, String> {
    VAULTS
        .iter()
        .map(|v| (v.lrt.to_owned(), v.name.to_owned()))
        .collect()
}

/// The demo genesis, starting at unix time `start`.
pub fn genesis(start: u64) -> Genesis {
    let account = |name: &str, ram_whole: u128, assets: u128| GenesisAccount {
        address: dev_address(name),
        balances: BTreeMap::from_iter(
            [("RAM".to_owned(), Amount::new(ram_whole * E18))]
                .into_iter()
                .chain(
                    ASSETS
                        .iter()
                        .map(|a| ((*a).to_owned(), Amount::new(assets * E18))),
                )
                .filter(|(_, amount)| !amount.is_zero()),
        ),
    };
    let mut accounts: Vec<GenesisAccount> =
        STAKERS.iter().map(|s| account(s, 50_000, 10_000)).collect();
    accounts.extend(DELEGATORS.iter().map(|d| account(d, 50_000, 0)));
    accounts.extend(OPERATORS.iter().map(|o| account(o, 1_000, 0)));
    accounts.extend(SERVICES.iter().map(|s| account(s, 200_000, 0)));
    accounts.extend(OTHERS.iter().map(|n| account(n, 10_000, 0)));
    accounts.extend(VALIDATORS.iter().map(|(v, _, _)| account(v, 1_000, 0)));
    // The stETH vault's curator pays its seed; the LST vault's buys stRAM for its seed.
    accounts.push(account("atlas", 1_000, 100));
    accounts.push(account("meridian", 1_000, 0));
    // The oracle funds a reward program in stETH (what the stETH vault compounds).
    if let Some(oracle) = accounts
        .iter_mut()
        .find(|a| a.address == dev_address("oracle"))
    {
        oracle
            .balances
            .insert("stETH".to_owned(), Amount::new(5_000 * E18));
    }
    Genesis {
        chain_id: CHAIN_ID,
        time: Timestamp::new(start),
        governance: Some(dev_address("governance")),
        guardian: Some(dev_address("guardian")),
        params: ParamsPatch {
            // The dev network's quick governance path: short votes and neutral timelocks (a
            // change that can raise a depositor's risk still waits the longest exit path).
            gov_voting_period_s: Some(Duration::new(600)),
            gov_neutral_delay_s: Some(Duration::new(600)),
            gov_risk_margin_s: Some(Duration::new(600)),
            withdrawal_delay_s: Some(Duration::days(2)),
            deallocation_delay_s: Some(Duration::days(2)),
            resolution_delay_s: Some(Duration::days(1)),
            unbonding_period_s: Some(Duration::days(3)),
            commission_delay_s: Some(Duration::days(1)),
            protocol_fee_bps: Some(Bps::new(500)),
            // The dev network's transactions are free, stated so that a demo genesis written
            // to a file and run with `rampart node` stays free (`config::network_genesis`).
            base_fee: Some(Amount::ZERO),
            prices: Some(BTreeMap::from([
                ("stETH".to_owned(), Wad::new(E18)),
                ("rETH".to_owned(), Wad::new(E18 / 100 * 110)),
            ])),
            ..ParamsPatch::default()
        },
        assets: ASSETS
            .iter()
            .map(|s| GenesisAsset {
                symbol: (*s).to_owned(),
                decimals: 18,
                issuer: Some(dev_address("bridge")),
                restakable: true,
            })
            .collect(),
        accounts,
        validators: VALIDATORS
            .iter()
            .map(|(name, bond, commission)| GenesisValidator {
                address: dev_address(name),
                self_bond: Amount::new(bond * E18),
                commission_bps: Bps::new(*commission),
                consensus_key: None,
                p2p_address: None,
            })
            .collect(),
    }
}

fn addr(name: &str) -> String {
    format!("{:#x}", dev_address(name))
}

fn set(service: &str, id: u32) -> String {
    format!("{}/{id}", addr(service))
}

fn tx(signer: &str, action: Value) -> DemoTx {
    (signer.to_owned(), action)
}

/// A demo transaction: the signer's name and the action's JSON.
pub type DemoTx = (String, Value);

/// One-off actions of the demo, one block each: registrations and the base layer, operator
/// sets with security profiles, joins, deposits, delegations and allocations, reward programs,
/// then vaults.
pub fn setup_steps() -> Vec<Vec<DemoTx>> {
    [
        registrations(),
        sets(),
        joins(),
        deposits(),
        delegations(),
        rewards(),
        vault_setup(),
    ]
    .into_iter()
    .filter(|block| !block.is_empty())
    .collect()
}

fn registrations() -> Vec<DemoTx> {
    let mut txs: Vec<DemoTx> = OPERATORS
        .iter()
        .enumerate()
        .map(|(i, op)| {
            tx(
                op,
                json!({"tx": "register_operator",
                "metadata_uri": format!("https://{op}.example/operator.json"),
                "allocation_delay_s": if i == 3 { 3_600 } else { 0 },
                "default_commission_bps": 500 + 250 * i as u64}),
            )
        })
        .collect();
    txs.push(tx(
        "oracle",
        json!({"tx": "register_service",
        "metadata_uri": "https://oracle.example/service.json", "slasher": addr("oracle"),
        "max_slash_per_event_wad": (E18 / 2).to_string(), "destination": "burn",
        // An objective rule (§6.6): a proven double sign takes 10 % of the allocation at once.
        "double_sign_wad": (E18 / 10).to_string()}),
    ));
    txs.push(tx(
        "bridge",
        json!({"tx": "register_service",
        "metadata_uri": "https://bridge.example/service.json", "slasher": addr("bridge"),
        "resolver": addr("bridge-council"), "veto_window_s": 86_400,
        "max_slash_per_event_wad": (E18 / 5).to_string(),
        "destination": {"redistribute": addr("bridge-council")}}),
    ));
    txs.push(tx(
        "sequencer",
        json!({"tx": "register_service",
        "metadata_uri": "https://sequencer.example/service.json", "slasher": addr("sequencer"),
        "max_slash_per_event_wad": (E18 / 10).to_string(), "destination": "burn"}),
    ));
    // The base layer and the LST: split base delegations, LST deposits.
    for (who, validator, amount) in [
        ("grace", "val1", 8_000),
        ("grace", "val2", 4_000),
        ("heidi", "val2", 10_000),
        ("alice", "val3", 3_000),
        ("bob", "val4", 2_000),
        ("carol", "val1", 1_500),
    ] {
        txs.push(tx(
            who,
            json!({"tx": "delegate_base", "validator": addr(validator), "amount": ram(amount)}),
        ));
    }
    for (who, amount) in [("grace", 6_000), ("carol", 4_000), ("dave", 2_000)] {
        txs.push(tx(who, json!({"tx": "lst_deposit", "amount": ram(amount)})));
    }
    txs
}

fn sets() -> Vec<DemoTx> {
    let create = |service: &str, id: u32, strategies: Value, admission: &str| {
        tx(
            service,
            json!({"tx": "create_operator_set", "set_id": id, "strategies": strategies, "admission": admission}),
        )
    };
    // π in whole RAM; α from the fault model unless given.
    let profile = |service: &str, id: u32, profit: u128, fault: &str, threshold: Option<&str>| {
        let mut a = json!({"tx": "set_security_profile", "set_id": id, "profit": ram(profit), "fault": fault});
        if let Some(t) = threshold {
            a["threshold"] = json!(t);
        }
        tx(service, a)
    };
    vec![
        create("oracle", 0, json!(ASSETS), "open"),
        create("oracle", 1, json!(["stETH"]), "open"),
        create("bridge", 0, json!(ASSETS), "open"),
        create("sequencer", 0, json!([LST, "RAM-native"]), "approval"),
        profile("oracle", 0, 2_000, "liveness", None),
        profile("oracle", 1, 1_000, "safety", None),
        profile("bridge", 0, 2_500, "safety", None),
        profile("sequencer", 0, 1_500, "safety", Some("1/2")),
        tx(
            "sequencer",
            json!({"tx": "approve_operator", "operator": addr("op1"), "set": set("sequencer", 0)}),
        ),
        tx(
            "sequencer",
            json!({"tx": "approve_operator", "operator": addr("op3"), "set": set("sequencer", 0)}),
        ),
    ]
}

fn joins() -> Vec<DemoTx> {
    let mut txs = Vec::new();
    for (i, op) in OPERATORS.iter().enumerate() {
        txs.push(tx(
            op,
            json!({"tx": "register_for_set", "set": set("oracle", 0)}),
        ));
        let other = if i % 2 == 0 {
            set("bridge", 0)
        } else {
            set("oracle", 1)
        };
        txs.push(tx(op, json!({"tx": "register_for_set", "set": other})));
    }
    for op in ["op1", "op3"] {
        txs.push(tx(
            op,
            json!({"tx": "register_for_set", "set": set("sequencer", 0)}),
        ));
    }
    txs
}

fn deposits() -> Vec<DemoTx> {
    let mut txs = Vec::new();
    for (i, s) in STAKERS.iter().enumerate() {
        for asset in ASSETS {
            let amount = (1_000 + 500 * i as u128) * E18;
            txs.push(tx(
                s,
                json!({"tx": "deposit", "asset": asset, "amount": amount.to_string()}),
            ));
        }
    }
    // The LST restaked, and native stake restaked.
    txs.push(tx(
        "grace",
        json!({"tx": "deposit", "asset": LST, "amount": ram(3_000)}),
    ));
    txs.push(tx(
        "carol",
        json!({"tx": "deposit", "asset": LST, "amount": ram(2_000)}),
    ));
    txs
}

fn delegations() -> Vec<DemoTx> {
    let mut txs = Vec::new();
    for (i, s) in STAKERS.iter().enumerate() {
        let first = OPERATORS[i % OPERATORS.len()];
        let second = OPERATORS[(i + 1) % OPERATORS.len()];
        let half = ((1_000 + 500 * i as u128) * E18 / 2).to_string();
        txs.push(tx(
            s,
            json!({"tx": "delegate", "operator": addr(first), "strategy": "stETH", "shares": half}),
        ));
        txs.push(tx(
            s,
            json!({"tx": "delegate", "operator": addr(second), "strategy": "stETH", "shares": "all"}),
        ));
        txs.push(tx(
            s,
            json!({"tx": "delegate", "operator": addr(first), "strategy": "rETH", "shares": "all"}),
        ));
    }
    txs.push(tx(
        "grace",
        json!({"tx": "delegate", "operator": addr("op1"), "strategy": LST, "shares": ram(1_500)}),
    ));
    txs.push(tx(
        "grace",
        json!({"tx": "delegate", "operator": addr("op3"), "strategy": LST, "shares": "all"}),
    ));
    txs.push(tx(
        "carol",
        json!({"tx": "delegate", "operator": addr("op3"), "strategy": LST, "shares": "all"}),
    ));
    let m = |pct: u128| (E18 * pct / 100).to_string();
    for (i, op) in OPERATORS.iter().enumerate() {
        txs.push(tx(
            op,
            json!({"tx": "allocate", "set": set("oracle", 0), "strategy": "stETH", "magnitude": m(30 + 5 * i as u128)}),
        ));
        txs.push(tx(
            op,
            json!({"tx": "allocate", "set": set("oracle", 0), "strategy": "rETH", "magnitude": m(40)}),
        ));
        let (svc, id) = if i % 2 == 0 {
            ("bridge", 0)
        } else {
            ("oracle", 1)
        };
        txs.push(tx(
            op,
            json!({"tx": "allocate", "set": set(svc, id), "strategy": "stETH", "magnitude": m(25)}),
        ));
    }
    for op in ["op1", "op3"] {
        txs.push(tx(
            op,
            json!({"tx": "allocate", "set": set("sequencer", 0), "strategy": LST, "magnitude": m(60)}),
        ));
    }
    txs.push(tx(
        "op1",
        json!({"tx": "allocate", "set": set("sequencer", 0), "strategy": "RAM-native", "magnitude": m(50)}),
    ));
    txs
}

fn rewards() -> Vec<DemoTx> {
    let program = |service: &str, id: u32, amount: u128, days: u64, weighting: &str| {
        tx(
            service,
            json!({"tx": "create_reward_program", "service": addr(service), "set": set(service, id),
                "asset": "RAM", "amount": ram(amount), "duration_s": days * 86_400, "weighting": weighting}),
        )
    };
    vec![
        // Sized for yields of a few percent a year on the demo's stake.
        program("oracle", 0, 300, 90, "allocated"),
        program("sequencer", 0, 200, 90, "delegated"),
        program("bridge", 0, 40, 60, "allocated"),
        tx(
            "op2",
            json!({"tx": "set_service_commission", "service": addr("oracle"), "commission_bps": 1_500}),
        ),
        tx(
            "op1",
            json!({"tx": "set_service_commission", "service": addr("sequencer"), "commission_bps": 800}),
        ),
    ]
}

/// Vaults of the demo (PROTOCOL.md §8), in one block after the reward programs:
///
/// - `rstETH` (stETH, curated by `atlas`): 1 %/year management, 10 % performance, 0.3 %
///   instant-exit fee, a 10 % buffer, policy op1, op2 and op4 within the oracle's and the
///   bridge's sets (the services they allocate stETH to), at most 35 % of the vault per
///   operator; five stakers deposit and the curator allocates to the three operators. The oracle
///   adds a stETH reward program on `oracle/0`, which the vault compounds (the bridge's RAM
///   rewards go to its side pocket);
/// - `rstRAM` (the LST, curated by `meridian`): 0.5 %/year management, 15 % performance, 0.1 %
///   deposit and 0.5 % instant-exit fees, a 15 % buffer, policy op1 and op3 within the
///   sequencer's set, at most 50 % per operator; grace, heidi (who first buys stRAM), carol and
///   dave deposit; the sequencer adds a stRAM reward program on `sequencer/0`.
///
/// Policies name operators and services by address; the core sorts them.
pub fn vault_setup() -> Vec<DemoTx> {
    let addrs = |names: &[&str]| names.iter().map(|n| addr(n)).collect::<Vec<_>>();
    let mut txs = vec![
        // stRAM for the LST vault's seed, for a stRAM reward program, and for heidi's deposit.
        tx("meridian", json!({"tx": "lst_deposit", "amount": ram(200)})),
        tx(
            "sequencer",
            json!({"tx": "lst_deposit", "amount": ram(1_000)}),
        ),
        tx("heidi", json!({"tx": "lst_deposit", "amount": ram(3_000)})),
        tx(
            "atlas",
            json!({"tx": "create_vault", "asset": "stETH", "lrt_symbol": "rstETH",
                "deposit_cap": ram(50_000), "buffer_bps": 1_000,
                "fees": {"management_bps": 100, "performance_bps": 1_000, "deposit_bps": 0, "withdrawal_bps": 30},
                "policy": {"allowed_operators": addrs(&["op1", "op2", "op4"]),
                    "allowed_services": addrs(&["oracle", "bridge"]), "max_per_operator_bps": 3_500},
                "seed_amount": ram(10), "min_request": ram(1)}),
        ),
        tx(
            "meridian",
            json!({"tx": "create_vault", "asset": LST, "lrt_symbol": "rstRAM",
                "deposit_cap": ram(20_000), "buffer_bps": 1_500,
                "fees": {"management_bps": 50, "performance_bps": 1_500, "deposit_bps": 10, "withdrawal_bps": 50},
                "policy": {"allowed_operators": addrs(&["op1", "op3"]),
                    "allowed_services": addrs(&["sequencer"]), "max_per_operator_bps": 5_000},
                "seed_amount": ram(10), "min_request": ram(1)}),
        ),
    ];
    for (who, vault, amount) in [
        ("alice", "rstETH", 2_000),
        ("bob", "rstETH", 1_500),
        ("carol", "rstETH", 1_000),
        ("erin", "rstETH", 800),
        ("frank", "rstETH", 500),
        ("grace", "rstRAM", 1_500),
        ("heidi", "rstRAM", 2_000),
        ("carol", "rstRAM", 1_000),
        ("dave", "rstRAM", 1_000),
    ] {
        txs.push(tx(
            who,
            json!({"tx": "vault_deposit", "vault": vault, "amount": ram(amount)}),
        ));
    }
    // rstETH holds 5,810 stETH (buffer target 581, 2,033 per operator at most); rstRAM about
    // 5,500 stRAM (target 825, 2,750 per operator).
    for (curator, vault, op, amount) in [
        ("atlas", "rstETH", "op1", 1_800),
        ("atlas", "rstETH", "op2", 1_500),
        ("atlas", "rstETH", "op4", 1_200),
        ("meridian", "rstRAM", "op1", 2_000),
        ("meridian", "rstRAM", "op3", 1_800),
    ] {
        txs.push(tx(
            curator,
            json!({"tx": "vault_allocate", "vault": vault, "operator": addr(op), "amount": ram(amount)}),
        ));
    }
    let program = |service: &str, asset: &str, amount: u128, weighting: &str| {
        tx(
            service,
            json!({"tx": "create_reward_program", "service": addr(service), "set": set(service, 0),
                "asset": asset, "amount": ram(amount), "duration_s": 90 * 86_400, "weighting": weighting}),
        )
    };
    txs.push(program("oracle", "stETH", 400, "allocated"));
    txs.push(program("sequencer", LST, 200, "delegated"));
    txs
}

/// Deterministic recurring activity: each [`Driver::step`] returns one block's worth.
#[derive(Clone, Debug)]
pub struct Driver {
    rng: u64,
    step: u64,
    setup: std::vec::IntoIter<Vec<DemoTx>>,
    /// Whether the one-off milestones still run (not on a resumed chain, which had them).
    milestones: bool,
    /// Vault requests whose claim was submitted and not yet seen committed (so a claim is never
    /// sent twice).
    claimed: BTreeSet<u64>,
}

impl Default for Driver {
    fn default() -> Self {
        Self::new(0x5eed)
    }
}

impl Driver {
    /// A driver with a seed (the same seed gives the same activity on the same state).
    pub fn new(seed: u64) -> Self {
        Self {
            rng: seed,
            step: 0,
            setup: setup_steps().into_iter(),
            milestones: true,
            claimed: BTreeSet::new(),
        }
    }

    /// A driver for a chain whose setup already ran (a resumed `rampart dev`).
    pub fn resumed(seed: u64) -> Self {
        Self {
            setup: Vec::new().into_iter(),
            milestones: false,
            ..Self::new(seed)
        }
    }

    /// Whether setup transactions are still to come (they go one block at a time).
    pub fn setting_up(&self) -> bool {
        self.setup.len() > 0
    }

    fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.next_u64() % items.len() as u64).unwrap_or(0);
        items[i]
    }

    fn whole(&mut self, max: u64) -> String {
        ((self.next_u64() % max + 1) as u128 * E18).to_string()
    }

    /// The next block's demo transactions, given the current state: setup first, then a mix of
    /// restaking (deposits, delegations, withdrawals queued and completed, redelegations,
    /// re-allocations, claims, slashes), base-layer and LST activity (delegations, an
    /// undelegation and its claim, a redemption and its claim, builder payments, tips),
    /// transfers, and vault activity (deposits, instant exits within the buffer, withdrawal
    /// requests and their claims, harvests, the curators' allocations and deallocations).
    pub fn step(&mut self, state: &State) -> Vec<DemoTx> {
        if let Some(setup) = self.setup.next() {
            return setup;
        }
        self.step += 1;
        let mut txs = self.restaking_activity();
        txs.extend(self.base_activity());
        txs.extend(self.milestones());
        txs.extend(self.vault_activity(state));
        txs.extend(due_withdrawals(state));
        txs.extend(executable_slashes(state));
        txs.extend(due_redemptions(state));
        txs.extend(due_unbondings(state));
        txs
    }

    fn restaking_activity(&mut self) -> Vec<DemoTx> {
        let mut txs = Vec::new();
        let staker = self.pick(&STAKERS);
        let asset = self.pick(&ASSETS);
        let amount = self.whole(50);
        txs.push(tx(
            staker,
            json!({"tx": "deposit", "asset": asset, "amount": amount}),
        ));
        let op = self.pick(&OPERATORS);
        txs.push(tx(
            staker,
            json!({"tx": "delegate", "operator": addr(op), "strategy": asset, "shares": "all"}),
        ));
        let to = self.pick(&STAKERS);
        if to != staker {
            txs.push(tx(
                staker,
                json!({"tx": "transfer", "to": addr(to), "asset": "RAM", "amount": E18.to_string()}),
            ));
        }
        if self.step.is_multiple_of(3) {
            let who = self.pick(&STAKERS);
            let from = self.pick(&OPERATORS);
            let shares = self.whole(20);
            txs.push(tx(
                who,
                json!({"tx": "queue_withdrawal", "operator": addr(from), "strategy": "stETH", "shares": shares}),
            ));
        }
        if self.step.is_multiple_of(5) {
            let who = self.pick(&STAKERS);
            txs.push(tx(who, json!({"tx": "claim_rewards"})));
        }
        if self.step.is_multiple_of(7) {
            let op = self.pick(&OPERATORS);
            let pct = 20 + self.next_u64() % 30;
            txs.push(tx(
                op,
                json!({"tx": "allocate", "set": set("oracle", 0), "strategy": "rETH", "magnitude": (E18 / 100 * u128::from(pct)).to_string()}),
            ));
        }
        if self.step.is_multiple_of(11) {
            let who = self.pick(&STAKERS);
            let from = self.pick(&OPERATORS);
            let to = self.pick(&OPERATORS);
            if from != to {
                let shares = self.whole(30);
                txs.push(tx(
                    who,
                    json!({"tx": "redelegate", "from_operator": addr(from), "to_operator": addr(to), "strategy": "stETH", "shares": shares}),
                ));
            }
        }
        if self.step.is_multiple_of(40) {
            let op = self.pick(&OPERATORS);
            txs.push(tx(
                "oracle",
                json!({"tx": "slash", "operator": addr(op), "set": set("oracle", 0),
                "strategies": ["stETH"], "wad": (E18 / 100).to_string(), "evidence": "missed price reports"}),
            ));
        }
        if self.step.is_multiple_of(55) {
            let op = self.pick(&["op1", "op3"]);
            txs.push(tx(
                "bridge",
                json!({"tx": "slash", "operator": addr(op), "set": set("bridge", 0),
                "strategies": ["stETH"], "wad": (E18 / 50).to_string(), "evidence": "signed a conflicting bridge message"}),
            ));
        }
        txs
    }

    fn base_activity(&mut self) -> Vec<DemoTx> {
        let mut txs = Vec::new();
        if self.step.is_multiple_of(4) {
            let who = self.pick(&STAKERS);
            let validator = self.pick(&["val1", "val2", "val3", "val4"]);
            let amount = self.whole(100);
            txs.push(tx(
                who,
                json!({"tx": "delegate_base", "validator": addr(validator), "amount": amount}),
            ));
        }
        if self.step.is_multiple_of(6) {
            let who = self.pick(&STAKERS);
            let amount = self.whole(80);
            txs.push(tx(who, json!({"tx": "lst_deposit", "amount": amount})));
        }
        if self.step.is_multiple_of(9) {
            let amount = self.whole(3);
            txs.push(tx(
                "builder",
                json!({"tx": "pay_proposer", "amount": amount}),
            ));
        }
        txs
    }

    /// One-off events at fixed steps, so the history has each kind at least once.
    fn milestones(&mut self) -> Vec<DemoTx> {
        if !self.milestones {
            return Vec::new();
        }
        match self.step {
            // Native restaking needs bonded (not pending) base stake: a few epochs in.
            1 => vec![
                tx(
                    "heidi",
                    json!({"tx": "restake_native", "validator": addr("val2"), "amount": ram(6_000)}),
                ),
                tx(
                    "heidi",
                    json!({"tx": "delegate", "operator": addr("op1"), "strategy": "RAM-native",
                        "validator": addr("val2"), "shares": "all"}),
                ),
            ],
            // The first slash early, so security and exposure show its effect.
            2 => vec![tx(
                "oracle",
                json!({"tx": "slash", "operator": addr("op2"), "set": set("oracle", 0),
                    "strategies": ["stETH", "rETH"], "wad": (E18 / 20).to_string(), "evidence": "stale prices for 3 epochs"}),
            )],
            8 => vec![tx(
                "grace",
                json!({"tx": "lst_request_redeem", "shares": ram(1_000)}),
            )],
            10 => vec![tx(
                "heidi",
                json!({"tx": "undelegate_base", "validator": addr("val2"), "amount": ram(1_000)}),
            )],
            12 => vec![tx(
                "val3",
                json!({"tx": "set_validator_commission", "commission_bps": 1_100}),
            )],
            // A governance proposal (the dev network's 10-minute vote): submitted and voted on by
            // the validators and a delegator overriding its validator in one block, tallied and
            // queued at the next, applied after its (neutral) timelock.
            6 => {
                let mut txs = vec![tx(
                    "grace",
                    json!({"tx": "submit_proposal", "title": "Lower the LST fee to 8 %",
                        "metadata_uri": "https://forum.rampart.example/t/lst-fee",
                        "changes": [{"params": {"lst_fee_bps": 800}}], "deposit": ram(1_000)}),
                )];
                txs.extend(
                    VALIDATORS.iter().map(|(v, _, _)| {
                        tx(v, json!({"tx": "vote", "proposal": 0, "option": "yes"}))
                    }),
                );
                txs.push(tx(
                    "heidi",
                    json!({"tx": "vote", "proposal": 0, "option": "no"}),
                ));
                txs
            }
            14 => vec![
                tx("grace", json!({"tx": "claim_rewards"})),
                tx("heidi", json!({"tx": "claim_rewards"})),
            ],
            // A fee rise within its limits (≤ 25 %): scheduled, in force from the next epoch.
            4 => vec![tx(
                "meridian",
                json!({"tx": "vault_set_fees", "vault": "rstRAM", "fees": {"management_bps": 50,
                    "performance_bps": 1_800, "deposit_bps": 10, "withdrawal_bps": 50}}),
            )],
            // A looser policy (op3 added): pending for `config_delay_s`, then the curator
            // allocates to op3 too.
            16 => {
                let operators = ["op1", "op2", "op3", "op4"].map(addr);
                let services = ["oracle", "bridge"].map(addr);
                vec![tx(
                    "atlas",
                    json!({"tx": "vault_set_policy", "vault": "rstETH", "policy": {
                        "allowed_operators": operators, "allowed_services": services,
                        "max_per_operator_bps": 3_500}}),
                )]
            }
            _ => Vec::new(),
        }
    }

    /// Vault activity of one step, read from the state so that every transaction is valid when
    /// it runs: claims of finalized requests, deposits within the balance and the deposit cap,
    /// instant exits the free buffer covers after every pending request is funded, withdrawal
    /// requests above the minimum, harvests, and the curator's allocations within the buffer
    /// target and the per-operator cap, and deallocations.
    fn vault_activity(&mut self, state: &State) -> Vec<DemoTx> {
        let mut txs = Vec::new();
        let mut queued: BTreeSet<u64> = BTreeSet::new();
        for (i, v) in (0u64..).zip(VAULTS.iter()) {
            let Some(plan) = VaultPlan::read(state, v) else {
                continue;
            };
            queued.extend(plan.view.queue.iter().map(|r| r.id));
            txs.extend(self.vault_claims(&plan));
            let mut budget = plan.budget;
            let s = self.step + i;
            if s.is_multiple_of(2) {
                txs.extend(self.vault_deposit(state, &plan));
            }
            if s.is_multiple_of(5) {
                txs.extend(self.vault_exit(state, &plan, &mut budget));
            }
            if (self.step + 3 * i).is_multiple_of(8) {
                txs.extend(self.vault_request(state, &plan));
            }
            if s.is_multiple_of(6) {
                let who = self.pick(&STAKERS);
                txs.push(tx(who, json!({"tx": "vault_harvest", "vault": v.lrt})));
            }
            if (self.step + 6 * i).is_multiple_of(12) {
                txs.extend(vault_allocation(&plan, &mut budget));
            }
            if (self.step + 15 * i).is_multiple_of(30) {
                txs.extend(vault_deallocation(&plan));
            }
        }
        // Forget claims that were committed (their requests are gone).
        self.claimed.retain(|id| queued.contains(id));
        txs
    }

    fn vault_claims(&mut self, plan: &VaultPlan) -> Vec<DemoTx> {
        let mut txs = Vec::new();
        for r in plan.view.queue.iter().filter(|r| r.status == "finalized") {
            let Some(owner) = plan.holders.iter().find(|h| h.1 == r.owner) else {
                continue;
            };
            if self.claimed.insert(r.id) {
                txs.push(tx(owner.0, json!({"tx": "vault_claim", "id": r.id})));
            }
        }
        txs
    }

    /// A deposit of up to 40 tokens, at most a quarter of the depositor's balance, well within
    /// the deposit cap.
    fn vault_deposit(&mut self, state: &State, plan: &VaultPlan) -> Option<DemoTx> {
        let who = self.pick(plan.vault.depositors);
        let balance = bank::balance(state, dev_address(who), plan.asset).get();
        let amount = (u128::from(self.next_u64() % 40 + 1) * E18).min(balance / 4);
        let room = plan
            .view
            .deposit_cap
            .get()
            .saturating_sub(plan.view.value.assets.get());
        (amount >= E18 && amount <= room / 2).then(|| {
            tx(
                who,
                json!({"tx": "vault_deposit", "vault": plan.vault.lrt, "amount": amount.to_string()}),
            )
        })
    }

    /// An instant exit of up to 20 LRT (at most a fifth of the holding) whose value is at most
    /// half of what the buffer has left.
    fn vault_exit(&mut self, state: &State, plan: &VaultPlan, budget: &mut u128) -> Option<DemoTx> {
        let (who, held) = self.pick_holder(state, plan)?;
        let lrt = (u128::from(self.next_u64() % 20 + 1) * E18).min(held / 5);
        let gross = plan.value_of(lrt);
        if lrt < E18 / 10 || gross.saturating_mul(2) > *budget {
            return None;
        }
        *budget -= gross;
        Some(tx(
            who,
            json!({"tx": "vault_withdraw_instant", "vault": plan.vault.lrt, "lrt": lrt.to_string()}),
        ))
    }

    /// A withdrawal request of 5 to 60 LRT (at most a third of the holding), worth at least
    /// twice the vault's minimum, from a holder with fewer than 8 open requests.
    fn vault_request(&mut self, state: &State, plan: &VaultPlan) -> Option<DemoTx> {
        let (who, held) = self.pick_holder(state, plan)?;
        let lrt = (u128::from(self.next_u64() % 56 + 5) * E18).min(held / 3);
        let owner = dev_address(who);
        let open = plan.view.queue.iter().filter(|r| r.owner == owner).count();
        let enough = plan.value_of(lrt) >= plan.view.min_request.get().saturating_mul(2);
        (enough && open < 8).then(|| {
            tx(
                who,
                json!({"tx": "vault_request_withdrawal", "vault": plan.vault.lrt, "lrt": lrt.to_string()}),
            )
        })
    }

    /// A holder of the vault's LRT and its balance.
    fn pick_holder(&mut self, state: &State, plan: &VaultPlan) -> Option<(&'static str, u128)> {
        let held: Vec<(&'static str, u128)> = plan
            .holders
            .iter()
            .map(|(name, address)| (*name, bank::balance(state, *address, plan.lrt).get()))
            .filter(|(_, b)| *b > 0)
            .collect();
        let n = u64::try_from(held.len()).ok().filter(|n| *n > 0)?;
        let i = usize::try_from(self.next_u64() % n).ok()?;
        held.get(i).copied()
    }
}

/// What the driver reads of a vault before acting on it.
struct VaultPlan {
    vault: &'static DemoVault,
    view: VaultView,
    lrt: AssetId,
    asset: AssetId,
    holders: Vec<(&'static str, Address)>,
    /// The free buffer left after every pending request is paid: what this step's instant exits
    /// and allocation may take. Due requests are finalized (at the epoch boundary or by the
    /// action itself) before an exit runs, so with this much left the head of the queue never
    /// blocks an exit and an allocation never starves the queue.
    budget: u128,
}

impl VaultPlan {
    fn read(state: &State, vault: &'static DemoVault) -> Option<Self> {
        let view = rampart_core::vault::vault_view(state, vault.lrt).ok()?;
        let pending = view
            .queue
            .iter()
            .filter(|r| r.status == "pending")
            .fold(0u128, |sum, r| sum.saturating_add(r.payout.get()));
        Some(Self {
            vault,
            lrt: bank::asset_id(state, vault.lrt).ok()?,
            asset: bank::asset_id(state, vault.asset).ok()?,
            holders: vault.holders.iter().map(|h| (*h, dev_address(h))).collect(),
            budget: view.buffer.get().saturating_sub(pending),
            view,
        })
    }

    /// About what `lrt` is worth now (at the rate, rounded down).
    fn value_of(&self, lrt: u128) -> u128 {
        rampart_core::num::mul_div_floor(lrt, self.view.rate_wad.get(), E18).unwrap_or(u128::MAX)
    }
}

/// The curator allocates half of what the buffer has above its target to the allowed operator
/// with the most room under the per-operator cap, keeping 5 % of the cap as a margin (a slash in
/// the same block lowers the cap).
fn vault_allocation(plan: &VaultPlan, budget: &mut u128) -> Option<DemoTx> {
    let view = &plan.view;
    let spare = budget.saturating_sub(view.buffer_target.get()) / 2;
    let cap = rampart_core::num::mul_div_floor(
        view.value.assets.get(),
        u128::from(view.policy.max_per_operator_bps.get()),
        10_000,
    )
    .ok()?;
    let held = |op: &Address| -> u128 {
        view.positions
            .iter()
            .filter(|p| p.position.operator == *op)
            .fold(0u128, |sum, p| {
                sum.saturating_add(p.position.withdrawable.get())
            })
    };
    let breached = |op: &Address| {
        view.positions
            .iter()
            .any(|p| p.position.operator == *op && !p.outside_policy.is_empty())
    };
    let (operator, room) = view
        .policy
        .allowed_operators
        .iter()
        .filter(|op| !breached(op))
        .map(|op| (*op, cap.saturating_sub(held(op))))
        .fold(None, |best: Option<(Address, u128)>, c| match best {
            Some(b) if b.1 >= c.1 => Some(b),
            _ => Some(c),
        })?;
    let amount = spare.min(room.saturating_sub(cap / 20));
    if amount < E18 {
        return None;
    }
    *budget -= amount;
    Some(tx(
        plan.vault.curator,
        json!({"tx": "vault_allocate", "vault": plan.vault.lrt, "operator": format!("{operator:#x}"), "amount": amount.to_string()}),
    ))
}

/// The curator deallocates a tenth of its largest position (a restaking withdrawal with the
/// full delay; the vault collects it into its buffer when it completes), with at most four in
/// flight.
fn vault_deallocation(plan: &VaultPlan) -> Option<DemoTx> {
    let view = &plan.view;
    if view.withdrawals.len() >= 4 {
        return None;
    }
    let largest = view
        .positions
        .iter()
        .max_by_key(|p| p.position.withdrawable.get())?;
    let amount = largest.position.withdrawable.get() / 10;
    (amount >= E18).then(|| {
        tx(
            plan.vault.curator,
            json!({"tx": "vault_deallocate", "vault": plan.vault.lrt,
                "operator": format!("{:#x}", largest.position.operator), "amount": amount.to_string()}),
        )
    })
}

fn query(state: &State, q: Query) -> Vec<Value> {
    match q.run(state) {
        Ok(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

fn due(item: &Value, field: &str, now: u64) -> bool {
    item.get(field)
        .and_then(Value::as_u64)
        .is_some_and(|t| t <= now)
}

fn due_withdrawals(state: &State) -> Vec<DemoTx> {
    let now = state.now().get();
    let mut out = Vec::new();
    for staker in STAKERS {
        let items = query(
            state,
            Query::Withdrawals {
                staker: dev_address(staker),
            },
        );
        for w in items.iter().take(4) {
            if let (true, Some(id)) = (due(w, "completable_at", now), w.get("id")) {
                out.push(tx(
                    staker,
                    json!({"tx": "complete_withdrawal", "id": id, "receive": "tokens"}),
                ));
            }
        }
    }
    out
}

fn executable_slashes(state: &State) -> Vec<DemoTx> {
    let now = state.now().get();
    query(
        state,
        Query::SlashRequests {
            service: dev_address("bridge"),
        },
    )
    .iter()
    .filter(|r| r.get("status").and_then(Value::as_str) == Some("pending"))
    .filter(|r| due(r, "executable_at", now))
    .filter_map(|r| r.get("id"))
    .map(|id| tx("bridge-council", json!({"tx": "execute_slash", "id": id})))
    .collect()
}

/// LST redemptions whose unbonding has completed.
fn due_redemptions(state: &State) -> Vec<DemoTx> {
    let now = state.now().get();
    let view = Query::Lst { account: None }
        .run(state)
        .unwrap_or(Value::Null);
    let owners: Vec<(String, &str)> = STAKERS
        .iter()
        .chain(&DELEGATORS)
        .map(|n| (addr(n), *n))
        .collect();
    view.get("redemptions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| due(r, "claimable_at", now))
        .filter_map(|r| {
            let owner = r.get("owner").and_then(Value::as_str)?;
            let (_, name) = owners.iter().find(|(a, _)| a == owner)?;
            Some(tx(name, json!({"tx": "lst_claim", "id": r.get("id")?})))
        })
        .collect()
}

/// Base unbondings that have completed.
fn due_unbondings(state: &State) -> Vec<DemoTx> {
    let now = state.now().get();
    STAKERS
        .iter()
        .chain(&DELEGATORS)
        .filter(|who| {
            Query::BaseDelegation {
                delegator: dev_address(who),
            }
            .run(state)
            .ok()
            .and_then(|v| v.get("unbonding").and_then(Value::as_array).cloned())
            .is_some_and(|u| u.iter().any(|e| due(e, "completes_at", now)))
        })
        .map(|who| tx(who, json!({"tx": "claim_unbonded"})))
        .collect()
}

/// Signs a demo transaction with `name`'s dev key at `nonce`, paying the base fee and no tip.
pub fn sign(name: &str, action: &Value, nonce: u64, fee: u128) -> Result<SignedTx, ApiError> {
    sign_with_tip(name, action, nonce, fee, 0)
}

/// Signs a demo transaction with a priority tip.
pub fn sign_with_tip(
    name: &str,
    action: &Value,
    nonce: u64,
    fee: u128,
    tip: u128,
) -> Result<SignedTx, ApiError> {
    UnsignedTx::from_action_json(action, nonce, fee, tip)?.sign(&dev_signing_key(name), CHAIN_ID)
}

/// The driver's transfers carry a small priority tip, so the proposer's tip income has a
/// history.
fn tip(action: &Value) -> u128 {
    if action.get("tx").and_then(Value::as_str) == Some("transfer") {
        E18 / 1_000
    } else {
        0
    }
}

/// What became of a block's worth of demo transactions.
#[derive(Clone, Debug, Default)]
pub struct Submitted {
    /// Admitted to the mempool (each expected to succeed).
    pub accepted: usize,
    /// Not sent, with the reason: the dry run said its action would fail (a stale plan, such
    /// as a withdrawal still held, or nothing to claim yet) or admission refused it.
    pub skipped: Vec<(String, String, String)>,
}

/// Dry-runs a block's worth of demo transactions on the next block (at `time`) and submits only
/// those that would succeed ([`Shared::submit_if_ok`]), as a keeper bot checks a call before
/// sending it: the demo commits no failing transaction. Skipped ones are logged at DEBUG.
pub fn submit(shared: &Shared, txs: &[DemoTx], time: u64) -> Submitted {
    let fees: Vec<u128> = shared
        .with_state(|s| {
            txs.iter()
                .map(|(_, action)| {
                    let name = action.get("tx").and_then(Value::as_str).unwrap_or_default();
                    s.params().base_fee_of(name).get()
                })
                .collect()
        })
        .unwrap_or_default();
    let candidates: Vec<_> = txs
        .iter()
        .zip(&fees)
        .map(|((name, action), fee)| {
            (dev_address(name), move |nonce: u64| {
                sign_with_tip(name, action, nonce, *fee, tip(action))
            })
        })
        .collect();
    let mut out = Submitted::default();
    for ((name, action), result) in txs.iter().zip(shared.submit_if_ok(time, candidates)) {
        match result {
            Ok(_) => out.accepted += 1,
            Err(e) => {
                let tx_name = action.get("tx").and_then(Value::as_str).unwrap_or_default();
                tracing::debug!(signer = name, tx = tx_name, code = %e.code, "demo transaction not sent: {}", e.message);
                out.skipped
                    .push((name.clone(), tx_name.to_owned(), e.code.into_owned()));
            }
        }
    }
    out
}

fn unavailable(e: ApiError) -> crate::NodeError {
    crate::NodeError::Unavailable(e.message)
}

/// Builds demo history: `blocks` blocks `step_s` apart, each with one driver step, ending at
/// the chain's time plus `blocks · step_s`. `progress` is called after each block.
pub fn run_history(
    shared: &Shared,
    driver: &mut Driver,
    blocks: u64,
    step_s: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<(), crate::NodeError> {
    for i in 0..blocks {
        let txs = shared.with_state(|s| driver.step(s)).map_err(unavailable)?;
        let time = shared.with_state(|s| s.now().get()).map_err(unavailable)? + step_s;
        submit(shared, &txs, time);
        shared.produce_block_at(time)?;
        progress(i + 1);
    }
    Ok(())
}
