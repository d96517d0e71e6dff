//! The base proof-of-stake layer (PROTOCOL.md §4): validators, delegation as validator shares,
//! bonding and unbonding, redelegation, uptime and jailing, double-sign and downtime slashing,
//! and rewards kept apart by source.
//!
//! # The accounting model
//!
//! Each validator has a share pool: `shares` outstanding and `bonded` RAM behind them. A
//! delegator's value is `shares · bonded / total shares`. Rewards raise `bonded`, slashes lower
//! it: O(1) per validator, never per delegator. New stake waits in a *pending bond* bucket per
//! (activation epoch, validator) and joins the pool at the boundary where it activates, at the
//! rate of that moment; each delegator converts its part lazily (`floor(amount · minted /
//! bucket amount)`).
//!
//! Undelegated stake becomes an *unbonding entry*; redelegated stake becomes a *lock* on the
//! destination's shares. Both stay slashable for the source's infractions committed before they
//! were created. A double sign tombstones its validator, so each validator suffers at most one
//! such slash; it burns `ceil(x · bps)` of the entries created at or after the infraction height,
//! found by cumulative-by-height sums (O(log n)), and each entry loses `ceil(its amount · bps)`
//! when it is next read. Σ of per-entry losses ≥ the aggregate burn, so holdings always cover
//! claims.
//!
//! Rewards by source (issuance, transaction fees, priority tips, MEV) are credited to a
//! validator's pool after its commission; per source the validator keeps the gross, the
//! commission and cumulative per-share indices of both, so any delegation's earnings can be
//! broken down by source without iterating anything.
//!
//! # Invariants
//!
//! - The base-bonded module account holds Σ `bonded` + Σ pending bonds; the unbonding module
//!   account holds at least Σ unbonding entries' current values.
//! - Σ delegators' shares (settled) ≤ each validator's `shares`.

pub mod consensus;
mod delegation;
pub(crate) use delegation::settle_stored;
mod faults;
mod rewards;
pub mod tables;
mod validator;

pub use consensus::{Committee, ConsensusEvidence, ConsensusKeyRecord};
pub use delegation::{
    BaseAmount, BaseDelegationValue, Earnings, base_delegation_value, bond, burn_native_shares,
    claim_unbonded, delegate_base, delegation_earnings, lock_native_shares,
    lock_shares_after_slash, pay_unbonding, redelegate_base, redelegate_shares, settled_delegation,
    unbonding_value, undelegate_base, undelegate_shares, unlock_native_shares, validator_by_index,
};
pub(crate) use delegation::{cancel_pending_module, unbond_module};
pub use faults::{DoubleSignReach, Fault, apply_fault, record_signatures};
pub use rewards::{credit_proposer, distribute_epoch_rewards, pay_proposer};
pub use tables::*;
pub use validator::{
    activate_epoch, create_validator, genesis_validator, proposer_for, select_active_set,
    set_validator_commission, stake_draw, unjail,
};

use crate::error::{Error, Result};
use crate::ids::{Address, fmt_address};
use crate::num::{Amount, Bps, MathError, mul_div_floor};
use crate::state::State;
use crate::time::{Epoch, Height, Timestamp};
use alloy_primitives::U256;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Scale of per-share reward indices.
pub const INDEX_SCALE: u128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;

/// A validator's place in its lifecycle.
///
/// ```text
/// Pending --boundary, in the top max_validators--> Active --boundary, out--> Pending
/// Active --downtime--> Jailed{until} --unjail after until--> Pending
/// any --double sign--> Tombstoned (final)
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ValidatorStatus {
    /// Eligible, not in the active set.
    Pending,
    /// In the active set this epoch.
    Active,
    /// Jailed for downtime.
    Jailed {
        /// When it may unjail.
        until: Timestamp,
    },
    /// Permanently out after a double sign.
    Tombstoned,
}

impl ValidatorStatus {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Jailed { .. } => "jailed",
            Self::Tombstoned => "tombstoned",
        }
    }
}

/// A reward source of the base layer (§4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// New RAM minted at epoch boundaries.
    Issuance,
    /// The epoch's base transaction fees.
    Fees,
    /// Priority tips, to the block proposer.
    Tips,
    /// Builder payments to the proposer (`pay_proposer`).
    Mev,
}

