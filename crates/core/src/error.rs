//! Every way a transaction can fail, with typed context and a stable code.
//!
//! The code (`Error::code`) is API: the node, the CLI and the scenario runner's `expect_error`
//! match on it, so a code is never renamed or reused. Messages may improve freely.

use crate::ids::{Address, SetRef, SlashId, WithdrawalId, fmt_address};
use crate::num::{Amount, Bps, MathError, Shares, Wad};
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
    /// The state broke one of its own invariants while handling the transaction: a bug in the
    /// protocol, never a condition of the input. The transaction is rolled back.
    #[error("{0}")]
    Broken(#[from] Broken),

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
    /// A double-sign evidence signature does not recover to the operator's signing key.
    #[error("{which} is not a valid attestation by the operator's signing key: {reason}")]
    EvidenceBadSignature {
        /// `signature_a` or `signature_b`.
        which: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Both attestations sign the same digest: no conflict.
    #[error("both attestations sign {digest}: that is not a double sign")]
    EvidenceNotConflicting {
        /// The digest both sign.
        digest: alloy_primitives::B256,
    },
    /// The service declared no `double_sign_wad`: it has no objective double-sign rule.
    #[error("service {0} declared no double_sign_wad")]
    NoDoubleSignRule(String),
    /// This (operator, set, height) was punished already.
    #[error(
        "{operator} was already slashed for a double sign in {set} at height {height} (slash {slash})"
    )]
    EvidenceAlreadyUsed {
        /// The operator.
        operator: String,
        /// The set.
        set: String,
        /// The service height.
        height: u64,
        /// The slash that punished it.
        slash: SlashId,
    },

    // --- base layer ----------------------------------------------------------------------
    /// The consensus key is bound to another validator.
    #[error("consensus key {key} is bound to validator {validator}")]
    ConsensusKeyInUse {
        /// The key.
        key: alloy_primitives::B256,
        /// Its owner.
        validator: String,
    },
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
    // --- governance ---------------------------------------------------------------------
    /// No such proposal.
    #[error("unknown proposal {0}")]
    UnknownProposal(u64),
    /// The proposal is not in the period the action needs.
    #[error("cannot {action} on proposal {proposal}: it is {status}")]
    ProposalClosed {
        /// The proposal.
        proposal: u64,
        /// The action.
        action: &'static str,
        /// Its status.
        status: &'static str,
    },
    /// The voter has no bonded stake to vote with.
    #[error("{0} has no bonded stake to vote with (delegate to a validator first)")]
    NoVotingPower(String),
    /// The guardian already used its pause; only a proposal renews it.
    #[error("the guardian's pause is used: only a proposal can renew it")]
    GuardianPauseUsed,
    /// New deposits and allocations are paused by the guardian.
    #[error("{action} is paused until {until} (withdrawals, claims and slashing are not)")]
    DepositsPaused {
        /// The action refused.
        action: &'static str,
        /// The end of the pause.
        until: Timestamp,
    },
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
    /// The withdrawal's delay has passed, but a slash request made during it is still pending.
    #[error(
        "withdrawal {id} is held by a pending slash request until it is resolved (at the latest {until})"
    )]
    WithdrawalHeld {
        /// The withdrawal.
        id: WithdrawalId,
        /// When the holding requests expire at the latest.
        until: Timestamp,
    },

    // --- liquid restaking vaults ----------------------------------------------------------
    /// No vault issues this LRT.
    #[error("no vault issues `{0}`")]
    UnknownVault(String),
    /// The vault's assets are worth nothing (fully slashed): no LRT can be priced.
    #[error("vault `{0}` has no value left: its LRT cannot be priced")]
    VaultWithoutValue(String),
    /// The deposit would take the vault's value above its cap.
    #[error("deposit cap {cap} exceeded: the vault would hold {total_after}")]
    VaultDepositCap {
        /// The cap.
        cap: Amount,
        /// The vault's value after the deposit.
        total_after: Amount,
    },
    /// The vault's free buffer cannot pay an instant exit.
    #[error("the vault's buffer has {available} available, the exit needs {required}")]
    VaultBufferInsufficient {
        /// What the buffer can pay now (zero while due queue requests wait).
        available: Amount,
        /// What the exit needs.
        required: Amount,
    },
    /// An allocation would leave less idle than the vault's buffer target.
    #[error("allocation would leave {left} idle, below the buffer target {target}")]
    VaultBufferBelowTarget {
        /// Idle assets left after the allocation.
        left: Amount,
        /// The buffer target.
        target: Amount,
    },
    /// An allocation breaks the vault's published policy.
    #[error("vault policy violated: {0}")]
    VaultPolicyViolated(String),
    /// A fee above its hard cap.
    #[error("{fee} fee of {bps} is above its cap {cap}")]
    VaultFeeAboveCap {
        /// The fee.
        fee: &'static str,
        /// Requested.
        bps: Bps,
        /// The cap.
        cap: Bps,
    },
    /// A fee rise beyond max(25 % relative, 10 bps absolute).
    #[error("{fee} fee may rise from {from} to at most {max}, not {requested}")]
    VaultFeeRiseTooLarge {
        /// The fee.
        fee: &'static str,
        /// The fee it rises from.
        from: Bps,
        /// The largest allowed value.
        max: Bps,
        /// Requested.
        requested: Bps,
    },
    /// A second rise of the same fee within one epoch.
    #[error("{fee} fee already rose in epoch {epoch}")]
    VaultFeeRiseTooEarly {
        /// The fee.
        fee: &'static str,
        /// The epoch of the last rise.
        epoch: crate::time::Epoch,
    },
    /// No such vault withdrawal request.
    #[error("unknown vault withdrawal request {0}")]
    UnknownVaultRequest(u64),
    /// The request's queue time has not passed.
    #[error("vault request {id} can be claimed from {claimable_at}")]
    VaultRequestNotReady {
        /// The request.
        id: u64,
        /// When it may be claimed.
        claimable_at: Timestamp,
    },
    /// The request is due but the vault has not been able to fund it yet (FIFO, liquidity).
    #[error(
        "vault request {id} is due but not funded yet: {ahead} earlier requests, {available} free"
    )]
    VaultRequestNotFunded {
        /// The request.
        id: u64,
        /// Requests ahead of it in the queue.
        ahead: u64,
        /// Free idle assets of the vault.
        available: Amount,
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
            Self::Broken(_) => "invariant_broken",
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
            Self::EvidenceBadSignature { .. } => "evidence_bad_signature",
            Self::EvidenceNotConflicting { .. } => "evidence_not_conflicting",
            Self::NoDoubleSignRule(_) => "no_double_sign_rule",
            Self::EvidenceAlreadyUsed { .. } => "evidence_already_used",
            Self::ConsensusKeyInUse { .. } => "consensus_key_in_use",
            Self::UnknownValidator(_) => "unknown_validator",
            Self::ValidatorExists(_) => "validator_exists",
            Self::ValidatorUnavailable { .. } => "validator_unavailable",
            Self::CommissionChange(_) => "commission_change_refused",
            Self::NoProposer => "no_proposer",
            Self::UnknownProposal(_) => "unknown_proposal",
            Self::ProposalClosed { .. } => "proposal_closed",
            Self::NoVotingPower(_) => "no_voting_power",
            Self::GuardianPauseUsed => "guardian_pause_used",
            Self::DepositsPaused { .. } => "deposits_paused",
            Self::RedemptionNotReady { .. } => "redemption_not_ready",
            Self::NothingToClaim { .. } => "nothing_to_claim",
            Self::RedemptionNotFunded { .. } => "redemption_not_funded",
            Self::UnknownWithdrawal(_) => "unknown_withdrawal",
            Self::UnknownRedemption(_) => "unknown_redemption",
            Self::WithdrawalNotReady { .. } => "withdrawal_not_ready",
            Self::WithdrawalHeld { .. } => "withdrawal_held",
            Self::UnknownVault(_) => "unknown_vault",
            Self::VaultWithoutValue(_) => "vault_without_value",
            Self::VaultDepositCap { .. } => "vault_deposit_cap",
            Self::VaultBufferInsufficient { .. } => "vault_buffer_insufficient",
            Self::VaultBufferBelowTarget { .. } => "vault_buffer_below_target",
            Self::VaultPolicyViolated(_) => "vault_policy_violated",
            Self::VaultFeeAboveCap { .. } => "vault_fee_above_cap",
            Self::VaultFeeRiseTooLarge { .. } => "vault_fee_rise_too_large",
            Self::VaultFeeRiseTooEarly { .. } => "vault_fee_rise_too_early",
            Self::UnknownVaultRequest(_) => "unknown_vault_request",
            Self::VaultRequestNotReady { .. } => "vault_request_not_ready",
            Self::VaultRequestNotFunded { .. } => "vault_request_not_funded",
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

/// What a block hook (epoch work, timers, distributions, vault and LST batches) can report: only
/// that the state broke one of its own invariants. A block hook never fails on a user condition
/// (PROTOCOL.md §12.8), so there is deliberately no conversion from [`Error`]: a hook that calls
/// a user-facing function must decide, at the call site, what a failure there means — skip the
/// item, take an internal path that cannot fail on user input, or state that a failure is a bug
/// with [`OrBroken::or_broken`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invariant broken: {0}")]
pub struct Broken(pub String);

impl Broken {
    /// A broken invariant described by `what`.
    pub fn new(what: impl Into<String>) -> Self {
        Self(what.into())
    }
}

/// Arithmetic inside a block hook works on protocol-bounded values: an overflow there is a bug.
impl From<MathError> for Broken {
    fn from(e: MathError) -> Self {
        Self(format!("arithmetic: {e}"))
    }
}

/// Result of a block hook.
pub type HookResult<T = ()> = std::result::Result<T, Broken>;

/// States, at a call site inside a block hook, that a failure of a user-facing helper there can
/// only be a bug (the hook has already excluded every user condition).
pub trait OrBroken<T> {
    /// The value, or a [`Broken`] naming `what` was being done.
    fn or_broken(self, what: &str) -> HookResult<T>;
}

impl<T> OrBroken<T> for Result<T> {
    fn or_broken(self, what: &str) -> HookResult<T> {
        self.map_err(|e| match e {
            Error::Broken(b) => b,
            other => Broken(format!("{what}: {other}")),
        })
    }
}

impl<T> OrBroken<T> for Option<T> {
    fn or_broken(self, what: &str) -> HookResult<T> {
        self.ok_or_else(|| Broken(format!("{what}: missing")))
    }
}

/// A block that cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The header does not follow the last block (height or time go back): the caller's input
    /// is wrong, the state is untouched.
    #[error("bad block header: {0}")]
    BadHeader(String),
    /// A block hook found the state broken; every write of the block was undone.
    #[error("{0}")]
    Broken(#[from] Broken),
}

impl From<BlockError> for Error {
    fn from(e: BlockError) -> Self {
        match e {
            BlockError::BadHeader(reason) => Error::InvalidInput {
                field: "header",
                reason,
            },
            BlockError::Broken(b) => Error::Broken(b),
        }
    }
}
