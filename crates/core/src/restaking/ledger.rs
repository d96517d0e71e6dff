//! The reward-index ledger of restaking's terms (PROTOCOL.md §7): per reward term (an operator's
//! direct term, or a redelegation bridge) and stream (funding service, reward asset), the
//! cumulative reward per scaled unit; the stake that joined a term this epoch (it earns from the
//! next); the indices snapshotted when an epoch's pending stake activated and when a bridge chunk
//! matured; and a position's accrual against them. Restaking keeps it because every stake move
//! (delegating, queueing a withdrawal, redelegating, a bridge maturing) updates it; `rewards`
//! raises the indices when it streams programs and re-exports this module's items under their
//! old paths (`rewards::accrue_position`, `rewards::RewardIndex`, …).

use super::{Position, Tranche};
use crate::base::index_amount;
use crate::error::{HookResult, Result};
use crate::ids::{Address, AssetId};
use crate::num::{Amount, MathError};
use crate::restaking::{RewardActivations, RewardIndexes, RewardMaturities, RewardPending};
use crate::state::State;
use crate::time::{Epoch, Timestamp};
use alloy_primitives::U256;
use borsh::{BorshDeserialize, BorshSerialize};

/// A reward term: an operator's direct term `(operator, term, 0x0)`, or a bridge
/// `(old operator, term, new operator)`.
pub type TermKey = (Address, AssetId, Address);

/// A reward stream: the funding service and the reward asset.
pub type Stream = (Address, AssetId);

/// The direct reward term of (operator, term).
pub fn direct(operator: Address, term: AssetId) -> TermKey {
    (operator, term, Address::ZERO)
}

/// Cumulative reward per scaled unit of a reward term, × [`INDEX_SCALE`](crate::base::INDEX_SCALE).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RewardIndex {
    /// Net of fees.
    pub net: U256,
    /// Protocol fee taken before it.
    pub protocol_fee: U256,
    /// Operator commission taken before it.
    pub commission: U256,
}

/// A position's rewards in one asset.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PositionReward {
    /// The service that funds it.
    pub service: Address,
    /// The reward asset.
    pub asset: AssetId,
    /// Index at the last accrual.
    pub at: RewardIndex,
    /// Claimable now.
    pub claimable: Amount,
    /// Σ net earned since the position opened.
    pub earned: Amount,
    /// Σ protocol fees on it.
    pub protocol_fees: Amount,
    /// Σ operator commission on it.
    pub commissions: Amount,
}

/// The index of a reward term for a stream (zero before its first reward).
fn get_index(state: &State, key: TermKey, stream: Stream) -> RewardIndex {
    state
        .get::<RewardIndexes>(&(key.0, key.1, key.2, stream.0, stream.1))
        .copied()
        .unwrap_or_default()
}

/// Every reward stream with an index on a term, and the index.
pub fn term_indexes(state: &State, key: TermKey) -> Vec<(Stream, RewardIndex)> {
    state
        .range::<RewardIndexes, _>(
            (key.0, key.1, key.2, Address::ZERO, AssetId(0))
                ..=(
                    key.0,
                    key.1,
                    key.2,
                    Address::repeat_byte(0xff),
                    AssetId(u32::MAX),
                ),
        )
        .map(|((_, _, _, service, asset), i)| ((*service, *asset), *i))
        .collect()
}

// --- stake joining and leaving reward terms ------------------------------------------------

/// Records `scaled` joining a reward term this epoch (pending until the boundary).
pub fn add_pending(state: &mut State, key: TermKey, scaled: u128) -> Result<()> {
    if scaled == 0 {
        return Ok(());
    }
    let epoch = state.meta().epoch;
    let k = (epoch, key.0, key.1, key.2);
    let p = state.get::<RewardPending>(&k).copied().unwrap_or(0);
    state.put::<RewardPending>(k, p.checked_add(scaled).ok_or(MathError::Overflow)?);
    Ok(())
}

/// Records `scaled` of this epoch's pending stake leaving a reward term.
pub fn remove_pending(state: &mut State, key: TermKey, scaled: u128) -> Result<()> {
    if scaled == 0 {
        return Ok(());
    }
    let epoch = state.meta().epoch;
    let k = (epoch, key.0, key.1, key.2);
    let p = state
        .get::<RewardPending>(&k)
        .copied()
        .unwrap_or(0)
        .checked_sub(scaled)
        .ok_or(MathError::Underflow)?;
    if p == 0 {
        state.delete::<RewardPending>(&k);
    } else {
        state.put::<RewardPending>(k, p);
    }
    Ok(())
}

