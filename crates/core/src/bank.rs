//! Assets and balances (PROTOCOL.md §3).
//!
//! The registry holds `RAM` (id 0), the LST, one LRT per vault and external assets registered by
//! governance with an issuer that alone may mint or burn them. Balances are per (account, asset);
//! module accounts (strategies, escrow, fee pool, treasury) are ordinary balances.
//!
//! # Invariants
//!
//! - For every asset, Σ balances = `supply`; supply moves only in [`mint`] and [`burn`], each of
//!   which emits an event.
//! - A zero balance is stored as an absent entry, so the state (and its root) has one encoding.

pub mod tables;

pub use tables::*;

use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, fmt_address};
use crate::num::Amount;
use crate::state::State;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// What kind of asset this is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// The native coin.
    Native,
    /// The liquid staking token.
    Lst,
    /// A vault's liquid restaking token.
    Lrt,
    /// An external asset minted by its issuer (a bridge).
    External,
}

/// An entry of the asset registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Asset {
    /// Unique symbol.
    pub symbol: String,
    /// Display decimals.
    pub decimals: u8,
    /// The account that may mint and burn it (external assets only).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub issuer: Option<Address>,
    /// Kind.
    pub kind: AssetKind,
    /// Total supply: the sum of all balances.
    pub supply: Amount,
}

/// A signing account's sequence state.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Account {
    /// The next nonce this account must use.
    pub nonce: u64,
}

/// Longest symbol accepted.
pub const MAX_SYMBOL_LEN: usize = 16;

/// Registers an asset and returns its id.
pub fn register_asset(
    state: &mut State,
    symbol: &str,
    decimals: u8,
    issuer: Option<Address>,
    kind: AssetKind,
) -> Result<AssetId> {
    validate_symbol(symbol)?;
    if state.lookup::<AssetSymbols, str>(symbol).is_some() {
        return Err(Error::AssetExists(symbol.to_owned()));
    }
    let id = match state.iter::<Assets>().next_back() {
        Some((last, _)) => AssetId(last.0.checked_add(1).ok_or(Error::LimitExceeded {
            limit: "assets",
            max: u64::from(u32::MAX),
        })?),
        None => AssetId::NATIVE,
    };
    let asset = Asset {
        symbol: symbol.to_owned(),
        decimals,
        issuer,
        kind,
        supply: Amount::ZERO,
    };
    state.put::<Assets>(id, asset);
    state.put::<AssetSymbols>(symbol.to_owned(), id);
    Ok(id)
}

fn validate_symbol(symbol: &str) -> Result<()> {
    let ok = !symbol.is_empty()
        && symbol.len() <= MAX_SYMBOL_LEN
        && symbol
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !symbol.starts_with("0x");
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "symbol",
            format!("`{symbol}` must be 1-{MAX_SYMBOL_LEN} characters of A-Z, a-z, 0-9, - _ ."),
        ))
    }
}

/// The id of the asset with this symbol.
pub fn asset_id(state: &State, symbol: &str) -> Result<AssetId> {
    state
        .lookup::<AssetSymbols, str>(symbol)
        .copied()
        .ok_or_else(|| Error::UnknownAsset(symbol.to_owned()))
}

/// The registry entry of an asset.
pub fn asset(state: &State, id: AssetId) -> Result<&Asset> {
    state
        .get::<Assets>(&id)
        .ok_or_else(|| Error::UnknownAsset(format!("#{}", id.0)))
}

/// The symbol of an asset, or `#id` if unknown.
pub fn symbol(state: &State, id: AssetId) -> String {
    state
        .get::<Assets>(&id)
        .map_or_else(|| format!("#{}", id.0), |a| a.symbol.clone())
}

/// An account's balance.
pub fn balance(state: &State, account: Address, asset: AssetId) -> Amount {
    state
        .get::<Balances>(&(account, asset))
        .copied()
        .unwrap_or(Amount::ZERO)
}

fn set_balance(state: &mut State, account: Address, asset: AssetId, amount: Amount) {
    if amount.is_zero() {
        state.delete::<Balances>(&(account, asset));
    } else {
        state.put::<Balances>((account, asset), amount);
    }
}

/// Adds `amount` to a balance. Callers pair it with a debit or a mint.
fn credit(state: &mut State, account: Address, asset: AssetId, amount: Amount) -> Result<()> {
    let new = balance(state, account, asset).checked_add(amount)?;
    set_balance(state, account, asset, new);
    Ok(())
}

