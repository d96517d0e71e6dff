//! Identifiers: accounts, assets, operator sets, queue entries, module accounts.

pub use alloy_primitives::Address;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An asset in the registry (`RAM`, the LST, LRTs, external assets). Small and dense so it keys
/// tables cheaply; the API names assets by their unique symbol.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct AssetId(pub u32);

impl Default for AssetId {
    fn default() -> Self {
        Self::NATIVE
    }
}

impl AssetId {
    /// The native coin, `RAM`, registered at genesis.
    pub const NATIVE: Self = Self(0);
}

macro_rules! counter_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize,
            BorshSerialize, BorshDeserialize,
        )]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_u64(d).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

counter_id! {
    /// A queued restaking withdrawal.
    WithdrawalId
}
counter_id! {
    /// A slash request (pending, vetoed or executed).
    SlashId
}
counter_id! {
    /// A slash escrow entry awaiting release.
    EscrowId
}

fn deserialize_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an id (integer or decimal string)")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
            v.parse()
                .map_err(|_| E::custom(format!("`{v}` is not an id")))
        }
    }
    d.deserialize_any(V)
}

/// An operator set: a service's numbered group of operators, named `"<service>/<set_id>"`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct SetRef {
    /// The service account that owns the set.
    pub service: Address,
    /// The set's number within the service.
    pub id: u32,
}

impl fmt::Display for SetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", fmt_address(&self.service), self.id)
    }
}

/// A set name was not `"<service address>/<number>"`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an operator set name of the form <service>/<set_id>")]
pub struct ParseSetError(pub String);

impl FromStr for SetRef {
    type Err = ParseSetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseSetError(s.to_owned());
        let (service, id) = s.rsplit_once('/').ok_or_else(bad)?;
        Ok(Self {
            service: Address::from_str(service).map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

impl Serialize for SetRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SetRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The canonical text form of an address: `0x` and 40 lowercase hex digits.
pub fn fmt_address(a: &Address) -> String {
    format!("{a:#x}")
}

/// Protocol-owned accounts. Their balances are ordinary balances so that conservation of every
/// asset can be checked by summing balances. Their addresses are structured, not derived from a
/// key: `"rampart\0"` (8 bytes), a kind byte, seven zero bytes, a 32-bit big-endian index; no one
/// can hold a key for them (finding a secp256k1 key for a chosen 72-bit prefix is infeasible).
pub mod module {
    use super::*;

    const TAG: &[u8; 8] = b"rampart\0";

    /// The module account of `kind` and `index`.
    pub const fn account(kind: u8, index: u32) -> Address {
        let mut b = [0u8; 20];
        let mut i = 0;
        while i < 8 {
            b[i] = TAG[i];
            i = i.saturating_add(1);
        }
        b[8] = kind;
        let idx = index.to_be_bytes();
        b[16] = idx[0];
        b[17] = idx[1];
        b[18] = idx[2];
        b[19] = idx[3];
        Address::new(b)
    }

    /// Whether `address` is a module account.
    pub fn is_module(address: &Address) -> bool {
        address.as_slice().starts_with(TAG)
    }

    /// Holds the tokens of the strategy for `asset`.
    pub const fn strategy(asset: AssetId) -> Address {
        account(1, asset.0)
    }

    /// Holds executed slashes until their resolution delay ends.
    pub const fn slash_escrow() -> Address {
        account(2, 0)
    }

    /// Collects base transaction fees for the epoch's validators.
    pub const fn fee_pool() -> Address {
        account(3, 0)
    }

    /// Receives protocol fees.
    pub const fn treasury() -> Address {
        account(4, 0)
    }

    /// Holds the RAM of all bonded and pending base stake.
    pub const fn base_bonded() -> Address {
        account(5, 0)
    }

    /// Holds the RAM of base unbonding entries.
    pub const fn base_unbonding() -> Address {
        account(6, 0)
    }

    /// The liquid staking pool: its liquid RAM buffer, and the delegator of its base stake.
    pub const fn lst_pool() -> Address {
        account(7, 0)
    }

    /// The delegator of base stake restaked natively.
    pub const fn native_restaking() -> Address {
        account(8, 0)
    }

    /// Holds reward programs' escrowed amounts not yet streamed.
    pub const fn reward_escrow() -> Address {
        account(9, 0)
    }

    /// Holds streamed restaking rewards until delegators claim them.
    pub const fn reward_pool() -> Address {
        account(10, 0)
    }

    /// A liquid restaking vault: its idle assets, and the staker of its restaking positions.
    pub const fn vault(index: u32) -> Address {
        account(11, index)
    }

    /// Where vault seed LRT is minted: no key and no action moves anything out of it.
    pub const fn dead() -> Address {
        account(12, 0)
    }

    /// Holds the deposits of governance proposals in their deposit or voting period.
    pub const fn governance_deposits() -> Address {
        account(13, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_names_round_trip() {
        let set = SetRef {
            service: module::account(9, 3),
            id: 7,
        };
        let text = set.to_string();
        assert!(text.ends_with("/7"));
        assert_eq!(text.parse::<SetRef>(), Ok(set));
        assert!("nonsense".parse::<SetRef>().is_err());
        assert!("0x12/1".parse::<SetRef>().is_err());
    }

    #[test]
    fn addresses_render_as_lowercase_hex() {
        let a = module::account(9, 1);
        let s = fmt_address(&a);
        assert_eq!(s.len(), 42);
        assert_eq!(s, s.to_lowercase());
        assert_eq!(
            serde_json::to_value(a).unwrap(),
            serde_json::Value::String(s)
        );
    }

    #[test]
    fn module_accounts_are_distinct() {
        assert_ne!(module::strategy(AssetId(1)), module::strategy(AssetId(2)));
        assert_ne!(module::slash_escrow(), module::fee_pool());
        assert!(module::is_module(&module::treasury()));
        assert!(fmt_address(&module::strategy(AssetId(5))).starts_with("0x72616d7061727400"));
    }
}
