//! Drives the core and the reference model with the same steps and checks them against each
//! other, and the invariants, after every step.
//!
//! Checks after each step:
//! - `invariants::check` finds nothing;
//! - the core accepted exactly the steps the model says are valid;
//! - a rejected transaction changed nothing but the signer's nonce;
//! - magnitudes and allocations are equal;
//! - every position and withdrawal is worth, in the core, at most what it is worth exactly and
//!   at least that minus its rounding allowance; per staker and strategy, everything the core has
//!   ever credited (held plus paid out) never exceeds the exact total.

use crate::model::{Member, Model, Q, Request, Tranche, WAD, Withdrawal, q};
use rampart_core::genesis::{Genesis, GenesisAccount, GenesisAsset};
use rampart_core::ids::module;
use rampart_core::num::{ShareAmount, Shares};
use rampart_core::restaking::{self, Admission, Destination, Receive, RegisterService, SlashArgs};
use rampart_core::schema::Accounts;
use rampart_core::state::Table;
use rampart_core::{
    Action, Address, Amount, BlockHeader, Duration, Height, Outcome, SetRef, State, Timestamp, Tx,
    Wad, begin_block, execute_tx, invariants,
};
use std::collections::BTreeMap;

/// Stakers in the model.
pub const STAKERS: usize = 4;
/// Operators in the model.
pub const OPERATORS: usize = 3;
/// Strategy symbols.
pub const ASSETS: [&str; 2] = ["stETH", "cbETH"];
/// Withdrawal and deallocation delay.
pub const DELAY: u64 = 604_800;
/// Veto window of service B.
pub const VETO: u64 = 86_400;
/// How long a request stays executable after its veto window (`slash_execution_window_s`).
pub const EXECUTION_WINDOW: u64 = 86_400;
/// Allocation delays per operator.
pub const ALLOCATION_DELAY: [u64; OPERATORS] = [0, 3_600, 0];
/// Per-event caps of set 0 (service A, instant) and set 1 (service B, with resolver).
pub const CAPS: [u128; 2] = [WAD / 2, WAD];

/// How much of a holding a step takes.
#[derive(Clone, Copy, Debug)]
pub enum Part {
    /// All of it.
    All,
    /// This percentage (1–100) of it, at least one share.
    Percent(u8),
    /// Exactly this many shares (may exceed the holding).
    Exact(u128),
}

/// One step of a generated run.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Step {
    Deposit {
        staker: usize,
        asset: usize,
        amount: u128,
    },
    Delegate {
        staker: usize,
        op: usize,
        asset: usize,
        part: Part,
    },
    Allocate {
        op: usize,
        set: usize,
        asset: usize,
        magnitude: u128,
    },
    Slash {
        op: usize,
        set: usize,
        assets: u8,
        wad: u128,
        wrong_signer: bool,
    },
    Execute {
        request: usize,
    },
    Veto {
        request: usize,
        wrong_signer: bool,
    },
    Queue {
        staker: usize,
        op: Option<usize>,
        asset: usize,
        part: Part,
    },
    Complete {
        staker: usize,
        index: usize,
        as_shares: bool,
    },
    Redelegate {
        staker: usize,
        from: usize,
        to: usize,
        asset: usize,
        part: Part,
    },
    Register {
        op: usize,
        set: usize,
    },
    Deregister {
        op: usize,
        set: usize,
    },
    Donate {
        staker: usize,
        asset: usize,
        amount: u128,
    },
    Advance {
        seconds: u64,
    },
}

/// The two ledgers side by side.
#[allow(missing_debug_implementations)]
pub struct Harness {
    /// The core's state.
    pub state: State,
    header: BlockHeader,
    /// The reference model.
    pub model: Model,
    stakers: Vec<Address>,
    ops: Vec<Address>,
    services: [Address; 2],
    slashers: [Address; 2],
    resolver: Address,
    sets: [SetRef; 2],
    /// Steps the core accepted.
    pub accepted: usize,
    /// Steps the core rejected (as the model predicted).
    pub rejected: usize,
}

