//! Restaking: strategies, operators, services and operator sets, delegation positions,
//! unique-stake allocation, slashing and withdrawals (PROTOCOL.md §6).
//!
//! # The accounting model
//!
//! Stake lives in *terms*, each with an exact integer count of real strategy shares it holds
//! (`shares`) and a scaled aggregate of its members' claims:
//!
//! - the **direct term** of (operator, strategy) — [`Pool`] — holds every position's direct part
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
mod operator;
mod service;
mod slashing;
mod strategy;
mod types;
mod withdrawal;

pub use allocation::{allocate, apply_allocation_effect};
pub use delegation::{
    PositionValue, bridge_value, delegate, magnitude_at, position_value, scale_in_floor,
    scaled_value_floor, settled_position,
};
pub use operator::{apply_commitments_effect, register_operator, set_operator_commitments};
pub use service::{
    RegisterService, apply_slasher_effect, approve_operator, create_operator_set,
    deregister_from_set, register_for_set, register_service, set_service_slasher,
};
pub use slashing::{
    SlashArgs, execute_slash, release_escrow, request_slash, slashable_magnitude, veto_slash,
};
pub use strategy::{
    create_strategy, deposit, shares_for_deposit_floor, strategy_id, strategy_name,
    tokens_for_shares_floor,
};
pub use types::*;
pub use withdrawal::{
    Receive, complete_withdrawal, mature_bridge_chunk, mature_queue_bucket, queue_withdrawal,
    redelegate, withdrawal_payout_shares,
};

use crate::error::{Error, Result};
use crate::ids::{Address, AssetId, SetRef, fmt_address};
use crate::state::{OperatorSets, Operators, Pools, Services, State};

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

/// The pool of (operator, strategy), or a fresh one.
pub fn pool(state: &State, operator: Address, strategy: AssetId) -> Pool {
    state
        .get::<Pools>(&(operator, strategy))
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