/// Removes `amount` from a balance, failing if it is not there.
fn debit(state: &mut State, account: Address, asset: AssetId, amount: Amount) -> Result<()> {
    let have = balance(state, account, asset);
    let new = have
        .checked_sub(amount)
        .map_err(|_| Error::InsufficientBalance {
            account: fmt_address(&account),
            asset: symbol(state, asset),
            available: have,
            required: amount,
        })?;
    set_balance(state, account, asset, new);
    Ok(())
}

/// Moves tokens between two accounts.
pub fn transfer(
    state: &mut State,
    from: Address,
    to: Address,
    asset: AssetId,
    amount: Amount,
) -> Result<()> {
    debit(state, from, asset, amount)?;
    credit(state, to, asset, amount)
}

/// Creates tokens: supply and a balance grow together.
pub fn mint(
    state: &mut State,
    events: &mut Vec<Event>,
    to: Address,
    asset: AssetId,
    amount: Amount,
) -> Result<()> {
    let mut entry = self::asset(state, asset)?.clone();
    entry.supply = entry.supply.checked_add(amount)?;
    state.put::<Assets>(asset, entry);
    credit(state, to, asset, amount)?;
    events.push(Event::Minted { to, asset, amount });
    Ok(())
}

/// Destroys tokens held by `from`: supply and its balance shrink together.
pub fn burn(
    state: &mut State,
    events: &mut Vec<Event>,
    from: Address,
    asset: AssetId,
    amount: Amount,
) -> Result<()> {
    debit(state, from, asset, amount)?;
    let mut entry = self::asset(state, asset)?.clone();
    entry.supply = entry.supply.checked_sub(amount)?;
    state.put::<Assets>(asset, entry);
    events.push(Event::Burned {
        from,
        asset,
        amount,
    });
    Ok(())
}

/// The issuer of an asset that accounts may mint and burn.
pub fn issuer_of(state: &State, asset: AssetId) -> Result<Address> {
    let entry = self::asset(state, asset)?;
    entry
        .issuer
        .ok_or_else(|| Error::NotIssuable(entry.symbol.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with_asset() -> (State, AssetId) {
        let mut s = State::default();
        register_asset(&mut s, "RAM", 18, None, AssetKind::Native).unwrap();
        let id = register_asset(
            &mut s,
            "stETH",
            18,
            Some(Address::repeat_byte(9)),
            AssetKind::External,
        )
        .unwrap();
        (s, id)
    }

    #[test]
    fn transfer_beyond_balance_fails_and_reports_both_amounts() {
        let (mut s, id) = state_with_asset();
        let a = Address::repeat_byte(1);
        mint(&mut s, &mut Vec::new(), a, id, Amount::new(10)).unwrap();
        let err = transfer(&mut s, a, Address::repeat_byte(2), id, Amount::new(11)).unwrap_err();
        assert_eq!(err.code(), "insufficient_balance");
        assert!(err.to_string().contains("10"));
    }

    #[test]
    fn mint_and_burn_move_supply_with_balances() {
        let (mut s, id) = state_with_asset();
        let a = Address::repeat_byte(1);
        mint(&mut s, &mut Vec::new(), a, id, Amount::new(10)).unwrap();
        burn(&mut s, &mut Vec::new(), a, id, Amount::new(4)).unwrap();
        assert_eq!(asset(&s, id).unwrap().supply, Amount::new(6));
        assert_eq!(balance(&s, a, id), Amount::new(6));
    }

    #[test]
    fn symbols_are_unique_and_validated() {
        let (mut s, _) = state_with_asset();
        assert_eq!(
            register_asset(&mut s, "stETH", 18, None, AssetKind::External)
                .unwrap_err()
                .code(),
            "asset_exists"
        );
        assert!(register_asset(&mut s, "bad symbol", 18, None, AssetKind::External).is_err());
        assert!(register_asset(&mut s, "", 18, None, AssetKind::External).is_err());
    }

    #[test]
    fn zero_balances_are_not_stored() {
        let (mut s, id) = state_with_asset();
        let a = Address::repeat_byte(1);
        mint(&mut s, &mut Vec::new(), a, id, Amount::new(3)).unwrap();
        transfer(&mut s, a, Address::repeat_byte(2), id, Amount::new(3)).unwrap();
        assert!(!s.contains::<Balances>(&(a, id)));
    }
}
