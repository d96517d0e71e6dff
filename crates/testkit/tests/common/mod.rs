//! Shared support for the liveness, leak and parameter-bound tests: a chain at default
//! parameters with validators and funded accounts, whose every block start must succeed and
//! whose invariants are checked after every block (and, through `execute_tx`, every transaction),
//! counting the transactions it accepted.
#![allow(dead_code)]

use rampart_core::base::Fault;
use rampart_core::genesis::{Genesis, GenesisAccount, GenesisValidator};
use rampart_core::ids::module;
use rampart_core::lst::{self, LstPool, Redemption};
use rampart_core::params::ParamsPatch;
use rampart_core::schema::Redemptions;
use rampart_core::{
    Action, Address, AssetId, BlockHeader, Bps, Error, Event, Height, Outcome, Timestamp,
    begin_block, invariants,
};
use rampart_scenario::names::dev_address;
use rampart_testkit::chain::Chain;

/// One whole unit (18 decimals).
pub const E18: u128 = 1_000_000_000_000_000_000;

/// Genesis time (a round number far from zero, so nothing relies on time starting at 0).
pub const T0: u64 = 1_700_000_000;

pub fn validator(i: usize) -> Address {
    dev_address(&format!("v{i}"))
}

pub fn holder(i: usize) -> Address {
    dev_address(&format!("h{i}"))
}

/// Genesis at `params` (default parameters when empty): `validators` validators bonding
/// 10,000 RAM each to themselves, `holders` holders with 1,000,000 RAM each, and `extra`
/// accounts with the given RAM balances.
pub fn genesis(
    validators: usize,
    holders: usize,
    extra: &[(Address, u128)],
    params: ParamsPatch,
) -> Genesis {
    let ram = |address: Address, amount: u128| GenesisAccount {
        address,
        balances: [("RAM".to_owned(), rampart_core::Amount::new(amount))].into(),
    };
    let mut accounts: Vec<GenesisAccount> = (0..holders)
        .map(|i| ram(holder(i), 1_000_000 * E18))
        .collect();
    accounts.extend((0..validators).map(|i| ram(validator(i), 1_000 * E18)));
    accounts.extend(extra.iter().map(|(a, x)| ram(*a, *x)));
    Genesis {
        chain_id: 1,
        time: Timestamp::new(T0),
        governance: Some(dev_address("governance")),
        guardian: None,
        params,
        assets: Vec::new(),
        accounts,
        validators: (0..validators)
            .map(|i| GenesisValidator {
                address: validator(i),
                self_bond: rampart_core::Amount::new(10_000 * E18),
                commission_bps: Bps::new(500),
                consensus_key: None,
                p2p_address: None,
            })
            .collect(),
    }
}

/// A chain whose every `begin_block` must succeed, with counts of accepted and rejected
/// transactions and of blocks.
#[allow(missing_debug_implementations)]
pub struct Net {
    pub chain: Chain,
    pub accepted: usize,
    pub rejected: usize,
    pub blocks: usize,
}

impl Net {
    pub fn new(genesis: &Genesis) -> Self {
        let mut chain = Chain::new(genesis);
        chain.state.set_invariant_checks(true);
        Self {
            chain,
            accepted: 0,
            rejected: 0,
            blocks: 1,
        }
    }

    pub fn now(&self) -> u64 {
        self.chain.now()
    }

    pub fn epoch_len(&self) -> u64 {
        self.chain.state.params().epoch_length_s.get()
    }

    pub fn unbonding_s(&self) -> u64 {
        self.chain.state.params().unbonding_period_s.get()
    }

    /// When the current epoch ends.
    pub fn next_boundary(&self) -> u64 {
        self.chain
            .state
            .meta()
            .next_boundary()
            .expect("time does not overflow")
            .get()
    }

    /// Opens a block at `t` that the validators in `missed` did not sign; panics if
    /// `begin_block` fails or an invariant breaks.
    pub fn block_missed(&mut self, t: u64, missed: Vec<Address>) -> Vec<Event> {
        assert!(t >= self.now(), "time only moves forward");
        let chain = &mut self.chain;
        chain.state.discard_journal();
        let block_time = chain.state.params().block_time_s.get().max(1);
        let blocks = ((t - chain.header.time.get()) / block_time).max(1);
        let mut header = BlockHeader::new(
            Height::new(chain.header.height.get() + blocks),
            Timestamp::new(t),
            None,
        );
        header.missed = missed;
        let events = begin_block(&mut chain.state, &header)
            .unwrap_or_else(|e| panic!("begin_block at {t} (block {}) failed: {e}", self.blocks));
        chain.state.discard_journal();
        chain.header = header;
        self.blocks += 1;
        self.check();
        // A vault whose epoch work met a user limit skips it: a bug to look at, never expected.
        let skipped: Vec<&Event> = events
            .iter()
            .filter(|e| matches!(e, Event::VaultEpochSkipped { .. }))
            .collect();
        assert!(skipped.is_empty(), "at {t}: {skipped:?}");
        events
    }

