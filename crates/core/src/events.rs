//! Events: what a transaction or a block did, for receipts, the event stream and accounting.
//!
//! Every change of supply, every fee and every slash emits one, so off-chain accounting (fee
//! stacks, slash history) never has to diff state.

mod view;

pub use view::render;

use crate::ids::{Address, AssetId, EscrowId, SetRef, SlashId, WithdrawalId};
use crate::kinds::{Destination, Risk, Status, VoteOption};
use crate::num::{Amount, Shares, Wad};
use crate::time::Timestamp;
use serde::Serialize;

/// Something that happened in a transaction or at a block boundary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Event {
    AssetRegistered {
        asset: AssetId,
        symbol: String,
    },
    ParamsChanged,
    // --- governance ---
    ProposalSubmitted {
        proposal: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        proposer: Address,
        deposit: Amount,
        risk: Risk,
    },
    ProposalDeposited {
        proposal: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        depositor: Address,
        amount: Amount,
    },
    VotingStarted {
        proposal: u64,
        ends_at: Timestamp,
    },
    Voted {
        proposal: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        voter: Address,
        option: VoteOption,
    },
    ProposalPassed {
        proposal: u64,
        risk: Risk,
        effect_at: Timestamp,
    },
    ProposalEnded {
        proposal: u64,
        status: Status,
    },
    ProposalApplied {
        proposal: u64,
    },
    ProposalFailed {
        proposal: u64,
        code: &'static str,
        reason: String,
    },
    DepositsPaused {
        until: Timestamp,
    },
    Minted {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        asset: AssetId,
        amount: Amount,
    },
    Burned {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from: Address,
        asset: AssetId,
        amount: Amount,
    },
    Transferred {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        asset: AssetId,
        amount: Amount,
    },
    FeePaid {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        payer: Address,
        fee: Amount,
        priority_tip: Amount,
    },
    Deposited {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
        strategy: AssetId,
        amount: Amount,
        shares: Shares,
    },
    Delegated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        strategy: AssetId,
        shares: Shares,
    },
    OperatorRegistered {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
    },
    CommitmentsChanged {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        effect_at: Timestamp,
    },
    ServiceRegistered {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        service: Address,
    },
    SlasherChanged {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        service: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        slasher: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        resolver: Option<Address>,
        effect_at: Timestamp,
    },
    OperatorSetCreated {
        set: SetRef,
    },
    SecurityProfileSet {
        set: SetRef,
        profit: Amount,
        threshold: String,
    },
    OperatorApproved {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
    },
    RegisteredForSet {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
    },
    DeregisteredFromSet {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
        slashable_until: Timestamp,
    },
    AllocationQueued {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
        strategy: AssetId,
        magnitude: Wad,
        effect_at: Timestamp,
    },
    AllocationApplied {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
        strategy: AssetId,
        magnitude: Wad,
    },
    WithdrawalQueued {
        id: WithdrawalId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        operator: Option<Address>,
        strategy: AssetId,
        shares: Shares,
        completable_at: Timestamp,
    },
    WithdrawalCompleted {
        id: WithdrawalId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
        shares: Shares,
        amount: Option<Amount>,
    },
    Redelegated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        strategy: AssetId,
        shares: Shares,
        slashable_by_old_until: Timestamp,
    },
    SlashRequested {
        id: SlashId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
        wad: Wad,
        executable_at: Timestamp,
    },
    SlashVetoed {
        id: SlashId,
    },
    SlashExpired {
        id: SlashId,
    },
    VaultEpochSkipped {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        code: &'static str,
        reason: String,
    },
    WithdrawalsHeld {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        strategy: AssetId,
        until: Timestamp,
    },
    Slashed {
        id: SlashId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
        strategy: AssetId,
        magnitude: Wad,
        shares: Shares,
        amount: Amount,
        escrow: Option<EscrowId>,
    },
    /// Double-sign evidence was verified; slash `id` executed at once.
    DoubleSignProven {
        id: SlashId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
        height: u64,
        wad: Wad,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        submitter: Address,
    },
    /// An operator replaced its signing key; the old one stays accountable until
    /// `old_accountable_until` (strictly before).
    SigningKeyChanged {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        old: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        new: Address,
        old_accountable_until: Timestamp,
    },
    /// A validator bound a consensus key (it reaches consensus at the next committee).
    ConsensusKeySet {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = alloy_primitives::String))]
        key: alloy_primitives::B256,
    },
    /// Consensus evidence convicted a validator of equivocating.
    ConsensusEquivocation {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        epoch: u64,
        view: u64,
    },
    /// The submitter of double-sign evidence was paid its share of an escrow.
    EvidenceRewarded {
        id: SlashId,
        escrow: EscrowId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        submitter: Address,
        asset: AssetId,
        amount: Amount,
    },
    EscrowReleased {
        id: EscrowId,
        asset: AssetId,
        amount: Amount,
        destination: Destination,
    },
    ValidatorCreated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        commission: crate::num::Bps,
        self_bond: Amount,
    },
    CommissionScheduled {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        commission: crate::num::Bps,
        from_epoch: crate::time::Epoch,
    },
    ValidatorUnjailed {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
    },
    ValidatorStatusChanged {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        status: &'static str,
    },
    BaseDelegated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        delegator: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        amount: Amount,
        active_from: crate::time::Epoch,
    },
    BaseUndelegated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        delegator: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        amount: Amount,
        completes_at: Timestamp,
        id: u64,
    },
    BaseRedelegated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        delegator: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        amount: Amount,
        slashable_by_source_until: Timestamp,
    },
    UnbondedClaimed {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        delegator: Address,
        amount: Amount,
    },
    BaseSlashed {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        fault: &'static str,
        pool: Amount,
        unbonding: Amount,
        redelegations: Amount,
    },
    RewardCredited {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        source: &'static str,
        gross: Amount,
        commission: Amount,
    },
    /// A fee taken at some layer: `on` bears it, `to` receives it.
    FeeCharged {
        layer: &'static str,
        kind: &'static str,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        on: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        asset: AssetId,
        amount: Amount,
    },
    LstDeposited {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        amount: Amount,
        lst: Amount,
    },
    LstRedeemRequested {
        id: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        lst: Amount,
        value_at_request: Amount,
    },
    LstClaimed {
        id: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        amount: Amount,
    },
    EpochStarted {
        epoch: crate::time::Epoch,
    },
    RewardProgramCreated {
        id: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        service: Address,
        set: SetRef,
        asset: AssetId,
        amount: Amount,
        start_epoch: crate::time::Epoch,
        epochs: u64,
    },
    RewardDistributed {
        program: u64,
        amount: Amount,
    },
    RewardRefunded {
        program: u64,
        amount: Amount,
    },
    RewardsClaimed {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
        asset: AssetId,
        amount: Amount,
    },
    ServiceCommissionScheduled {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        service: Address,
        commission: crate::num::Bps,
        effect_at: Timestamp,
    },
    NativeRestaked {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        staker: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        shares: Shares,
    },
    // --- liquid restaking vaults ---
    VaultCreated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        lrt: String,
        asset: AssetId,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        curator: Address,
        seed: Amount,
    },
    VaultDeposited {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        amount: Amount,
        fee: Amount,
        lrt: Amount,
    },
    VaultWithdrawn {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        account: Address,
        lrt: Amount,
        amount: Amount,
        fee: Amount,
    },
    VaultWithdrawalRequested {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        id: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        owner: Address,
        lrt: Amount,
        value_at_request: Amount,
        claimable_at: Timestamp,
    },
    /// `payout = min(value_at_request, value_now)`.
    VaultRequestFinalized {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        id: u64,
        value_at_request: Amount,
        value_now: Amount,
        payout: Amount,
    },
    VaultClaimed {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        id: u64,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        owner: Address,
        amount: Amount,
    },
    VaultAllocated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        amount: Amount,
        shares: Shares,
    },
    VaultDeallocated {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        shares: Shares,
        withdrawal: WithdrawalId,
    },
    VaultRewardsRecognized {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        gross: Amount,
        fee: Amount,
        vested_by: Timestamp,
    },
    VaultHarvested {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        asset: AssetId,
        amount: Amount,
    },
    VaultFeesChanged {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        rises_from_epoch: Option<crate::time::Epoch>,
    },
    VaultPolicyChanged {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        vault: Address,
        effect_at: Timestamp,
    },
}
