//! The schema: the full list of the state's tables, assembled above the components that declare
//! them (each component's `tables.rs`, the chain's own tables in `state::meta`), so that the
//! state layer stays generic (docs/architecture.md, "Layers"). It gives [`TABLES`] (every table's
//! id and name, for storage and diagnostics) and [`State::from_entries`] (decoding needs every
//! table), and re-exports every table so one path names them all (`rampart_core::schema::…`).
//!
//! The list's order is the order tables were declared in (kept from the single schema this
//! replaced); encodings order entries by full key, so it decides nothing but [`TABLES`]'s order.
//! Ids are versioned public API: never reuse or renumber one (the state root and storage depend
//! on them); `tests::table_ids_are_pinned` holds them.

use crate::base::BaseDelegation;
use crate::ids::Address;
use crate::state::{DecodeError, Observer, State, Table};
use std::any::Any;

pub use crate::bank::tables::*;
pub use crate::base::tables::*;
pub use crate::governance::tables::*;
pub use crate::lst::tables::*;
pub use crate::restaking::tables::*;
pub use crate::rewards::tables::*;
pub use crate::state::{EpochStarts, MetaTable, ParamsTable, Timers};
pub use crate::vault::tables::*;

/// Inserts one encoded entry of a table (the key after its id, and the value).
type Decode = fn(&mut State, &[u8], &[u8]) -> Result<(), DecodeError>;

macro_rules! schema {
    ($($table:path),* $(,)?) => {
        /// `(id, name)` of every table, for storage and diagnostics.
        pub const TABLES: &[(u8, &str)] = &[ $( (<$table as Table>::ID, <$table as Table>::NAME), )* ];

        /// Every table's id and decoder.
        const DECODERS: &[(u8, Decode)] = &[ $( (<$table as Table>::ID, State::insert_encoded::<$table>), )* ];
    };
}

schema! {
    crate::state::ParamsTable,
    crate::state::MetaTable,
    crate::bank::Accounts,
    crate::bank::Assets,
    crate::bank::AssetSymbols,
    crate::bank::Balances,
    crate::state::Timers,
    crate::state::EpochStarts,
    crate::restaking::Strategies,
    crate::restaking::Deposits,
    crate::restaking::Operators,
    crate::restaking::Terms,
    crate::restaking::MagnitudeHistory,
    crate::restaking::Positions,
    crate::restaking::QueueBuckets,
    crate::restaking::Withdrawals,
    crate::restaking::StakerWithdrawals,
    crate::restaking::Services,
    crate::restaking::OperatorSets,
    crate::restaking::SetApprovals,
    crate::restaking::Memberships,
    crate::restaking::SetMembers,
    crate::restaking::Allocations,
    crate::restaking::SlashRequests,
    crate::restaking::ServiceSlashes,
    crate::restaking::Escrows,
    crate::restaking::Bridges,
    crate::restaking::BridgeChunks,
    crate::restaking::BridgesIn,
    crate::restaking::Magnitudes,
    crate::restaking::SecurityProfiles,
    crate::restaking::OperatorPendingSlashes,
    crate::restaking::DoubleSignEvidence,
    crate::restaking::RetiredSigningKeys,
    crate::base::Validators,
    crate::base::ValidatorIndexes,
    crate::base::BaseDelegations,
    crate::base::Activations,
    crate::base::Unbondings,
    crate::base::DelegatorUnbondings,
    crate::base::UnbondCumulative,
    crate::base::RedelegationCumulative,
    crate::base::RedelegationTargets,
    crate::base::ActiveSet,
    crate::base::ValidatorPower,
    crate::base::CommissionChanges,
    crate::base::ModuleUnbondings,
    crate::restaking::QueueReleases,
    crate::governance::GovStateTable,
    crate::governance::Proposals,
    crate::governance::ProposalDeposits,
    crate::governance::Votes,
    crate::governance::VoteShares,
    crate::governance::OptionShares,
    crate::governance::VotingProposals,
    crate::governance::QueuedProposals,
    crate::base::ConsensusKeys,
    crate::base::ConsensusKeyOwners,
    crate::base::ConsensusCommittees,
    crate::base::ConsensusSeatStakes,
    crate::lst::LstPools,
    crate::lst::Redemptions,
    crate::lst::RedemptionBatches,
    crate::lst::LstSnapshots,
    crate::lst::AccountRedemptions,
    crate::rewards::RewardPrograms,
    crate::rewards::ActivePrograms,
    crate::restaking::RewardIndexes,
    crate::restaking::RewardPending,
    crate::restaking::RewardActivations,
    crate::restaking::SetJoins,
    crate::restaking::AllocationRaises,
    crate::rewards::SetPrograms,
    crate::rewards::ServiceCommissions,
    crate::rewards::CommissionsEarned,
    crate::restaking::RewardMaturities,
    crate::vault::Vaults,
    crate::vault::VaultBooksTable,
    crate::vault::VaultByLrt,
    crate::vault::VaultRequests,
    crate::vault::VaultQueue,
    crate::vault::VaultOwnerRequests,
    crate::vault::VaultSnapshots,
    crate::vault::VaultCountersTable,
    crate::vault::VaultFinalized,
}

