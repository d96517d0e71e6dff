//! Restaking: strategies, operators, services and operator sets, delegation positions,
//! unique-stake allocation, slashing and withdrawals (PROTOCOL.md §6).
//!
//! # The accounting model
//!
//! Stake lives in *terms*, each with an exact integer count of real strategy shares it holds
//! (`shares`) and a scaled aggregate of its members' claims:
//!
//! - the **direct term** of (operator, strategy) — [`Term`] — holds every position's direct part
//!   and every queued withdrawal still in its delay, in units scaled by the operator's
//!   `max_magnitude` `m`: a member with `scaled = s` owns `floor(s · m / WAD)` real shares;
//! - a **bridge term** of (old operator A, strategy, new operator B) holds stake redelegated from
//!   A to B that A can still slash, in units scaled by both magnitudes: `x` owns
//!   `floor(x · m_A · m_B / WAD²)`.
//!
//! A slash of operator `o` lowers `m_o` and takes from each term `o` is part of exactly
//! `shares − floor(scaled · factors' )` real shares: O(1) per term, never per delegator. Stake
//! moves between terms (and to and from undelegated deposits) only as exact integer amounts of
//! real shares, and a term's value after a move never exceeds what it holds.
//!
//! # Invariants
//!
//! - Per term: `shares ≥ floor(scaled · factors) ≥ Σ members' claims` (checked in
//!   [`crate::invariants`]).
//! - Per strategy: `total_shares ≥ Σ undelegated deposits + Σ terms' shares + Σ claims of
//!   withdrawals out of their delay`, and `tokens ≥ value(total_shares)`: dust stays in the
//!   strategy.
//! - Per (operator, strategy): `Σ allocations + pending increases = encumbered ≤ max_magnitude ≤
//!   WAD`.
//!
//! # Arithmetic
//!
//! Scaling in (`real → scaled`) floors, so a member never owns more than it brought; values
//! (`scaled → real`) floor; slashed magnitude is `ceil(allocation · wad / WAD)`; shares minted on
//! deposit floor; tokens paid floor.

mod allocation;
mod delegation;
mod evidence;
#[cfg(test)]
mod evidence_tests;
pub mod ledger;
mod operator;
mod service;
mod slashing;
mod strategy;
pub mod tables;
mod types;
mod withdrawal;

pub use allocation::{allocate, apply_allocation_effect, rewarded_allocation};
pub use delegation::{
    PositionValue, bridge_value, delegate, magnitude_at, position_value, scale_in_floor,
    scaled_value_floor, settled_position, store_settled_position, tranche_conversion,
};
pub use evidence::{
    DoubleSignEvidenceArgs, ServiceAttestation, SignatureError, attestation_domain,
    attestation_signing_hash, double_sign_height, recover_signer, retired_signing_keys,
    set_signing_key, submit_double_sign_evidence,
};
pub use operator::{apply_commitments_effect, register_operator, set_operator_commitments};
pub use service::{
    FaultModel, RegisterService, SecurityProfile, SetSecurityProfile, Threshold,
    apply_slasher_effect, approve_operator, create_operator_set, deregister_from_set,
    register_for_set, register_service, security_profile, set_security_profile,
    set_service_slasher,
};
pub use slashing::{
    SlashArgs, execute_slash, expire_slash, held_until, pending_cuts_ceil, release_escrow,
    request_slash, slashable_magnitude, veto_slash,
};
pub use strategy::{
    create_strategy, deposit, register_external_asset, shares_for_deposit_floor, strategy_id,
    strategy_name, tokens_for_shares_floor,
};
pub use tables::*;
pub use types::*;
pub(crate) use withdrawal::pay_withdrawal;
pub use withdrawal::{
    Receive, completable, complete_withdrawal, mature_bridge_chunk, mature_queue_bucket,
    queue_withdrawal, redelegate, withdrawal_held, withdrawal_payout_shares,
};

use crate::error::{Error, Result};
use crate::ids::{Address, AssetId, SetRef, fmt_address};
use crate::num::Wad;
use crate::state::State;

/// The operator registered at `account`.
pub fn operator(state: &State, account: Address) -> Result<&Operator> {
    state
        .get::<Operators>(&account)
        .ok_or_else(|| Error::UnknownOperator(fmt_address(&account)))
}

/// The service registered at `account`.
pub fn service(state: &State, account: Address) -> Result<&Service> {
    state
        .get::<Services>(&account)
        .ok_or_else(|| Error::UnknownService(fmt_address(&account)))
}

