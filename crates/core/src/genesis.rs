//! Genesis: the state before the first block.

use crate::bank::{self, AssetKind};
use crate::block::Meta;
use crate::error::{Error, Result};
use crate::ids::{Address, AssetId};
use crate::num::Amount;
use crate::params::ParamsPatch;
use crate::restaking;
use crate::state::{MetaTable, ParamsTable, State};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Symbol of the native coin.
pub const NATIVE_SYMBOL: &str = "RAM";

/// What the chain starts with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// EIP-712 chain id.
    #[serde(default)]
    pub chain_id: u64,
    /// Unix time of the first block.
    #[serde(default)]
    pub time: Timestamp,
    /// The dev network's single governance key, which may `set_params` and `register_asset` at
    /// once. A production genesis leaves it out (the zero address: no one), so every change goes
    /// through a proposal and its timelock.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub governance: Option<Address>,
    /// The guardian: may pause new deposits and allocations once, for at most `max_pause_s`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub guardian: Option<Address>,
    /// Parameters that differ from the defaults.
    #[serde(default)]
    pub params: ParamsPatch,
    /// External assets, each with a strategy unless `restakable` is false.
    #[serde(default)]
    pub assets: Vec<GenesisAsset>,
    /// Opening balances.
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    /// Validators bonded from the first block (their self bond is minted at genesis).
    #[serde(default)]
    pub validators: Vec<GenesisValidator>,
}

/// A validator at genesis: active from epoch 0 if it makes the active set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// Its account.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub address: Address,
    /// RAM it bonds to itself.
    pub self_bond: Amount,
    /// Commission.
    #[serde(default)]
    pub commission_bps: crate::num::Bps,
    /// Its ed25519 consensus key (required on a BFT chain, `consensus_epoch_blocks` > 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<alloy_primitives::String>))]
    pub consensus_key: Option<alloy_primitives::B256>,
    /// Its p2p endpoint, `host:port` (with `consensus_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p2p_address: Option<String>,
}

/// An external asset at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GenesisAsset {
    /// Unique symbol.
    pub symbol: String,
    /// Display decimals.
    #[serde(default = "eighteen")]
    pub decimals: u8,
    /// The account that may mint and burn it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub issuer: Option<Address>,
    /// Whether it gets a restaking strategy.
    #[serde(default = "yes")]
    pub restakable: bool,
}

fn eighteen() -> u8 {
    18
}
fn yes() -> bool {
    true
}

/// An account's opening balances, by asset symbol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// The account.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub address: Address,
    /// Balances by symbol.
    #[serde(default)]
    pub balances: BTreeMap<String, Amount>,
}

impl Genesis {
    /// Builds the genesis state. The first block is height 1 at `time`.
    pub fn build(&self) -> Result<State> {
        let mut state = State::default();
        let params = self.params.apply(&Default::default());
        params.validate()?;
        let epoch_len = params.epoch_length_s;
        state.put::<ParamsTable>((), params);
        state.put::<MetaTable>(
            (),
            Meta {
                chain_id: self.chain_id,
                time: self.time,
                genesis_time: self.time,
                epoch_start: self.time,
                epoch_len,
                governance: self.governance.unwrap_or(Address::ZERO),
                ..Meta::default()
            },
        );
        let native = bank::register_asset(&mut state, NATIVE_SYMBOL, 18, None, AssetKind::Native)?;
        debug_assert_eq!(native, AssetId::NATIVE);
        restaking::create_strategy(&mut state, native)?;
        crate::lst::init(&mut state)?;
        if let Some(g) = self.guardian
            && (g == Address::ZERO || crate::ids::module::is_module(&g))
        {
            return Err(Error::invalid(
                "guardian",
                "must be an account someone can sign for",
            ));
        }
        crate::governance::init(&mut state, self.guardian);
        for a in &self.assets {
            let id = bank::register_asset(
                &mut state,
                &a.symbol,
                a.decimals,
                a.issuer,
                AssetKind::External,
            )?;
            if a.restakable {
                restaking::create_strategy(&mut state, id)?;
            }
        }
        let mut sink = Vec::new();
        for account in &self.accounts {
            for (symbol, amount) in &account.balances {
                let id = bank::asset_id(&state, symbol)?;
                if amount.is_zero() {
                    continue;
                }
                bank::mint(&mut state, &mut sink, account.address, id, *amount)?;
            }
        }
        for v in &self.validators {
            crate::base::genesis_validator(
                &mut state,
                v.address,
                v.self_bond,
                v.commission_bps,
                self.time,
            )?;
            match (v.consensus_key, &v.p2p_address) {
                (Some(key), Some(p2p)) => crate::base::consensus::bind_consensus_key(
                    &mut state,
                    v.address,
                    key,
                    p2p.clone(),
                )?,
                (None, None) => {}
                _ => {
                    return Err(Error::invalid(
                        "validators",
                        "consensus_key and p2p_address go together",
                    ));
                }
            }
        }
        crate::base::select_active_set(&mut state, &mut sink).map_err(Error::Broken)?;
        crate::base::consensus::genesis_committee(&mut state)?;
        if self.accounts.iter().any(|a| a.address == Address::ZERO) {
            return Err(Error::invalid(
                "accounts",
                "the zero address cannot hold funds",
            ));
        }
        state.discard_journal();
        Ok(state)
    }
}