/// Scaled stake that joined a reward term this epoch (it earns from the next).
pub(crate) fn pending_of(state: &State, key: TermKey) -> u128 {
    let epoch = state.meta().epoch;
    state
        .get::<RewardPending>(&(epoch, key.0, key.1, key.2))
        .copied()
        .unwrap_or(0)
}

/// Timer work when a bridge chunk matures: snapshot the bridge's and the new operator's direct
/// indices, so tranches fold in exactly.
pub fn snapshot_maturity(state: &mut State, bridge: TermKey, at: Timestamp) {
    let direct_key = direct(bridge.2, bridge.1);
    let mut streams: std::collections::BTreeSet<Stream> = term_indexes(state, bridge)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    streams.extend(term_indexes(state, direct_key).into_iter().map(|(s, _)| s));
    let snaps: Vec<(Stream, RewardIndex, RewardIndex)> = streams
        .into_iter()
        .map(|s| {
            (
                s,
                get_index(state, bridge, s),
                get_index(state, direct_key, s),
            )
        })
        .collect();
    if !snaps.is_empty() {
        state.put::<RewardMaturities>((bridge.0, bridge.1, bridge.2, at), snaps);
    }
}

// --- accrual ---------------------------------------------------------------------------------

fn entry(rewards: &mut Vec<PositionReward>, stream: Stream) -> &mut PositionReward {
    let i = match rewards.iter().position(|r| (r.service, r.asset) == stream) {
        Some(i) => i,
        None => {
            rewards.push(PositionReward {
                service: stream.0,
                asset: stream.1,
                at: RewardIndex::default(),
                claimable: Amount::ZERO,
                earned: Amount::ZERO,
                protocol_fees: Amount::ZERO,
                commissions: Amount::ZERO,
            });
            rewards.len().saturating_sub(1) // just pushed: len ≥ 1
        }
    };
    &mut rewards[i]
}

/// Credits `scaled · (to − from)` to a reward entry.
fn credit(
    r: &mut PositionReward,
    scaled: u128,
    from: &RewardIndex,
    to: &RewardIndex,
) -> Result<()> {
    let net = index_amount(scaled, to.net.saturating_sub(from.net))?;
    r.claimable = r.claimable.checked_add(net)?;
    r.earned = r.earned.checked_add(net)?;
    r.protocol_fees = r.protocol_fees.checked_add(index_amount(
        scaled,
        to.protocol_fee.saturating_sub(from.protocol_fee),
    )?)?;
    r.commissions = r.commissions.checked_add(index_amount(
        scaled,
        to.commission.saturating_sub(from.commission),
    )?)?;
    Ok(())
}

/// The index of `key` for `asset` right after the boundary that activated `epoch`'s pending stake.
fn activation(state: &State, epoch: Epoch, key: TermKey, stream: Stream) -> RewardIndex {
    state
        .get::<RewardActivations>(&(epoch, key.0, key.1, key.2, stream.0, stream.1))
        .copied()
        .unwrap_or_default()
}

/// Accrues a stake part of `scaled` units on `key` up to `now_index`, given its pending status:
/// units pending since `epoch` earn from their activation snapshot.
fn accrue_part(
    state: &State,
    rewards: &mut Vec<PositionReward>,
    key: TermKey,
    active: u128,
    pending: Option<(u128, Epoch)>,
    current: Epoch,
    upto: &[(Stream, RewardIndex)],
) -> Result<()> {
    for (asset, now) in upto {
        let r = entry(rewards, *asset);
        let from = r.at;
        credit(r, active, &from, now)?;
        if let Some((units, epoch)) = pending.filter(|(u, e)| *u > 0 && *e < current) {
            credit(r, units, &activation(state, epoch, key, *asset), now)?;
        }
        r.at = *now;
    }
    Ok(())
}

/// Brings a position's rewards up to date (pure on `state`): its direct part on the operator's
/// direct term, each live tranche on its bridge, and each tranche whose window has closed is
/// folded into the direct part with the indices snapshotted then.
pub fn accrue_position(
    state: &State,
    operator: Address,
    term: AssetId,
    p: &mut Position,
    now: Timestamp,
) -> Result<()> {
    let current = state.meta().epoch;
    let key = direct(operator, term);
    let direct_now = term_indexes(state, key);
    let active = p.scaled.saturating_sub(p.pending_scaled);
    let pending = (p.pending_scaled > 0).then_some((p.pending_scaled, p.pending_epoch));
    accrue_part(
        state,
        &mut p.rewards,
        key,
        active,
        pending,
        current,
        &direct_now,
    )?;
    if p.pending_epoch < current {
        p.pending_scaled = 0;
    }
    let (matured, live): (Vec<Tranche>, Vec<Tranche>) = std::mem::take(&mut p.tranches)
        .into_iter()
        .partition(|t| t.matures_at <= now);
    for mut t in live {
        let bkey = (t.from, term, operator);
        accrue_tranche(state, &mut t, bkey, current, &term_indexes(state, bkey))?;
        p.tranches.push(t);
    }
    for t in matured {
        fold_tranche(state, operator, term, p, t, current)?;
    }
    Ok(())
}

