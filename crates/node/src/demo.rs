//! The demo chain of `rampart dev`: a genesis with named dev accounts and a deterministic
//! driver that keeps the chain busy (operators, services with operator sets, stakers depositing,
//! delegating, allocating, queueing and completing withdrawals, an occasional slash).
//!
//! Every demo transaction is signed with its account's dev key (`rampart_scenario::names`) and
//! goes through the same path as any client's: EIP-712 signature, verification, mempool, block.
//!
//! To extend the demo (validators, the LST, reward programs): add assets and balances in
//! [`genesis`], one-off actions in [`setup_steps`], recurring ones in [`Driver::step`].

use crate::node::Shared;
use alloy_primitives::Address;
use rampart_api::{ApiError, SignedTx, UnsignedTx};
use rampart_core::genesis::{GenesisAccount, GenesisAsset};
use rampart_core::params::ParamsPatch;
use rampart_core::{Amount, Duration, Genesis, Query, State, Timestamp};
use rampart_scenario::names::{dev_address, dev_signing_key};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The demo chain's EIP-712 chain id.
pub const CHAIN_ID: u64 = 31_337;
/// Stakers of the demo.
pub const STAKERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
/// Operators of the demo.
pub const OPERATORS: [&str; 4] = ["op1", "op2", "op3", "op4"];
/// Restakable external assets of the demo.
pub const ASSETS: [&str; 2] = ["stETH", "rETH"];

const E18: u128 = 1_000_000_000_000_000_000;