fn addr(name: &str) -> Address {
    rampart_scenario::names::dev_address(name)
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// Genesis, then operators, two services and their sets, every operator in both sets.
    pub fn new() -> Self {
        let stakers: Vec<Address> = (0..STAKERS).map(|i| addr(&format!("staker{i}"))).collect();
        let ops: Vec<Address> = (0..OPERATORS).map(|i| addr(&format!("op{i}"))).collect();
        let services = [addr("service_a"), addr("service_b")];
        let genesis = Genesis {
            chain_id: 1,
            time: Timestamp::new(0),
            governance: Some(addr("governance")),
            guardian: None,
            params: model_params(),
            assets: ASSETS
                .iter()
                .map(|s| GenesisAsset {
                    symbol: (*s).into(),
                    decimals: 18,
                    issuer: Some(addr("bridge")),
                    restakable: true,
                })
                .collect(),
            accounts: stakers
                .iter()
                .map(|a| GenesisAccount {
                    address: *a,
                    balances: ASSETS
                        .iter()
                        .map(|s| ((*s).to_owned(), Amount::new(10u128.pow(24))))
                        .collect(),
                })
                .collect(),
            validators: Vec::new(),
        };
        let crate::chain::Chain { mut state, header } = crate::chain::Chain::new(&genesis);
        // The harness checks (and reports) invariants itself after every step.
        state.set_invariant_checks(false);
        let mut h = Self {
            state,
            header,
            model: Model::default(),
            stakers,
            ops,
            services,
            slashers: [services[0], addr("slasher_b")],
            resolver: addr("resolver_b"),
            sets: [
                SetRef {
                    service: services[0],
                    id: 0,
                },
                SetRef {
                    service: services[1],
                    id: 0,
                },
            ],
            accepted: 0,
            rejected: 0,
        };
        h.setup();
        h
    }

    fn setup(&mut self) {
        for (i, op) in self.ops.clone().into_iter().enumerate() {
            self.must(
                op,
                Action::RegisterOperator {
                    metadata_uri: String::new(),
                    allocation_delay_s: Duration::new(ALLOCATION_DELAY[i]),
                    default_commission_bps: None,
                    signing_key: None,
                },
            );
        }
        let a = RegisterService {
            metadata_uri: String::new(),
            slasher: self.slashers[0],
            resolver: None,
            veto_window_s: Duration::ZERO,
            max_slash_per_event_wad: Wad::new(CAPS[0]),
            destination: Destination::Burn,
            resolution_delay_s: Some(Duration::new(3_600)),
            double_sign_wad: None,
        };
        let b = RegisterService {
            slasher: self.slashers[1],
            resolver: Some(self.resolver),
            veto_window_s: Duration::new(VETO),
            max_slash_per_event_wad: Wad::new(CAPS[1]),
            destination: Destination::Redistribute(addr("insurance")),
            resolution_delay_s: None,
            ..a.clone()
        };
        self.must(self.services[0], Action::RegisterService(a));
        self.must(self.services[1], Action::RegisterService(b));
        let strategies = [
            vec!["stETH".to_owned(), "cbETH".to_owned()],
            vec!["stETH".to_owned()],
        ];
        for (i, s) in strategies.into_iter().enumerate() {
            self.must(
                self.services[i],
                Action::CreateOperatorSet {
                    set_id: 0,
                    strategies: s,
                    admission: Admission::Open,
                },
            );
        }
        for (op_i, op) in self.ops.clone().into_iter().enumerate() {
            for set_i in 0..2 {
                self.must(
                    op,
                    Action::RegisterForSet {
                        set: self.sets[set_i],
                    },
                );
                self.model.member.insert((op_i, set_i), Member::In);
            }
        }
    }

    fn must(&mut self, signer: Address, action: Action) {
        let name = action.name();
        let outcome = self.send(signer, action);
        assert!(outcome.is_ok(), "setup step {name} failed: {outcome:?}");
    }

    fn send(&mut self, signer: Address, action: Action) -> Result<Outcome, rampart_core::Error> {
        let nonce = rampart_core::tx::next_nonce(&self.state, signer);
        let tx = Tx::unpaid(signer, nonce, action);
        let receipt = execute_tx(&mut self.state, &self.header, tx)
            .expect("the envelope is always valid here");
        self.state.discard_journal();
        receipt.result
    }

    fn set_assets(set: usize) -> &'static [usize] {
        if set == 0 { &[0, 1] } else { &[0] }
    }

    /// Runs one step on both ledgers and checks them.
    pub fn apply(&mut self, step: &Step) -> Result<(), String> {
        let before = self.snapshot();
        let (expected_ok, result) = self.run(step)?;
        match (&result, expected_ok) {
            (Some(Ok(_)), true) | (None, _) => self.accepted += 1,
            (Some(Err(_)), false) => {
                self.rejected += 1;
                if self.snapshot() != before {
                    return Err(format!("{step:?}: a rejected transaction changed state"));
                }
            }
            (Some(Ok(o)), false) => {
                return Err(format!("{step:?}: model rejects, core accepted with {o:?}"));
            }
            (Some(Err(e)), true) => {
                return Err(format!("{step:?}: model accepts, core rejected: {e}"));
            }
        }
        self.check().map_err(|e| format!("after {step:?}: {e}"))
    }

    /// State without the nonce table: what a failed transaction must not change.
    fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut entries = self.state.encoded_entries();
        entries.retain(|(k, _)| k[0] != Accounts::ID);
        entries
    }

    fn part(part: Part, held: u128) -> (ShareAmount, u128) {
        match part {
            Part::All => (ShareAmount::All, held),
            Part::Percent(p) => {
                let n = (held * u128::from(p) / 100).max(1);
                (ShareAmount::Exact(Shares::new(n)), n)
            }
            Part::Exact(n) => (ShareAmount::Exact(Shares::new(n)), n),
        }
    }

    /// Runs `step`: returns whether the model says it is valid and the core's result (`None`
    /// for steps that are not transactions).
    #[allow(clippy::type_complexity)]
    fn run(
        &mut self,
        step: &Step,
    ) -> Result<(bool, Option<Result<Outcome, rampart_core::Error>>), String> {
        let m = &self.model;
        Ok(match *step {
            Step::Deposit {
                staker,
                asset,
                amount,
            } => {
                let balance = rampart_core::bank::balance(
                    &self.state,
                    self.stakers[staker],
                    rampart_core::bank::asset_id(&self.state, ASSETS[asset])
                        .map_err(|e| e.to_string())?,
                )
                .get();
                let ok = amount > 0 && amount <= balance;
                let r = self.send(
                    self.stakers[staker],
                    Action::Deposit {
                        asset: ASSETS[asset].into(),
                        amount: Amount::new(amount),
                        min_shares_out: None,
                    },
                );
                if let Err(e) = &r
                    && e.code() == "zero_shares"
                    && ok
                {
                    // A deposit too small to mint a share is rejected; the rate decides that.
                    return Ok((false, Some(r)));
                }
                if let Ok(Outcome::Shares(s)) = &r {
                    if s.get() == 0 || s.get() > amount {
                        return Err(format!("deposit of {amount} minted {s}"));
                    }
                    *self.model.deposits.entry((staker, asset)).or_default() += s.get();
                }
                (ok, Some(r))
            }
            Step::Delegate {
                staker,
                op,
                asset,
                part,
            } => {
                let held = m.deposits.get(&(staker, asset)).copied().unwrap_or(0);
                let (amount, n) = Self::part(part, held);
                let huge = near_overflow(n, m.magnitude(op, asset));
                let ok = n > 0 && n <= held && m.magnitude(op, asset) > 0;
                let r = self.send(
                    self.stakers[staker],
                    Action::Delegate {
                        operator: self.ops[op],
                        strategy: ASSETS[asset].into(),
                        shares: amount,
                        validator: None,
                    },
                );
                if huge && r.as_ref().is_err_and(|e| e.code() == "arithmetic_overflow") {
                    return Ok((false, Some(r)));
                }
                if r.is_ok() {
                    let p = self.model.positions.entry((staker, op, asset)).or_default();
                    p.nominal += n;
                    p.value += q(n);
                    p.budget += 2;
                    *self.model.deposits.entry((staker, asset)).or_default() -= n;
                    self.model.charge(staker, asset, 2);
                }
                (ok, Some(r))
            }
            Step::Allocate {
                op,
                set,
                asset,
                magnitude,
            } => {
                let ok = self.allocation_ok(op, set, asset, magnitude);
                let r = self.send(
                    self.ops[op],
                    Action::Allocate {
                        set: self.sets[set],
                        strategy: ASSETS[asset].into(),
                        magnitude: Wad::new(magnitude),
                    },
                );
                if r.is_ok() {
                    self.model_allocate(op, set, asset, magnitude);
                }
                (ok, Some(r))
            }
            Step::Slash {
                op,
                set,
                assets,
                wad,
                wrong_signer,
            } => self.slash(op, set, assets, wad, wrong_signer),
            Step::Execute { request } => self.execute(request),
            Step::Veto {
                request,
                wrong_signer,
            } => self.veto(request, wrong_signer),
            Step::Queue {
                staker,
                op,
                asset,
                part,
            } => self.queue(staker, op, asset, part),
            Step::Complete {
                staker,
                index,
                as_shares,
            } => self.complete(staker, index, as_shares)?,
            Step::Redelegate {
                staker,
                from,
                to,
                asset,
                part,
            } => self.redelegate(staker, from, to, asset, part),
            Step::Register { op, set } => {
                let ok = m.member.get(&(op, set)) != Some(&Member::In);
                let r = self.send(
                    self.ops[op],
                    Action::RegisterForSet {
                        set: self.sets[set],
                    },
                );
                if r.is_ok() {
                    self.model.member.insert((op, set), Member::In);
                }
                (ok, Some(r))
            }
            Step::Deregister { op, set } => {
                let ok = m.member.get(&(op, set)) == Some(&Member::In);
                let r = self.send(
                    self.ops[op],
                    Action::DeregisterFromSet {
                        set: self.sets[set],
                        operator: None,
                    },
                );
                if r.is_ok() {
                    self.model
                        .member
                        .insert((op, set), Member::Left(self.model.now + DELAY));
                }
                (ok, Some(r))
            }
            Step::Donate {
                staker,
                asset,
                amount,
            } => {
                let id = rampart_core::bank::asset_id(&self.state, ASSETS[asset])
                    .map_err(|e| e.to_string())?;
                let ok = amount > 0
                    && amount
                        <= rampart_core::bank::balance(&self.state, self.stakers[staker], id).get();
                let r = self.send(
                    self.stakers[staker],
                    Action::Transfer {
                        to: module::strategy(id),
                        asset: ASSETS[asset].into(),
                        amount: Amount::new(amount),
                    },
                );
                (ok, Some(r))
            }
            Step::Advance { seconds } => {
                let time = Timestamp::new(self.header.time.get() + seconds);
                self.header =
                    BlockHeader::new(Height::new(self.header.height.get() + 1), time, None);
                begin_block(&mut self.state, &self.header)
                    .map_err(|e| format!("begin_block: {e}"))?;
                self.state.discard_journal();
                self.model.advance_to(time.get());
                (true, None)
            }
        })
    }

    fn allocation_ok(&self, op: usize, set: usize, asset: usize, target: u128) -> bool {
        let m = &self.model;
        if !Self::set_assets(set).contains(&asset) || target > WAD {
            return false;
        }
        let a = m.alloc.get(&(op, set, asset)).cloned().unwrap_or_default();
        if a.pending.is_some() || a.current == target {
            return false;
        }
        if target > a.current {
            return m.member.get(&(op, set)) == Some(&Member::In)
                && m.encumbered(op, asset) + (target - a.current) <= m.magnitude(op, asset);
        }
        true
    }

    fn model_allocate(&mut self, op: usize, set: usize, asset: usize, target: u128) {
        let now = self.model.now;
        let slashable = self.model.slashable(op, set);
        let a = self.model.alloc.entry((op, set, asset)).or_default();
        if target > a.current {
            if ALLOCATION_DELAY[op] == 0 {
                a.current = target;
            } else {
                a.pending = Some((target, now + ALLOCATION_DELAY[op]));
            }
        } else if slashable {
            a.pending = Some((target, now + DELAY));
        } else {
            a.current = target;
        }
        self.model
            .alloc
            .retain(|_, a| a.current > 0 || a.pending.is_some());
    }

    fn slash_assets(set: usize, mask: u8) -> Vec<usize> {
        Self::set_assets(set)
            .iter()
            .copied()
            .filter(|a| mask & (1 << a) != 0)
            .collect()
    }

    fn slash_ok(&self, op: usize, set: usize, assets: &[usize], wad: u128) -> bool {
        let m = &self.model;
        !assets.is_empty()
            && wad > 0
            && wad <= CAPS[set]
            && m.slashable(op, set)
            && assets
                .iter()
                .any(|a| m.alloc.get(&(op, set, *a)).is_some_and(|x| x.current > 0))
    }

    #[allow(clippy::type_complexity)]
    fn slash(
        &mut self,
        op: usize,
        set: usize,
        mask: u8,
        wad: u128,
        wrong: bool,
    ) -> (bool, Option<Result<Outcome, rampart_core::Error>>) {
        let assets = Self::slash_assets(set, mask);
        let ok = !wrong && self.slash_ok(op, set, &assets, wad);
        let signer = if wrong {
            self.stakers[0]
        } else {
            self.slashers[set]
        };
        let r = self.send(
            signer,
            Action::Slash(SlashArgs {
                operator: self.ops[op],
                set: self.sets[set],
                strategies: assets.iter().map(|a| ASSETS[*a].to_owned()).collect(),
                wad: Wad::new(wad),
                evidence: "model".into(),
            }),
        );
        if let Ok(Outcome::Slash(id)) = &r {
            if set == 0 {
                for a in &assets {
                    self.model.slash(op, set, *a, wad);
                }
            } else {
                self.model.requests.push(Request {
                    id: id.0,
                    op,
                    set,
                    assets,
                    wad,
                    requested_at: self.model.now,
                    executable_at: self.model.now + VETO,
                    expires_at: self.model.now + VETO + EXECUTION_WINDOW,
                    pending: true,
                });
            }
        }
        (ok, Some(r))
    }

    #[allow(clippy::type_complexity)]
    fn execute(&mut self, index: usize) -> (bool, Option<Result<Outcome, rampart_core::Error>>) {
        if self.model.requests.is_empty() {
            return (true, None);
        }
        let i = index % self.model.requests.len();
        let req = self.model.requests[i].clone();
        let ok = req.pending
            && self.model.now >= req.executable_at
            && self.model.slashable(req.op, req.set);
        let r = self.send(
            self.stakers[1],
            Action::ExecuteSlash {
                id: rampart_core::ids::SlashId(req.id),
            },
        );
        if r.is_ok() {
            for a in &req.assets {
                self.model.slash(req.op, req.set, *a, req.wad);
            }
            self.model.requests[i].pending = false;
        }
        (ok, Some(r))
    }

    #[allow(clippy::type_complexity)]
    fn veto(
        &mut self,
        index: usize,
        wrong: bool,
    ) -> (bool, Option<Result<Outcome, rampart_core::Error>>) {
        if self.model.requests.is_empty() {
            return (true, None);
        }
        let i = index % self.model.requests.len();
        let req = self.model.requests[i].clone();
        let ok = !wrong && req.pending && self.model.now < req.executable_at;
        let signer = if wrong {
            self.slashers[1]
        } else {
            self.resolver
        };
        let r = self.send(
            signer,
            Action::VetoSlash {
                id: rampart_core::ids::SlashId(req.id),
            },
        );
        if r.is_ok() {
            self.model.requests[i].pending = false;
        }
        (ok, Some(r))
    }

    #[allow(clippy::type_complexity)]
    fn queue(
        &mut self,
        staker: usize,
        op: Option<usize>,
        asset: usize,
        part: Part,
    ) -> (bool, Option<Result<Outcome, rampart_core::Error>>) {
        let now = self.model.now;
        let (held, exists) = match op {
            None => (
                self.model
                    .deposits
                    .get(&(staker, asset))
                    .copied()
                    .unwrap_or(0),
                true,
            ),
            Some(o) => self
                .model
                .positions
                .get(&(staker, o, asset))
                .map_or((0, false), |p| (p.nominal, true)),
        };
        let (amount, n) = Self::part(part, held);
        let ok = exists && n > 0 && n <= held;
        let r = self.send(
            self.stakers[staker],
            Action::QueueWithdrawal {
                operator: op.map(|o| self.ops[o]),
                strategy: ASSETS[asset].into(),
                shares: amount,
                validator: None,
            },
        );
        if let Ok(Outcome::Withdrawal(id)) = &r {
            let (value, at, budget) = match op {
                None => {
                    *self.model.deposits.entry((staker, asset)).or_default() -= n;
                    (q(n), now, 0)
                }
                Some(o) => {
                    let p = self
                        .model
                        .positions
                        .get_mut(&(staker, o, asset))
                        .expect("exists");
                    let portion = Model::portion(&p.value, n, p.nominal);
                    p.value -= &portion;
                    p.nominal -= n;
                    p.budget += 2;
                    let budget = p.budget;
                    self.prune(staker, o, asset);
                    self.model.charge(staker, asset, 2);
                    (portion, now + DELAY, budget)
                }
            };
            self.model.withdrawals.insert(
                id.0,
                Withdrawal {
                    staker,
                    op,
                    asset,
                    value,
                    at,
                    budget,
                    hold: None,
                    holders: Vec::new(),
                },
            );
        }
        (ok, Some(r))
    }

    fn prune(&mut self, staker: usize, op: usize, asset: usize) {
        if let Some(p) = self.model.positions.get(&(staker, op, asset))
            && p.nominal == 0
            && p.tranches.is_empty()
        {
            self.model.positions.remove(&(staker, op, asset));
        }
    }

    #[allow(clippy::type_complexity)]
    fn complete(
        &mut self,
        staker: usize,
        index: usize,
        as_shares: bool,
    ) -> Result<(bool, Option<Result<Outcome, rampart_core::Error>>), String> {
        let mine: Vec<u64> = self
            .model
            .withdrawals
            .iter()
            .filter(|(_, w)| w.staker == staker)
            .map(|(id, _)| *id)
            .collect();
        if mine.is_empty() {
            let r = self.send(
                self.stakers[staker],
                Action::CompleteWithdrawal {
                    id: rampart_core::ids::WithdrawalId(u64::MAX),
                    receive: Receive::Tokens,
                },
            );
            return Ok((false, Some(r)));
        }
        let id = mine[index % mine.len()];
        let w = self.model.withdrawals[&id].clone();
        let ok = self.model.now >= w.at && !w.blocked(self.model.now, &self.model.requests);
        let receive = if as_shares {
            Receive::Shares
        } else {
            Receive::Tokens
        };
        let r = self.send(
            self.stakers[staker],
            Action::CompleteWithdrawal {
                id: rampart_core::ids::WithdrawalId(id),
                receive,
            },
        );
        if let Ok(Outcome::Shares(paid)) = &r {
            let paid = paid.get();
            if q(paid) > w.value || w.value.clone() - q(paid) > q(u128::from(w.budget) + 2) {
                return Err(format!(
                    "withdrawal {id} paid {paid}, exact value {}",
                    w.value
                ));
            }
            self.model.withdrawals.remove(&id);
            // Completing a held withdrawal releases its whole bucket (same operator, strategy
            // and maturity) at once.
            let now = self.model.now;
            if w.held(now) {
                for other in self.model.withdrawals.values_mut() {
                    if other.op == w.op && other.asset == w.asset && other.at == w.at {
                        other.hold = Some(Some(now));
                    }
                }
            }
            let key = (staker, w.asset);
            if as_shares {
                *self.model.deposits.entry(key).or_default() += paid;
                *self.model.gone.entry(key).or_insert_with(Model::zero) += w.value - q(paid);
            } else {
                *self.model.gone.entry(key).or_insert_with(Model::zero) += w.value;
                *self.model.gone_core.entry(key).or_default() += paid;
            }
        }
        Ok((ok, Some(r)))
    }

    #[allow(clippy::type_complexity)]
    fn redelegate(
        &mut self,
        staker: usize,
        from: usize,
        to: usize,
        asset: usize,
        part: Part,
    ) -> (bool, Option<Result<Outcome, rampart_core::Error>>) {
        let now = self.model.now;
        let source = self.model.positions.get(&(staker, from, asset)).cloned();
        let held = source.as_ref().map_or(0, |p| p.nominal);
        let (amount, n) = Self::part(part, held);
        let at = now + DELAY;
        let target = self
            .model
            .positions
            .get(&(staker, to, asset))
            .cloned()
            .unwrap_or_default();
        let merges = target.tranches.iter().any(|t| t.from == from && t.at == at);
        let room = merges || target.tranches.len() < 8;
        let portion = source
            .as_ref()
            .map(|p| Model::portion(&p.value, n, p.nominal.max(1)))
            .unwrap_or_else(Model::zero);
        let valid = from != to
            && source.is_some()
            && n > 0
            && n <= held
            && self.model.magnitude(to, asset) > 0
            && room;
        // A move worth under two shares may round to nothing, which the core refuses; either
        // answer is right there.
        let tiny = portion < q(2);
        let r = self.send(
            self.stakers[staker],
            Action::Redelegate {
                from_operator: self.ops[from],
                to_operator: self.ops[to],
                strategy: ASSETS[asset].into(),
                shares: amount,
                validator: None,
            },
        );
        if r.is_ok() {
            let p = self
                .model
                .positions
                .get_mut(&(staker, from, asset))
                .expect("exists");
            p.value -= &portion;
            p.nominal -= n;
            p.budget += 2;
            // The moved stake carries the rounding it has accumulated so far.
            let inherited = p.budget;
            self.prune(staker, from, asset);
            let t = self.model.positions.entry((staker, to, asset)).or_default();
            t.budget += inherited + 4;
            match t.tranches.iter_mut().find(|x| x.from == from && x.at == at) {
                Some(x) => {
                    x.nominal += n;
                    x.value += portion;
                }
                None => t.tranches.push(Tranche {
                    from,
                    nominal: n,
                    value: portion,
                    at,
                }),
            }
            self.model.charge(staker, asset, 4);
        }
        let ok = valid && (!tiny || r.is_ok());
        (ok, Some(r))
    }

    /// Compares the two ledgers.
    pub fn check(&self) -> Result<(), String> {
        let violations = invariants::check(&self.state);
        if !violations.is_empty() {
            return Err(format!("invariants: {violations:?}"));
        }
        self.check_magnitudes()?;
        self.check_values()
    }

    fn asset_id(&self, asset: usize) -> rampart_core::AssetId {
        rampart_core::bank::asset_id(&self.state, ASSETS[asset]).expect("registered")
    }

    fn check_magnitudes(&self) -> Result<(), String> {
        for op in 0..OPERATORS {
            for asset in 0..ASSETS.len() {
                let pool = restaking::magnitude(&self.state, self.ops[op], self.asset_id(asset));
                if pool.max_magnitude.get() != self.model.magnitude(op, asset) {
                    return Err(format!(
                        "op{op}/{asset}: magnitude {} vs model {}",
                        pool.max_magnitude,
                        self.model.magnitude(op, asset)
                    ));
                }
                if pool.encumbered.get() != self.model.encumbered(op, asset) {
                    return Err(format!(
                        "op{op}/{asset}: encumbered {} vs model {}",
                        pool.encumbered,
                        self.model.encumbered(op, asset)
                    ));
                }
                for set in 0..2 {
                    let core = self
                        .state
                        .get::<rampart_core::schema::Allocations>(&(
                            self.ops[op],
                            self.sets[set],
                            self.asset_id(asset),
                        ))
                        .map(|a| {
                            (
                                a.current.get(),
                                a.pending.map(|p| (p.target.get(), p.effect_at.get())),
                            )
                        });
                    let model = self
                        .model
                        .alloc
                        .get(&(op, set, asset))
                        .map(|a| (a.current, a.pending));
                    if core != model {
                        return Err(format!(
                            "allocation op{op}/set{set}/{asset}: core {core:?} vs model {model:?}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_values(&self) -> Result<(), String> {
        let now = self.state.now();
        let mut core_family: BTreeMap<(usize, usize), u128> = BTreeMap::new();
        let mut model_family: BTreeMap<(usize, usize), Q> = BTreeMap::new();
        for s in 0..STAKERS {
            for a in 0..ASSETS.len() {
                let key = (s, a);
                let id = self.asset_id(a);
                let deposit = restaking_deposit(&self.state, self.stakers[s], id);
                if deposit != self.model.deposits.get(&key).copied().unwrap_or(0) {
                    return Err(format!(
                        "staker{s}/{a}: deposit {deposit} vs model {:?}",
                        self.model.deposits.get(&key)
                    ));
                }
                *core_family.entry(key).or_default() +=
                    deposit + self.model.gone_core.get(&key).copied().unwrap_or(0);
                let exact = q(deposit)
                    + self
                        .model
                        .gone
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(Model::zero);
                *model_family.entry(key).or_insert_with(Model::zero) += exact;
                for op in 0..OPERATORS {
                    let core = restaking::settled_position(
                        &self.state,
                        self.stakers[s],
                        self.ops[op],
                        id,
                        now,
                    )
                    .map_err(|e| e.to_string())?;
                    let model = self.model.positions.get(&(s, op, a));
                    match (core, model) {
                        (None, None) => {}
                        (Some(c), Some(m)) => {
                            let v = restaking::position_value(&self.state, self.ops[op], id, &c)
                                .map_err(|e| e.to_string())?;
                            if v.shares.get() != m.nominal_total() {
                                return Err(format!(
                                    "staker{s}/op{op}/{a}: shares {} vs model {}",
                                    v.shares,
                                    m.nominal_total()
                                ));
                            }
                            within(
                                &format!("staker{s}/op{op}/{a} position"),
                                v.withdrawable.get(),
                                &m.total(),
                                m.budget + 3,
                            )?;
                            *core_family.entry(key).or_default() += v.withdrawable.get();
                            *model_family.entry(key).or_insert_with(Model::zero) += m.total();
                        }
                        (c, m) => {
                            return Err(format!(
                                "staker{s}/op{op}/{a}: core position {c:?} vs model {m:?}"
                            ));
                        }
                    }
                }
            }
        }
        for (id, w) in &self.model.withdrawals {
            let core = self
                .state
                .get::<rampart_core::schema::Withdrawals>(&rampart_core::ids::WithdrawalId(*id))
                .ok_or_else(|| format!("withdrawal {id} missing in core"))?;
            let paid = restaking::withdrawal_payout_shares(&self.state, core)
                .map_err(|e| e.to_string())?
                .get();
            within(&format!("withdrawal {id}"), paid, &w.value, w.budget + 2)?;
            *core_family.entry((w.staker, w.asset)).or_default() += paid;
            *model_family
                .entry((w.staker, w.asset))
                .or_insert_with(Model::zero) += w.value.clone();
        }
        for (key, core) in core_family {
            let exact = model_family.remove(&key).unwrap_or_else(Model::zero);
            let budget = self.model.family_budget.get(&key).copied().unwrap_or(0) + 4;
            within(
                &format!("staker{}/{} family", key.0, key.1),
                core,
                &exact,
                budget,
            )?;
        }
        Ok(())
    }
}

/// Whether scaling `n` shares into a term of magnitude `m` may overflow 128 bits somewhere.
fn near_overflow(n: u128, m: u128) -> bool {
    m > 0 && n.saturating_mul(WAD) / m > u128::MAX >> 16
}

fn restaking_deposit(state: &State, staker: Address, strategy: rampart_core::AssetId) -> u128 {
    state
        .get::<rampart_core::schema::Deposits>(&(staker, strategy))
        .map_or(0, |s| s.get())
}

/// `core` is at most `exact` and at least `exact − budget`.
fn within(what: &str, core: u128, exact: &Q, budget: u32) -> Result<(), String> {
    if q(core) > *exact {
        return Err(format!(
            "{what}: core {core} exceeds the exact value {exact}"
        ));
    }
    if exact.clone() - q(core) > q(u128::from(budget)) {
        return Err(format!(
            "{what}: core {core} is more than {budget} below the exact value {exact}"
        ));
    }
    Ok(())
}

fn model_params() -> rampart_core::params::ParamsPatch {
    rampart_core::params::ParamsPatch {
        withdrawal_delay_s: Some(Duration::new(DELAY)),
        deallocation_delay_s: Some(Duration::new(DELAY)),
        slash_execution_window_s: Some(Duration::new(EXECUTION_WINDOW)),
        ..Default::default()
    }
}
