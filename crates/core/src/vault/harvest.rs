//! Rewards and epoch work (§8): recognizing restaking rewards into vesting, `vault_harvest`,
//! the management fee, and each vault's bounded work at every epoch boundary.

use super::exit::{collect_withdrawals, process_queue, sync};
use super::math::{fee_ceil, fee_lrt_floor, management_fee_ceil};
use super::{
    FeeKind, VaultBooks, VaultConfig, VaultSnapshot, add_keyed, add_vesting, as_vault, books,
    config, fees_at, fold_config, index_of, positions_of, sum, value,
};
use crate::bank;
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, module};
use crate::num::{Amount, Bps};
use crate::state::State;
use crate::time::{Epoch, Timestamp};
use crate::vault::{VaultBooksTable, VaultSnapshots, Vaults};

/// Distinct funding services tracked per vault; more are summed under the zero address.
const MAX_TRACKED_SERVICES: usize = 64;

/// Rewards claimable now: in the vault's asset per funding service, and in other assets.
struct Claimable {
    own: Vec<(Address, Amount)>,
    other: Vec<(AssetId, Amount)>,
}

/// Restaking rewards claimable on the vault's positions now.
fn claimable(state: &State, cfg: &VaultConfig, now: Timestamp) -> Result<Claimable> {
    let account = module::vault(cfg.index);
    let keys: Vec<(Address, AssetId)> = positions_of(state, account)
        .map(|((_, o, t), _)| (o, t))
        .collect();
    let (mut own, mut other) = (Vec::new(), Vec::new());
    for (operator, term) in keys {
        let Some(p) = crate::restaking::settled_position(state, account, operator, term, now)?
        else {
            continue;
        };
        for r in p.rewards.iter().filter(|r| !r.claimable.is_zero()) {
            if r.asset == cfg.asset {
                add_keyed(&mut own, r.service, r.claimable, usize::MAX, Address::ZERO)?;
            } else {
                add_keyed(&mut other, r.asset, r.claimable, usize::MAX, AssetId(0))?;
            }
        }
    }
    Ok(Claimable { own, other })
}

/// Recognizes rewards in the vault's asset that arrived since the last recognition: the
/// performance fee on them is set aside (paid at harvest) and the rest vests over the next
/// epoch. The vault's value does not move at this instant.
fn recognize(
    state: &State,
    events: &mut Vec<Event>,
    cfg: &VaultConfig,
    b: &mut VaultBooks,
    performance: Bps,
    now: Timestamp,
) -> Result<()> {
    let claims = claimable(state, cfg, now)?.own;
    let mut new = Amount::ZERO;
    for (service, amount) in &claims {
        let seen = b
            .seen
            .iter()
            .find(|(s, _)| s == service)
            .map_or(Amount::ZERO, |(_, a)| *a);
        let fresh = amount.saturating_sub(seen);
        add_keyed(
            &mut b.earned,
            *service,
            fresh,
            MAX_TRACKED_SERVICES,
            Address::ZERO,
        )?;
        new = new.checked_add(fresh)?;
    }
    b.seen = claims;
    if new.is_zero() {
        return Ok(());
    }
    let fee = fee_ceil(new, performance)?;
    b.pending_fee = b.pending_fee.checked_add(fee)?;
    b.count_fee(FeeKind::Performance, fee)?;
    add_vesting(state, b, new.checked_sub(fee)?, now)?;
    events.push(Event::VaultRewardsRecognized {
        vault: module::vault(cfg.index),
        gross: new,
        fee,
        vested_by: b.vesting.until,
    });
    Ok(())
}

/// `vault_harvest {vault}`, by anyone: moves the queue (collects completed withdrawals,
/// finalizes due requests), recognizes new rewards, claims the vault's restaking rewards — its
/// asset into idle (compounding; the performance fee to the curator), other assets into the
/// side pocket — and moves the queue again with what arrived. Returns the amount of the vault's
/// asset harvested.
pub fn harvest(state: &mut State, ctx: &mut Ctx, vault: &str) -> Result<Amount> {
    let index = index_of(state, vault)?;
    sync(state, ctx, index)?;
    let cfg = config(state, index)?;
    let mut b = books(state, index)?;
    let performance = fees_at(&cfg, state.meta().epoch).performance_bps;
    recognize(state, &mut ctx.events, &cfg, &mut b, performance, ctx.now)?;
    let c = claimable(state, &cfg, ctx.now)?;
    if c.own.is_empty() && c.other.is_empty() {
        state.put::<VaultBooksTable>(index, b);
        return Ok(Amount::ZERO);
    }
    let paid = as_vault(ctx, index, |c| {
        crate::rewards::claim_rewards(state, c, None, None)
    })?;
    let account = module::vault(index);
    let mut harvested = Amount::ZERO;
    for (asset, amount) in paid {
        if asset == cfg.asset {
            harvested = harvested.checked_add(amount)?;
        } else {
            add_keyed(&mut b.side_pocket, asset, amount, usize::MAX, asset)?;
        }
        ctx.emit(Event::VaultHarvested {
            vault: account,
            asset,
            amount,
        });
    }
    debug_assert_eq!(
        Some(harvested),
        sum(&b.seen).ok(),
        "a harvest claims exactly the recognized rewards"
    );
    let fee = b.pending_fee.min(harvested);
    if !fee.is_zero() {
        bank::transfer(state, account, cfg.curator, cfg.asset, fee)?;
        ctx.emit(FeeKind::Performance.charged(account, cfg.curator, cfg.asset, fee));
    }
    b.idle = b.idle.checked_add(harvested.checked_sub(fee)?)?;
    b.seen.clear();
    b.pending_fee = Amount::ZERO;
    state.put::<VaultBooksTable>(index, b);
    process_queue(state, &mut ctx.events, index, ctx.now)?;
    Ok(harvested)
}

