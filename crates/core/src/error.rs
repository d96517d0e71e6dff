//! Every way a transaction can fail, with typed context and a stable code.
//!
//! The code (`Error::code`) is API: the node, the CLI and the scenario runner's `expect_error`
//! match on it, so a code is never renamed or reused. Messages may improve freely.

use crate::ids::{Address, SetRef, SlashId, WithdrawalId, fmt_address};
use crate::num::{Amount, MathError, Shares, Wad};
use crate::time::Timestamp;

/// A failed transaction, query or genesis. One enum for the whole core, grouped by domain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // --- envelope and authority ---------------------------------------------------------
    /// The signer may not perform this action.
    #[error("{signer} may not {action}: only {required} may")]
    Unauthorized {
        /// The action attempted.
        action: &'static str,
        /// Who signed.
        signer: String,
        /// Who may sign.
        required: String,
    },
    /// The transaction's nonce is not the account's next nonce.
    #[error("bad nonce for {account}: expected {expected}, got {got}")]
    BadNonce {
        /// The signer.
        account: String,
        /// The account's next nonce.
        expected: u64,
        /// The nonce in the transaction.
        got: u64,
    },
    /// The fee does not cover the action's base fee.
    #[error("fee {offered} is below the base fee {required} for {action}")]
    FeeTooLow {
        /// The action.
        action: &'static str,
        /// The fee offered.
        offered: Amount,
        /// The base fee of the action.
        required: Amount,
    },
    /// A value was invalid for the action.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A user-growable collection reached its limit (PROTOCOL.md §13).
    #[error("limit reached: {limit} is {max}")]
    LimitExceeded {
        /// The parameter that bounds it.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// Arithmetic overflowed: amounts too large for the protocol's 128-bit accounting.
    #[error("arithmetic error: {0}")]
    Math(#[from] MathError),

    // --- bank ---------------------------------------------------------------------------
    /// No asset with this symbol or id.
    #[error("unknown asset `{0}`")]
    UnknownAsset(String),
    /// The symbol is taken.
    #[error("asset `{0}` already exists")]
    AssetExists(String),
    /// Not enough tokens.
    #[error("{account} holds {available} {asset}, needs {required}")]
    InsufficientBalance {
        /// The account.
        account: String,
        /// The asset symbol.
        asset: String,
        /// Its balance.
        available: Amount,
        /// What the action needs.
        required: Amount,
    },
    /// The asset has no issuer that could mint or burn it.
    #[error("asset `{0}` cannot be minted or burned by an account")]
    NotIssuable(String),

    // --- strategies and deposits --------------------------------------------------------
    /// The asset has no restaking strategy.
    #[error("no strategy for `{0}`")]
    UnknownStrategy(String),
    /// Not enough deposit shares.
    #[error("{account} has {available} shares, needs {required}")]
    InsufficientShares {
        /// The account.
        account: String,
        /// Shares held.
        available: Shares,
        /// Shares requested.
        required: Shares,
    },
    /// The amount is so small it would mint or move nothing.
    #[error("amount {0} is too small: it would mint zero shares")]
    ZeroShares(Amount),
    /// Fewer shares than the signer's `min_shares_out`.
    #[error("slippage: would receive {received}, minimum was {minimum}")]
    Slippage {
        /// What the action would give.
        received: u128,
        /// The signer's bound.
        minimum: u128,
    },

    // --- operators, services, sets ------------------------------------------------------
    /// The account is not a registered operator.
    #[error("{0} is not an operator")]
    UnknownOperator(String),
    /// Already registered as an operator.
    #[error("{0} is already an operator")]
    OperatorExists(String),
    /// The account is not a registered service.
    #[error("{0} is not a service")]
    UnknownService(String),
    /// Already registered as a service.
    #[error("{0} is already a service")]
    ServiceExists(String),
    /// No such operator set.
    #[error("unknown operator set {0}")]
    UnknownSet(String),
    /// The set id is taken.
    #[error("operator set {0} already exists")]
    SetExists(String),
    /// The strategy is not part of the set.
    #[error("strategy `{strategy}` is not in set {set}")]
    StrategyNotInSet {
        /// The set.
        set: String,
        /// The strategy.
        strategy: String,
    },
    /// The service requires its approval before the operator can join.
    #[error("{operator} needs the approval of {set}'s service to join")]
    ApprovalRequired {
        /// The operator.
        operator: String,
        /// The set.
        set: String,
    },
    /// Already a member of the set.
    #[error("{operator} is already registered in {set}")]
    AlreadyRegistered {
        /// The operator.
        operator: String,
        /// The set.
        set: String,
    },
    /// Not a member of the set.
    #[error("{operator} is not registered in {set}")]
    NotRegistered {
        /// The operator.
        operator: String,
        /// The set.
        set: String,
    },
    /// An allocation would break the operator's published risk commitments.
    #[error("allocation breaks {operator}'s commitment: {rule}")]
    CommitmentViolated {
        /// The operator.
        operator: String,
        /// Which commitment.
        rule: String,
    },

    // --- delegation, allocation ---------------------------------------------------------
    /// The operator's magnitude for the strategy is exhausted (fully slashed).
    #[error("{operator} has been fully slashed in `{strategy}`: nothing can be delegated")]
    FullySlashed {
        /// The operator.
        operator: String,
        /// The strategy.
        strategy: String,
    },
    /// No position with this operator and strategy.
    #[error("{staker} has no position with {operator} in `{strategy}`")]
    NoPosition {
        /// The staker.
        staker: String,
        /// The operator.
        operator: String,
        /// The strategy.
        strategy: String,
    },
    /// A change to this allocation is already pending.
    #[error("an allocation change for {set} is pending until {effect_at}")]
    AllocationPending {
        /// The set.
        set: String,
        /// When the pending change takes effect.
        effect_at: Timestamp,
    },
    /// The new allocations would exceed the operator's magnitude.
    #[error("not enough free magnitude: {available} free, {requested} more requested")]
    InsufficientMagnitude {
        /// Free magnitude.
        available: Wad,
        /// Extra magnitude requested.
        requested: Wad,
    },
    /// Part of the position arrived by redelegation and is still slashable by its old operator.
    #[error("{shares} shares were redelegated and stay locked until {matures_at}")]
    RedelegationPending {
        /// The locked shares.
        shares: Shares,
        /// When they are free.
        matures_at: Timestamp,
    },

    // --- slashing -----------------------------------------------------------------------
    /// The operator cannot be slashed by this set now.
    #[error("{operator} is not slashable by {set}")]
    NotSlashable {
        /// The operator.
        operator: String,
        /// The set.
        set: String,
    },
    /// The slash fraction is above the service's per-event cap.
    #[error("slash of {requested} exceeds the per-event cap {cap}")]
    SlashExceedsCap {
        /// The fraction requested.
        requested: Wad,
        /// The cap fixed at service creation.
        cap: Wad,
    },
    /// No such slash request.
    #[error("unknown slash request {0}")]
    UnknownSlash(SlashId),
    /// The slash request is not pending.
    #[error("slash request {id} is {status}, not pending")]
    SlashNotPending {
        /// The request.
        id: SlashId,
        /// Its status.
        status: &'static str,
    },
    /// The veto window has ended.
    #[error("the veto window of slash request {id} closed at {closed_at}")]
    VetoWindowClosed {
        /// The request.
        id: SlashId,
        /// When it closed.
        closed_at: Timestamp,
    },
    /// The veto window is still open.
    #[error("slash request {id} can be executed from {executable_at}")]
    VetoWindowOpen {
        /// The request.
        id: SlashId,
        /// When it becomes executable.
        executable_at: Timestamp,
    },
    /// The evidence does not prove a fault.
    #[error("invalid evidence: {0}")]
    InvalidEvidence(String),

    // --- base layer ----------------------------------------------------------------------
    /// No such validator.
    #[error("{0} is not a validator")]
    UnknownValidator(String),
    /// Already a validator.
    #[error("{0} is already a validator")]
    ValidatorExists(String),
    /// The validator is tombstoned or jailed for this action.
    #[error("validator {validator} is {status}")]
    ValidatorUnavailable {
        /// The validator.
        validator: String,
        /// Its status.
        status: &'static str,
    },
    /// A commission change breaks the rate limits.
    #[error("commission change refused: {0}")]
    CommissionChange(String),
    /// The block has no proposer to pay.
    #[error("this block has no proposer")]
    NoProposer,
    /// A claim found nothing claimable yet.
    #[error("{account} has nothing to claim: {what}")]
    NothingToClaim {
        /// The claimant.
        account: String,
        /// What was looked for.
        what: &'static str,
    },
    /// The redemption's unbonding has not completed.
    #[error(
        "redemption {id} is not claimable yet ({})",
        match claimable_at {
            Some(t) => format!("claimable from {}", t.get()),
            None => "its batch closes at the next epoch boundary".to_owned(),
        }
    )]
    RedemptionNotReady {
        /// The redemption.
        id: u64,
        /// When it becomes claimable, once known.
        claimable_at: Option<Timestamp>,
    },
    /// The pool's buffer cannot pay the redemption yet.
    #[error("redemption {id} needs {required} RAM, the pool's buffer has {available}")]
    RedemptionNotFunded {
        /// The redemption.
        id: u64,
        /// Buffer.
        available: Amount,
        /// Payout.
        required: Amount,
    },

    // --- withdrawals --------------------------------------------------------------------
    /// No such (unclaimed) LST redemption.
    #[error("unknown redemption {0}: never requested or already claimed")]
    UnknownRedemption(u64),
    /// No such withdrawal.
    #[error("unknown withdrawal {0}")]
    UnknownWithdrawal(WithdrawalId),
    /// The withdrawal's delay has not passed.
    #[error("withdrawal {id} can be completed from {completable_at}")]
    WithdrawalNotReady {
        /// The withdrawal.
        id: WithdrawalId,
        /// When it becomes completable.
        completable_at: Timestamp,
    },
}

