//! The state schema: every table, its stable id, key and value. Ids are versioned public API:
//! never reuse or renumber one (the state root and storage depend on them).

use super::{DecodeError, KeyCodec, Table, encode_full_key, encode_value};
use crate::bank::{Account, Asset};
use crate::base::{
    Activation, BaseDelegation, Committee, ConsensusKeyRecord, Unbonding, Validator,
};
use crate::block::{Meta, Timer};
use crate::governance::{GovState, Proposal, VoteOption};
use crate::ids::{Address, AssetId, EscrowId, SetRef, SlashId, WithdrawalId};
use crate::lst::{LstPool, LstSnapshot, Redemption};
use crate::num::{Amount, Shares, Wad};
use crate::params::Params;
use crate::restaking::{
    Allocation, Bridge, BridgeChunk, Escrow, Magnitude, Membership, Operator, OperatorSet,
    Position, SecurityProfile, Service, SlashRequest, Strategy, Term, Withdrawal,
};
use crate::rewards::{RewardIndex, RewardProgram, ServiceCommission, Stream};
use crate::time::{Epoch, Height, Timestamp};
use crate::vault::{VaultBooks, VaultConfig, VaultCounters, VaultRequest, VaultSnapshot};
use alloy_primitives::B256;
use std::collections::BTreeMap;

