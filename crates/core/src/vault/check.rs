//! The vault invariants (PROTOCOL.md §12.6 and the books' own consistency), as one function
//! over the whole state, run by [`crate::invariants::check`].

use super::math::{assets_for_lrt_floor, lrt_for_assets_floor};
use super::{RequestStatus, sum, value};
use crate::bank;
use crate::error::Result;
use crate::ids::module;
use crate::num::{Amount, WAD};
use crate::state::State;
use crate::vault::{
    VaultBooksTable, VaultByLrt, VaultFinalized, VaultOwnerRequests, VaultQueue, VaultRequests,
    Vaults,
};
use std::collections::BTreeMap;

/// Per vault: Σ finalized payouts, Σ pending LRT, pending and finalized ids.
#[derive(Default)]
struct Tally {
    reserved: u128,
    queued: u128,
    pending: Vec<u64>,
    finalized: Vec<u64>,
}

/// Pushes a description of every broken vault invariant onto `v`.
pub fn check(state: &State, v: &mut Vec<String>) -> Result<()> {
    let mut tally: BTreeMap<u32, Tally> = BTreeMap::new();
    for (id, r) in state.iter::<VaultRequests>() {
        let t = tally.entry(r.vault).or_default();
        match r.status {
            RequestStatus::Pending => {
                t.queued = t.queued.saturating_add(r.lrt.get());
                t.pending.push(*id);
            }
            RequestStatus::Finalized { payout, .. } => {
                t.reserved = t.reserved.saturating_add(payout.get());
                t.finalized.push(*id);
            }
        }
        if !state.contains::<VaultOwnerRequests>(&(r.owner, *id)) {
            v.push(format!(
                "vault request {id} is missing from its owner's index"
            ));
        }
    }
    for ((owner, id), ()) in state.iter::<VaultOwnerRequests>() {
        if state
            .get::<VaultRequests>(id)
            .is_none_or(|r| r.owner != *owner)
        {
            v.push(format!("owner index {owner:#x}/{id} names no such request"));
        }
    }
    for (index, cfg) in state.iter::<Vaults>() {
        let name = format!("vault {}", bank::symbol(state, cfg.lrt));
        if state.get::<VaultByLrt>(&cfg.lrt) != Some(index) {
            v.push(format!("{name}: its LRT does not map back to it"));
        }
        let Some(b) = state.get::<VaultBooksTable>(index) else {
            v.push(format!("{name}: no books"));
            continue;
        };
        let t = tally.remove(index).unwrap_or_default();
        let queue: Vec<u64> = state
            .range::<VaultQueue, _>((*index, 0u64)..=(*index, u64::MAX))
            .map(|((_, id), ())| *id)
            .collect();
        if queue != t.pending {
            v.push(format!(
                "{name}: queue {queue:?} does not list the pending requests {:?}",
                t.pending
            ));
        }
        let finalized: Vec<u64> = state
            .range::<VaultFinalized, _>((*index, 0u64)..=(*index, u64::MAX))
            .map(|((_, id), ())| *id)
            .collect();
        if finalized != t.finalized {
            v.push(format!(
                "{name}: finalized index {finalized:?} does not list the finalized requests {:?}",
                t.finalized
            ));
        }
        if t.reserved != b.reserved.get() {
            v.push(format!(
                "{name}: finalized requests owe {}, reserved {}",
                t.reserved, b.reserved
            ));
        }
        if t.queued != b.queued_lrt.get() {
            v.push(format!(
                "{name}: pending requests hold {} LRT, books {}",
                t.queued, b.queued_lrt
            ));
        }
        if b.reserved > b.idle {
            v.push(format!(
                "{name}: reserved {} above idle {}",
                b.reserved, b.idle
            ));
        }
        let account = module::vault(*index);
        let held = bank::balance(state, account, cfg.asset);
        if held < b.idle {
            v.push(format!("{name}: holds {held}, books say idle {}", b.idle));
        }
        for (asset, amount) in &b.side_pocket {
            if bank::balance(state, account, *asset) < *amount {
                v.push(format!("{name}: side pocket of asset {} is short", asset.0));
            }
        }
        if b.pending_fee > sum(&b.seen)? {
            v.push(format!(
                "{name}: performance fee owed above the rewards it is on"
            ));
        }
        if b.vesting.from > b.vesting.until {
            v.push(format!("{name}: vesting ends before it starts"));
        }
        if bank::balance(state, module::dead(), cfg.lrt) < cfg.seed {
            v.push(format!("{name}: the dead account holds less than the seed"));
        }
        let val = value(state, cfg, b, state.now())?;
        let units = val.units()?;
        if units.is_zero() {
            v.push(format!("{name}: no units (the seed must stay)"));
            continue;
        }
        deposit_then_exit_never_gains(&name, val.assets, units, cfg.seed, v)?;
    }
    for index in tally.keys() {
        v.push(format!("requests of missing vault {index}"));
    }
    Ok(())
}

/// §12.6 at the current state: for a spread of amounts, depositing and withdrawing the LRT it
/// mints at once never returns more than was put in.
fn deposit_then_exit_never_gains(
    name: &str,
    assets: Amount,
    units: Amount,
    seed: Amount,
    v: &mut Vec<String>,
) -> Result<()> {
    if assets.is_zero() {
        return Ok(());
    }
    for x in [
        1,
        999,
        seed.get(),
        assets.get(),
        WAD,
        (assets.get().saturating_mul(3) / 2).saturating_add(7),
    ] {
        let x = Amount::new(x.max(1));
        let Ok(minted) = lrt_for_assets_floor(x, assets, units) else {
            continue;
        };
        let (Ok(a2), Ok(t2)) = (assets.checked_add(x), units.checked_add(minted)) else {
            continue;
        };
        if let Ok(back) = assets_for_lrt_floor(minted, a2, t2)
            && back > x
        {
            v.push(format!(
                "{name}: depositing {x} and withdrawing at once returns {back}"
            ));
        }
    }
    Ok(())
}