/// An operator set.
pub fn operator_set(state: &State, set: SetRef) -> Result<&OperatorSet> {
    state
        .get::<OperatorSets>(&set)
        .ok_or_else(|| Error::UnknownSet(set.to_string()))
}

pub use crate::ids::{NATIVE_TERM_BASE, is_native_term, native_term};

/// The strategy whose magnitude and allocations govern `term`.
pub fn magnitude_key(term: AssetId) -> AssetId {
    if is_native_term(term) {
        AssetId::NATIVE
    } else {
        term
    }
}

/// The magnitude of (operator, strategy), or a fresh one (`WAD`, nothing allocated).
pub fn magnitude(state: &State, operator: Address, strategy: AssetId) -> Magnitude {
    state
        .get::<Magnitudes>(&(operator, magnitude_key(strategy)))
        .copied()
        .unwrap_or_default()
}

/// The current max magnitude that scales `term` at `operator`.
pub fn max_magnitude(state: &State, operator: Address, term: AssetId) -> Wad {
    magnitude(state, operator, term).max_magnitude
}

/// The term strategies of (operator, strategy): the strategy itself, or for `RAM-native` one per
/// validator whose native stake the operator holds.
pub fn terms_of(state: &State, operator: Address, strategy: AssetId) -> Vec<AssetId> {
    if strategy != AssetId::NATIVE {
        return vec![strategy];
    }
    state
        .range::<Terms, _>((operator, native_term(0))..=(operator, AssetId(u32::MAX)))
        .map(|((_, t), _)| *t)
        .collect()
}

/// The term strategy an action names: the strategy, or for `RAM-native` the native term of the
/// given validator (required there, refused elsewhere).
pub fn resolve_term(
    state: &State,
    strategy_name: &str,
    validator: Option<Address>,
) -> Result<AssetId> {
    let strategy = strategy_id(state, strategy_name)?;
    match (strategy == AssetId::NATIVE, validator) {
        (true, Some(v)) => Ok(native_term(crate::base::validator(state, v)?.index)),
        (true, None) => Err(Error::invalid(
            "validator",
            "RAM-native needs the validator whose stake is restaked",
        )),
        (false, Some(_)) => Err(Error::invalid(
            "validator",
            format!("only RAM-native takes a validator, not {strategy_name}"),
        )),
        (false, None) => Ok(strategy),
    }
}

/// `restake_native {validator, shares | amount}`: locks base delegation shares under the
/// restaking module as undelegated native deposit shares (they keep earning base rewards and stay
/// exposed to base slashing).
pub fn restake_native(
    state: &mut State,
    ctx: &mut crate::ctx::Ctx,
    validator: Address,
    amount: crate::base::BaseAmount,
) -> Result<crate::num::Shares> {
    let index = crate::base::validator(state, validator)?.index;
    let shares = crate::base::lock_native_shares(state, ctx.signer, validator, amount)?;
    let term = native_term(index);
    let held = strategy::deposit_shares(state, ctx.signer, term)
        .checked_add(crate::num::Shares::new(shares))?;
    strategy::set_deposit_shares(state, ctx.signer, term, held);
    ctx.emit(crate::events::Event::NativeRestaked {
        staker: ctx.signer,
        validator,
        shares: crate::num::Shares::new(shares),
    });
    Ok(crate::num::Shares::new(shares))
}

/// The validator whose native stake a native term holds.
pub fn native_validator(state: &State, term: AssetId) -> Result<Address> {
    crate::base::validator_by_index(state, term.0 & !NATIVE_TERM_BASE)
}

/// What `shares` of a term are worth: the strategy's tokens, or for a native term the RAM value of
/// that many validator shares.
pub fn term_value(
    state: &State,
    term: AssetId,
    shares: crate::num::Shares,
) -> Result<crate::num::Amount> {
    if is_native_term(term) {
        let v = crate::base::validator(state, native_validator(state, term)?)?;
        return Ok(v.value_of(shares.get())?);
    }
    let s = state
        .get::<crate::restaking::Strategies>(&term)
        .cloned()
        .unwrap_or_default();
    tokens_for_shares_floor(&s, shares, state.params().virtual_shares)
}

/// The direct term of (operator, term strategy), or an empty one.
pub fn term(state: &State, operator: Address, term: AssetId) -> Term {
    state
        .get::<Terms>(&(operator, term))
        .cloned()
        .unwrap_or_default()
}

fn check_metadata(state: &State, field: &'static str, text: &str) -> Result<()> {
    let max = state.params().max_metadata_len;
    if text.len() > max as usize {
        return Err(Error::invalid(
            field,
            format!("longer than max_metadata_len ({max} bytes)"),
        ));
    }
    Ok(())
}