impl Source {
    /// All sources, in index order.
    pub const ALL: [Self; 4] = [Self::Issuance, Self::Fees, Self::Tips, Self::Mev];

    /// Index into per-source arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Issuance => "issuance",
            Self::Fees => "transaction_fees",
            Self::Tips => "priority_tips",
            Self::Mev => "mev",
        }
    }
}

/// Cumulative rewards of one source at one validator.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SourceTally {
    /// Everything earned, before commission.
    pub gross: Amount,
    /// The validator's commission on it.
    pub commission: Amount,
    /// Σ net reward per validator share, × [`INDEX_SCALE`].
    pub net_per_share: U256,
    /// Σ commission per validator share, × [`INDEX_SCALE`].
    pub commission_per_share: U256,
}

/// A sliding window of signed/missed blocks.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Uptime {
    /// Bitmap of the last `window` blocks (1 = missed), ring-indexed by `recorded % window`.
    pub bits: Vec<u64>,
    /// Blocks recorded since the window was last reset.
    pub recorded: u64,
    /// Missed blocks in the window.
    pub missed: u64,
    /// Missed blocks in the current epoch.
    pub missed_in_epoch: u64,
}

/// The double sign that tombstoned a validator, and what it reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DoubleSign {
    /// Height of the infraction.
    pub infraction_height: Height,
    /// Height at which it was slashed.
    pub slashed_height: Height,
    /// Fraction slashed.
    pub bps: Bps,
    /// Unbonding entries with a lower id existed when it was slashed.
    pub unbonding_mark: u64,
    /// Redelegation locks with a lower id existed when it was slashed.
    pub redelegation_mark: u64,
}

impl DoubleSign {
    /// Whether an entry created at `height` with `id` below `mark` was reached.
    pub fn reaches(&self, height: Height, id: u64, mark: u64) -> bool {
        height >= self.infraction_height && id < mark
    }
}

/// A validator.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Validator {
    /// Dense index (names its native-restaking term).
    pub index: u32,
    /// Commission on every reward source.
    pub commission: Bps,
    /// A commission change and the epoch it applies from.
    pub pending_commission: Option<(Bps, Epoch)>,
    /// Epoch of the last commission change request.
    pub last_commission_change: Option<Epoch>,
    /// Lifecycle.
    pub status: ValidatorStatus,
    /// Validator shares outstanding.
    pub shares: u128,
    /// RAM behind them.
    pub bonded: Amount,
    /// RAM waiting in pending bonds.
    pub pending_bonded: Amount,
    /// Uptime.
    pub uptime: Uptime,
    /// Rewards by source ([`Source::index`]).
    pub sources: [SourceTally; 4],
    /// The double sign that tombstoned it.
    pub double_sign: Option<DoubleSign>,
    /// When it was created.
    pub created_at: Timestamp,
}

impl Validator {
    /// RAM value of `shares` of this pool, floored.
    pub fn value_of(&self, shares: u128) -> Result<Amount, MathError> {
        if self.shares == 0 {
            return Ok(Amount::ZERO);
        }
        mul_div_floor(shares, self.bonded.get(), self.shares).map(Amount::new)
    }

    /// Shares minted for `amount` RAM joining the pool (1:1 into an empty pool), floored.
    pub fn shares_for(&self, amount: Amount) -> Result<u128, MathError> {
        if self.shares == 0 || self.bonded.is_zero() {
            return Ok(amount.get());
        }
        mul_div_floor(amount.get(), self.shares, self.bonded.get())
    }
}

/// A pending bond that has not yet activated, as a delegator holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PendingBond {
    /// Epoch it activates at.
    pub epoch: Epoch,
    /// RAM.
    pub amount: Amount,
}

/// Shares redelegated in, still slashable by the validator they came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RedelegationLock {
    /// Lock id (monotone).
    pub id: u64,
    /// The source validator.
    pub from: Address,
    /// Destination shares.
    pub shares: u128,
    /// Height of the redelegation.
    pub created_height: Height,
    /// When the source can no longer reach it.
    pub matures_at: Timestamp,
}

