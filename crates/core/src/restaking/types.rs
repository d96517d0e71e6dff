//! The restaking domain's stored values.

use crate::ids::{Address, AssetId, SetRef};
use crate::num::{Amount, Bps, Shares, Wad};
use crate::time::{Duration, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

pub use crate::kinds::Destination;

/// A strategy: the pool of one restakable asset, priced by shares (§6.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Strategy {
    /// Every share in existence: undelegated deposits, delegated stake, queued withdrawals and
    /// rounding dust that belongs to nobody.
    pub total_shares: Shares,
    /// Tokens the strategy accounts for. Its module account may hold more (donations); those are
    /// surplus and never move the share price.
    pub tokens: Amount,
}

/// Per (operator, strategy): the operator's magnitude and how much of it is allocated (§6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Magnitude {
    /// Starts at `WAD`, only ever decreases (by slashes).
    pub max_magnitude: Wad,
    /// Σ current allocations + pending increases; never above `max_magnitude`.
    pub encumbered: Wad,
}

impl Default for Magnitude {
    fn default() -> Self {
        Self {
            max_magnitude: Wad::ONE,
            encumbered: Wad::ZERO,
        }
    }
}

/// The direct term of (operator, term strategy): the aggregates that make slashing O(1).
///
/// Delegated stake is stored *scaled*: `scaled = real_shares · WAD / max_magnitude` at the time it
/// arrived, so its real value now is `scaled · max_magnitude / WAD`. A slash lowers
/// `max_magnitude` and every delegator's value falls in proportion, with no per-delegator write.
/// A term strategy is a restakable strategy, or for native restaking one validator's native
/// stake ([`super::native_term`]); its magnitude is the strategy's ([`super::magnitude_key`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Term {
    /// Σ scaled shares held by positions (direct part).
    pub position_scaled: u128,
    /// Σ scaled shares of queued withdrawals still in their delay.
    pub queued_scaled: u128,
    /// Real shares this term holds: at least `floor((position_scaled + queued_scaled) ·
    /// max_magnitude / WAD)`, the excess being rounding dust that the next slash takes.
    pub shares: Shares,
}

impl Term {
    /// Scaled shares exposed to this operator's slashes.
    pub fn exposed_scaled(&self) -> Result<u128, crate::num::MathError> {
        self.position_scaled
            .checked_add(self.queued_scaled)
            .ok_or(crate::num::MathError::Overflow)
    }
}

/// The bridge term of (old operator, strategy, new operator): redelegated stake both can slash.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Bridge {
    /// Σ doubly scaled shares of the tranches in it.
    pub scaled: u128,
    /// Real strategy shares it holds (at least `floor(scaled · m_from · m_to / WAD²)`).
    pub shares: Shares,
}

/// A delegation position (staker, operator, strategy), §6.4.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Position {
    /// Deposit shares delegated here directly (the unit `queue_withdrawal` and `redelegate`
    /// take), not counting tranches.
    pub shares: Shares,
    /// Scaled shares of the direct part (see [`Term`]).
    pub scaled: u128,
    /// Stake redelegated here that its old operator can still slash.
    pub tranches: Vec<Tranche>,
    /// Of `scaled`, the part that joined in `pending_epoch` and earns only from the next epoch.
    pub pending_scaled: u128,
    /// The epoch `pending_scaled` joined in.
    pub pending_epoch: crate::time::Epoch,
    /// Restaking rewards per reward asset.
    pub rewards: Vec<super::ledger::PositionReward>,
    /// When the position opened.
    pub since: Timestamp,
    /// For a native term: the validator's per-source net, then commission, reward indices when
    /// the position opened (its base-layer yield is measured from them).
    pub base_index_at_since: Vec<alloy_primitives::U256>,
}

/// Stake redelegated into a position, still slashable by the operator it left (§6.7).
///
/// Its value follows both operators' magnitudes: `scaled · m_from · m_to / WAD²`. At
/// `matures_at` it joins the position's direct part as `scaled · m_from(matures_at) / WAD`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Tranche {
    /// The operator it left.
    pub from: Address,
    /// Deposit shares moved.
    pub shares: Shares,
    /// Doubly scaled shares.
    pub scaled: u128,
    /// When the old operator's window ends.
    pub matures_at: Timestamp,
    /// The epoch it was created in (it earns on its bridge from the next).
    pub epoch: crate::time::Epoch,
    /// Whether its bridge activation has been credited.
    pub activated: bool,
    /// Its rewards on the bridge, per asset.
    pub rewards: Vec<super::ledger::PositionReward>,
}

/// A part of a bridge that leaves the old operator's reach at one time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BridgeChunk {
    /// Doubly scaled shares.
    pub scaled: u128,
    /// The latest epoch a tranche in it was created in.
    pub epoch: crate::time::Epoch,
}

/// A queued withdrawal (§6.7).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Withdrawal {
    /// Who queued it and is paid.
    pub staker: Address,
    /// The operator it left; `None` for undelegated deposit shares (never slashable).
    pub operator: Option<Address>,
    /// The strategy.
    pub strategy: AssetId,
    /// Deposit shares withdrawn.
    pub shares: Shares,
    /// Scaled shares (real shares when `operator` is `None`).
    pub scaled: u128,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// When it can be completed; slashes before this time reach it.
    pub completable_at: Timestamp,
}

/// An operator's published, binding risk commitments (§6.2).
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Commitments {
    /// Services it may allocate to (`None`: any).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
    pub allowed_services: Option<Vec<Address>>,
    /// Largest fraction of its magnitude allocated in total, per strategy (`None`: up to 1).
    #[serde(default)]
    pub max_total_wad: Option<Wad>,
    /// Largest fraction of its magnitude allocated to one set, per strategy (`None`: up to 1).
    #[serde(default)]
    pub max_per_set_wad: Option<Wad>,
}

