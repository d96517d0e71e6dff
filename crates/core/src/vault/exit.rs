//! Exits (§8): instant from the buffer, or through the FIFO queue; and the bounded work that
//! moves the queue (collecting the vault's completed restaking withdrawals, finalizing due
//! requests).

use super::math::{assets_for_lrt_floor, fee_ceil};
use super::{
    AmountOrAll, FeeKind, RequestStatus, VaultRequest, add_vesting, books, config, fees_at,
    fold_config, index_of, value, withdrawals_of,
};
use crate::bank;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, module};
use crate::num::{Amount, MathError};
use crate::restaking::Withdrawals;
use crate::state::State;
use crate::time::Timestamp;
use crate::vault::{
    VaultBooksTable, VaultCountersTable, VaultFinalized, VaultOwnerRequests, VaultQueue,
    VaultRequests,
};

/// `vault_withdraw_instant {vault, lrt, min_out?}`: burns `lrt` and pays its value from the
/// free buffer, less the withdrawal fee (to the curator). Due queue requests come first: while
/// one waits for liquidity, nothing is available for instant exits. Returns the amount paid.
pub fn withdraw_instant(
    state: &mut State,
    ctx: &mut Ctx,
    vault: &str,
    lrt: AmountOrAll,
    min_out: Option<Amount>,
) -> Result<Amount> {
    let index = index_of(state, vault)?;
    sync(state, ctx, index)?;
    let cfg = config(state, index)?;
    let mut b = books(state, index)?;
    let held = bank::balance(state, ctx.signer, cfg.lrt);
    let lrt = lrt.resolve(held);
    if lrt.is_zero() {
        return Err(Error::invalid("lrt", "nothing to withdraw"));
    }
    let v = value(state, &cfg, &b, ctx.now)?;
    // Priced as if every pending slash request against the vault's operators executed now.
    let basis = v
        .assets
        .saturating_sub(super::pending_slash_loss_ceil(state, &cfg, ctx.now)?);
    let gross = assets_for_lrt_floor(lrt, basis, v.units()?)?;
    let available = if head_due(state, index, ctx.now)? {
        Amount::ZERO
    } else {
        v.idle_free
    };
    if gross > available {
        return Err(Error::VaultBufferInsufficient {
            available,
            required: gross,
        });
    }
    let fee = fee_ceil(gross, fees_at(&cfg, state.meta().epoch).withdrawal_bps)?;
    let out = gross.checked_sub(fee)?;
    if out.is_zero() {
        return Err(Error::invalid(
            "lrt",
            "worth nothing after rounding and fees",
        ));
    }
    if let Some(min) = min_out.filter(|m| out < *m) {
        return Err(Error::Slippage {
            received: out.get(),
            minimum: min.get(),
        });
    }
    bank::burn(state, &mut ctx.events, ctx.signer, cfg.lrt, lrt)?;
    let account = module::vault(index);
    b.idle = b.idle.checked_sub(gross)?;
    bank::transfer(state, account, ctx.signer, cfg.asset, out)?;
    if !fee.is_zero() {
        bank::transfer(state, account, cfg.curator, cfg.asset, fee)?;
        b.count_fee(FeeKind::Withdrawal, fee)?;
        ctx.emit(FeeKind::Withdrawal.charged(ctx.signer, cfg.curator, cfg.asset, fee));
    }
    state.put::<VaultBooksTable>(index, b);
    ctx.emit(Event::VaultWithdrawn {
        vault: account,
        account: ctx.signer,
        lrt,
        amount: out,
        fee,
    });
    Ok(out)
}