    /// Opens a block at `t`.
    pub fn block(&mut self, t: u64) -> Vec<Event> {
        self.block_missed(t, Vec::new())
    }

    /// Opens a block `s` seconds later.
    pub fn wait(&mut self, s: u64) -> Vec<Event> {
        let t = self.now() + s;
        self.block(t)
    }

    /// Opens the block at the next epoch boundary.
    pub fn next_epoch(&mut self) -> Vec<Event> {
        let t = self.next_boundary();
        self.block(t)
    }

    /// Crosses the boundaries after which stake bonded now earns (`1 + bonding_epochs` after
    /// the next one).
    pub fn settle(&mut self) {
        for _ in 0..2 + self.chain.state.params().bonding_epochs {
            self.next_epoch();
        }
    }

    /// Panics with the violations if an invariant is broken.
    pub fn check(&self) {
        let v = invariants::check(&self.chain.state);
        assert!(v.is_empty(), "invariants broken at {}: {v:?}", self.now());
    }

    /// Sends `action`, counting it.
    pub fn send(&mut self, signer: Address, action: Action) -> Result<Outcome, Error> {
        let r = self.chain.send(signer, action);
        match r {
            Ok(_) => self.accepted += 1,
            Err(_) => self.rejected += 1,
        }
        r
    }

    /// Sends `action`, which must succeed.
    pub fn must(&mut self, signer: Address, action: Action) -> Outcome {
        let name = action.name();
        self.send(signer, action)
            .unwrap_or_else(|e| panic!("{name} failed at {}: {e}", self.chain.now()))
    }

    /// Applies a fault as consensus would report it in the current block.
    pub fn fault(&mut self, fault: Fault) -> Result<Vec<Event>, Error> {
        let mut events = Vec::new();
        let (height, now) = (self.chain.header.height, self.chain.header.time);
        let r = rampart_core::block::apply_fault(
            &mut self.chain.state,
            &mut events,
            &fault,
            height,
            now,
        );
        self.chain.state.discard_journal();
        self.check();
        r.map(|()| events)
    }

    /// Jails `v` for downtime (it missed a whole uptime window).
    pub fn jail(&mut self, v: Address) {
        let blocks = self.chain.state.params().downtime_window_blocks;
        self.fault(Fault::Downtime {
            validator: v,
            blocks,
        })
        .unwrap_or_else(|e| panic!("downtime of {v}: {e}"));
    }

    pub fn ram(&self, a: Address) -> u128 {
        rampart_core::bank::balance(&self.chain.state, a, AssetId::NATIVE).get()
    }

    pub fn balance(&self, a: Address, symbol: &str) -> u128 {
        let id = rampart_core::bank::asset_id(&self.chain.state, symbol).expect("asset");
        rampart_core::bank::balance(&self.chain.state, a, id).get()
    }

    pub fn lst_balance(&self, a: Address) -> u128 {
        self.balance(a, lst::LST_SYMBOL)
    }

    pub fn pool(&self) -> LstPool {
        lst::pool(&self.chain.state).expect("the pool")
    }

    /// The pool's liquid buffer.
    pub fn buffer(&self) -> u128 {
        self.ram(module::lst_pool())
    }

    /// The pool's value `V`.
    pub fn pool_value(&self) -> u128 {
        lst::value(&self.chain.state).expect("pool value").get()
    }

    /// The pool's units `U` (supply plus queued).
    pub fn pool_units(&self) -> u128 {
        lst::units(&self.chain.state, &self.pool())
            .expect("pool units")
            .get()
    }

    pub fn redemption(&self, id: u64) -> Option<Redemption> {
        self.chain.state.get::<Redemptions>(&id).cloned()
    }

    /// Deposits `amount` RAM into the pool for `who`; returns the LST minted.
    pub fn lst_deposit(&mut self, who: Address, amount: u128) -> u128 {
        match self.must(
            who,
            Action::LstDeposit {
                amount: rampart_core::Amount::new(amount),
                min_lst_out: None,
            },
        ) {
            Outcome::Amount(a) => a.get(),
            o => panic!("unexpected {o:?}"),
        }
    }

    /// Requests the redemption of `lst` units (all when `None`); returns its id.
    pub fn redeem(&mut self, who: Address, lst: Option<u128>) -> u64 {
        let shares = lst.map_or(rampart_core::num::ShareAmount::All, |n| {
            rampart_core::num::ShareAmount::Exact(rampart_core::Shares::new(n))
        });
        match self.must(who, Action::LstRequestRedeem { shares }) {
            Outcome::Redemption(id) => id,
            o => panic!("unexpected {o:?}"),
        }
    }

