//! The rewards tables: programs, reward indices per term, pending stake, set joins and
//! allocation raises (reward weights), operator commissions and bridge maturities.

use super::{RewardIndex, RewardProgram, ServiceCommission, Stream};
use crate::ids::{Address, AssetId, SetRef};
use crate::num::Wad;
use crate::time::{Epoch, Timestamp};

crate::state::tables! {
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
}