/// `vault_request_withdrawal {vault, lrt}`: burns `lrt` now and queues it. The request stays
/// exposed to the vault's slashes (its units stay in `T`), becomes due after
/// `withdrawal_delay_s`, and is finalized in FIFO order at `min(value at request, value then)`.
/// Returns the request id.
pub fn request_withdrawal(
    state: &mut State,
    ctx: &mut Ctx,
    vault: &str,
    lrt: AmountOrAll,
) -> Result<u64> {
    let index = index_of(state, vault)?;
    let cfg = config(state, index)?;
    let mut b = books(state, index)?;
    let owner = ctx.signer;
    let max = state.params().max_vault_requests_per_owner;
    let open = state
        .range::<VaultOwnerRequests, _>((owner, 0u64)..)
        .take_while(|((o, _), _)| *o == owner)
        .filter(|((_, id), _)| {
            state
                .get::<VaultRequests>(id)
                .is_some_and(|r| r.vault == index)
        })
        .count();
    if open >= max as usize {
        return Err(Error::LimitExceeded {
            limit: "max_vault_requests_per_owner",
            max: u64::from(max),
        });
    }
    let lrt = lrt.resolve(bank::balance(state, owner, cfg.lrt));
    if lrt.is_zero() {
        return Err(Error::invalid("lrt", "nothing to withdraw"));
    }
    let v = value(state, &cfg, &b, ctx.now)?;
    let value_at_request = assets_for_lrt_floor(lrt, v.assets, v.units()?)?;
    if value_at_request < cfg.min_request {
        return Err(Error::invalid(
            "lrt",
            format!(
                "worth {value_at_request}, below the vault's min_request {}",
                cfg.min_request
            ),
        ));
    }
    bank::burn(state, &mut ctx.events, owner, cfg.lrt, lrt)?;
    b.queued_lrt = b.queued_lrt.checked_add(lrt)?;
    let claimable_at = ctx
        .now
        .checked_add(state.params().withdrawal_delay_s)?
        .max(b.last_claimable_at);
    b.last_claimable_at = claimable_at;
    state.put::<VaultBooksTable>(index, b);
    let id = next_request_id(state)?;
    state.put::<VaultRequests>(
        id,
        VaultRequest {
            vault: index,
            owner,
            lrt,
            value_at_request,
            requested_at: ctx.now,
            claimable_at,
            status: RequestStatus::Pending,
        },
    );
    state.put::<VaultQueue>((index, id), ());
    state.put::<VaultOwnerRequests>((owner, id), ());
    ctx.emit(Event::VaultWithdrawalRequested {
        vault: module::vault(index),
        id,
        owner,
        lrt,
        value_at_request,
        claimable_at,
    });
    Ok(id)
}

fn next_request_id(state: &mut State) -> Result<u64> {
    let mut c = state
        .get::<VaultCountersTable>(&())
        .copied()
        .unwrap_or_default();
    let id = c.next_request;
    c.next_request = id.checked_add(1).ok_or(MathError::Overflow)?;
    state.put::<VaultCountersTable>((), c);
    Ok(id)
}

/// `vault_claim {id}`, by the request's owner: pays a finalized request. A due request is first
/// given a chance to be finalized (the queue moves, bounded). Returns the amount paid.
pub fn claim(state: &mut State, ctx: &mut Ctx, id: u64) -> Result<Amount> {
    let r = request(state, id)?;
    if r.owner != ctx.signer {
        return Err(Error::unauthorized(
            "vault_claim",
            &ctx.signer,
            "the request's owner",
        ));
    }
    if r.status == RequestStatus::Pending {
        if ctx.now < r.claimable_at {
            return Err(Error::VaultRequestNotReady {
                id,
                claimable_at: r.claimable_at,
            });
        }
        sync(state, ctx, r.vault)?;
    }
    let r = request(state, id)?;
    let RequestStatus::Finalized { payout, .. } = r.status else {
        let ahead = state
            .range::<VaultQueue, _>((r.vault, 0u64)..(r.vault, id))
            .count();
        let v = super::value_now(state, r.vault)?;
        return Err(Error::VaultRequestNotFunded {
            id,
            ahead: ahead as u64,
            available: v.idle_free,
        });
    };
    let cfg = config(state, r.vault)?;
    let mut b = books(state, r.vault)?;
    let account = module::vault(r.vault);
    bank::transfer(state, account, r.owner, cfg.asset, payout)?;
    b.idle = b.idle.checked_sub(payout)?;
    b.reserved = b.reserved.checked_sub(payout)?;
    state.put::<VaultBooksTable>(r.vault, b);
    state.delete::<VaultRequests>(&id);
    state.delete::<VaultFinalized>(&(r.vault, id));
    state.delete::<VaultOwnerRequests>(&(r.owner, id));
    ctx.emit(Event::VaultClaimed {
        vault: account,
        id,
        owner: r.owner,
        amount: payout,
    });
    Ok(payout)
}

/// A request by id.
pub(super) fn request(state: &State, id: u64) -> Result<VaultRequest> {
    state
        .get::<VaultRequests>(&id)
        .cloned()
        .ok_or(Error::UnknownVaultRequest(id))
}

/// Whether the head of the vault's queue is due (and so waiting for liquidity).
fn head_due(state: &State, index: u32, now: Timestamp) -> Result<bool> {
    let Some(((_, id), ())) = state
        .range::<VaultQueue, _>((index, 0u64)..=(index, u64::MAX))
        .next()
    else {
        return Ok(false);
    };
    Ok(request(state, *id)?.claimable_at <= now)
}