macro_rules! tables {
    ($( $(#[$doc:meta])* $id:literal $field:ident : $tbl:ident ($k:ty => $v:ty) ),* $(,)?) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub struct $tbl;

            impl Table for $tbl {
                const ID: u8 = $id;
                const NAME: &'static str = stringify!($field);
                type Key = $k;
                type Value = $v;
                fn map(t: &Tables) -> &BTreeMap<$k, $v> {
                    &t.$field
                }
                fn map_mut(t: &mut Tables) -> &mut BTreeMap<$k, $v> {
                    &mut t.$field
                }
                fn undo(key: $k, old: Option<$v>) -> Undo {
                    Undo::$tbl(key, old)
                }
            }
        )*

        /// Every table's map.
        #[derive(Clone, Debug, Default)]
        pub struct Tables {
            $( $field: BTreeMap<$k, $v>, )*
        }

        /// A journal entry: a key and the value it held before a write.
        #[derive(Clone, Debug)]
        pub enum Undo {
            $(
                #[allow(missing_docs)]
                $tbl($k, Option<$v>),
            )*
        }

        impl Undo {
            pub(super) fn revert(self, t: &mut Tables) {
                match self {
                    $(
                        Undo::$tbl(key, old) => match old {
                            Some(v) => {
                                t.$field.insert(key, v);
                            }
                            None => {
                                t.$field.remove(&key);
                            }
                        },
                    )*
                }
            }

            pub(super) fn encoded_key(&self) -> Vec<u8> {
                match self {
                    $( Undo::$tbl(key, _) => encode_full_key::<$tbl>(key), )*
                }
            }

            pub(super) fn current_value(&self, t: &Tables) -> Option<Vec<u8>> {
                match self {
                    $( Undo::$tbl(key, _) => t.$field.get(key).map(encode_value::<$tbl>), )*
                }
            }
        }

        impl Tables {
            /// Inserts one encoded entry (full key with table id, Borsh value).
            pub(super) fn insert_encoded(&mut self, key: &[u8], value: &[u8]) -> Result<(), DecodeError> {
                let (&id, mut rest) = key.split_first().ok_or(DecodeError::EmptyKey)?;
                match id {
                    $(
                        $id => {
                            let k = <$k as KeyCodec>::decode_key(&mut rest).ok_or(DecodeError::Key($id))?;
                            if !rest.is_empty() {
                                return Err(DecodeError::Key($id));
                            }
                            let v = <$v as borsh::BorshDeserialize>::try_from_slice(value).map_err(|_| DecodeError::Value($id))?;
                            self.$field.insert(k, v);
                            Ok(())
                        }
                    )*
                    other => Err(DecodeError::UnknownTable(other)),
                }
            }

            pub(super) fn encode_all(&self, out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
                $(
                    for (k, v) in &self.$field {
                        out.push((encode_full_key::<$tbl>(k), encode_value::<$tbl>(v)));
                    }
                )*
            }
        }

        /// `(id, name)` of every table, for storage and diagnostics.
        pub const TABLES: &[(u8, &str)] = &[ $( ($id, stringify!($field)), )* ];
    };
}

tables! {
    /// Protocol parameters (PROTOCOL.md §13).
    1 params: ParamsTable(() => Params),
    /// Chain position and id counters.
    2 meta: MetaTable(() => Meta),
    /// Accounts that have signed: their next nonce.
    3 accounts: Accounts(Address => Account),
    /// The asset registry.
    4 assets: Assets(AssetId => Asset),
    /// Asset symbol → id (symbols are unique).
    5 asset_symbols: AssetSymbols(String => AssetId),
    /// Balances per (account, asset), module accounts included.
    6 balances: Balances((Address, AssetId) => Amount),
    /// Delayed effects keyed by due time and a sequence number.
    7 timers: Timers((Timestamp, u64) => Timer),
    /// When each epoch after the first started (epochs are never renumbered).
    8 epoch_starts: EpochStarts(Timestamp => Epoch),

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

    /// Validators.
    50 validators: Validators(Address => Validator),
    /// Validator by dense index.
    51 validator_indexes: ValidatorIndexes(u32 => Address),
    /// Base delegations per (delegator, validator).
    52 base_delegations: BaseDelegations((Address, Address) => BaseDelegation),
    /// Pending bond buckets per (activation epoch, validator), and their activation.
    53 activations: Activations((Epoch, Address) => Activation),
    /// Unbonding entries.
    54 unbondings: Unbondings(u64 => Unbonding),
    /// Index: unbonding entries per delegator.
    55 delegator_unbondings: DelegatorUnbondings((Address, u64) => ()),
    /// Per validator: RAM unbonded so far, cumulative, at each (height, entry id).
    56 unbond_cumulative: UnbondCumulative((Address, Height, u64) => Amount),
    /// Per (source, destination): destination shares redelegated so far, cumulative, at each
    /// (height, lock id).
    57 redelegation_cumulative: RedelegationCumulative((Address, Address, Height, u64) => u128),
    /// Index: destinations each validator has redelegations to.
    58 redelegation_targets: RedelegationTargets((Address, Address) => ()),
    /// Index: the validators of the current active set (status `active`).
    90 active_set: ActiveSet(Address => ()),
    /// Index: validators that may be chosen (pending or active, something bonded), by bonded
    /// stake descending (`u128::MAX − bonded`), ties by address.
    91 validator_power: ValidatorPower((u128, Address) => ()),
    /// Index: validator commission changes by the epoch they apply from.
    92 commission_changes: CommissionChanges((Epoch, Address) => ()),
    /// A module account's unbonding entry per (module, validator, completion time): entries
    /// made at one boundary merge (the liquid staking pool's internal path).
    93 module_unbondings: ModuleUnbondings((Address, Address, Timestamp) => u64),
    /// Queue buckets held past their delay by a pending slash request: the magnitude they were
    /// released at (their withdrawals pay at it).
    94 queue_releases: QueueReleases((Address, AssetId, Timestamp) => Wad),

    /// Governance bookkeeping: proposal counter, active count, guardian, pause.
    100 gov_state: GovStateTable(() => GovState),
    /// Proposals.
    101 proposals: Proposals(u64 => Proposal),
    /// Deposits per (proposal, depositor), while the proposal is in its deposit or voting period.
    102 proposal_deposits: ProposalDeposits((u64, Address) => Amount),
    /// Votes per (proposal, voter).
    103 votes: Votes((u64, Address) => VoteOption),
    /// Per (proposal, voter, validator): the validator shares the voter's own vote carries
    /// (kept equal to its delegation's voting shares while the proposal is in voting).
    104 vote_shares: VoteShares((u64, Address, Address) => u128),
    /// Per (proposal, validator, option index): shares of the validator's delegators who voted
    /// that option themselves (taken out of the validator's own vote).
    105 option_shares: OptionShares((u64, Address, u8) => u128),
    /// Index: proposals in their voting period.
    106 voting_proposals: VotingProposals(u64 => ()),
    /// Index: passed proposals waiting for their effect time.
    107 queued_proposals: QueuedProposals(u64 => ()),

    /// Consensus keys of validators (base/consensus.rs): the current key and p2p address.
    110 consensus_keys: ConsensusKeys(Address => ConsensusKeyRecord),
    /// Every consensus key ever bound, with its validator (a key belongs to one validator).
    111 consensus_key_owners: ConsensusKeyOwners(B256 => Address),
    /// The committee of each consensus epoch still within reach of evidence.
    112 consensus_committees: ConsensusCommittees(u64 => Committee),

    /// The liquid staking pool.
    60 lst_pools: LstPools(() => LstPool),
    /// LST redemptions in the queue.
    61 redemptions: Redemptions(u64 => Redemption),
    /// When the redemptions requested in an epoch can be claimed.
    62 redemption_batches: RedemptionBatches(Epoch => Timestamp),
    /// The pool at each epoch boundary (for yields).
    63 lst_snapshots: LstSnapshots(Epoch => LstSnapshot),
    /// Index: each account's redemptions in the queue.
    64 account_redemptions: AccountRedemptions((Address, u64) => ()),

    /// Reward programs.
    70 reward_programs: RewardPrograms(u64 => RewardProgram),
    /// Index: programs still streaming.
    71 active_programs: ActivePrograms(u64 => ()),
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
    /// Reward programs streaming (or waiting to start) per set, kept so the per-set limit is O(1).
    79 set_programs: SetPrograms(SetRef => u32),
    /// Operator commission per (operator, service).
    75 service_commissions: ServiceCommissions((Address, Address) => ServiceCommission),
    /// Bridge and direct reward indices when a bridge chunk matured: (stream, bridge, direct).
    76 reward_maturities: RewardMaturities((Address, AssetId, Address, Timestamp) => Vec<(Stream, RewardIndex, RewardIndex)>),

    /// Liquid restaking vaults: configuration (curator, policy, fees), by vault index.
    80 vaults: Vaults(u32 => VaultConfig),
    /// Vault books (idle, reserved, queue totals, rewards, vesting), by vault index.
    81 vault_books: VaultBooksTable(u32 => VaultBooks),
    /// LRT asset → vault index.
    82 vault_by_lrt: VaultByLrt(AssetId => u32),
    /// Vault withdrawal requests (pending or finalized, until claimed), by global id.
    83 vault_requests: VaultRequests(u64 => VaultRequest),
    /// Pending requests per vault in FIFO order (ids grow with time).
    84 vault_queue: VaultQueue((u32, u64) => ()),
    /// Index: open requests per owner.
    85 vault_owner_requests: VaultOwnerRequests((Address, u64) => ()),
    /// Each vault at each epoch boundary (for yields).
    86 vault_snapshots: VaultSnapshots((u32, Epoch) => VaultSnapshot),
    /// Vault id counters.
    87 vault_counters: VaultCountersTable(() => VaultCounters),
    /// Finalized, unclaimed requests per vault.
    88 vault_finalized: VaultFinalized((u32, u64) => ()),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_ids_are_unique() {
        let mut ids: Vec<u8> = TABLES.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), TABLES.len());
    }

    #[test]
    fn full_keys_start_with_the_table_id() {
        let key = encode_full_key::<Balances>(&(Address::ZERO, AssetId(1)));
        assert_eq!(key[0], Balances::ID);
        let mut rest = &key[1..];
        assert_eq!(
            <(Address, AssetId)>::decode_key(&mut rest),
            Some((Address::ZERO, AssetId(1)))
        );
    }
}
