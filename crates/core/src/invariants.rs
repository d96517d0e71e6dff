//! The invariants of PROTOCOL.md §12, as one function over the whole state.
//!
//! [`check`] recomputes every aggregate from the records it summarises and compares; it is
//! O(state) and runs after every transaction in tests and debug builds (the scenario runner and
//! the reference-model test call it), never in the hot path of a release node.
//!
//! Checked here:
//! 1. conservation: per asset, Σ balances = supply;
//! 2. strategies: Σ claims (undelegated deposits, positions, withdrawals) ≤ the shares the terms
//!    and records hold ≤ total shares, and the tokens accounted ≥ the claims' value ≤ the module
//!    account's balance;
//! 3. allocations: per (operator, strategy), Σ allocations + pending increases = encumbered ≤
//!    max magnitude ≤ WAD; each term holds at least the value of its scaled aggregate, which is
//!    at least the sum of its members' values (so delegated ≥ Σ withdrawable);
//! 4. queue and bridge aggregates equal the sums of their records; escrow holds what its
//!    entries say.
//!
//! Slash caps and "new deposits are untouched" (invariant 4 of §12) are properties of single
//! transitions; they are asserted where slashing happens and tested by the reference model.

use crate::ids::{Address, AssetId, module};
use crate::num::{Shares, Wad};
use crate::restaking::{
    self, bridge_value, scaled_value_floor, settled_position, tokens_for_shares_floor,
};
use crate::state::{
    Allocations, Assets, Balances, BridgeChunks, Bridges, Deposits, Escrows, Pools, Positions,
    QueueBuckets, State, Strategies, Withdrawals,
};
use std::collections::BTreeMap;

/// Every invariant violation found; empty when the state is sound.
pub fn check(state: &State) -> Vec<String> {
    let mut v = Vec::new();
    conservation(state, &mut v);
    escrow(state, &mut v);
    if let Err(e) = strategies(state, &mut v) {
        v.push(format!("arithmetic failed while checking strategies: {e}"));
    }
    v
}

fn conservation(state: &State, v: &mut Vec<String>) {
    let mut sums: BTreeMap<AssetId, u128> = BTreeMap::new();
    for ((_, asset), amount) in state.iter::<Balances>() {
        let s = sums.entry(*asset).or_default();
        *s = s.saturating_add(amount.get());
        if amount.is_zero() {
            v.push(format!("a zero balance of asset {} is stored", asset.0));
        }
    }
    for (id, asset) in state.iter::<Assets>() {
        let sum = sums.remove(id).unwrap_or(0);
        if sum != asset.supply.get() {
            v.push(format!(
                "conservation: {} balances sum to {sum}, supply is {}",
                asset.symbol, asset.supply
            ));
        }
    }
    for id in sums.keys() {
        v.push(format!("balances held in unregistered asset {}", id.0));
    }
}

fn escrow(state: &State, v: &mut Vec<String>) {
    let mut owed: BTreeMap<AssetId, u128> = BTreeMap::new();
    for (_, e) in state.iter::<Escrows>() {
        *owed.entry(e.asset).or_default() += e.amount.get();
    }
    for (asset, amount) in owed {
        let held = crate::bank::balance(state, module::slash_escrow(), asset).get();
        if held < amount {
            v.push(format!(
                "escrow holds {held} of asset {}, owes {amount}",
                asset.0
            ));
        }
    }
}

/// Per strategy: claims and holdings, in real shares.
#[derive(Default)]
struct Tally {
    /// Σ what members can claim.
    claims: u128,
    /// Σ what terms and records hold for them.
    held: u128,
}

