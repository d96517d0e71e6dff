//! The invariants of PROTOCOL.md §12, as one function over the whole state.
//!
//! [`check`] recomputes every aggregate from the records it summarises and compares; it is
//! O(state) and runs after every transaction in tests and debug builds (the scenario runner and
//! the reference-model test call it), never in the hot path of a release node.
//!
//! Checked here:
//! 1. conservation: per asset, Σ balances = supply;
//! 2. restaking terms: Σ claims (undelegated deposits, positions, withdrawals) ≤ the shares the
//!    terms and records hold ≤ the strategy's total shares (for native terms, the base shares the
//!    native-restaking module holds at the validator), and tokens accounted ≥ the claims' value ≤
//!    the module account's balance;
//! 3. allocations: per (operator, strategy), Σ allocations + pending increases = encumbered ≤
//!    max magnitude ≤ WAD; each term holds at least the value of its scaled aggregate, which is
//!    at least the sum of its members' values (so delegated ≥ Σ withdrawable);
//! 4. queue and bridge aggregates equal the sums of their records; escrow holds what its
//!    entries say;
//! 5. base layer: the bonded account holds Σ bonded + Σ pending bonds, the unbonding account at
//!    least Σ unbonding entries' values, and no validator has fewer shares than its delegations;
//! 6. liquid staking: `owed` = Σ value at request of queued redemptions;
//! 7. rewards: see [`crate::rewards`] (escrow = amount − streamed, claimable ≤ distributed);
//! 8. the per-operator index of pending slash requests holds exactly the pending requests;
//! 9. governance: see [`crate::governance`] (deposits held = deposits of live proposals, the
//!    overridden shares of every proposal in voting match its voters' delegations);
//! 10. consensus seats: see [`crate::base::consensus`] (keys and owners inverse, committees
//!     sorted and unique).
//!
//! Slash caps and "new deposits are untouched" (invariant 4 of §12) are properties of single
//! transitions; they are asserted where slashing happens and tested by the reference model.

use crate::bank::{Assets, Balances};
use crate::base;
use crate::base::{
    Activations, ActiveSet, BaseDelegations, ModuleUnbondings, Unbondings, ValidatorPower,
    Validators,
};
use crate::ids::{Address, AssetId, SlashId, module};
use crate::lst::Redemptions;
use crate::num::{Amount, Shares, Wad};
use crate::restaking::{
    self, SlashStatus, bridge_value, is_native_term, scaled_value_floor, settled_position,
    tokens_for_shares_floor,
};
use crate::restaking::{
    Allocations, BridgeChunks, Bridges, Deposits, Escrows, Magnitudes, OperatorPendingSlashes,
    Positions, QueueBuckets, SlashRequests, Strategies, Terms, Withdrawals,
};
use crate::rewards::{ActivePrograms, RewardPrograms, SetPrograms};
use crate::state::State;
use std::collections::BTreeMap;

type Res<T> = crate::error::Result<T>;

/// `*slot += by`, saturating: every sum here is of parts of one asset's supply (< 2^128), so a
/// saturated sum can only come from a broken state, and it then fails the comparison it feeds.
fn add(slot: &mut u128, by: u128) {
    *slot = slot.saturating_add(by);
}