/// A tranche is wholly pending in its creation epoch; after that epoch's boundary it earns on its
/// bridge, first from the bridge's activation snapshot, then from its own checkpoint. `asof` is
/// the epoch the indices in `upto` belong to.
fn accrue_tranche(
    state: &State,
    t: &mut Tranche,
    bkey: TermKey,
    asof: Epoch,
    upto: &[(Stream, RewardIndex)],
) -> Result<()> {
    if t.epoch >= asof {
        return Ok(());
    }
    for (asset, now) in upto {
        let r = entry(&mut t.rewards, *asset);
        let from = if t.activated {
            r.at
        } else {
            activation(state, t.epoch, bkey, *asset)
        };
        credit(r, t.scaled, &from, now)?;
        r.at = *now;
    }
    t.activated = true;
    Ok(())
}

/// Folds a tranche whose window closed into the direct part: it earns the bridge's index up to
/// the maturity snapshot, then the direct index from the maturity snapshot on (or, if it matured
/// in its creation epoch, it joins the direct part's pending stake of that epoch).
fn fold_tranche(
    state: &State,
    operator: Address,
    term: AssetId,
    p: &mut Position,
    mut t: Tranche,
    current: Epoch,
) -> Result<()> {
    let bkey = (t.from, term, operator);
    let snaps = state
        .get::<RewardMaturities>(&(bkey.0, bkey.1, bkey.2, t.matures_at))
        .cloned()
        .unwrap_or_default();
    let maturity_epoch = state.epoch_at(t.matures_at);
    let bridge_at: Vec<(Stream, RewardIndex)> = snaps.iter().map(|(a, b, _)| (*a, *b)).collect();
    accrue_tranche(state, &mut t, bkey, maturity_epoch, &bridge_at)?;
    for r in &t.rewards {
        let e = entry(&mut p.rewards, (r.service, r.asset));
        e.claimable = e.claimable.checked_add(r.claimable)?;
        e.earned = e.earned.checked_add(r.earned)?;
        e.protocol_fees = e.protocol_fees.checked_add(r.protocol_fees)?;
        e.commissions = e.commissions.checked_add(r.commissions)?;
    }
    let (_, scaled) = super::tranche_conversion(state, operator, term, &t)?;
    let direct_key = direct(operator, term);
    if t.epoch < maturity_epoch {
        for (asset, now) in term_indexes(state, direct_key) {
            let from = snaps
                .iter()
                .find(|(a, _, _)| *a == asset)
                .map_or(RewardIndex::default(), |(_, _, d)| *d);
            credit(entry(&mut p.rewards, asset), scaled, &from, &now)?;
        }
    } else if t.epoch < current {
        for (asset, now) in term_indexes(state, direct_key) {
            credit(
                entry(&mut p.rewards, asset),
                scaled,
                &activation(state, t.epoch, direct_key, asset),
                &now,
            )?;
        }
    } else {
        p.pending_scaled = p
            .pending_scaled
            .checked_add(scaled)
            .ok_or(MathError::Overflow)?;
        p.pending_epoch = current;
    }
    p.scaled = p.scaled.checked_add(scaled).ok_or(MathError::Overflow)?;
    p.shares = p.shares.checked_add(t.shares)?;
    Ok(())
}

/// After the closing epoch's distributions: snapshot the indices of every term that had pending
/// stake, and clear the pending records (that stake is active from now on).
pub fn activate_pending(state: &mut State, closing: Epoch) -> HookResult {
    let due: Vec<(Address, AssetId, Address)> = state
        .range::<RewardPending, _>((closing, Address::ZERO, AssetId(0), Address::ZERO)..)
        .take_while(|((e, _, _, _), _)| *e == closing)
        .map(|((_, a, t, b), _)| (*a, *t, *b))
        .collect();
    for key in due {
        for (stream, idx) in term_indexes(state, key) {
            state.put::<RewardActivations>((closing, key.0, key.1, key.2, stream.0, stream.1), idx);
        }
        state.delete::<RewardPending>(&(closing, key.0, key.1, key.2));
    }
    Ok(())
}
