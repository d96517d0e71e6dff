//! The vault layer of the insight views (PROTOCOL.md §9): yield of LRT held, and the exit
//! path through a vault's buffer or queue.
//!
//! # Yield
//!
//! LRT held earns what the vault's rate gained over the trailing `yield_window_epochs` (from the
//! vault's epoch snapshots): `net = lrt · (A/T now − A/T then)`, signed, so a slash shows as a
//! negative yield. It is split over the restaking programs that paid the vault (by the vault's
//! recognized rewards per funding service in the window), and the holder's share of the vault's
//! management and performance fees in the window is added back as the vault layer's fees. The
//! vault compounds every epoch (rewards vest into its rate), so its APY uses per-epoch
//! compounding. When the vault holds the LST, the LST layer's yield on the underlying value is
//! shown too.

use super::exit::requests_of;
use super::math::{assets_for_lrt_floor, fee_ceil};
use super::{FeeKind, RequestStatus, books, fees_at, value};
use crate::bank;
use crate::error::Result;
use crate::ids::Address;
use crate::insight::{
    Acc, ExitPathView, Path, YieldSource, pro_rata, ram_value, signed, underlying,
};
use crate::num::{Amount, mul_div_floor};
use crate::state::State;
use crate::time::Epoch;
use crate::vault::{VaultQueue, VaultSnapshots, Vaults};

/// Adds the vault layer of every vault `account` holds LRT of.
pub(crate) fn vault_yield(state: &State, account: Address, acc: &mut Acc) -> Result<()> {
    let now = state.now();
    let epoch = state.meta().epoch;
    let first = Epoch::new(
        epoch
            .get()
            .saturating_sub(state.params().yield_window_epochs),
    );
    let lst_asset = crate::lst::pool(state).map(|p| p.asset).ok();
    for (index, cfg) in state.iter::<Vaults>() {
        let lrt = bank::balance(state, account, cfg.lrt);
        if lrt.is_zero() {
            continue;
        }
        let v = value(state, cfg, &books(state, *index)?, now)?;
        let tokens_now = assets_for_lrt_floor(lrt, v.assets, v.units()?)?;
        let value_now = ram_value(state, cfg.asset, tokens_now)?;
        acc.value = acc.value.checked_add(value_now)?;
        let holding = format!("vault/{}", bank::symbol(state, cfg.lrt));
        let mut snaps = state.range::<VaultSnapshots, _>((*index, first)..=(*index, epoch));
        let Some((_, then)) = snaps.next() else {
            acc.exposure("vault", value_now, 0);
            continue;
        };
        let latest = snaps.next_back().map_or(then, |(_, s)| s);
        let tokens_then = assets_for_lrt_floor(lrt, then.assets, then.units)?;
        let window_s = now.saturating_since(then.time).get();
        acc.exposure("vault", value_now, window_s);
        let net =
            signed(value_now).saturating_sub(signed(ram_value(state, cfg.asset, tokens_then)?));
        let fee_of = |kind: FeeKind| -> Result<i128> {
            let charged = latest.fees[kind.index()].saturating_sub(then.fees[kind.index()]);
            let share = mul_div_floor(charged.get(), lrt.get(), latest.units.get().max(1))?;
            Ok(signed(ram_value(state, cfg.asset, Amount::new(share))?))
        };
        let (management, performance) =
            (fee_of(FeeKind::Management)?, fee_of(FeeKind::Performance)?);
        let fees = management.saturating_add(performance);
        let earned: Vec<(Address, u128)> = latest
            .earned
            .iter()
            .map(|(s, a)| {
                let before = then
                    .earned
                    .iter()
                    .find(|(x, _)| x == s)
                    .map_or(0, |(_, b)| b.get());
                (*s, a.get().saturating_sub(before))
            })
            .filter(|(_, d)| *d > 0)
            .collect();
        let total: u128 = earned.iter().map(|(_, d)| *d).sum();
        let asset = bank::symbol(state, cfg.asset);
        if total == 0 {
            acc.add_source(YieldSource {
                layer: "vault",
                source: "rate",
                holding: holding.clone(),
                service: None,
                asset: asset.clone(),
                gross: net.saturating_add(fees),
                fees,
                net,
                window_s: 0,
            });
        } else {
            for (service, d) in &earned {
                let (part, part_fee) = (pro_rata(net, *d, total), pro_rata(fees, *d, total));
                acc.add_source(YieldSource {
                    layer: "vault",
                    source: "program",
                    holding: holding.clone(),
                    service: Some(*service),
                    asset: asset.clone(),
                    gross: part.saturating_add(part_fee),
                    fees: part_fee,
                    net: part,
                    window_s: 0,
                });
            }
        }
        acc.add_fee("vault", FeeKind::Management.event_kind(), management);
        acc.add_fee("vault", FeeKind::Performance.event_kind(), performance);
        if lst_asset == Some(cfg.asset) {
            // The value is already counted by the vault layer.
            crate::insight::lst_yield(state, &holding, tokens_now, false, acc)?;
        }
    }
    Ok(())
}

