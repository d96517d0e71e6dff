//! `vault_deposit` (§8).

use super::math::{fee_ceil, lrt_for_assets_floor};
use super::{FeeKind, books, config, fees_at, index_of, value};
use crate::bank;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::module;
use crate::num::Amount;
use crate::state::State;
use crate::vault::VaultBooksTable;

/// `vault_deposit {vault, amount, min_lrt_out?}`, by anyone: the deposit fee goes to the
/// curator, the rest joins the vault's idle assets and mints `floor(net · T / A)` LRT. Fails if
/// the vault's value would exceed its deposit cap. Returns the LRT minted.
pub fn deposit(
    state: &mut State,
    ctx: &mut Ctx,
    vault: &str,
    amount: Amount,
    min_lrt_out: Option<Amount>,
) -> Result<Amount> {
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    let index = index_of(state, vault)?;
    let cfg = config(state, index)?;
    let mut b = books(state, index)?;
    let v = value(state, &cfg, &b, ctx.now)?;
    if v.assets.is_zero() {
        return Err(Error::VaultWithoutValue(vault.to_owned()));
    }
    let fee = fee_ceil(amount, fees_at(&cfg, state.meta().epoch).deposit_bps)?;
    let net = amount.checked_sub(fee)?;
    let total_after = v.assets.checked_add(net)?;
    if total_after > cfg.deposit_cap {
        return Err(Error::VaultDepositCap {
            cap: cfg.deposit_cap,
            total_after,
        });
    }
    let minted = lrt_for_assets_floor(net, v.assets, v.units()?)?;
    if minted.is_zero() {
        return Err(Error::ZeroShares(amount));
    }
    if let Some(min) = min_lrt_out.filter(|m| minted < *m) {
        return Err(Error::Slippage {
            received: minted.get(),
            minimum: min.get(),
        });
    }
    let account = module::vault(index);
    bank::transfer(state, ctx.signer, account, cfg.asset, net)?;
    if !fee.is_zero() {
        bank::transfer(state, ctx.signer, cfg.curator, cfg.asset, fee)?;
        b.count_fee(FeeKind::Deposit, fee)?;
        ctx.emit(FeeKind::Deposit.charged(ctx.signer, cfg.curator, cfg.asset, fee));
    }
    b.idle = b.idle.checked_add(net)?;
    state.put::<VaultBooksTable>(index, b);
    bank::mint(state, &mut ctx.events, ctx.signer, cfg.lrt, minted)?;
    ctx.emit(Event::VaultDeposited {
        vault: account,
        account: ctx.signer,
        amount,
        fee,
        lrt: minted,
    });
    Ok(minted)
}
