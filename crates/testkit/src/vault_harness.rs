//! A state-machine harness for a liquid restaking vault: random sequences of every vault action
//! (and the restaking events that move a vault: slashes, rewards, time) run through the full
//! transaction path, with checks after every step.
//!
//! Checks after each step:
//! - `invariants::check` finds nothing (bank conservation, vault books, §12.6's state part);
//! - a rejected transaction changed nothing but the signer's nonce;
//! - the rate moves only as §12.6 allows: holders' actions (deposits, exits, requests, claims,
//!   harvests, donations, LRT transfers, fee changes) never lower it and raise it by rounding
//!   only; the curator's allocations move it by rounding dust only; slashes only lower it; time
//!   lowers it by at most the management fee (and raises it as rewards vest);
//! - a deposit followed at once by an instant exit never returns more than was put in;
//! - the queue is finalized in request order (FIFO), each request paid exactly
//!   `min(value at request, value at finalization)`.

use crate::harness::Part;
use rampart_core::genesis::{Genesis, GenesisAccount, GenesisAsset};
use rampart_core::ids::{fmt_address, module};
use rampart_core::schema::Accounts;
use rampart_core::state::Table;
use rampart_core::{
    Action, Address, Amount, BlockHeader, Event, Height, Outcome, State, Timestamp, Tx,
    begin_block, execute_tx, invariants,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// LRT holders.
pub const HOLDERS: usize = 4;
/// Operators the vault may delegate to.
pub const VAULT_OPS: usize = 3;
/// The vault's LRT.
pub const LRT: &str = "rstETH";
/// Base units per token.
pub const E18: u128 = 1_000_000_000_000_000_000;

/// One step of a generated vault history.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum VaultStep {
    Deposit {
        holder: usize,
        amount: u128,
    },
    /// A deposit and, in the same block, an instant exit of everything it minted.
    RoundTrip {
        holder: usize,
        amount: u128,
    },
    Instant {
        holder: usize,
        part: Part,
    },
    Request {
        holder: usize,
        part: Part,
    },
    Claim {
        holder: usize,
        index: usize,
    },
    Allocate {
        op: usize,
        amount: u128,
    },
    Deallocate {
        op: usize,
        part: Part,
    },
    Harvest,
    Slash {
        op: usize,
        wad: u128,
    },
    Donate {
        to_strategy: bool,
        amount: u128,
    },
    TransferLrt {
        from: usize,
        to: usize,
        part: Part,
    },
    SetFees {
        fees: [u32; 4],
    },
    Advance {
        seconds: u64,
    },
}

/// How a step may move the rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RateRule {
    /// Holders' actions: never down, up by rounding only.
    Holder,
    /// The curator's allocations: by rounding dust only.
    Curator,
    /// A slash: only down.
    Slash,
    /// Time: down by at most the management fee.
    Time { seconds: u64 },
}

/// What one step did: the rate rule it must keep, the action's outcome (none when the step
/// sent nothing), and its events.
type Ran = (
    RateRule,
    Option<Result<Outcome, rampart_core::Error>>,
    Vec<Event>,
);

/// The chain, the vault, and what the checks remember.
#[allow(missing_debug_implementations)]
pub struct VaultHarness {
    /// The core's state.
    pub state: State,
    header: BlockHeader,
    holders: Vec<Address>,
    ops: Vec<Address>,
    curator: Address,
    service: Address,
    /// Open requests: id → owner index.
    requests: BTreeMap<u64, usize>,
    last_finalized: Option<u64>,
    /// Steps the core accepted.
    pub accepted: usize,
    /// Steps the core rejected (changing nothing).
    pub rejected: usize,
    /// Requests finalized.
    pub finalized: usize,
    /// Round trips checked.
    pub round_trips: usize,
}

fn addr(name: &str) -> Address {
    rampart_scenario::names::dev_address(name)
}

fn h(a: Address) -> String {
    fmt_address(&a)
}

fn n(x: u128) -> String {
    x.to_string()
}