/// A registered operator.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Operator {
    /// Where its metadata lives.
    pub metadata_uri: String,
    /// Delay before an allocation increase becomes slashable (and earns).
    pub allocation_delay: Duration,
    /// Commission on service rewards unless set per service.
    pub default_commission: Bps,
    /// Key whose conflicting signatures prove a double sign.
    pub signing_key: Address,
    /// Commitments in force.
    pub commitments: Commitments,
    /// Looser commitments waiting for `config_delay_s`.
    pub pending_commitments: Option<(Commitments, Timestamp)>,
    /// When it registered.
    pub registered_at: Timestamp,
}

/// A slasher/resolver change waiting for `config_delay_s`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PendingSlasher {
    /// The new slasher.
    pub slasher: Address,
    /// The new resolver.
    pub resolver: Option<Address>,
    /// When it takes over.
    pub effect_at: Timestamp,
}

/// A registered service (§6.3).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Service {
    /// Where its metadata lives.
    pub metadata_uri: String,
    /// Who may slash.
    pub slasher: Address,
    /// Who may veto slashes; without one, slashes are instant.
    pub resolver: Option<Address>,
    /// How long a slash request can be vetoed.
    pub veto_window: Duration,
    /// Largest fraction of an allocation one event may take (fixed at creation).
    pub max_slash_per_event: Wad,
    /// Where slashed funds go (fixed at creation).
    pub destination: Destination,
    /// How long executed slashes stay in escrow.
    pub resolution_delay: Duration,
    /// Fraction slashed by objective double-sign evidence (`None`: no objective faults).
    pub double_sign_wad: Option<Wad>,
    /// A slasher/resolver change in waiting.
    pub pending_slasher: Option<PendingSlasher>,
    /// Operator sets created.
    pub sets: u32,
    /// When it registered.
    pub registered_at: Timestamp,
}

/// Whether operators need the service's approval to join a set.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    /// Any operator may join.
    #[default]
    Open,
    /// Only operators the service approved.
    Approval,
}

/// An operator set.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct OperatorSet {
    /// Strategies whose stake the set can slash, in the order given.
    pub strategies: Vec<AssetId>,
    /// Admission rule.
    pub admission: Admission,
    /// Operators registered now.
    pub members: u32,
}

/// An operator's membership in a set.
///
/// ```text
/// Registered --deregister--> Deregistered{slashable_until} --register--> Registered
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Membership {
    /// A member: slashable by the set.
    Registered,
    /// Left; still slashable until the deallocation delay passes.
    Deregistered {
        /// End of slashability.
        slashable_until: Timestamp,
    },
}

impl Membership {
    /// Whether the set can slash the operator at `now`.
    pub fn slashable_at(self, now: Timestamp) -> bool {
        match self {
            Self::Registered => true,
            Self::Deregistered { slashable_until } => now < slashable_until,
        }
    }
}

/// An allocation of magnitude to a set for one strategy (§6.5).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Allocation {
    /// Slashable magnitude now.
    pub current: Wad,
    /// A change in waiting.
    pub pending: Option<PendingAllocation>,
}

/// A pending allocation change: `current` becomes `target` at `effect_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PendingAllocation {
    /// The magnitude after the change.
    pub target: Wad,
    /// When it takes effect.
    pub effect_at: Timestamp,
}

impl Allocation {
    /// Magnitude reserved against `max_magnitude`: current plus any pending increase.
    pub fn encumbered(&self) -> Wad {
        match self.pending {
            Some(p) if p.target > self.current => p.target,
            _ => self.current,
        }
    }
}

/// Lifecycle of a slash request.
///
/// ```text
/// Pending --veto (resolver, within the window)--> Vetoed
/// Pending --execute (anyone, after the window)--> Executed
/// (no resolver) ------------------------------> Executed
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlashStatus {
    /// Waiting for the veto window to end.
    Pending,
    /// Vetoed by the resolver.
    Vetoed,
    /// Applied.
    Executed,
    /// Not executed before its execution window closed.
    Expired,
}

impl SlashStatus {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Vetoed => "vetoed",
            Self::Executed => "executed",
            Self::Expired => "expired",
        }
    }
}

/// A slash request and, once executed, what it took.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SlashRequest {
    /// The slashing service.
    pub service: Address,
    /// The slashed operator.
    pub operator: Address,
    /// The set whose allocation is slashed.
    pub set: SetRef,
    /// Strategies slashed.
    pub strategies: Vec<AssetId>,
    /// Fraction of the allocation to slash.
    pub wad: Wad,
    /// The service's stated reason.
    pub evidence: String,
    /// When it was requested.
    pub requested_at: Timestamp,
    /// When it can be executed.
    pub executable_at: Timestamp,
    /// Status.
    pub status: SlashStatus,
    /// Per strategy: magnitude removed, shares and tokens taken (filled on execution).
    pub outcome: Vec<SlashOutcome>,
}

/// What one executed slash took from one strategy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlashOutcome {
    /// The strategy.
    pub strategy: AssetId,
    /// Magnitude removed from the allocation and from `max_magnitude`.
    pub magnitude: Wad,
    /// Strategy shares removed.
    pub shares: Shares,
    /// Tokens moved to escrow.
    pub amount: Amount,
}

/// Slashed tokens waiting for the resolution delay.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Escrow {
    /// The slash that produced it.
    pub slash: crate::ids::SlashId,
    /// The asset.
    pub asset: AssetId,
    /// The amount.
    pub amount: Amount,
    /// When it is released.
    pub release_at: Timestamp,
    /// Where it goes.
    pub destination: Destination,
}
