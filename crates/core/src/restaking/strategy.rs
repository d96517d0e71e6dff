//! Strategies and deposits (§6.1).
//!
//! # Arithmetic
//!
//! With `S` total shares, `T` accounted tokens and `v` virtual shares and assets:
//! `shares = floor(amount · (S + v) / (T + v))` on deposit and
//! `tokens = floor(shares · (T + v) / (S + v))` on exit. Both floor, so a deposit followed at once
//! by an exit never returns more than was put in, and the price of a share never falls for the
//! holders who stay. `T` is the strategy's own accounting, not its module account's balance:
//! a donation to the module account is surplus and cannot move the price.

use super::Strategy;
use crate::bank;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, fmt_address, module};
use crate::num::{Amount, Shares, mul_div_floor};
use crate::restaking::{Deposits, Strategies};
use crate::state::State;

/// Name of the native-restaking strategy (PROTOCOL.md §11).
pub const NATIVE_STRATEGY: &str = "RAM-native";

/// `(S + v, T + v)`: the strategy's shares and tokens with the virtual offset that makes the
/// first-depositor inflation attack unprofitable.
fn virtual_totals(s: &Strategy, virtual_offset: u128) -> Result<(u128, u128)> {
    let add = |x: u128| {
        x.checked_add(virtual_offset)
            .ok_or(crate::num::MathError::Overflow)
    };
    Ok((add(s.total_shares.get())?, add(s.tokens.get())?))
}

/// Shares minted for depositing `amount`: `floor(amount · (S + v) / (T + v))`.
pub fn shares_for_deposit_floor(
    s: &Strategy,
    amount: Amount,
    virtual_offset: u128,
) -> Result<Shares> {
    let (supply, assets) = virtual_totals(s, virtual_offset)?;
    Ok(Shares::new(mul_div_floor(amount.get(), supply, assets)?))
}

/// Tokens paid for `shares`: `floor(shares · (T + v) / (S + v))`.
pub fn tokens_for_shares_floor(
    s: &Strategy,
    shares: Shares,
    virtual_offset: u128,
) -> Result<Amount> {
    let (supply, assets) = virtual_totals(s, virtual_offset)?;
    Ok(Amount::new(mul_div_floor(shares.get(), assets, supply)?))
}

/// The strategy id named `name`: an asset symbol, or `RAM-native`.
pub fn strategy_id(state: &State, name: &str) -> Result<AssetId> {
    let id = if name == NATIVE_STRATEGY {
        AssetId::NATIVE
    } else {
        bank::asset_id(state, name).map_err(|_| Error::UnknownStrategy(name.to_owned()))?
    };
    if id == AssetId::NATIVE && name != NATIVE_STRATEGY {
        return Err(Error::UnknownStrategy(name.to_owned()));
    }
    if !state.contains::<Strategies>(&id) {
        return Err(Error::UnknownStrategy(name.to_owned()));
    }
    Ok(id)
}

/// The API name of a strategy.
pub fn strategy_name(state: &State, id: AssetId) -> String {
    if id == AssetId::NATIVE || super::is_native_term(id) {
        NATIVE_STRATEGY.to_owned()
    } else {
        bank::symbol(state, id)
    }
}

/// The strategy for `asset`.
pub fn strategy(state: &State, asset: AssetId) -> Result<&Strategy> {
    state
        .get::<Strategies>(&asset)
        .ok_or_else(|| Error::UnknownStrategy(bank::symbol(state, asset)))
}

/// Whitelists `asset` for restaking (governance or genesis).
pub fn create_strategy(state: &mut State, asset: AssetId) -> Result<()> {
    bank::asset(state, asset)?;
    if !state.contains::<Strategies>(&asset) {
        state.put::<Strategies>(asset, Strategy::default());
    }
    Ok(())
}

/// The undelegated deposit shares of `staker` in `strategy`.
pub fn deposit_shares(state: &State, staker: crate::ids::Address, strategy: AssetId) -> Shares {
    state
        .get::<Deposits>(&(staker, strategy))
        .copied()
        .unwrap_or(Shares::ZERO)
}

/// Sets a staker's undelegated deposit shares (zero removes the entry).
pub(crate) fn set_deposit_shares(
    state: &mut State,
    staker: crate::ids::Address,
    strategy: AssetId,
    shares: Shares,
) {
    if shares.is_zero() {
        state.delete::<Deposits>(&(staker, strategy));
    } else {
        state.put::<Deposits>((staker, strategy), shares);
    }
}

