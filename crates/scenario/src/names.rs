//! Names of scenario accounts and their deterministic dev keys.
//!
//! A name's secret key is `keccak256("rampart-dev-key:" ‖ name)` (reduced into the curve order
//! by `k256`), its address the Ethereum address of that key. The same derivation gives
//! `rampart dev` and the CLI their named dev accounts, so a scenario's "alice" is the same
//! account everywhere. Dev keys are public knowledge: never use them for real funds.

use alloy_primitives::{Address, B256, keccak256};
use rampart_core::ids::{fmt_address, module};
use std::collections::BTreeMap;

/// The dev secret key of `name`.
pub fn dev_secret(name: &str) -> B256 {
    let mut seed = keccak256(format!("rampart-dev-key:{name}"));
    // A keccak output is a valid secp256k1 scalar except with negligible probability; re-hash
    // until it is one so every name has a key.
    while k256::ecdsa::SigningKey::from_slice(seed.as_slice()).is_err() {
        seed = keccak256(seed);
    }
    seed
}

/// The dev signing key of `name`.
pub fn dev_signing_key(name: &str) -> k256::ecdsa::SigningKey {
    let secret = dev_secret(name);
    k256::ecdsa::SigningKey::from_slice(secret.as_slice())
        .expect("dev_secret only returns valid scalars")
}

/// The address of `name`'s dev key.
pub fn dev_address(name: &str) -> Address {
    Address::from_private_key(&dev_signing_key(name))
}

/// Two-way map between scenario names and addresses.
#[derive(Clone, Debug, Default)]
pub struct Names {
    by_name: BTreeMap<String, Address>,
    by_address: BTreeMap<Address, String>,
}

impl Names {
    /// A book that already knows the protocol's module accounts.
    pub fn with_modules() -> Self {
        let mut n = Self::default();
        for (label, addr) in [
            ("module:slash-escrow", module::slash_escrow()),
            ("module:fee-pool", module::fee_pool()),
            ("module:treasury", module::treasury()),
            ("module:base-bonded", module::base_bonded()),
            ("module:base-unbonding", module::base_unbonding()),
            ("module:lst-pool", module::lst_pool()),
            ("module:native-restaking", module::native_restaking()),
            ("module:reward-escrow", module::reward_escrow()),
            ("module:reward-pool", module::reward_pool()),
            ("module:dead", module::dead()),
        ] {
            n.label(addr, label.to_owned());
        }
        n
    }

    /// Labels a module account (e.g. a strategy's): output shows the label, and steps may name
    /// the account by it (to send it a donation, say).
    pub fn label(&mut self, address: Address, label: String) {
        self.by_name.entry(label.clone()).or_insert(address);
        self.by_address.entry(address).or_insert(label);
    }

    /// The address for `text`: a `0x` address as is, otherwise a name (created on first use).
    pub fn resolve(&mut self, text: &str) -> Result<Address, String> {
        if text.starts_with("0x") {
            return text
                .parse()
                .map_err(|_| format!("`{text}` is not a valid address"));
        }
        if let Some(a) = self.by_name.get(text) {
            return Ok(*a);
        }
        if text.is_empty() || text.contains('/') || text.contains(':') || text.starts_with('$') {
            return Err(format!("`{text}` is not a valid account name"));
        }
        let a = dev_address(text);
        self.by_name.insert(text.to_owned(), a);
        self.by_address.entry(a).or_insert_with(|| text.to_owned());
        Ok(a)
    }

    /// The name of an address, if known.
    pub fn name_of(&self, address: &Address) -> Option<&str> {
        self.by_address.get(address).map(String::as_str)
    }

    /// Every named account, in name order.
    pub fn accounts(&self) -> impl Iterator<Item = (&str, &Address)> {
        self.by_name.iter().map(|(n, a)| (n.as_str(), a))
    }

    /// Replaces every address (and `address/id` set name) in `value` by its name.
    pub fn label_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => {
                if let Some(label) = self.label_str(s) {
                    *s = label;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.label_json(v)),
            serde_json::Value::Object(map) => {
                // Keys may be addresses too (per-operator maps); relabel them in place, keeping
                // the order.
                if map.keys().any(|k| self.label_str(k).is_some()) {
                    *map = std::mem::take(map)
                        .into_iter()
                        .map(|(k, v)| (self.label_str(&k).unwrap_or(k), v))
                        .collect();
                }
                map.values_mut().for_each(|v| self.label_json(v));
            }
            _ => {}
        }
    }

    fn label_str(&self, s: &str) -> Option<String> {
        if !s.starts_with("0x") || s.len() < 42 {
            return None;
        }
        let (head, tail) = s.split_at(42);
        let addr: Address = head.parse().ok()?;
        let name = self.by_address.get(&addr)?;
        if tail.is_empty() {
            Some(name.clone())
        } else if tail.starts_with('/') {
            Some(format!("{name}{tail}"))
        } else {
            None
        }
    }

    /// The canonical text of an address (for building set names).
    pub fn text(address: &Address) -> String {
        fmt_address(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_stable_distinct_addresses() {
        assert_eq!(dev_address("alice"), dev_address("alice"));
        assert_ne!(dev_address("alice"), dev_address("bob"));
    }

    #[test]
    fn labels_replace_addresses_and_set_names() {
        let mut n = Names::default();
        let a = n.resolve("oracle").unwrap();
        let mut v = serde_json::json!({"x": fmt_address(&a), "set": format!("{}/3", fmt_address(&a)), "n": 1,
            "by": {fmt_address(&a): 1}});
        n.label_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"x": "oracle", "set": "oracle/3", "n": 1, "by": {"oracle": 1}})
        );
    }

    #[test]
    fn bad_names_are_rejected() {
        let mut n = Names::default();
        assert!(n.resolve("").is_err());
        assert!(n.resolve("0x12").is_err());
        assert!(n.resolve("$w1").is_err());
    }
}
