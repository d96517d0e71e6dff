//! The restaking tables: strategies, deposits, operators and their terms and magnitudes,
//! positions, the withdrawal queue, services and operator sets, allocations, slashing (requests,
//! escrows, evidence) and redelegation bridges.

use super::ledger::{RewardIndex, Stream};
use super::{
    Allocation, Bridge, BridgeChunk, Escrow, Magnitude, Membership, Operator, OperatorSet,
    Position, SecurityProfile, Service, SlashRequest, Strategy, Term, Withdrawal,
};
use crate::ids::{Address, AssetId, EscrowId, SetRef, SlashId, WithdrawalId};
use crate::num::{Shares, Wad};
use crate::time::{Epoch, Timestamp};

crate::state::tables! {
    /// A strategy per restakable asset.
    20 strategies: Strategies(AssetId => Strategy),
    /// Deposited, undelegated shares per (staker, strategy).
    21 deposits: Deposits((Address, AssetId) => Shares),
    /// Registered operators.
    22 operators: Operators(Address => Operator),
    /// Per (operator, term strategy): the scaled totals of everything delegated (direct terms).
    23 terms: Terms((Address, AssetId) => Term),
    /// Per (operator, strategy): max magnitude after the last slash at each slash time.
    24 magnitude_history: MagnitudeHistory((Address, AssetId, Timestamp) => Wad),
    /// Delegation positions per (staker, operator, strategy).
    25 positions: Positions((Address, Address, AssetId) => Position),
    /// Scaled shares of queued withdrawals still slashable, per (operator, strategy, completion).
    26 queue_buckets: QueueBuckets((Address, AssetId, Timestamp) => u128),
    /// Queued withdrawals.
    27 withdrawals: Withdrawals(WithdrawalId => Withdrawal),
    /// Index: withdrawals per staker.
    28 staker_withdrawals: StakerWithdrawals((Address, WithdrawalId) => ()),
    /// Registered services.
    29 services: Services(Address => Service),
    /// Operator sets.
    30 operator_sets: OperatorSets(SetRef => OperatorSet),
    /// A service's approvals of operators for a set that requires them.
    31 set_approvals: SetApprovals((SetRef, Address) => ()),
    /// Operator membership in sets, keyed by operator first.
    32 memberships: Memberships((Address, SetRef) => Membership),
    /// Index: members per set.
    33 set_members: SetMembers((SetRef, Address) => ()),
    /// Allocations per (operator, set, strategy).
    34 allocations: Allocations((Address, SetRef, AssetId) => Allocation),
    /// Slash requests.
    35 slash_requests: SlashRequests(SlashId => SlashRequest),
    /// Index: slash requests per service.
    36 service_slashes: ServiceSlashes((Address, SlashId) => ()),
    /// Executed slashes held until their resolution delay ends.
    37 escrows: Escrows(EscrowId => Escrow),
    /// Redelegated stake still slashable by its old operator, per (from, strategy, to), in units
    /// scaled by both operators' magnitudes.
    38 bridges: Bridges((Address, AssetId, Address) => Bridge),
    /// The same, split by when each part stops being slashable by the old operator.
    39 bridge_chunks: BridgeChunks((Address, AssetId, Address, Timestamp) => BridgeChunk),
    /// Index: bridges per destination operator.
    40 bridges_in: BridgesIn((Address, AssetId, Address) => ()),
    /// Per (operator, strategy): max magnitude and encumbered magnitude.
    41 magnitudes: Magnitudes((Address, AssetId) => Magnitude),
    /// Security profiles (π, α) services declared for their operator sets (RISK.md §1).
    42 security_profiles: SecurityProfiles(SetRef => SecurityProfile),
    /// Index: slash requests still pending (in or after their veto window, neither vetoed nor
    /// executed) per operator. Vaults price instant exits net of them.
    43 operator_pending_slashes: OperatorPendingSlashes((Address, SlashId) => ()),
    /// Double signs punished, per (operator, set, service height): the slash that did it. Each
    /// is punished once.
    44 double_sign_evidence: DoubleSignEvidence((Address, SetRef, u64) => SlashId),
    /// Signing keys an operator replaced, per (operator, end of accountability, key): the time
    /// it was replaced. Double-sign evidence by such a key counts until the end (strictly
    /// before it); entries past it are pruned at the operator's next rotation.
    45 retired_signing_keys: RetiredSigningKeys((Address, Timestamp, Address) => Timestamp),
    /// Queue buckets held past their delay by a pending slash request: the magnitude they were
    /// released at (their withdrawals pay at it).
    94 queue_releases: QueueReleases((Address, AssetId, Timestamp) => Wad),

    // The reward-index ledger (`ledger.rs`) and the reward weights' bookkeeping: ids of the
    // rewards range, kept.
    /// Reward indices per (reward term, funding service, reward asset).
    72 reward_indexes: RewardIndexes((Address, AssetId, Address, Address, AssetId) => RewardIndex),
    /// Scaled stake that joined a reward term in an epoch (earns from the next).
    73 reward_pending: RewardPending((Epoch, Address, AssetId, Address) => u128),
    /// Reward indices of a term right after the boundary that activated an epoch's pending stake.
    74 reward_activations: RewardActivations((Epoch, Address, AssetId, Address, Address, AssetId) => RewardIndex),
    /// The epoch each operator last joined each set in (its reward weight there counts from the
    /// next epoch).
    77 set_joins: SetJoins((Address, SetRef) => Epoch),
    /// Allocation increases that took effect during an epoch: (epoch, allocation before). The
    /// epoch's reward weight uses the smaller of the two.
    78 allocation_raises: AllocationRaises((Address, SetRef, AssetId) => (Epoch, Wad)),
    /// Bridge and direct reward indices when a bridge chunk matured: (stream, bridge, direct).
    76 reward_maturities: RewardMaturities((Address, AssetId, Address, Timestamp) => Vec<(Stream, RewardIndex, RewardIndex)>),
}
