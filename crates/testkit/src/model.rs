//! A reference model of the restaking ledger: the same rules, written the obvious way.
//!
//! Where the core keeps O(1) aggregates and scales values lazily, the model keeps every
//! position, tranche and withdrawal as an exact rational number of real strategy shares and, on
//! a slash, walks every one of them. It mirrors the protocol's integer rules where they *are*
//! the rule (magnitudes, allocation bookkeeping, share counts) and is exact everywhere else, so
//! comparing the two measures the core's rounding: the core must never give more than the model
//! and may give less only by a few units per operation.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use std::collections::BTreeMap;

/// An exact number of real strategy shares.
pub type Q = BigRational;

/// WAD as an integer.
pub const WAD: u128 = 1_000_000_000_000_000_000;

/// `n` as an exact rational.
pub fn q(n: u128) -> Q {
    Q::from_integer(BigInt::from(n))
}

/// An allocation as the protocol defines it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alloc {
    /// Slashable magnitude.
    pub current: u128,
    /// Pending target and when it applies.
    pub pending: Option<(u128, u64)>,
}

impl Alloc {
    /// Magnitude reserved: current plus a pending increase.
    pub fn encumbered(&self) -> u128 {
        match self.pending {
            Some((t, _)) if t > self.current => t,
            _ => self.current,
        }
    }
}

/// Redelegated stake still slashable by its old operator.
#[derive(Clone, Debug)]
pub struct Tranche {
    /// Old operator.
    pub from: usize,
    /// Deposit shares.
    pub nominal: u128,
    /// Exact value.
    pub value: Q,
    /// End of the old operator's window.
    pub at: u64,
}

/// A delegation position.
#[derive(Clone, Debug, Default)]
pub struct Position {
    /// Deposit shares in the direct part.
    pub nominal: u128,
    /// Exact value of the direct part.
    pub value: Q,
    /// Redelegated tranches.
    pub tranches: Vec<Tranche>,
    /// Rounding allowance accumulated by operations on it.
    pub budget: u32,
}

impl Position {
    /// Exact total value.
    pub fn total(&self) -> Q {
        self.tranches
            .iter()
            .fold(self.value.clone(), |acc, t| acc + &t.value)
    }
    /// Total deposit shares.
    pub fn nominal_total(&self) -> u128 {
        self.nominal + self.tranches.iter().map(|t| t.nominal).sum::<u128>()
    }
}

/// A queued withdrawal.
#[derive(Clone, Debug)]
pub struct Withdrawal {
    /// Owner.
    pub staker: usize,
    /// Operator left (`None`: undelegated shares).
    pub op: Option<usize>,
    /// Strategy.
    pub asset: usize,
    /// Exact value.
    pub value: Q,
    /// Completion time.
    pub at: u64,
    /// Rounding allowance.
    pub budget: u32,
    /// Set at the first step at or after `at`: `Some(until)` when pending slash requests hold
    /// the withdrawal past its delay (it stays slashable and cannot complete before `until`).
    pub hold: Option<Option<u64>>,
    /// The requests that held it at maturity (core ids).
    pub holders: Vec<u64>,
}

impl Withdrawal {
    /// Whether a slash of its operator still reaches it at `now`.
    pub fn exposed(&self, now: u64) -> bool {
        self.at > now || self.held(now)
    }
    /// Whether it is past its delay and its bucket is still in the operator's term (released at
    /// the hold's end, or earlier when it is completed).
    pub fn held(&self, now: u64) -> bool {
        self.hold.flatten().is_some_and(|until| now < until)
    }
    /// Whether completing it is refused: held, and one of the requests that held it is still
    /// pending.
    pub fn blocked(&self, now: u64, requests: &[Request]) -> bool {
        self.held(now)
            && requests
                .iter()
                .any(|r| r.pending && self.holders.contains(&r.id))
    }
}

/// A slash request of a service with a resolver.
#[derive(Clone, Debug)]
pub struct Request {
    /// Core id.
    pub id: u64,
    /// Operator.
    pub op: usize,
    /// Set index.
    pub set: usize,
    /// Strategies.
    pub assets: Vec<usize>,
    /// Fraction.
    pub wad: u128,
    /// Requested at.
    pub requested_at: u64,
    /// Executable from.
    pub executable_at: u64,
    /// No longer executable (and no longer holding withdrawals) from.
    pub expires_at: u64,
    /// Still pending.
    pub pending: bool,
}

/// Membership of an operator in a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    /// Registered.
    In,
    /// Left; slashable until.
    Left(u64),
}

/// The model's whole state.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Block time.
    pub now: u64,
    /// Max magnitude per (operator, strategy); absent = WAD.
    pub mag: BTreeMap<(usize, usize), u128>,
    /// Allocations per (operator, set, strategy).
    pub alloc: BTreeMap<(usize, usize, usize), Alloc>,
    /// Memberships per (operator, set).
    pub member: BTreeMap<(usize, usize), Member>,
    /// Undelegated deposit shares per (staker, strategy).
    pub deposits: BTreeMap<(usize, usize), u128>,
    /// Positions per (staker, operator, strategy).
    pub positions: BTreeMap<(usize, usize, usize), Position>,
    /// Withdrawals by core id.
    pub withdrawals: BTreeMap<u64, Withdrawal>,
    /// Per (staker, strategy): value that left the ledger (completed as tokens), exact, and
    /// rounding differences absorbed when a withdrawal came back as shares.
    pub gone: BTreeMap<(usize, usize), Q>,
    /// Per (staker, strategy): what the core paid out, for the family comparison.
    pub gone_core: BTreeMap<(usize, usize), u128>,
    /// Per (staker, strategy): accumulated rounding allowance of the family.
    pub family_budget: BTreeMap<(usize, usize), u32>,
    /// Slash requests awaiting a veto or execution.
    pub requests: Vec<Request>,
}