fn strategies(state: &State, v: &mut Vec<String>) -> crate::error::Result<()> {
    let now = state.now();
    let mut tally: BTreeMap<AssetId, Tally> = BTreeMap::new();
    for ((_, strategy), shares) in state.iter::<Deposits>() {
        let t = tally.entry(*strategy).or_default();
        t.claims += shares.get();
        t.held += shares.get();
    }
    terms(state, v, &mut tally)?;
    positions(state, v, now, &mut tally)?;
    withdrawals(state, v, now, &mut tally)?;
    let virtual_offset = state.params().virtual_shares;
    for (id, s) in state.iter::<Strategies>() {
        let t = tally.remove(id).unwrap_or_default();
        let name = restaking::strategy_name(state, *id);
        if t.claims > t.held {
            v.push(format!(
                "{name}: claims {} exceed held shares {}",
                t.claims, t.held
            ));
        }
        if t.held > s.total_shares.get() {
            v.push(format!(
                "{name}: held shares {} exceed total shares {}",
                t.held, s.total_shares
            ));
        }
        let claims_value = tokens_for_shares_floor(s, Shares::new(t.claims), virtual_offset)?;
        if claims_value > s.tokens {
            v.push(format!(
                "{name}: claims worth {claims_value} exceed tokens {}",
                s.tokens
            ));
        }
        let balance = crate::bank::balance(state, module::strategy(*id), *id);
        if balance < s.tokens {
            v.push(format!(
                "{name}: module account holds {balance}, strategy accounts {}",
                s.tokens
            ));
        }
    }
    for id in tally.keys() {
        v.push(format!("stake recorded in missing strategy {}", id.0));
    }
    Ok(())
}

/// Terms: their holdings, magnitude bookkeeping and queue/bridge aggregates.
fn terms(
    state: &State,
    v: &mut Vec<String>,
    tally: &mut BTreeMap<AssetId, Tally>,
) -> crate::error::Result<()> {
    let mut encumbered: BTreeMap<(Address, AssetId), Wad> = BTreeMap::new();
    for ((op, _, strategy), a) in state.iter::<Allocations>() {
        let e = encumbered.entry((*op, *strategy)).or_insert(Wad::ZERO);
        *e = e.checked_add(a.encumbered())?;
    }
    let mut buckets: BTreeMap<(Address, AssetId), u128> = BTreeMap::new();
    for ((op, strategy, _), q) in state.iter::<QueueBuckets>() {
        *buckets.entry((*op, *strategy)).or_default() += *q;
    }
    for ((op, strategy), pool) in state.iter::<Pools>() {
        let key = format!("pool {op:#x}/{}", strategy.0);
        let enc = encumbered.remove(&(*op, *strategy)).unwrap_or(Wad::ZERO);
        if enc != pool.encumbered {
            v.push(format!(
                "{key}: allocations encumber {enc}, pool records {}",
                pool.encumbered
            ));
        }
        if pool.encumbered > pool.max_magnitude || pool.max_magnitude > Wad::ONE {
            v.push(format!(
                "{key}: encumbered {} ≤ max {} ≤ 1e18 fails",
                pool.encumbered, pool.max_magnitude
            ));
        }
        let queued = buckets.remove(&(*op, *strategy)).unwrap_or(0);
        if queued != pool.queued_scaled {
            v.push(format!(
                "{key}: queue buckets hold {queued}, pool records {}",
                pool.queued_scaled
            ));
        }
        let value = scaled_value_floor(pool.exposed_scaled()?, pool.max_magnitude)?;
        if value > pool.shares {
            v.push(format!("{key}: worth {value} but holds {}", pool.shares));
        }
        tally.entry(*strategy).or_default().held += pool.shares.get();
    }
    for (k, _) in encumbered.iter().filter(|(_, e)| !e.is_zero()) {
        v.push(format!("allocations without a pool: {:#x}/{}", k.0, k.1.0));
    }
    for (k, q) in buckets {
        v.push(format!(
            "queue bucket of {:#x}/{} without a pool holds {q}",
            k.0, k.1.0
        ));
    }
    let mut chunks: BTreeMap<(Address, AssetId, Address), u128> = BTreeMap::new();
    for ((from, strategy, to, _), x) in state.iter::<BridgeChunks>() {
        *chunks.entry((*from, *strategy, *to)).or_default() += *x;
    }
    for (key, bridge) in state.iter::<Bridges>() {
        let (from, strategy, to) = *key;
        let sum = chunks.remove(key).unwrap_or(0);
        if sum != bridge.scaled {
            v.push(format!(
                "bridge {from:#x}->{to:#x}: chunks {sum}, bridge {}",
                bridge.scaled
            ));
        }
        let m_from = restaking::pool(state, from, strategy).max_magnitude;
        let m_to = restaking::pool(state, to, strategy).max_magnitude;
        let value = bridge_value(bridge.scaled, m_from, m_to)?;
        if value > bridge.shares {
            v.push(format!(
                "bridge {from:#x}->{to:#x}: worth {value} but holds {}",
                bridge.shares
            ));
        }
        tally.entry(strategy).or_default().held += bridge.shares.get();
    }
    for (k, x) in chunks {
        v.push(format!(
            "bridge chunks without a bridge: {:#x}->{:#x} hold {x}",
            k.0, k.2
        ));
    }
    Ok(())
}

