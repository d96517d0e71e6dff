//! The liquid staking pool's tables: the pool, the redemption queue and per-epoch snapshots.

use super::{LstPool, LstSnapshot, Redemption};
use crate::ids::Address;
use crate::time::{Epoch, Timestamp};

crate::state::tables! {
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
}