/// Charges the management fee for the time since the last charge: `fee` of value, minted to
/// the curator as `floor(fee · T / (A − fee))` LRT (worth at most `fee` at the rate after).
fn charge_management(
    state: &mut State,
    events: &mut Vec<Event>,
    index: u32,
    bps: Bps,
    now: Timestamp,
) -> Result<()> {
    let cfg = config(state, index)?;
    let mut b = books(state, index)?;
    let elapsed = now.saturating_since(b.fee_accrued_at);
    b.fee_accrued_at = now;
    let v = value(state, &cfg, &b, now)?;
    let fee = management_fee_ceil(v.assets, bps, elapsed)?;
    if !fee.is_zero() && fee < v.assets {
        let minted = fee_lrt_floor(fee, v.assets, v.units()?)?;
        if !minted.is_zero() {
            bank::mint(state, events, cfg.curator, cfg.lrt, minted)?;
            b.count_fee(FeeKind::Management, fee)?;
            let on = module::vault(index);
            events.push(FeeKind::Management.charged(on, cfg.curator, cfg.lrt, minted));
        }
    }
    state.put::<VaultBooksTable>(index, b);
    Ok(())
}

/// Records the vault at this boundary, keeping `yield_window_epochs` of history.
fn snapshot(state: &mut State, index: u32, now: Timestamp) -> Result<()> {
    let epoch = state.meta().epoch;
    let window = state.params().yield_window_epochs;
    if let Some(old) = epoch.get().checked_sub(window) {
        state.delete::<VaultSnapshots>(&(index, Epoch::new(old)));
    }
    let cfg = config(state, index)?;
    let b = books(state, index)?;
    let v = value(state, &cfg, &b, now)?;
    state.put::<VaultSnapshots>(
        (index, epoch),
        VaultSnapshot {
            time: now,
            assets: v.assets,
            units: v.units()?,
            earned: b.earned,
            fees: b.fees_charged,
        },
    );
    Ok(())
}

/// Epoch boundary work for every vault, after the restaking rewards of `closing` were
/// distributed: fold due changes, collect completed withdrawals, recognize the new rewards
/// (performance fee of `closing`), charge the management fee of `closing`, finalize due
/// requests, snapshot. O(vaults × (positions + `vault_queue_batch`)), never O(holders).
pub fn on_epoch(
    state: &mut State,
    events: &mut Vec<Event>,
    closing: Epoch,
    boundary: Timestamp,
) -> HookResult {
    let indexes: Vec<u32> = state.iter::<Vaults>().map(|(i, _)| *i).collect();
    for index in indexes {
        // Each vault's work is its own: one that cannot do it this epoch (a user-facing limit
        // met by a module account, which is a bug to look at) is left as it was and says so;
        // the chain and the other vaults go on. Its queue moves again at the next boundary or
        // `vault_harvest`.
        let mark = state.mark();
        let mut ctx = Ctx::new(Address::ZERO, state.meta().height, boundary);
        match vault_epoch(state, &mut ctx, index, closing, boundary) {
            Ok(()) => events.append(&mut ctx.events),
            Err(Error::Broken(broken)) => return Err(broken),
            Err(e) => {
                state.rollback_to(mark);
                events.push(Event::VaultEpochSkipped {
                    vault: module::vault(index),
                    code: e.code(),
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(())
}

fn vault_epoch(
    state: &mut State,
    ctx: &mut Ctx,
    index: u32,
    closing: Epoch,
    boundary: Timestamp,
) -> Result<()> {
    // The closing epoch's fees, read before a rise due from the new epoch is folded in.
    let fees = fees_at(&config(state, index)?, closing);
    let cfg = fold_config(state, index, boundary)?;
    collect_withdrawals(state, ctx, index)?;
    let mut b = books(state, index)?;
    recognize(
        state,
        &mut ctx.events,
        &cfg,
        &mut b,
        fees.performance_bps,
        boundary,
    )?;
    state.put::<VaultBooksTable>(index, b);
    charge_management(state, &mut ctx.events, index, fees.management_bps, boundary)?;
    process_queue(state, &mut ctx.events, index, boundary)?;
    snapshot(state, index, boundary)
}