/// Every invariant violation found; empty when the state is sound.
pub fn check(state: &State) -> Vec<String> {
    let mut v = Vec::new();
    conservation(state, &mut v);
    escrow(state, &mut v);
    pending_slash_index(state, &mut v);
    indexes(state, &mut v);
    crate::governance::check::check(state, &mut v);
    crate::base::consensus::check(state, &mut v);
    for (name, result) in [
        ("restaking", restaking_terms(state, &mut v)),
        ("base layer", base_layer(state, &mut v)),
        ("liquid staking", liquid_staking(state, &mut v)),
        ("rewards", crate::rewards::check(state, &mut v)),
        ("vaults", crate::vault::check(state, &mut v)),
    ] {
        if let Err(e) = result {
            v.push(format!("arithmetic failed while checking the {name}: {e}"));
        }
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
        add(owed.entry(e.asset).or_default(), e.amount.get());
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

/// The per-operator index of pending slash requests holds exactly the pending requests.
fn pending_slash_index(state: &State, v: &mut Vec<String>) {
    let pending: Vec<(Address, SlashId)> = state
        .iter::<SlashRequests>()
        .filter(|(_, r)| r.status == SlashStatus::Pending)
        .map(|(id, r)| (r.operator, *id))
        .collect();
    let indexed: Vec<(Address, SlashId)> = state
        .iter::<OperatorPendingSlashes>()
        .map(|(k, ())| *k)
        .collect();
    let mut pending = pending;
    pending.sort_unstable();
    if pending != indexed {
        v.push(format!(
            "pending slash index: requests pending {pending:?}, indexed {indexed:?}"
        ));
    }
}

/// Per term strategy: claims and holdings, in real shares.
#[derive(Default)]
struct Tally {
    /// Σ what members can claim.
    claims: u128,
    /// Σ what terms and records hold for them.
    held: u128,
}

fn restaking_terms(state: &State, v: &mut Vec<String>) -> Res<()> {
    let now = state.now();
    let mut tally: BTreeMap<AssetId, Tally> = BTreeMap::new();
    for ((_, term), shares) in state.iter::<Deposits>() {
        let t = tally.entry(*term).or_default();
        add(&mut t.claims, shares.get());
        add(&mut t.held, shares.get());
    }
    magnitudes(state, v)?;
    terms(state, v, &mut tally)?;
    positions(state, v, now, &mut tally)?;
    withdrawals(state, v, now, &mut tally)?;
    let virtual_offset = state.params().virtual_shares;
    for (id, s) in state.iter::<Strategies>() {
        let t = tally.remove(id).unwrap_or_default();
        let name = restaking::strategy_name(state, *id);
        compare(v, &name, &t, s.total_shares.get());
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
    for (term, t) in tally {
        if is_native_term(term) {
            let validator = restaking::native_validator(state, term)?;
            let held = base::settled_delegation(state, module::native_restaking(), validator)?
                .map_or(0, |d| d.shares);
            compare(v, &format!("RAM-native at {validator:#x}"), &t, held);
        } else if t.claims > 0 || t.held > 0 {
            v.push(format!("stake recorded in missing strategy {}", term.0));
        }
    }
    Ok(())
}

fn compare(v: &mut Vec<String>, name: &str, t: &Tally, total: u128) {
    if t.claims > t.held {
        v.push(format!(
            "{name}: claims {} exceed held shares {}",
            t.claims, t.held
        ));
    }
    if t.held > total {
        v.push(format!(
            "{name}: held shares {} exceed total shares {total}",
            t.held
        ));
    }
}

fn magnitudes(state: &State, v: &mut Vec<String>) -> Res<()> {
    let mut encumbered: BTreeMap<(Address, AssetId), Wad> = BTreeMap::new();
    for ((op, _, strategy), a) in state.iter::<Allocations>() {
        let e = encumbered.entry((*op, *strategy)).or_insert(Wad::ZERO);
        *e = e.checked_add(a.encumbered())?;
    }
    for ((op, strategy), m) in state.iter::<Magnitudes>() {
        let enc = encumbered.remove(&(*op, *strategy)).unwrap_or(Wad::ZERO);
        if enc != m.encumbered {
            v.push(format!(
                "magnitude {op:#x}/{}: allocations encumber {enc}, recorded {}",
                strategy.0, m.encumbered
            ));
        }
        if m.encumbered > m.max_magnitude || m.max_magnitude > Wad::ONE {
            v.push(format!(
                "magnitude {op:#x}/{}: encumbered {} ≤ max {} ≤ 1e18 fails",
                strategy.0, m.encumbered, m.max_magnitude
            ));
        }
    }
    for (k, e) in encumbered.iter().filter(|(_, e)| !e.is_zero()) {
        v.push(format!(
            "allocations of {:#x}/{} encumber {e} without a magnitude record",
            k.0, k.1.0
        ));
    }
    Ok(())
}

/// Terms: their holdings and queue/bridge aggregates.
fn terms(state: &State, v: &mut Vec<String>, tally: &mut BTreeMap<AssetId, Tally>) -> Res<()> {
    let mut buckets: BTreeMap<(Address, AssetId), u128> = BTreeMap::new();
    for ((op, term, _), q) in state.iter::<QueueBuckets>() {
        add(buckets.entry((*op, *term)).or_default(), *q);
    }
    for ((op, term), t) in state.iter::<Terms>() {
        let key = format!("term {op:#x}/{}", term.0);
        let queued = buckets.remove(&(*op, *term)).unwrap_or(0);
        if queued != t.queued_scaled {
            v.push(format!(
                "{key}: queue buckets hold {queued}, term records {}",
                t.queued_scaled
            ));
        }
        let value = scaled_value_floor(
            t.exposed_scaled()?,
            restaking::max_magnitude(state, *op, *term),
        )?;
        if value > t.shares {
            v.push(format!("{key}: worth {value} but holds {}", t.shares));
        }
        add(&mut tally.entry(*term).or_default().held, t.shares.get());
    }
    for (k, q) in buckets {
        v.push(format!(
            "queue bucket of {:#x}/{} without a term holds {q}",
            k.0, k.1.0
        ));
    }
    let mut chunks: BTreeMap<(Address, AssetId, Address), u128> = BTreeMap::new();
    for ((from, term, to, _), x) in state.iter::<BridgeChunks>() {
        add(chunks.entry((*from, *term, *to)).or_default(), x.scaled);
    }
    for (key, bridge) in state.iter::<Bridges>() {
        let (from, term, to) = *key;
        let sum = chunks.remove(key).unwrap_or(0);
        if sum != bridge.scaled {
            v.push(format!(
                "bridge {from:#x}->{to:#x}: chunks {sum}, bridge {}",
                bridge.scaled
            ));
        }
        let m_from = restaking::max_magnitude(state, from, term);
        let m_to = restaking::max_magnitude(state, to, term);
        let value = bridge_value(bridge.scaled, m_from, m_to)?;
        if value > bridge.shares {
            v.push(format!(
                "bridge {from:#x}->{to:#x}: worth {value} but holds {}",
                bridge.shares
            ));
        }
        add(
            &mut tally.entry(term).or_default().held,
            bridge.shares.get(),
        );
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
) -> Res<()> {
    let mut direct: BTreeMap<(Address, AssetId), u128> = BTreeMap::new();
    let mut bridged: BTreeMap<(Address, AssetId, Address), u128> = BTreeMap::new();
    for ((staker, op, term), _) in state.iter::<Positions>() {
        let Some(p) = settled_position(state, *staker, *op, *term, now)? else {
            continue;
        };
        add(direct.entry((*op, *term)).or_default(), p.scaled);
        for t in &p.tranches {
            add(bridged.entry((t.from, *term, *op)).or_default(), t.scaled);
        }
        let value = restaking::position_value(state, *op, *term, &p)?;
        add(
            &mut tally.entry(*term).or_default().claims,
            value.withdrawable.get(),
        );
        let unclaimed = p.rewards.iter().any(|r| !r.claimable.is_zero());
        if p.shares.is_zero() && p.scaled == 0 && p.tranches.is_empty() && !unclaimed {
            v.push(format!("empty position stored: {staker:#x} with {op:#x}"));
        }
    }
    for ((op, term), t) in state.iter::<Terms>() {
        let members = direct.remove(&(*op, *term)).unwrap_or(0);
        if members > t.position_scaled {
            v.push(format!(
                "term {op:#x}/{}: positions hold {members}, term {}",
                term.0, t.position_scaled
            ));
        }
    }
    for (k, members) in direct.into_iter().filter(|(_, m)| *m > 0) {
        v.push(format!(
            "positions with {:#x}/{} hold {members} without a term",
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
) -> Res<()> {
    let mut live: BTreeMap<(Address, AssetId, crate::time::Timestamp), u128> = BTreeMap::new();
    for (_, w) in state.iter::<Withdrawals>() {
        let payout = restaking::withdrawal_payout_shares(state, w)?;
        let t = tally.entry(w.strategy).or_default();
        add(&mut t.claims, payout.get());
        match w.operator {
            // Live: still in its delay, or held past it by a pending slash request.
            Some(op) if w.completable_at > now || restaking::withdrawal_held(state, w) => {
                add(
                    live.entry((op, w.strategy, w.completable_at)).or_default(),
                    w.scaled,
                );
            }
            // Released or undelegated: held by the record itself.
            _ => add(&mut t.held, payout.get()),
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

fn base_layer(state: &State, v: &mut Vec<String>) -> Res<()> {
    let mut bonded = Amount::ZERO;
    let mut shares: BTreeMap<Address, u128> = BTreeMap::new();
    for (addr, val) in state.iter::<Validators>() {
        bonded = bonded
            .checked_add(val.bonded)?
            .checked_add(val.pending_bonded)?;
        shares.insert(*addr, 0);
    }
    let mut pending = Amount::ZERO;
    for (_, act) in state.iter::<Activations>() {
        if act.shares.is_none() {
            pending = pending.checked_add(act.amount)?;
        }
    }
    let mut pending_by_validator = Amount::ZERO;
    for (_, val) in state.iter::<Validators>() {
        pending_by_validator = pending_by_validator.checked_add(val.pending_bonded)?;
    }
    if pending != pending_by_validator {
        v.push(format!(
            "pending bonds: buckets hold {pending}, validators record {pending_by_validator}"
        ));
    }
    let held = crate::bank::balance(state, module::base_bonded(), AssetId::NATIVE);
    if held != bonded {
        v.push(format!(
            "base: the bonded account holds {held}, pools and pending bonds sum to {bonded}"
        ));
    }
    for ((delegator, validator), _) in state.iter::<BaseDelegations>() {
        let Some(d) = base::settled_delegation(state, *delegator, *validator)? else {
            continue;
        };
        let mut held = d.shares;
        for l in &d.locked {
            held = held.saturating_add(base::lock_shares_after_slash(state, l)?);
        }
        add(shares.entry(*validator).or_default(), held);
    }
    for (addr, sum) in shares {
        let val = base::validator(state, addr)?;
        if sum > val.shares {
            v.push(format!(
                "validator {addr:#x}: delegations hold {sum} shares, the pool has {}",
                val.shares
            ));
        }
    }
    let mut owed = Amount::ZERO;
    for (id, u) in state.iter::<Unbondings>() {
        owed = owed.checked_add(base::unbonding_value(state, *id, u)?)?;
    }
    let unbonding = crate::bank::balance(state, module::base_unbonding(), AssetId::NATIVE);
    if unbonding < owed {
        v.push(format!(
            "base: the unbonding account holds {unbonding}, entries are worth {owed}"
        ));
    }
    Ok(())
}

fn liquid_staking(state: &State, v: &mut Vec<String>) -> Res<()> {
    let Ok(pool) = crate::lst::pool(state) else {
        return Ok(());
    };
    let (mut owed, mut queued) = (Amount::ZERO, Amount::ZERO);
    for (id, r) in state.iter::<Redemptions>() {
        owed = owed.checked_add(r.value_at_request)?;
        queued = queued.checked_add(r.lst)?;
        if !state.contains::<crate::lst::AccountRedemptions>(&(r.owner, *id)) {
            v.push(format!(
                "lst: redemption {id} is missing from its owner's index"
            ));
        }
    }
    if state.count::<crate::lst::AccountRedemptions>() != state.count::<Redemptions>() {
        v.push("lst: the owners' redemption index lists redemptions that do not exist".into());
    }
    if queued != pool.queued {
        v.push(format!(
            "lst: redemptions hold {queued} units, the pool records {}",
            pool.queued
        ));
    }
    if owed != pool.owed {
        v.push(format!(
            "lst: redemptions owe {owed}, the pool records {}",
            pool.owed
        ));
    }
    // Solvency: what every queued redemption would be paid now is within what the pool is worth,
    // and what is claimable now is within what it holds liquid.
    let (mut payable, mut due) = (Amount::ZERO, Amount::ZERO);
    let now = state.now();
    for (_, r) in state.iter::<Redemptions>() {
        let pay = r
            .value_at_request
            .min(crate::lst::redeem_value_floor(state, r.lst)?);
        payable = payable.checked_add(pay)?;
        if crate::lst::claimable_at(state, r.epoch).is_some_and(|t| t <= now) {
            due = due.checked_add(pay)?;
        }
    }
    let worth = crate::lst::value(state)?;
    if payable > worth {
        v.push(format!(
            "lst: queued redemptions would be paid {payable}, the pool is worth {worth}"
        ));
    }
    let liquid = crate::bank::balance(state, module::lst_pool(), AssetId::NATIVE);
    if due > liquid {
        v.push(format!(
            "lst: claimable redemptions are owed {due}, the pool holds {liquid} liquid"
        ));
    }
    let mut entries = Amount::ZERO;
    for ((account, _, _), id) in state.iter::<ModuleUnbondings>() {
        if *account != module::lst_pool() {
            continue;
        }
        match state.get::<Unbondings>(id) {
            Some(u) => entries = entries.checked_add(base::unbonding_value(state, *id, u)?)?,
            None => v.push(format!(
                "lst: pool unbonding index names missing entry {id}"
            )),
        }
    }
    if pool.unbonding > entries {
        v.push(format!(
            "lst: the pool counts {} unbonding, its entries are worth {entries}",
            pool.unbonding
        ));
    }
    Ok(())
}

/// Indexes kept beside their tables: the active set is exactly the validators marked active, the
/// stake index lists exactly the candidates by their bonded stake, and each set's live-program
/// count is the number of its live programs.
fn indexes(state: &State, v: &mut Vec<String>) {
    for (addr, val) in state.iter::<Validators>() {
        let active = val.status == base::ValidatorStatus::Active;
        if active != state.contains::<ActiveSet>(addr) {
            v.push(format!(
                "validator {addr:#x}: status {:?} but {} the active set",
                val.status,
                if active { "missing from" } else { "in" }
            ));
        }
        if let Some(key) = base::power_key(*addr, val)
            && !state.contains::<ValidatorPower>(&key)
        {
            v.push(format!("validator {addr:#x}: missing from the stake index"));
        }
    }
    for (key, ()) in state.iter::<ValidatorPower>() {
        let addr = key.1;
        let listed = state
            .get::<Validators>(&addr)
            .and_then(|val| base::power_key(addr, val));
        if listed != Some(*key) {
            v.push(format!(
                "stake index lists {addr:#x} at a stake it does not have"
            ));
        }
    }
    let mut live: BTreeMap<crate::ids::SetRef, u32> = BTreeMap::new();
    for (id, ()) in state.iter::<ActivePrograms>() {
        match state.get::<RewardPrograms>(id) {
            Some(p) => {
                let n = live.entry(p.set).or_default();
                *n = n.saturating_add(1);
            }
            None => v.push(format!("live program {id} does not exist")),
        }
    }
    let counted: BTreeMap<crate::ids::SetRef, u32> =
        state.iter::<SetPrograms>().map(|(s, n)| (*s, *n)).collect();
    if counted != live {
        v.push(format!(
            "live programs per set: counted {counted:?}, found {live:?}"
        ));
    }
}
