//! Base rewards by source (§4.5).
//!
//! At each epoch boundary the epoch's issuance (`inflation_bps` a year of the active set's bonded
//! stake, pro rata to the epoch's length, minted) and its fee pool are split over the validators
//! that were active, by bonded stake weighted by the fraction of the epoch's blocks they signed.
//! Priority tips and MEV (`pay_proposer`) go to the proposer of the block that earned them, at
//! once. Every credit takes the validator's commission (`ceil`) to its account and adds the rest
//! to its pool, and advances the per-source indices that break any delegation's earnings down.

use super::{Source, index_step, validator};
use crate::bank;
use crate::base::Validators;
use crate::ctx::Ctx;
use crate::error::{Error, HookResult, OrBroken, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, module};
use crate::num::{Amount, BPS_DENOMINATOR, MathError, mul_div_ceil, mul_div_floor};
use crate::state::State;
use crate::time::Duration;
use alloy_primitives::U256;

/// Where a credited reward comes from.
#[derive(Clone, Copy, Debug)]
enum Payer {
    /// Newly minted (issuance).
    Mint,
    /// Moved from this account.
    Account(Address),
}

/// Credits `gross` RAM of `source` to a validator: commission to its account, the rest to its
/// pool.
fn credit(
    state: &mut State,
    events: &mut Vec<Event>,
    addr: Address,
    source: Source,
    gross: Amount,
    payer: Payer,
) -> Result<()> {
    if gross.is_zero() {
        return Ok(());
    }
    let mut v = validator(state, addr)?.clone();
    let commission = if v.shares == 0 {
        gross
    } else {
        Amount::new(
            mul_div_ceil(gross.get(), u128::from(v.commission.get()), BPS_DENOMINATOR)?
                .min(gross.get()),
        )
    };
    let net = gross.checked_sub(commission)?;
    match payer {
        Payer::Mint => {
            bank::mint(state, events, addr, AssetId::NATIVE, commission)?;
            bank::mint(state, events, module::base_bonded(), AssetId::NATIVE, net)?;
        }
        Payer::Account(from) => {
            bank::transfer(state, from, addr, AssetId::NATIVE, commission)?;
            bank::transfer(state, from, module::base_bonded(), AssetId::NATIVE, net)?;
        }
    }
    let t = &mut v.sources[source.index()];
    t.gross = t.gross.checked_add(gross)?;
    t.commission = t.commission.checked_add(commission)?;
    if v.shares > 0 {
        t.net_per_share = t
            .net_per_share
            .checked_add(index_step(net, v.shares)?)
            .ok_or(MathError::Overflow)?;
        t.commission_per_share = t
            .commission_per_share
            .checked_add(index_step(commission, v.shares)?)
            .ok_or(MathError::Overflow)?;
    }
    v.bonded = v.bonded.checked_add(net)?;
    super::store_validator(state, addr, v);
    events.push(Event::RewardCredited {
        validator: addr,
        source: source.name(),
        gross,
        commission,
    });
    if !commission.is_zero() {
        events.push(Event::FeeCharged {
            layer: "base",
            kind: "validator_commission",
            on: addr,
            to: addr,
            asset: AssetId::NATIVE,
            amount: commission,
        });
    }
    Ok(())
}

/// Distributes the closing epoch's issuance and fee pool over the active validators: O(active
/// set). Issuance is minted and the fees come from the fee pool's own balance, so nothing here can
/// fail on a user condition.
pub fn distribute_epoch_rewards(state: &mut State, events: &mut Vec<Event>) -> HookResult {
    let p = state.params();
    let epoch_len = p.epoch_length_s;
    let blocks = u128::from(
        epoch_len
            .get()
            .checked_div(p.block_time_s.get())
            .unwrap_or(1)
            .max(1),
    );
    let inflation = u128::from(p.inflation_bps.get());
    let mut weights: Vec<(Address, u128)> = Vec::new();
    let mut bonded_total = 0u128;
    for addr in super::active_set(state) {
        let v = validator(state, addr).or_broken("an active validator")?;
        if v.bonded.is_zero() {
            continue;
        }
        let signed = blocks.saturating_sub(u128::from(v.uptime.missed_in_epoch));
        weights.push((addr, mul_div_floor(v.bonded.get(), signed, blocks)?));
        bonded_total = bonded_total
            .checked_add(v.bonded.get())
            .ok_or(MathError::Overflow)?;
    }
    let weight_total = weights
        .iter()
        .try_fold(0u128, |acc, (_, w)| acc.checked_add(*w))
        .ok_or(MathError::Overflow)?;
    if weight_total == 0 {
        return Ok(());
    }
    let issuance = issuance_for(bonded_total, inflation, epoch_len)?;
    let fees = bank::balance(state, module::fee_pool(), AssetId::NATIVE).get();
    for (addr, w) in weights {
        let i = Amount::new(mul_div_floor(issuance, w, weight_total)?);
        credit(state, events, addr, Source::Issuance, i, Payer::Mint).or_broken("issuance")?;
        let f = Amount::new(mul_div_floor(fees, w, weight_total)?);
        credit(
            state,
            events,
            addr,
            Source::Fees,
            f,
            Payer::Account(module::fee_pool()),
        )
        .or_broken("the fee pool's share")?;
    }
    Ok(())
}

/// `floor(bonded · inflation_bps · epoch / (10_000 · year))`.
fn issuance_for(bonded: u128, inflation_bps: u128, epoch: Duration) -> Result<u128, MathError> {
    let per_year = crate::num::checked_mul_u256(
        crate::num::wide_mul(bonded, inflation_bps),
        U256::from(epoch.get()),
    )?;
    let denom = crate::num::wide_mul(BPS_DENOMINATOR, u128::from(Duration::YEAR.get()));
    crate::num::to_u128(crate::num::div_floor_u256(per_year, denom)?)
}

/// A priority tip paid to the block's proposer (`None`: to the fee pool).
pub fn credit_proposer(
    state: &mut State,
    events: &mut Vec<Event>,
    payer: Address,
    proposer: Option<Address>,
    tip: Amount,
) -> Result<()> {
    if tip.is_zero() {
        return Ok(());
    }
    let to_pool = proposer
        .and_then(|p| state.get::<Validators>(&p).map(|v| (p, v.shares)))
        .filter(|(_, s)| *s > 0);
    match to_pool {
        Some((p, _)) => credit(state, events, p, Source::Tips, tip, Payer::Account(payer)),
        None => bank::transfer(state, payer, module::fee_pool(), AssetId::NATIVE, tip),
    }
}

/// `pay_proposer {amount}`: a builder payment (MEV) to the current block's proposer.
pub fn pay_proposer(state: &mut State, ctx: &mut Ctx, amount: Amount) -> Result<()> {
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    let proposer = ctx
        .proposer
        .filter(|p| state.get::<Validators>(p).is_some_and(|v| v.shares > 0))
        .ok_or(Error::NoProposer)?;
    credit(
        state,
        &mut ctx.events,
        proposer,
        Source::Mev,
        amount,
        Payer::Account(ctx.signer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuance_is_the_yearly_rate_pro_rata_to_the_epoch() {
        // 3% a year of 8,760,000 over one hour of a 365-day year: 30 exactly.
        assert_eq!(
            issuance_for(8_760_000, 300, Duration::new(3_600)).unwrap(),
            30
        );
        assert_eq!(issuance_for(0, 300, Duration::new(3_600)).unwrap(), 0);
    }
}