impl Error {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "unauthorized",
            Self::BadNonce { .. } => "bad_nonce",
            Self::FeeTooLow { .. } => "fee_too_low",
            Self::InvalidInput { .. } => "invalid_input",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::Math(MathError::DivisionByZero) => "division_by_zero",
            Self::Math(_) => "arithmetic_overflow",
            Self::UnknownAsset(_) => "unknown_asset",
            Self::AssetExists(_) => "asset_exists",
            Self::InsufficientBalance { .. } => "insufficient_balance",
            Self::NotIssuable(_) => "not_issuable",
            Self::UnknownStrategy(_) => "unknown_strategy",
            Self::InsufficientShares { .. } => "insufficient_shares",
            Self::ZeroShares(_) => "zero_shares",
            Self::Slippage { .. } => "slippage",
            Self::UnknownOperator(_) => "unknown_operator",
            Self::OperatorExists(_) => "operator_exists",
            Self::UnknownService(_) => "unknown_service",
            Self::ServiceExists(_) => "service_exists",
            Self::UnknownSet(_) => "unknown_set",
            Self::SetExists(_) => "set_exists",
            Self::StrategyNotInSet { .. } => "strategy_not_in_set",
            Self::ApprovalRequired { .. } => "approval_required",
            Self::AlreadyRegistered { .. } => "already_registered",
            Self::NotRegistered { .. } => "not_registered",
            Self::CommitmentViolated { .. } => "commitment_violated",
            Self::FullySlashed { .. } => "fully_slashed",
            Self::NoPosition { .. } => "no_position",
            Self::AllocationPending { .. } => "allocation_pending",
            Self::InsufficientMagnitude { .. } => "insufficient_magnitude",
            Self::RedelegationPending { .. } => "redelegation_pending",
            Self::NotSlashable { .. } => "not_slashable",
            Self::SlashExceedsCap { .. } => "slash_exceeds_cap",
            Self::UnknownSlash(_) => "unknown_slash",
            Self::SlashNotPending { .. } => "slash_not_pending",
            Self::VetoWindowClosed { .. } => "veto_window_closed",
            Self::VetoWindowOpen { .. } => "veto_window_open",
            Self::InvalidEvidence(_) => "invalid_evidence",
            Self::UnknownValidator(_) => "unknown_validator",
            Self::ValidatorExists(_) => "validator_exists",
            Self::ValidatorUnavailable { .. } => "validator_unavailable",
            Self::CommissionChange(_) => "commission_change_refused",
            Self::NoProposer => "no_proposer",
            Self::RedemptionNotReady { .. } => "redemption_not_ready",
            Self::NothingToClaim { .. } => "nothing_to_claim",
            Self::RedemptionNotFunded { .. } => "redemption_not_funded",
            Self::UnknownWithdrawal(_) => "unknown_withdrawal",
            Self::UnknownRedemption(_) => "unknown_redemption",
            Self::WithdrawalNotReady { .. } => "withdrawal_not_ready",
        }
    }

    /// An `Unauthorized` error for `signer`.
    pub fn unauthorized(
        action: &'static str,
        signer: &Address,
        required: impl Into<String>,
    ) -> Self {
        Self::Unauthorized {
            action,
            signer: fmt_address(signer),
            required: required.into(),
        }
    }

    /// An `InvalidInput` error.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// A `NotSlashable` error.
    pub fn not_slashable(operator: &Address, set: &SetRef) -> Self {
        Self::NotSlashable {
            operator: fmt_address(operator),
            set: set.to_string(),
        }
    }
}

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