/// Observers of writes to a table by a module above the table's owner, wired here so the owner
/// does not name it: governance keeps voters' vote shares in step with every base delegation
/// written (`governance::on_delegation_change`).
pub const OBSERVERS: &[(u8, Observer)] = &[(BaseDelegations::ID, base_delegation_written)];

/// A write to `BaseDelegations`, shown to governance.
fn base_delegation_written(state: &mut State, key: &dyn Any, value: Option<&dyn Any>) {
    let Some(&(delegator, validator)) = key.downcast_ref::<(Address, Address)>() else {
        return; // not this table's key: impossible, observers are registered by table id
    };
    let d = value.and_then(|v| v.downcast_ref::<BaseDelegation>());
    crate::governance::on_delegation_change(state, delegator, validator, d);
}

impl Default for State {
    /// The empty state, with the schema's [`OBSERVERS`].
    fn default() -> Self {
        Self::with_observers(OBSERVERS)
    }
}

impl State {
    /// Rebuilds a state from its encoded entries (as from [`State::encoded_entries`] or
    /// storage). The journal starts empty.
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<Self, DecodeError> {
        let mut decoders: [Option<Decode>; 256] = [None; 256];
        for (id, decode) in DECODERS {
            if let Some(slot) = decoders.get_mut(usize::from(*id)) {
                *slot = Some(*decode);
            }
        }
        let mut state = Self::default();
        for (key, value) in entries {
            let (&id, rest) = key.split_first().ok_or(DecodeError::EmptyKey)?;
            let decode = decoders
                .get(usize::from(id))
                .copied()
                .flatten()
                .ok_or(DecodeError::UnknownTable(id))?;
            decode(&mut state, rest, value)?;
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Address, AssetId};
    use crate::num::Amount;
    use crate::state::{KeyCodec, encode_full_key};

    #[test]
    fn table_ids_are_unique() {
        let mut ids: Vec<u8> = TABLES.iter().map(|(id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), TABLES.len());
        assert_eq!(DECODERS.len(), TABLES.len());
    }

    /// The ids and names of every table, frozen (a renumbered or dropped table changes the state
    /// root and breaks storage).
    #[test]
    fn table_ids_are_pinned() {
        let pinned: &[(u8, &str)] = &[
            (1, "params"),
            (2, "meta"),
            (3, "accounts"),
            (4, "assets"),
            (5, "asset_symbols"),
            (6, "balances"),
            (7, "timers"),
            (8, "epoch_starts"),
            (20, "strategies"),
            (21, "deposits"),
            (22, "operators"),
            (23, "terms"),
            (24, "magnitude_history"),
            (25, "positions"),
            (26, "queue_buckets"),
            (27, "withdrawals"),
            (28, "staker_withdrawals"),
            (29, "services"),
            (30, "operator_sets"),
            (31, "set_approvals"),
            (32, "memberships"),
            (33, "set_members"),
            (34, "allocations"),
            (35, "slash_requests"),
            (36, "service_slashes"),
            (37, "escrows"),
            (38, "bridges"),
            (39, "bridge_chunks"),
            (40, "bridges_in"),
            (41, "magnitudes"),
            (42, "security_profiles"),
            (43, "operator_pending_slashes"),
            (44, "double_sign_evidence"),
            (45, "retired_signing_keys"),
            (50, "validators"),
            (51, "validator_indexes"),
            (52, "base_delegations"),
            (53, "activations"),
            (54, "unbondings"),
            (55, "delegator_unbondings"),
            (56, "unbond_cumulative"),
            (57, "redelegation_cumulative"),
            (58, "redelegation_targets"),
            (90, "active_set"),
            (91, "validator_power"),
            (92, "commission_changes"),
            (93, "module_unbondings"),
            (94, "queue_releases"),
            (100, "gov_state"),
            (101, "proposals"),
            (102, "proposal_deposits"),
            (103, "votes"),
            (104, "vote_shares"),
            (105, "option_shares"),
            (106, "voting_proposals"),
            (107, "queued_proposals"),
            (110, "consensus_keys"),
            (111, "consensus_key_owners"),
            (112, "consensus_committees"),
            (113, "consensus_seat_stakes"),
            (60, "lst_pools"),
            (61, "redemptions"),
            (62, "redemption_batches"),
            (63, "lst_snapshots"),
            (64, "account_redemptions"),
            (70, "reward_programs"),
            (71, "active_programs"),
            (72, "reward_indexes"),
            (73, "reward_pending"),
            (74, "reward_activations"),
            (77, "set_joins"),
            (78, "allocation_raises"),
            (79, "set_programs"),
            (75, "service_commissions"),
            (95, "commissions_earned"),
            (76, "reward_maturities"),
            (80, "vaults"),
            (81, "vault_books"),
            (82, "vault_by_lrt"),
            (83, "vault_requests"),
            (84, "vault_queue"),
            (85, "vault_owner_requests"),
            (86, "vault_snapshots"),
            (87, "vault_counters"),
            (88, "vault_finalized"),
        ];
        assert_eq!(TABLES, pinned);
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

    #[test]
    fn a_state_rebuilt_from_its_entries_is_identical() {
        let mut s = State::default();
        s.put::<Balances>((Address::repeat_byte(1), AssetId(0)), Amount::new(5));
        s.put::<Balances>((Address::repeat_byte(2), AssetId(3)), Amount::new(7));
        s.put::<EpochStarts>(crate::time::Timestamp::new(9), crate::time::Epoch::new(1));
        let entries = s.encoded_entries();
        let rebuilt =
            State::from_entries(entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))).unwrap();
        assert_eq!(rebuilt.encoded_entries(), entries);
        assert_eq!(
            State::from_entries([(&[200u8][..], &[][..])]).unwrap_err(),
            DecodeError::UnknownTable(200)
        );
        assert_eq!(
            State::from_entries([(&[][..], &[][..])]).unwrap_err(),
            DecodeError::EmptyKey
        );
        assert!(State::from_entries([(&[Balances::ID, 1][..], &[][..])]).is_err());
    }

    #[test]
    fn encoded_entries_are_in_byte_order_of_the_full_key() {
        let mut s = State::default();
        s.put::<Balances>((Address::repeat_byte(1), AssetId(0)), Amount::new(5));
        s.put::<EpochStarts>(crate::time::Timestamp::new(9), crate::time::Epoch::new(1));
        s.put::<crate::governance::VotingProposals>(3, ());
        s.put::<crate::rewards::ActivePrograms>(0, ());
        let keys: Vec<Vec<u8>> = s.encoded_entries().into_iter().map(|(k, _)| k).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }
}
