//! Events: what a transaction or a block did, for receipts, the event stream and accounting.
//!
//! Every change of supply, every fee and every slash emits one, so off-chain accounting (fee
//! stacks, slash history) never has to diff state.

use crate::ids::{Address, AssetId, EscrowId, SetRef, SlashId, WithdrawalId};
use crate::num::{Amount, Shares, Wad};
use crate::restaking::Destination;
use crate::time::Timestamp;
use serde::Serialize;

/// Something that happened in a transaction or at a block boundary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
        proposer: Address,
        deposit: Amount,
        risk: crate::governance::Risk,
    },
    ProposalDeposited {
        proposal: u64,
        depositor: Address,
        amount: Amount,
    },
    VotingStarted {
        proposal: u64,
        ends_at: Timestamp,
    },
    Voted {
        proposal: u64,
        voter: Address,
        option: crate::governance::VoteOption,
    },
    ProposalPassed {
        proposal: u64,
        risk: crate::governance::Risk,
        effect_at: Timestamp,
    },
    ProposalEnded {
        proposal: u64,
        status: crate::governance::Status,
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
        to: Address,
        asset: AssetId,
        amount: Amount,
    },
    Burned {
        from: Address,
        asset: AssetId,
        amount: Amount,
    },
    Transferred {
        from: Address,
        to: Address,
        asset: AssetId,
        amount: Amount,
    },
    FeePaid {
        payer: Address,
        fee: Amount,
        priority_tip: Amount,
    },
    Deposited {
        staker: Address,
        strategy: AssetId,
        amount: Amount,
        shares: Shares,
    },
    Delegated {
        staker: Address,
        operator: Address,
        strategy: AssetId,
        shares: Shares,
    },
    OperatorRegistered {
        operator: Address,
    },
    CommitmentsChanged {
        operator: Address,
        effect_at: Timestamp,
    },
    ServiceRegistered {
        service: Address,
    },
    SlasherChanged {
        service: Address,
        slasher: Address,
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
        operator: Address,
        set: SetRef,
    },
    RegisteredForSet {
        operator: Address,
        set: SetRef,
    },
    DeregisteredFromSet {
        operator: Address,
        set: SetRef,
        slashable_until: Timestamp,
    },
    AllocationQueued {
        operator: Address,
        set: SetRef,
        strategy: AssetId,
        magnitude: Wad,
        effect_at: Timestamp,
    },
    AllocationApplied {
        operator: Address,
        set: SetRef,
        strategy: AssetId,
        magnitude: Wad,
    },
    WithdrawalQueued {
        id: WithdrawalId,
        staker: Address,
        operator: Option<Address>,
        strategy: AssetId,
        shares: Shares,
        completable_at: Timestamp,
    },
    WithdrawalCompleted {
        id: WithdrawalId,
        staker: Address,
        shares: Shares,
        amount: Option<Amount>,
    },
    Redelegated {
        staker: Address,
        from: Address,
        to: Address,
        strategy: AssetId,
        shares: Shares,
        slashable_by_old_until: Timestamp,
    },
    SlashRequested {
        id: SlashId,
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
        vault: Address,
        code: &'static str,
        reason: String,
    },
    WithdrawalsHeld {
        operator: Address,
        strategy: AssetId,
        until: Timestamp,
    },
    Slashed {
        id: SlashId,
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
        operator: Address,
        set: SetRef,
        height: u64,
        wad: Wad,
        submitter: Address,
    },
    /// An operator replaced its signing key; the old one stays accountable until
    /// `old_accountable_until` (strictly before).
    SigningKeyChanged {
        operator: Address,
        old: Address,
        new: Address,
        old_accountable_until: Timestamp,
    },
    /// A validator bound a consensus key (it reaches consensus at the next committee).
    ConsensusKeySet {
        validator: Address,
        key: alloy_primitives::B256,
    },
    /// Consensus evidence convicted a validator of equivocating.
    ConsensusEquivocation {
        validator: Address,
        epoch: u64,
        view: u64,
    },
    /// The submitter of double-sign evidence was paid its share of an escrow.
    EvidenceRewarded {
        id: SlashId,
        escrow: EscrowId,
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
        validator: Address,
        commission: crate::num::Bps,
        self_bond: Amount,
    },
    CommissionScheduled {
        validator: Address,
        commission: crate::num::Bps,
        from_epoch: crate::time::Epoch,
    },
    ValidatorUnjailed {
        validator: Address,
    },
    ValidatorStatusChanged {
        validator: Address,
        status: &'static str,
    },
    BaseDelegated {
        delegator: Address,
        validator: Address,
        amount: Amount,
        active_from: crate::time::Epoch,
    },
    BaseUndelegated {
        delegator: Address,
        validator: Address,
        amount: Amount,
        completes_at: Timestamp,
        id: u64,
    },
    BaseRedelegated {
        delegator: Address,
        from: Address,
        to: Address,
        amount: Amount,
        slashable_by_source_until: Timestamp,
    },
    UnbondedClaimed {
        delegator: Address,
        amount: Amount,
    },
    BaseSlashed {
        validator: Address,
        fault: &'static str,
        pool: Amount,
        unbonding: Amount,
        redelegations: Amount,
    },
    RewardCredited {
        validator: Address,
        source: &'static str,
        gross: Amount,
        commission: Amount,
    },
    /// A fee taken at some layer: `on` bears it, `to` receives it.
    FeeCharged {
        layer: &'static str,
        kind: &'static str,
        on: Address,
        to: Address,
        asset: AssetId,
        amount: Amount,
    },
    LstDeposited {
        account: Address,
        amount: Amount,
        lst: Amount,
    },
    LstRedeemRequested {
        id: u64,
        account: Address,
        lst: Amount,
        value_at_request: Amount,
    },
    LstClaimed {
        id: u64,
        account: Address,
        amount: Amount,
    },
    EpochStarted {
        epoch: crate::time::Epoch,
    },
    RewardProgramCreated {
        id: u64,
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
        staker: Address,
        asset: AssetId,
        amount: Amount,
    },
    ServiceCommissionScheduled {
        operator: Address,
        service: Address,
        commission: crate::num::Bps,
        effect_at: Timestamp,
    },
    NativeRestaked {
        staker: Address,
        validator: Address,
        shares: Shares,
    },
    // --- liquid restaking vaults ---
    VaultCreated {
        vault: Address,
        lrt: String,
        asset: AssetId,
        curator: Address,
        seed: Amount,
    },
    VaultDeposited {
        vault: Address,
        account: Address,
        amount: Amount,
        fee: Amount,
        lrt: Amount,
    },
    VaultWithdrawn {
        vault: Address,
        account: Address,
        lrt: Amount,
        amount: Amount,
        fee: Amount,
    },
    VaultWithdrawalRequested {
        vault: Address,
        id: u64,
        owner: Address,
        lrt: Amount,
        value_at_request: Amount,
        claimable_at: Timestamp,
    },
    /// `payout = min(value_at_request, value_now)`.
    VaultRequestFinalized {
        vault: Address,
        id: u64,
        value_at_request: Amount,
        value_now: Amount,
        payout: Amount,
    },
    VaultClaimed {
        vault: Address,
        id: u64,
        owner: Address,
        amount: Amount,
    },
    VaultAllocated {
        vault: Address,
        operator: Address,
        amount: Amount,
        shares: Shares,
    },
    VaultDeallocated {
        vault: Address,
        operator: Address,
        shares: Shares,
        withdrawal: WithdrawalId,
    },
    VaultRewardsRecognized {
        vault: Address,
        gross: Amount,
        fee: Amount,
        vested_by: Timestamp,
    },
    VaultHarvested {
        vault: Address,
        asset: AssetId,
        amount: Amount,
    },
    VaultFeesChanged {
        vault: Address,
        rises_from_epoch: Option<crate::time::Epoch>,
    },
    VaultPolicyChanged {
        vault: Address,
        effect_at: Timestamp,
    },
}

/// Events as JSON with asset and strategy ids replaced by their names, for receipts and streams.
pub fn render(state: &crate::state::State, events: &[Event]) -> serde_json::Value {
    let mut out = serde_json::to_value(events).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Array(items) = &mut out {
        for item in items
            .iter_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            for (key, value) in item.iter_mut() {
                let Some(id) = value.as_u64().and_then(|n| u32::try_from(n).ok()) else {
                    continue;
                };
                let id = AssetId(id);
                match key.as_str() {
                    "asset" => *value = crate::bank::symbol(state, id).into(),
                    "strategy" => *value = crate::restaking::strategy_name(state, id).into(),
                    _ => {}
                }
            }
        }
    }
    out
}