/// Positions: members' claims, and each term's aggregate covers its members.
fn positions(
    state: &State,
    v: &mut Vec<String>,
    now: crate::time::Timestamp,
    tally: &mut BTreeMap<AssetId, Tally>,
) -> crate::error::Result<()> {
    let mut direct: BTreeMap<(Address, AssetId), u128> = BTreeMap::new();
    let mut bridged: BTreeMap<(Address, AssetId, Address), u128> = BTreeMap::new();
    for ((staker, op, strategy), _) in state.iter::<Positions>() {
        let Some(p) = settled_position(state, *staker, *op, *strategy, now)? else {
            continue;
        };
        *direct.entry((*op, *strategy)).or_default() += p.scaled;
        for t in &p.tranches {
            *bridged.entry((t.from, *strategy, *op)).or_default() += t.scaled;
        }
        let value = restaking::position_value(state, *op, *strategy, &p)?;
        tally.entry(*strategy).or_default().claims += value.withdrawable.get();
        if p.shares.is_zero() && p.tranches.is_empty() {
            v.push(format!("empty position stored: {staker:#x} with {op:#x}"));
        }
    }
    for ((op, strategy), pool) in state.iter::<Pools>() {
        let members = direct.remove(&(*op, *strategy)).unwrap_or(0);
        if members > pool.position_scaled {
            v.push(format!(
                "pool {op:#x}/{}: positions hold {members}, pool {}",
                strategy.0, pool.position_scaled
            ));
        }
    }
    for (k, members) in direct.into_iter().filter(|(_, m)| *m > 0) {
        v.push(format!(
            "positions with {:#x}/{} hold {members} without a pool",
            k.0, k.1.0
        ));
    }
    for (key, x) in bridged {
        let recorded = state.get::<Bridges>(&key).map_or(0, |b| b.scaled);
        if x != recorded {
            v.push(format!(
                "bridge {:#x}->{:#x}: tranches {x}, bridge {recorded}",
                key.0, key.2
            ));
        }
    }
    Ok(())
}

/// Withdrawals: live ones are part of their operator's queue; matured ones are held apart.
fn withdrawals(
    state: &State,
    v: &mut Vec<String>,
    now: crate::time::Timestamp,
    tally: &mut BTreeMap<AssetId, Tally>,
) -> crate::error::Result<()> {
    let mut live: BTreeMap<(Address, AssetId, crate::time::Timestamp), u128> = BTreeMap::new();
    for (_, w) in state.iter::<Withdrawals>() {
        let payout = restaking::withdrawal_payout_shares(state, w)?;
        let t = tally.entry(w.strategy).or_default();
        t.claims += payout.get();
        match w.operator {
            Some(op) if w.completable_at > now => {
                *live.entry((op, w.strategy, w.completable_at)).or_default() += w.scaled;
            }
            // Matured or undelegated: held by the record itself.
            _ => t.held += payout.get(),
        }
    }
    for (key, q) in state.iter::<QueueBuckets>() {
        let sum = live.remove(key).unwrap_or(0);
        if sum != *q {
            v.push(format!(
                "queue bucket {:#x}/{}@{}: withdrawals {sum}, bucket {q}",
                key.0, key.1.0, key.2
            ));
        }
    }
    for (key, sum) in live {
        v.push(format!(
            "withdrawals {:#x}/{}@{} hold {sum} outside any bucket",
            key.0, key.1.0, key.2
        ));
    }
    Ok(())
}