/// The bounded work that moves a vault's exits: fold due configuration changes, collect
/// completed restaking withdrawals into `idle`, finalize due requests.
pub(super) fn sync(state: &mut State, ctx: &mut Ctx, index: u32) -> Result<()> {
    fold_config(state, index, ctx.now)?;
    collect_withdrawals(state, ctx, index)?;
    process_queue(state, &mut ctx.events, index, ctx.now)
}

/// Completes the vault's restaking withdrawals whose delay has passed (at most
/// `vault_queue_batch`, oldest first); their tokens join `idle`. The vault's value does not
/// move: a withdrawal in flight is valued exactly as it pays.
pub(super) fn collect_withdrawals(state: &mut State, ctx: &mut Ctx, index: u32) -> Result<()> {
    let budget = state.params().vault_queue_batch as usize;
    let account = module::vault(index);
    let due: Vec<(crate::ids::WithdrawalId, crate::restaking::Withdrawal)> =
        withdrawals_of(state, account)
            .take(budget)
            .filter_map(|id| {
                let w = state.get::<Withdrawals>(&id)?;
                crate::restaking::completable(state, id, w, ctx.now)
                    .is_ok()
                    .then(|| (id, w.clone()))
            })
            .collect();
    if due.is_empty() {
        return Ok(());
    }
    let asset = config(state, index)?.asset;
    let before = bank::balance(state, account, asset);
    for (id, w) in due {
        crate::restaking::pay_withdrawal(
            state,
            &mut ctx.events,
            id,
            &w,
            crate::restaking::Receive::Tokens,
            ctx.now,
        )?;
    }
    let received = bank::balance(state, account, asset).checked_sub(before)?;
    let mut b = books(state, index)?;
    b.idle = b.idle.checked_add(received)?;
    state.put::<VaultBooksTable>(index, b);
    Ok(())
}

/// Finalizes due requests from the head of the queue, in order, while the free buffer can fund
/// them; at most `vault_queue_batch`. Each is paid `min(value at request, value now)` and
/// reserved; what it gives up to the min rule vests to the holders. "Value now" is priced as if
/// every pending slash request against the vault's operators executed (as instant exits are):
/// a request finalized during a veto window cannot leave its share of the loss to the holders
/// who stay.
pub(super) fn process_queue(
    state: &mut State,
    events: &mut Vec<Event>,
    index: u32,
    now: Timestamp,
) -> Result<()> {
    let budget = state.params().vault_queue_batch as usize;
    let heads: Vec<u64> = state
        .range::<VaultQueue, _>((index, 0u64)..=(index, u64::MAX))
        .take(budget)
        .map(|((_, id), ())| *id)
        .collect();
    let Some(first) = heads.first() else {
        return Ok(());
    };
    if request(state, *first)?.claimable_at > now {
        return Ok(());
    }
    let cfg = config(state, index)?;
    let mut b = books(state, index)?;
    let v = value(state, &cfg, &b, now)?;
    let loss = super::pending_slash_loss_ceil(state, &cfg, now)?;
    let (mut assets, mut units, mut free) = (v.assets, v.units()?, v.idle_free);
    for id in heads {
        let mut r = request(state, id)?;
        if r.claimable_at > now {
            break;
        }
        let gross = assets_for_lrt_floor(r.lrt, assets, units)?;
        let net = assets_for_lrt_floor(r.lrt, assets.saturating_sub(loss), units)?;
        let payout = r.value_at_request.min(net);
        if payout > free {
            break;
        }
        free = free.checked_sub(payout)?;
        b.reserved = b.reserved.checked_add(payout)?;
        b.queued_lrt = b.queued_lrt.checked_sub(r.lrt)?;
        add_vesting(state, &mut b, gross.checked_sub(payout)?, now)?;
        assets = assets.checked_sub(gross)?;
        units = units.checked_sub(r.lrt)?;
        let value_at_request = r.value_at_request;
        r.status = RequestStatus::Finalized { payout, at: now };
        state.put::<VaultRequests>(id, r);
        state.delete::<VaultQueue>(&(index, id));
        state.put::<VaultFinalized>((index, id), ());
        events.push(Event::VaultRequestFinalized {
            vault: module::vault(index),
            id,
            value_at_request,
            value_now: gross,
            payout,
        });
    }
    state.put::<VaultBooksTable>(index, b);
    Ok(())
}

/// The open requests of `owner`, in id order.
pub fn requests_of(state: &State, owner: Address) -> Vec<(u64, VaultRequest)> {
    state
        .range::<VaultOwnerRequests, _>((owner, 0u64)..)
        .take_while(|((o, _), _)| *o == owner)
        .filter_map(|((_, id), ())| state.get::<VaultRequests>(id).map(|r| (*id, r.clone())))
        .collect()
}