    /// Number of unbonding entries the pool holds.
    pub fn pool_unbondings(&self) -> usize {
        self.chain
            .state
            .iter::<rampart_core::schema::Unbondings>()
            .filter(|(_, u)| u.delegator == module::lst_pool())
            .count()
    }

    /// Free validator shares the pool holds at `v` (settled at the current epoch).
    pub fn pool_shares_at(&self, v: Address) -> u128 {
        rampart_core::base::settled_delegation(&self.chain.state, module::lst_pool(), v)
            .expect("settled delegation")
            .map_or(0, |d| d.shares)
    }

    /// RAM of the pool's bonds waiting to activate.
    pub fn pool_pending(&self) -> u128 {
        self.chain
            .state
            .iter::<rampart_core::schema::BaseDelegations>()
            .filter(|((d, _), _)| *d == module::lst_pool())
            .flat_map(|(_, d)| d.pending.iter().map(|p| p.amount.get()))
            .sum()
    }

    pub fn active(&self) -> Vec<Address> {
        rampart_core::base::active_set(&self.chain.state)
    }
}

/// An LST redemption the test is waiting to claim: its owner, the value it is owed, and the time
/// by which it must have been paid (its batch's close + one unbonding period + one epoch).
#[derive(Clone, Debug)]
pub struct Owed {
    pub id: u64,
    pub owner: Address,
    pub lst: u128,
    pub value: u128,
    pub batch_close: u64,
    pub deadline: u64,
}

impl Net {
    /// Records redemption `id`, requested now, as owed.
    pub fn owed(&self, id: u64) -> Owed {
        let r = self.redemption(id).expect("a queued redemption");
        let batch_close = self.next_boundary();
        Owed {
            id,
            owner: r.owner,
            lst: r.lst.get(),
            value: r.value_at_request.get(),
            batch_close,
            deadline: batch_close + self.unbonding_s() + self.epoch_len(),
        }
    }

    /// Claims every owed redemption whose batch is claimable; each must pay exactly what it is
    /// owed, and none may still be unpaid past its deadline. Returns (owed, paid) of each claim.
    pub fn claim_due(&mut self, open: &mut Vec<Owed>) -> Vec<(Owed, u128)> {
        let mut paid = Vec::new();
        let now = self.now();
        let mut left = Vec::new();
        for o in open.drain(..) {
            let r = self.redemption(o.id).expect("unclaimed");
            let ready =
                lst::claimable_at(&self.chain.state, r.epoch).is_some_and(|t| t.get() <= now);
            if ready {
                match self.send(o.owner, Action::LstClaim { id: o.id }) {
                    Ok(Outcome::Amount(a)) => {
                        paid.push((o, a.get()));
                        continue;
                    }
                    Ok(other) => panic!("unexpected {other:?}"),
                    Err(e) => assert!(
                        now < o.deadline,
                        "redemption {} (batch closed {}) still fails at {now}, past its deadline {}: {e}",
                        o.id,
                        o.batch_close,
                        o.deadline
                    ),
                }
            } else {
                assert!(
                    now < o.deadline,
                    "redemption {} (batch closed {}) is not claimable at {now}, past its deadline {}",
                    o.id,
                    o.batch_close,
                    o.deadline
                );
            }
            left.push(o);
        }
        *open = left;
        paid
    }

    /// What every queued redemption would be paid now: `min(value at request, value now)`.
    pub fn payable(&self) -> u128 {
        self.chain
            .state
            .iter::<Redemptions>()
            .map(|(_, r)| {
                let now = lst::redeem_value_floor(&self.chain.state, r.lst).expect("value");
                r.value_at_request.min(now).get()
            })
            .sum()
    }

    /// The pool can pay every queued redemption: its value covers what they would be paid now,
    /// and (after a boundary) so do its buffer, its unbonding entries and its bonds still waiting
    /// to activate (which it cannot unbond before they activate).
    pub fn assert_pool_covers_owed(&self, after_boundary: bool) {
        let payable = self.payable();
        assert!(
            self.pool_value() >= payable,
            "pool value {} below what its queue would be paid {payable}",
            self.pool_value()
        );
        if after_boundary {
            let p = self.pool();
            let pending = self.pool_pending();
            let covered = self.buffer() + p.unbonding.get() + pending;
            assert!(
                covered >= payable,
                "after the boundary the buffer {}, unbonding {} and pending bonds {pending} do \
                 not cover what the queue would be paid {payable}",
                self.buffer(),
                p.unbonding
            );
        }
    }
}