impl VaultHarness {
    /// Genesis; three operators in one set (half their magnitude allocated); a long stETH
    /// reward program; a vault on stETH with `fees` allowing all three operators.
    pub fn new(fees: [u32; 4]) -> Self {
        let holders: Vec<Address> = (0..HOLDERS).map(|i| addr(&format!("holder{i}"))).collect();
        let ops: Vec<Address> = (0..VAULT_OPS).map(|i| addr(&format!("vop{i}"))).collect();
        let (curator, service) = (addr("curator"), addr("vsvc"));
        let rich = |a: Address, tokens: u128| GenesisAccount {
            address: a,
            balances: [("stETH".to_owned(), Amount::new(tokens))].into(),
        };
        let mut accounts: Vec<GenesisAccount> =
            holders.iter().map(|a| rich(*a, 1_000_000 * E18)).collect();
        accounts.push(rich(curator, 10 * E18));
        accounts.push(rich(service, 1_000_000 * E18));
        accounts.push(rich(addr("donor"), 1_000_000 * E18));
        let genesis = Genesis {
            chain_id: 1,
            time: Timestamp::new(0),
            governance: Some(addr("governance")),
            guardian: None,
            params: serde_json::from_value(json!({"vault_queue_batch": 3})).expect("params"),
            assets: vec![GenesisAsset {
                symbol: "stETH".into(),
                decimals: 18,
                issuer: Some(addr("bridge")),
                restakable: true,
            }],
            accounts,
            validators: Vec::new(),
        };
        let crate::chain::Chain { mut state, header } = crate::chain::Chain::new(&genesis);
        state.set_invariant_checks(false);
        let mut h = Self {
            state,
            header,
            holders,
            ops,
            curator,
            service,
            requests: BTreeMap::new(),
            last_finalized: None,
            accepted: 0,
            rejected: 0,
            finalized: 0,
            round_trips: 0,
        };
        h.setup(fees);
        h
    }

    fn setup(&mut self, fees: [u32; 4]) {
        let s = self.service;
        let set = format!("{}/0", h(s));
        self.must(
            s,
            json!({"tx": "register_service", "slasher": h(s), "max_slash_per_event_wad": n(E18), "destination": "burn"}),
        );
        self.must(
            s,
            json!({"tx": "create_operator_set", "set_id": 0, "strategies": ["stETH"]}),
        );
        for op in self.ops.clone() {
            self.must(op, json!({"tx": "register_operator"}));
            self.must(op, json!({"tx": "register_for_set", "set": set}));
            self.must(
                op,
                json!({"tx": "allocate", "set": set, "strategy": "stETH", "magnitude": n(E18 / 2)}),
            );
        }
        self.must(
            s,
            json!({"tx": "create_reward_program", "service": h(s), "set": set, "asset": "stETH",
                   "amount": n(20_000 * E18), "duration_s": 3_600 * 20_000}),
        );
        let ops: Vec<String> = self.ops.iter().map(|a| h(*a)).collect();
        self.must(
            self.curator,
            json!({"tx": "create_vault", "asset": "stETH", "lrt_symbol": LRT,
                   "fees": {"management_bps": fees[0], "performance_bps": fees[1], "deposit_bps": fees[2], "withdrawal_bps": fees[3]},
                   "deposit_cap": n(100_000_000 * E18), "buffer_bps": 500,
                   "policy": {"allowed_operators": ops, "allowed_services": [h(s)], "max_per_operator_bps": 10000},
                   "seed_amount": n(E18), "min_request": "1000"}),
        );
    }

    fn must(&mut self, signer: Address, action: Value) {
        let what = action.to_string();
        let (result, _) = self.send(signer, action);
        assert!(result.is_ok(), "setup step {what} failed: {result:?}");
    }

    fn send(
        &mut self,
        signer: Address,
        action: Value,
    ) -> (Result<Outcome, rampart_core::Error>, Vec<Event>) {
        let action: Action = serde_json::from_value(action).expect("a well-formed action");
        let nonce = rampart_core::tx::next_nonce(&self.state, signer);
        let tx = Tx::unpaid(signer, nonce, action);
        let receipt = execute_tx(&mut self.state, &self.header, tx).expect("a valid envelope");
        self.state.discard_journal();
        (receipt.result, receipt.events)
    }

    /// (A, T) of the vault.
    pub fn rate(&self) -> (u128, u128) {
        let v = rampart_core::vault::value_now(&self.state, 0).expect("vault value");
        (v.assets.get(), v.units().expect("units").get())
    }

    fn lrt_of(&self, holder: usize) -> u128 {
        let id = rampart_core::bank::asset_id(&self.state, LRT).expect("lrt");
        rampart_core::bank::balance(&self.state, self.holders[holder], id).get()
    }

    fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut entries = self.state.encoded_entries();
        entries.retain(|(k, _)| k[0] != Accounts::ID);
        entries
    }

    fn part(part: Part, held: u128) -> String {
        match part {
            Part::All => "all".into(),
            Part::Percent(p) => n((held * u128::from(p) / 100).max(1)),
            Part::Exact(x) => n(x),
        }
    }

    fn steth(&self) -> rampart_core::AssetId {
        rampart_core::bank::asset_id(&self.state, "stETH").expect("stETH")
    }

    fn position_value(&self, op: usize) -> u128 {
        let key = (module::vault(0), self.ops[op], self.steth());
        self.state
            .get::<rampart_core::schema::Positions>(&key)
            .map_or(0, |p| p.shares.get())
    }

    /// Runs one step and checks everything.
    pub fn apply(&mut self, step: &VaultStep) -> Result<(), String> {
        let before = self.snapshot();
        let rate_before = self.rate();
        let (rule, outcome, events) = self.run(step)?;
        match outcome {
            Some(Err(_)) => {
                self.rejected += 1;
                if self.snapshot() != before {
                    return Err(format!("{step:?}: a rejected transaction changed state"));
                }
            }
            Some(Ok(_)) | None => self.accepted += 1,
        }
        let finalized = self.check_finalizations(&events)?;
        self.check_rate(rule, finalized, rate_before, self.rate())
            .map_err(|e| format!("{step:?}: {e}"))?;
        let violations = invariants::check(&self.state);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(format!("after {step:?}: {violations:?}"))
        }
    }

    fn run(&mut self, step: &VaultStep) -> Result<Ran, String> {
        let vault = LRT;
        let (rule, signer, action) = match *step {
            VaultStep::Deposit { holder, amount } => (
                RateRule::Holder,
                self.holders[holder],
                json!({"tx": "vault_deposit", "vault": vault, "amount": n(amount)}),
            ),
            VaultStep::RoundTrip { holder, amount } => return self.round_trip(holder, amount),
            VaultStep::Instant { holder, part } => (
                RateRule::Holder,
                self.holders[holder],
                json!({"tx": "vault_withdraw_instant", "vault": vault, "lrt": Self::part(part, self.lrt_of(holder))}),
            ),
            VaultStep::Request { holder, part } => (
                RateRule::Holder,
                self.holders[holder],
                json!({"tx": "vault_request_withdrawal", "vault": vault, "lrt": Self::part(part, self.lrt_of(holder))}),
            ),
            VaultStep::Claim { holder, index } => {
                let mine: Vec<u64> = self
                    .requests
                    .iter()
                    .filter(|(_, o)| **o == holder)
                    .map(|(id, _)| *id)
                    .collect();
                let id = if mine.is_empty() {
                    u64::MAX
                } else {
                    mine[index % mine.len()]
                };
                (
                    RateRule::Holder,
                    self.holders[holder],
                    json!({"tx": "vault_claim", "id": id}),
                )
            }
            VaultStep::Allocate { op, amount } => (
                RateRule::Curator,
                self.curator,
                json!({"tx": "vault_allocate", "vault": vault, "operator": h(self.ops[op]), "amount": n(amount)}),
            ),
            VaultStep::Deallocate { op, part } => {
                let held = self.position_value(op);
                (
                    RateRule::Curator,
                    self.curator,
                    json!({"tx": "vault_deallocate", "vault": vault, "operator": h(self.ops[op]), "amount": Self::part(part, held)}),
                )
            }
            VaultStep::Harvest => (
                RateRule::Holder,
                addr("keeper"),
                json!({"tx": "vault_harvest", "vault": vault}),
            ),
            VaultStep::Slash { op, wad } => (
                RateRule::Slash,
                self.service,
                json!({"tx": "slash", "operator": h(self.ops[op]), "set": format!("{}/0", h(self.service)),
                       "strategies": ["stETH"], "wad": n(wad)}),
            ),
            VaultStep::Donate {
                to_strategy,
                amount,
            } => {
                let to = if to_strategy {
                    module::strategy(self.steth())
                } else {
                    module::vault(0)
                };
                (
                    RateRule::Holder,
                    addr("donor"),
                    json!({"tx": "transfer", "to": h(to), "asset": "stETH", "amount": n(amount)}),
                )
            }
            VaultStep::TransferLrt { from, to, part } => {
                let held = self.lrt_of(from);
                let amount = match part {
                    Part::All => n(held),
                    other => Self::part(other, held),
                };
                (
                    RateRule::Holder,
                    self.holders[from],
                    json!({"tx": "transfer", "to": h(self.holders[to]), "asset": LRT, "amount": amount}),
                )
            }
            VaultStep::SetFees { fees } => (
                RateRule::Holder,
                self.curator,
                json!({"tx": "vault_set_fees", "vault": vault, "fees": {"management_bps": fees[0],
                       "performance_bps": fees[1], "deposit_bps": fees[2], "withdrawal_bps": fees[3]}}),
            ),
            VaultStep::Advance { seconds } => {
                let time = Timestamp::new(self.header.time.get() + seconds);
                let height = Height::new(self.header.height.get() + (seconds / 2).max(1));
                self.header = BlockHeader::new(height, time, None);
                let events = begin_block(&mut self.state, &self.header)
                    .map_err(|e| format!("begin_block failed: {e}"))?;
                self.state.discard_journal();
                return Ok((RateRule::Time { seconds }, None, events));
            }
        };
        let (result, events) = self.send(signer, action);
        if let (VaultStep::Request { holder, .. }, Ok(Outcome::VaultRequest(id))) = (step, &result)
        {
            self.requests.insert(*id, *holder);
        }
        if let (VaultStep::Claim { .. }, Ok(_)) = (step, &result) {
            for e in &events {
                if let Event::VaultClaimed { id, .. } = e {
                    self.requests.remove(id);
                }
            }
        }
        Ok((rule, Some(result), events))
    }

    /// A deposit and an immediate instant exit of what it minted: never returns more.
    fn round_trip(&mut self, holder: usize, amount: u128) -> Result<Ran, String> {
        let who = self.holders[holder];
        let (deposit, mut events) = self.send(
            who,
            json!({"tx": "vault_deposit", "vault": LRT, "amount": n(amount)}),
        );
        let Ok(Outcome::Amount(minted)) = deposit else {
            return Ok((RateRule::Holder, Some(deposit), events));
        };
        let (exit, more) = self.send(
            who,
            json!({"tx": "vault_withdraw_instant", "vault": LRT, "lrt": n(minted.get())}),
        );
        events.extend(more);
        if let Ok(Outcome::Amount(out)) = exit {
            self.round_trips += 1;
            if out.get() > amount {
                return Err(format!(
                    "round trip of {amount} returned {out}: value was created"
                ));
            }
        }
        Ok((RateRule::Holder, Some(Ok(Outcome::Amount(minted))), events))
    }

    /// Checks the min rule and FIFO order of the step's finalizations; returns how many.
    fn check_finalizations(&mut self, events: &[Event]) -> Result<u128, String> {
        let mut count = 0;
        for e in events {
            if let Event::VaultRequestFinalized {
                id,
                value_at_request,
                value_now,
                payout,
                ..
            } = e
            {
                if *payout != (*value_at_request).min(*value_now) {
                    return Err(format!(
                        "request {id}: paid {payout}, min rule gives min({value_at_request}, {value_now})"
                    ));
                }
                if self.last_finalized.is_some_and(|last| *id <= last) {
                    return Err(format!(
                        "request {id} finalized after {:?}: not FIFO",
                        self.last_finalized
                    ));
                }
                self.last_finalized = Some(*id);
                self.finalized += 1;
                count += 1;
            }
        }
        Ok(count)
    }

    fn check_rate(
        &self,
        rule: RateRule,
        finalized: u128,
        (a0, t0): (u128, u128),
        (a1, t1): (u128, u128),
    ) -> Result<(), String> {
        use num_bigint::BigInt;
        let big = |x: u128| BigInt::from(x);
        // rate1 − rate0 = (A1·T0 − A0·T1) / (T0·T1).
        let rise = big(a1) * big(t0) - big(a0) * big(t1);
        // Each rounding in the vault's favour raises the rate by at most (1 + rate) / T1.
        let k = big(4 + finalized);
        let rounding = k * (big(t1) + big(a1)) * big(t0);
        match rule {
            RateRule::Holder => {
                if rise < BigInt::from(0) {
                    return Err(format!("rate fell: {a0}/{t0} → {a1}/{t1}"));
                }
                if rise * big(t1) > rounding {
                    return Err(format!("rate rose beyond rounding: {a0}/{t0} → {a1}/{t1}"));
                }
            }
            RateRule::Curator => {
                if t0 != t1 || a1 + 6 < a0 || a1 > a0 + 6 {
                    return Err(format!(
                        "an allocation moved the value beyond dust: {a0}/{t0} → {a1}/{t1}"
                    ));
                }
            }
            RateRule::Slash => {
                if t0 != t1 || a1 > a0 + 4 {
                    return Err(format!("a slash raised the value: {a0}/{t0} → {a1}/{t1}"));
                }
            }
            RateRule::Time { seconds } => {
                // At most 500 bps a year of the larger value over the time since the last
                // charge (up to an epoch before this step), ceil per epoch, plus rounding.
                let epochs = u128::from(seconds / 3_600 + 2);
                let charged_s = u128::from(seconds + 3_600);
                let fee = a0.max(a1) / 10_000 * 500 * charged_s / 31_536_000 + 1;
                let floor = big(a0.saturating_sub(fee + epochs * 2)) * big(t1);
                if big(t0) * big(a1) < floor {
                    return Err(format!(
                        "time lowered the rate beyond the management fee: {a0}/{t0} → {a1}/{t1}"
                    ));
                }
            }
        }
        Ok(())
    }
}