/// The demo genesis, starting at unix time `start`.
pub fn genesis(start: u64) -> Genesis {
    let rich = |name: &str, ram: u128, assets: u128| GenesisAccount {
        address: dev_address(name),
        balances: BTreeMap::from_iter(
            [("RAM".to_owned(), Amount::new(ram * E18))]
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
        STAKERS.iter().map(|s| rich(s, 1_000, 10_000)).collect();
    accounts.extend(OPERATORS.iter().map(|o| rich(o, 1_000, 0)));
    accounts
        .extend(["oracle", "bridge", "bridge-council", "governance"].map(|n| rich(n, 1_000, 0)));
    Genesis {
        chain_id: CHAIN_ID,
        time: Timestamp::new(start),
        governance: Some(dev_address("governance")),
        params: ParamsPatch {
            withdrawal_delay_s: Some(Duration::days(2)),
            deallocation_delay_s: Some(Duration::days(2)),
            resolution_delay_s: Some(Duration::days(1)),
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
        ..Genesis::default()
    }
}

fn addr(name: &str) -> String {
    format!("{:#x}", dev_address(name))
}

fn set(service: &str, id: u32) -> String {
    format!("{}/{id}", addr(service))
}

/// A demo transaction: the signer's name and the action's JSON.
pub type DemoTx = (String, Value);

/// One-off actions of the demo, in blocks: operators and services register, sets are created
/// and joined, stakers deposit and delegate, operators allocate.
pub fn setup_steps() -> Vec<Vec<DemoTx>> {
    let mut registrations: Vec<DemoTx> = OPERATORS
        .iter()
        .enumerate()
        .map(|(i, op)| {
            (
                op.to_string(),
                json!({"tx": "register_operator",
                "metadata_uri": format!("https://{op}.example/operator.json"),
                "allocation_delay_s": if i == 3 { 3_600 } else { 0 },
                "default_commission_bps": 500 + 250 * i as u64}),
            )
        })
        .collect();
    registrations.push((
        "oracle".into(),
        json!({"tx": "register_service",
        "metadata_uri": "https://oracle.example/service.json", "slasher": addr("oracle"),
        "max_slash_per_event_wad": (E18 / 2).to_string(), "destination": "burn"}),
    ));
    registrations.push((
        "bridge".into(),
        json!({"tx": "register_service",
        "metadata_uri": "https://bridge.example/service.json", "slasher": addr("bridge"),
        "resolver": addr("bridge-council"), "veto_window_s": 86_400,
        "max_slash_per_event_wad": (E18 / 5).to_string(),
        "destination": {"redistribute": addr("bridge-council")}}),
    ));
    let sets = vec![
        (
            "oracle".to_owned(),
            json!({"tx": "create_operator_set", "set_id": 0, "strategies": ASSETS}),
        ),
        (
            "oracle".to_owned(),
            json!({"tx": "create_operator_set", "set_id": 1, "strategies": ["stETH"]}),
        ),
        (
            "bridge".to_owned(),
            json!({"tx": "create_operator_set", "set_id": 0, "strategies": ASSETS}),
        ),
    ];
    let mut joins = Vec::new();
    for (i, op) in OPERATORS.iter().enumerate() {
        joins.push((
            op.to_string(),
            json!({"tx": "register_for_set", "set": set("oracle", 0)}),
        ));
        if i % 2 == 0 {
            joins.push((
                op.to_string(),
                json!({"tx": "register_for_set", "set": set("bridge", 0)}),
            ));
        } else {
            joins.push((
                op.to_string(),
                json!({"tx": "register_for_set", "set": set("oracle", 1)}),
            ));
        }
    }
    let mut deposits = Vec::new();
    for (i, s) in STAKERS.iter().enumerate() {
        for asset in ASSETS {
            let amount = (1_000 + 500 * i as u128) * E18;
            deposits.push((
                s.to_string(),
                json!({"tx": "deposit", "asset": asset, "amount": amount.to_string()}),
            ));
        }
    }
    let mut delegations = Vec::new();
    for (i, s) in STAKERS.iter().enumerate() {
        let first = OPERATORS[i % OPERATORS.len()];
        let second = OPERATORS[(i + 1) % OPERATORS.len()];
        let half = ((1_000 + 500 * i as u128) * E18 / 2).to_string();
        delegations.push((
            s.to_string(),
            json!({"tx": "delegate", "operator": addr(first), "strategy": "stETH", "shares": half}),
        ));
        delegations.push((s.to_string(), json!({"tx": "delegate", "operator": addr(second), "strategy": "stETH", "shares": "all"})));
        delegations.push((
            s.to_string(),
            json!({"tx": "delegate", "operator": addr(first), "strategy": "rETH", "shares": "all"}),
        ));
    }
    for (i, op) in OPERATORS.iter().enumerate() {
        let m = |pct: u128| (E18 * pct / 100).to_string();
        delegations.push((op.to_string(), json!({"tx": "allocate", "set": set("oracle", 0), "strategy": "stETH", "magnitude": m(30 + 5 * i as u128)})));
        delegations.push((op.to_string(), json!({"tx": "allocate", "set": set("oracle", 0), "strategy": "rETH", "magnitude": m(40)})));
        let (svc, id) = if i % 2 == 0 {
            ("bridge", 0)
        } else {
            ("oracle", 1)
        };
        delegations.push((
            op.to_string(),
            json!({"tx": "allocate", "set": set(svc, id), "strategy": "stETH", "magnitude": m(25)}),
        ));
    }
    vec![registrations, sets, joins, deposits, delegations]
}

/// Deterministic recurring activity: each [`Driver::step`] returns one block's worth.
#[derive(Clone, Debug)]
pub struct Driver {
    rng: u64,
    step: u64,
    setup: std::vec::IntoIter<Vec<DemoTx>>,
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
        }
    }

    /// A driver for a chain whose setup already ran (a resumed `rampart dev`).
    pub fn resumed(seed: u64) -> Self {
        Self {
            setup: Vec::new().into_iter(),
            ..Self::new(seed)
        }
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

    /// The next block's demo transactions, given the current state: setup first, then a mix of
    /// deposits, delegations, transfers, withdrawals (queued and, once due, completed),
    /// re-allocations, and every so often a slash (instant by the oracle, or requested by the
    /// bridge and executed after its veto window).
    pub fn step(&mut self, state: &State) -> Vec<DemoTx> {
        if let Some(setup) = self.setup.next() {
            return setup;
        }
        self.step += 1;
        let mut txs = Vec::new();
        let staker = self.pick(&STAKERS);
        let asset = self.pick(&ASSETS);
        let amount = ((self.next_u64() % 50 + 1) as u128 * E18).to_string();
        txs.push((
            staker.to_owned(),
            json!({"tx": "deposit", "asset": asset, "amount": amount}),
        ));
        let op = self.pick(&OPERATORS);
        txs.push((
            staker.to_owned(),
            json!({"tx": "delegate", "operator": addr(op), "strategy": asset, "shares": "all"}),
        ));
        let to = self.pick(&STAKERS);
        if to != staker {
            txs.push((staker.to_owned(), json!({"tx": "transfer", "to": addr(to), "asset": "RAM", "amount": E18.to_string()})));
        }
        if self.step.is_multiple_of(3) {
            let who = self.pick(&STAKERS);
            let from = self.pick(&OPERATORS);
            let shares = ((self.next_u64() % 20 + 1) as u128 * E18).to_string();
            txs.push((who.to_owned(), json!({"tx": "queue_withdrawal", "operator": addr(from), "strategy": "stETH", "shares": shares})));
        }
        if self.step.is_multiple_of(7) {
            let op = self.pick(&OPERATORS);
            let pct = 20 + self.next_u64() % 30;
            txs.push((op.to_owned(), json!({"tx": "allocate", "set": set("oracle", 0), "strategy": "rETH", "magnitude": (E18 / 100 * u128::from(pct)).to_string()})));
        }
        if self.step.is_multiple_of(40) {
            let op = self.pick(&OPERATORS);
            txs.push(("oracle".into(), json!({"tx": "slash", "operator": addr(op), "set": set("oracle", 0),
                "strategies": ["stETH"], "wad": (E18 / 100).to_string(), "evidence": "missed price reports"})));
        }
        if self.step.is_multiple_of(55) {
            let op = self.pick(&["op1", "op3"]);
            txs.push(("bridge".into(), json!({"tx": "slash", "operator": addr(op), "set": set("bridge", 0),
                "strategies": ["stETH"], "wad": (E18 / 50).to_string(), "evidence": "signed a conflicting bridge message"})));
        }
        txs.extend(due_withdrawals(state));
        txs.extend(executable_slashes(state));
        txs
    }
}

fn due_withdrawals(state: &State) -> Vec<DemoTx> {
    let now = state.now().get();
    let mut out = Vec::new();
    for staker in STAKERS {
        let q = Query::Withdrawals {
            staker: dev_address(staker),
        };
        let Ok(Value::Array(items)) = q.run(state) else {
            continue;
        };
        for w in items.iter().take(4) {
            let due = w
                .get("completable_at")
                .and_then(Value::as_u64)
                .is_some_and(|t| t <= now);
            if let (true, Some(id)) = (due, w.get("id")) {
                out.push((
                    staker.to_owned(),
                    json!({"tx": "complete_withdrawal", "id": id, "receive": "tokens"}),
                ));
            }
        }
    }
    out
}

fn executable_slashes(state: &State) -> Vec<DemoTx> {
    let now = state.now().get();
    let q = Query::SlashRequests {
        service: dev_address("bridge"),
    };
    let Ok(Value::Array(items)) = q.run(state) else {
        return Vec::new();
    };
    items
        .iter()
        .filter(|r| r.get("status").and_then(Value::as_str) == Some("pending"))
        .filter(|r| {
            r.get("executable_at")
                .and_then(Value::as_u64)
                .is_some_and(|t| t <= now)
        })
        .filter_map(|r| r.get("id"))
        .map(|id| {
            (
                "bridge-council".to_owned(),
                json!({"tx": "execute_slash", "id": id}),
            )
        })
        .collect()
}

/// Signs a demo transaction with `name`'s dev key at `nonce`, paying the base fee.
pub fn sign(name: &str, action: &Value, nonce: u64, fee: u128) -> Result<SignedTx, ApiError> {
    UnsignedTx::from_action_json(action, nonce, fee, 0)?.sign(&dev_signing_key(name), CHAIN_ID)
}

/// Signs and submits a block's worth of demo transactions through the node's admission path.
/// Returns how many were accepted.
pub fn submit(shared: &Shared, txs: &[DemoTx]) -> usize {
    let mut next: BTreeMap<Address, u64> = BTreeMap::new();
    let mut accepted = 0;
    for (name, action) in txs {
        let who = dev_address(name);
        let nonce = *next.entry(who).or_insert_with(|| shared.nonce(who).next);
        let fee = shared.with_state(|s| {
            let tx_name = action.get("tx").and_then(Value::as_str).unwrap_or_default();
            s.params().base_fee_of(tx_name).get()
        });
        let result = sign(name, action, nonce, fee).and_then(|t| shared.submit(t));
        match result {
            Ok(_) => {
                accepted += 1;
                next.insert(who, nonce + 1);
            }
            Err(e) => tracing::debug!(signer = name, code = %e.code, "demo transaction refused"),
        }
    }
    accepted
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
        let txs = shared.with_state(|s| driver.step(s));
        submit(shared, &txs);
        let time = shared.with_state(|s| s.now().get()) + step_s;
        shared.produce_block_at(time)?;
        progress(i + 1);
    }
    Ok(())
}
