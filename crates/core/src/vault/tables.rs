//! The vault tables: configuration and books per vault, the LRT index, withdrawal requests and
//! their queues, per-epoch snapshots and the id counters.

use super::{VaultBooks, VaultConfig, VaultCounters, VaultRequest, VaultSnapshot};
use crate::ids::{Address, AssetId};
use crate::time::Epoch;

crate::state::tables! {
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