/// A delegator's stake at one validator.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BaseDelegation {
    /// Free validator shares.
    pub shares: u128,
    /// Bonds waiting to activate.
    pub pending: Vec<PendingBond>,
    /// Shares redelegated in and still reachable by their source.
    pub locked: Vec<RedelegationLock>,
    /// When the delegation opened (the start of its yield window).
    pub since: Timestamp,
    /// Value per share at `since`, × [`INDEX_SCALE`] (the base of its yield).
    pub rate_at_since: U256,
    /// Per-source net indices at the last realization.
    pub net_index_at: [U256; 4],
    /// Per-source commission indices at the last realization.
    pub commission_index_at: [U256; 4],
    /// Net rewards per source realized since `since`.
    pub earned_net: [Amount; 4],
    /// Commission per source charged on them since `since`.
    pub earned_commission: [Amount; 4],
}

/// A pending bond bucket, then its activation.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Activation {
    /// RAM in the bucket.
    pub amount: Amount,
    /// Shares minted when it activated (`None` before).
    pub shares: Option<u128>,
    /// Per-source net indices when it activated.
    pub net_index: [U256; 4],
    /// Per-source commission indices when it activated.
    pub commission_index: [U256; 4],
}

/// An unbonding entry.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Unbonding {
    /// Who is paid.
    pub delegator: Address,
    /// The validator left.
    pub validator: Address,
    /// RAM at creation.
    pub amount: Amount,
    /// Height of creation.
    pub created_height: Height,
    /// When it can be claimed.
    pub completes_at: Timestamp,
}

/// Writes a validator, keeping the active-set index and the stake index in step with its status
/// and bonded stake: every write of a validator goes through here.
pub(crate) fn store_validator(state: &mut State, addr: Address, v: Validator) {
    let (old_power, was_active) = state.get::<Validators>(&addr).map_or((None, false), |old| {
        (power_key(addr, old), old.status == ValidatorStatus::Active)
    });
    let new_power = power_key(addr, &v);
    if old_power != new_power {
        if let Some(k) = old_power {
            state.delete::<ValidatorPower>(&k);
        }
        if let Some(k) = new_power {
            state.put::<ValidatorPower>(k, ());
        }
    }
    let is_active = v.status == ValidatorStatus::Active;
    if was_active && !is_active {
        state.delete::<ActiveSet>(&addr);
    } else if is_active && !was_active {
        state.put::<ActiveSet>(addr, ());
    }
    state.put::<Validators>(addr, v);
}

/// A validator's place in the stake index: pending or active with something bonded.
pub(crate) fn power_key(addr: Address, v: &Validator) -> Option<(u128, Address)> {
    let candidate = matches!(v.status, ValidatorStatus::Pending | ValidatorStatus::Active);
    (candidate && !v.bonded.is_zero()).then(|| (!v.bonded.get(), addr))
}

/// The validators of the active set, in address order: O(active set), whatever the number of
/// registered validators.
pub fn active_set(state: &State) -> Vec<Address> {
    state.iter::<ActiveSet>().map(|(a, ())| *a).collect()
}

/// The validator registered at `account`.
pub fn validator(state: &State, account: Address) -> Result<&Validator> {
    state
        .get::<Validators>(&account)
        .ok_or_else(|| Error::UnknownValidator(fmt_address(&account)))
}

/// Value per share of a pool, × [`INDEX_SCALE`] (1 for an empty pool).
pub fn rate(v: &Validator) -> U256 {
    if v.shares == 0 {
        return U256::from(INDEX_SCALE);
    }
    // bonded < 2^128 and INDEX_SCALE < 2^127: the product fits 256 bits.
    crate::num::wide_mul(v.bonded.get(), INDEX_SCALE)
        .checked_div(U256::from(v.shares))
        .unwrap_or(U256::from(INDEX_SCALE)) // shares ≠ 0 (checked above)
}

/// `floor(shares · index / INDEX_SCALE)`.
pub fn index_amount(shares: u128, index: U256) -> Result<Amount, MathError> {
    let v = crate::num::div_floor_u256(
        crate::num::checked_mul_u256(U256::from(shares), index)?,
        U256::from(INDEX_SCALE),
    )?;
    crate::num::to_u128(v).map(Amount::new)
}

/// `floor(amount · INDEX_SCALE / shares)`: an index increment.
pub fn index_step(amount: Amount, shares: u128) -> Result<U256, MathError> {
    crate::num::div_floor_u256(
        crate::num::wide_mul(amount.get(), INDEX_SCALE),
        U256::from(shares),
    )
}