impl Model {
    /// Max magnitude of (operator, strategy).
    pub fn magnitude(&self, op: usize, asset: usize) -> u128 {
        self.mag.get(&(op, asset)).copied().unwrap_or(WAD)
    }

    /// Σ encumbered magnitude of (operator, strategy).
    pub fn encumbered(&self, op: usize, asset: usize) -> u128 {
        self.alloc
            .iter()
            .filter(|((o, _, a), _)| *o == op && *a == asset)
            .map(|(_, x)| x.encumbered())
            .sum()
    }

    /// Whether the set can slash the operator now.
    pub fn slashable(&self, op: usize, set: usize) -> bool {
        match self.member.get(&(op, set)) {
            Some(Member::In) => true,
            Some(Member::Left(until)) => self.now < *until,
            None => false,
        }
    }

    /// Adds to a family's rounding allowance.
    pub fn charge(&mut self, staker: usize, asset: usize, units: u32) {
        *self.family_budget.entry((staker, asset)).or_default() += units;
    }

    /// Moves time forward, applying what falls due: allocation changes and matured tranches.
    pub fn advance_to(&mut self, now: u64) {
        self.now = now;
        for a in self.alloc.values_mut() {
            if let Some((target, at)) = a.pending
                && at <= now
            {
                a.current = target;
                a.pending = None;
            }
        }
        for p in self.positions.values_mut() {
            let (matured, live): (Vec<Tranche>, Vec<Tranche>) =
                p.tranches.drain(..).partition(|t| t.at <= now);
            for t in matured {
                p.nominal += t.nominal;
                p.value += t.value;
                p.budget += 2;
            }
            p.tranches = live;
        }
        self.alloc
            .retain(|_, a| a.current > 0 || a.pending.is_some());
        let requests = &self.requests;
        for w in self.withdrawals.values_mut() {
            if w.hold.is_some() || now < w.at {
                continue;
            }
            let Some(op) = w.op else {
                w.hold = Some(None);
                continue;
            };
            let holding: Vec<&Request> = requests
                .iter()
                .filter(|r| {
                    r.pending
                        && r.op == op
                        && r.requested_at <= w.at
                        && r.expires_at > now
                        && r.assets.contains(&w.asset)
                })
                .collect();
            w.hold = Some(holding.iter().map(|r| r.expires_at).max());
            w.holders = holding.iter().map(|r| r.id).collect();
        }
        for r in &mut self.requests {
            if r.pending && now >= r.expires_at {
                r.pending = false;
            }
        }
    }

    /// Applies one slash of `wad` to (operator, set, strategy): the protocol's magnitude rule,
    /// then every exposed position, tranche and withdrawal scaled exactly.
    pub fn slash(&mut self, op: usize, set: usize, asset: usize, wad: u128) {
        let Some(mut a) = self.alloc.get(&(op, set, asset)).cloned() else {
            return;
        };
        if a.current == 0 {
            return;
        }
        let cut = (a.current * wad).div_ceil(WAD);
        let m = self.magnitude(op, asset);
        let m2 = m - cut;
        let current = a.current - cut;
        a.pending = a.pending.map(|(target, at)| {
            if target < a.current {
                let dec = a.current - target;
                let shrink = (dec * wad).div_ceil(WAD);
                (current - (dec - shrink), at)
            } else {
                (current + (target - a.current), at)
            }
        });
        a.current = current;
        if a.current > 0 || a.pending.is_some() {
            self.alloc.insert((op, set, asset), a);
        } else {
            self.alloc.remove(&(op, set, asset));
        }
        self.mag.insert((op, asset), m2);
        let f = Q::new(BigInt::from(m2), BigInt::from(m));
        let now = self.now;
        for ((_, o, s), p) in self.positions.iter_mut() {
            if *s != asset {
                continue;
            }
            if *o == op {
                p.value *= &f;
                for t in &mut p.tranches {
                    t.value *= &f;
                }
            } else {
                for t in p.tranches.iter_mut().filter(|t| t.from == op && t.at > now) {
                    t.value *= &f;
                }
            }
        }
        for w in self.withdrawals.values_mut() {
            if w.op == Some(op) && w.asset == asset && w.exposed(now) {
                w.value *= &f;
            }
        }
    }

    /// The exact share of `value` that `part` of `whole` deposit shares takes.
    pub fn portion(value: &Q, part: u128, whole: u128) -> Q {
        if part == whole {
            value.clone()
        } else {
            value * Q::new(BigInt::from(part), BigInt::from(whole))
        }
    }

    /// Zero.
    pub fn zero() -> Q {
        Q::zero()
    }

    /// One.
    pub fn one() -> Q {
        Q::one()
    }
}
