//! The rewards tables: programs, the programs streaming (per set) and operator commissions. The
//! reward-index ledger and the reward weights' bookkeeping (set joins, allocation raises) are
//! restaking's (`restaking/tables.rs`, `restaking/ledger.rs`).

use super::{RewardProgram, ServiceCommission};
use crate::ids::{Address, AssetId, SetRef};
use crate::num::Amount;

crate::state::tables! {
    /// Reward programs.
    70 reward_programs: RewardPrograms(u64 => RewardProgram),
    /// Index: programs still streaming.
    71 active_programs: ActivePrograms(u64 => ()),
    /// Reward programs streaming (or waiting to start) per set, kept so the per-set limit is O(1).
    79 set_programs: SetPrograms(SetRef => u32),
    /// Operator commission per (operator, service).
    75 service_commissions: ServiceCommissions((Address, Address) => ServiceCommission),
    /// Commission an operator has earned from a service's programs, per (operator, service,
    /// reward asset), since its first: what the operator page shows per service. Σ over
    /// operators equals Σ `commissions` of the service's programs in that asset.
    95 commissions_earned: CommissionsEarned((Address, Address, AssetId) => Amount),
}
