//! The bank's tables: accounts (nonces), the asset registry and balances.

use super::{Account, Asset};
use crate::ids::{Address, AssetId};
use crate::num::Amount;

crate::state::tables! {
    /// Accounts that have signed: their next nonce.
    3 accounts: Accounts(Address => Account),
    /// The asset registry.
    4 assets: Assets(AssetId => Asset),
    /// Asset symbol → id (symbols are unique).
    5 asset_symbols: AssetSymbols(String => AssetId),
    /// Balances per (account, asset), module accounts included.
    6 balances: Balances((Address, AssetId) => Amount),
}