/// Adds the exit paths of `account`'s LRT (through the free buffer as far as it goes, the
/// queue for the rest) and of its open requests.
pub(crate) fn exit_paths(
    state: &State,
    account: Address,
    paths: &mut Vec<ExitPathView>,
) -> Result<()> {
    let now = state.now();
    let lst_asset = crate::lst::pool(state).map(|p| p.asset).ok();
    let delay = state.params().withdrawal_delay_s.get();
    for (index, cfg) in state.iter::<Vaults>() {
        let lrt = bank::balance(state, account, cfg.lrt);
        if lrt.is_zero() {
            continue;
        }
        let v = value(state, cfg, &books(state, *index)?, now)?;
        let worth = assets_for_lrt_floor(lrt, v.assets, v.units()?)?;
        let head_due = state
            .range::<VaultQueue, _>((*index, 0u64)..=(*index, u64::MAX))
            .next()
            .and_then(|((_, id), ())| super::exit::request(state, *id).ok())
            .is_some_and(|r| r.claimable_at <= now);
        let available = if head_due { Amount::ZERO } else { v.idle_free };
        // Instant exits are priced net of pending slash requests (`pending_slash_loss_ceil`);
        // what the buffer cannot pay goes through the queue at the full rate.
        let basis = v
            .assets
            .saturating_sub(super::pending_slash_loss_ceil(state, cfg, now)?);
        let exit_worth = assets_for_lrt_floor(lrt, basis, v.units()?)?;
        let instant = exit_worth.min(available);
        let queued_part = if exit_worth.is_zero() {
            worth
        } else {
            worth.checked_sub(Amount::new(mul_div_floor(
                worth.get(),
                instant.get(),
                exit_worth.get(),
            )?))?
        };
        let name = bank::symbol(state, cfg.lrt);
        if !instant.is_zero() {
            let fee = fee_ceil(instant, fees_at(cfg, state.meta().epoch).withdrawal_bps)?;
            let path = Path::new(state)
                .step("vault_withdraw_instant", 0)
                .charge(fee);
            paths.push(
                underlying(path, cfg.asset, lst_asset)
                    .done(format!("vault/{name} (buffer)"), instant.checked_sub(fee)?),
            );
        }
        let rest = queued_part;
        if !rest.is_zero() {
            // If the vault lacks the liquidity, the curator's deallocation (a restaking
            // withdrawal with the same delay) started now completes by the same time.
            let path = Path::new(state)
                .step("vault_request_withdrawal", 0)
                .step("vault_claim", delay);
            paths.push(
                underlying(path, cfg.asset, lst_asset).done(format!("vault/{name} (queue)"), rest),
            );
        }
    }
    for (id, r) in requests_of(state, account) {
        let cfg = super::config(state, r.vault)?;
        let (path, worth) = match r.status {
            RequestStatus::Pending => {
                let v = value(state, &cfg, &books(state, r.vault)?, now)?;
                let now_value = assets_for_lrt_floor(r.lrt, v.assets, v.units()?)?;
                (
                    Path::new(state)
                        .wait_until("vault_queue", r.claimable_at)
                        .step("vault_claim", 0),
                    r.value_at_request.min(now_value),
                )
            }
            RequestStatus::Finalized { payout, .. } => {
                (Path::new(state).step("vault_claim", 0), payout)
            }
        };
        paths.push(
            underlying(path, cfg.asset, lst_asset).done(format!("vault request {id}"), worth),
        );
    }
    Ok(())
}
