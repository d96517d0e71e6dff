//! The base layer's tables: validators, base delegations, bonding and unbonding, and consensus
//! keys and committees.

use super::{Activation, BaseDelegation, Committee, ConsensusKeyRecord, Unbonding, Validator};
use crate::ids::Address;
use crate::num::Amount;
use crate::time::{Epoch, Height, Timestamp};
use alloy_primitives::B256;

crate::state::tables! {
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
    /// Consensus keys of validators (base/consensus.rs): the current key and p2p address.
    110 consensus_keys: ConsensusKeys(Address => ConsensusKeyRecord),
    /// Every consensus key ever bound, with its validator (a key belongs to one validator).
    111 consensus_key_owners: ConsensusKeyOwners(B256 => Address),
    /// The committee of each consensus epoch still within reach of evidence.
    112 consensus_committees: ConsensusCommittees(u64 => Committee),
    /// The bonded stake of each seat of a kept committee when it was written, in seat order:
    /// the weights of leader election (base/consensus.rs, "Leaders").
    113 consensus_seat_stakes: ConsensusSeatStakes(u64 => Vec<Amount>),
}