/// `deposit {asset, amount, min_shares_out}` by any account: tokens into the strategy, deposit
/// shares to the signer. Deposited shares are not slashable until delegated.
pub fn deposit(
    state: &mut State,
    ctx: &mut Ctx,
    asset_name: &str,
    amount: Amount,
    min_shares_out: Option<Shares>,
) -> Result<Shares> {
    let asset = strategy_id(state, asset_name)?;
    if asset == AssetId::NATIVE {
        return Err(Error::invalid(
            "asset",
            "native stake is restaked with restake_native",
        ));
    }
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    let virtual_offset = state.params().virtual_shares;
    let mut s = strategy(state, asset)?.clone();
    let shares = shares_for_deposit_floor(&s, amount, virtual_offset)?;
    if shares.is_zero() {
        return Err(Error::ZeroShares(amount));
    }
    if let Some(min) = min_shares_out.filter(|min| shares < *min) {
        return Err(Error::Slippage {
            received: shares.get(),
            minimum: min.get(),
        });
    }
    bank::transfer(state, ctx.signer, module::strategy(asset), asset, amount)?;
    s.total_shares = s.total_shares.checked_add(shares)?;
    s.tokens = s.tokens.checked_add(amount)?;
    state.put::<Strategies>(asset, s);
    let held = deposit_shares(state, ctx.signer, asset).checked_add(shares)?;
    set_deposit_shares(state, ctx.signer, asset, held);
    ctx.emit(Event::Deposited {
        staker: ctx.signer,
        strategy: asset,
        amount,
        shares,
    });
    Ok(shares)
}

/// Removes `shares` from a strategy and returns the tokens they were worth (floor); the caller
/// moves those tokens out of the strategy's module account.
pub(super) fn redeem_shares(state: &mut State, asset: AssetId, shares: Shares) -> Result<Amount> {
    let virtual_offset = state.params().virtual_shares;
    let mut s = strategy(state, asset)?.clone();
    let tokens = tokens_for_shares_floor(&s, shares, virtual_offset)?;
    s.total_shares = s.total_shares.checked_sub(shares)?;
    s.tokens = s.tokens.checked_sub(tokens)?;
    state.put::<Strategies>(asset, s);
    Ok(tokens)
}

/// An `InsufficientShares` error.
pub(super) fn insufficient_shares(
    staker: crate::ids::Address,
    available: Shares,
    required: Shares,
) -> Error {
    Error::InsufficientShares {
        account: fmt_address(&staker),
        available,
        required,
    }
}

/// Registers an external asset (and its strategy if `restakable`): the dev governance key's
/// `register_asset` and a proposal's `register_asset` change.
pub fn register_external_asset(
    state: &mut State,
    events: &mut Vec<Event>,
    symbol: &str,
    decimals: u8,
    issuer: Option<Address>,
    restakable: bool,
) -> Result<AssetId> {
    let id = bank::register_asset(state, symbol, decimals, issuer, bank::AssetKind::External)?;
    if restakable {
        create_strategy(state, id)?;
    }
    events.push(Event::AssetRegistered {
        asset: id,
        symbol: symbol.to_owned(),
    });
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::super::Strategy;
    use super::*;
    use alloy_primitives::U256;
    use proptest::prelude::{prop_assert, proptest};

    fn strat(total: u128, tokens: u128) -> Strategy {
        Strategy {
            total_shares: Shares::new(total),
            tokens: Amount::new(tokens),
        }
    }

    #[test]
    fn first_deposit_mints_one_share_per_token() {
        let s = strat(0, 0);
        assert_eq!(
            shares_for_deposit_floor(&s, Amount::new(40), 1_000).unwrap(),
            Shares::new(40)
        );
    }

    proptest! {
        #[test]
        fn deposit_then_exit_never_returns_more(
            total in 0u128..1u128 << 100, tokens in 0u128..1u128 << 100, amount in 1u128..1u128 << 100,
        ) {
            let mut s = strat(total, tokens);
            let shares = shares_for_deposit_floor(&s, Amount::new(amount), 1_000).unwrap();
            s.total_shares = Shares::new(total + shares.get());
            s.tokens = Amount::new(tokens + amount);
            let back = tokens_for_shares_floor(&s, shares, 1_000).unwrap();
            prop_assert!(back.get() <= amount);
        }

        #[test]
        fn deposits_and_exits_never_lower_the_price_for_holders(
            total in 1u128..1u128 << 90, tokens in 1u128..1u128 << 90, amount in 1u128..1u128 << 90,
        ) {
            // price = (T + v) / (S + v); compare cross-multiplied in 256 bits.
            let v = 1_000u128;
            let w = |x: u128| U256::from(x);
            let s = strat(total, tokens);
            let minted = shares_for_deposit_floor(&s, Amount::new(amount), v).unwrap().get();
            let (s2, t2) = (total + minted, tokens + amount);
            prop_assert!(w(t2 + v) * w(total + v) >= w(tokens + v) * w(s2 + v));
            let paid = tokens_for_shares_floor(&strat(s2, t2), Shares::new(minted), v).unwrap().get();
            let (s3, t3) = (s2 - minted, t2 - paid);
            prop_assert!(w(t3 + v) * w(s2 + v) >= w(t2 + v) * w(s3 + v));
        }

        #[test]
        fn more_tokens_never_mint_fewer_shares(
            total in 0u128..1u128 << 100, tokens in 0u128..1u128 << 100,
            a in 0u128..1u128 << 100, b in 0u128..1u128 << 20,
        ) {
            let s = strat(total, tokens);
            let lo = shares_for_deposit_floor(&s, Amount::new(a), 1_000).unwrap();
            let hi = shares_for_deposit_floor(&s, Amount::new(a + b), 1_000).unwrap();
            prop_assert!(lo <= hi);
        }
    }
}
