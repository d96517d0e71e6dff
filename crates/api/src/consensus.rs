//! How a node reaches agreement (`GET /v1/consensus`): the committee with each seat's uptime,
//! the rounds this node has seen, and the blocks it saw finalized.
//!
//! The committee and uptime come from the chain's state, so every node of a network reports the
//! same seats and the same missed-block counts at one height. Rounds, finality times and the
//! engine's counters are this node's own observations (they differ between nodes and start
//! over when the process restarts).

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// `GET /v1/consensus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConsensusStatusView {
    /// `single_producer` (this node makes every block: `rampart dev`) or `bft` (blocks are
    /// agreed by a committee on Commonware simplex and executed once finalized).
    pub mode: String,
    /// In BFT mode, `validator` (this node holds a consensus key) or `follower`.
    pub role: Option<String>,
    /// This node's consensus key, if it has one.
    #[schema(value_type = Option<String>)]
    pub key: Option<B256>,
    /// The last executed height.
    pub height: u64,
    /// Heights per consensus epoch (0 on a single-producer chain).
    pub consensus_epoch_blocks: u64,
    /// The consensus epoch of the next block.
    pub epoch: u64,
    /// The epoch whose engine runs on this node (none: it holds no seat, or single producer).
    pub engine_epoch: Option<u64>,
    /// The highest view this node has seen a vote or certificate for.
    pub view: u64,
    /// The view of the last finalization this node saw.
    pub finalized_view: u64,
    /// Views this node saw skipped (nullified) since it started.
    pub nullified_views: u64,
    /// Finality over the recent blocks, in milliseconds from the first vote this node saw in a
    /// block's view to its finalization: median.
    pub finality_ms_p50: Option<u64>,
    /// The same, 99th percentile.
    pub finality_ms_p99: Option<u64>,
    /// The seats of the next block's epoch (BFT), or the active validator set (single
    /// producer), with uptime from the chain's downtime tracking.
    pub committee: Vec<SeatView>,
    /// The last blocks this node executed after finalization, newest first (BFT only).
    pub recent: Vec<FinalizedBlockView>,
    /// The engine's counters on this node: blocks proposed, verified and refused, evidence
    /// reported and refused, blocks executed, certificates that did not decode.
    pub counters: BTreeMap<String, u64>,
}

/// One seat (or, on a single-producer chain, one active validator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SeatView {
    /// Signer index in votes (the position in the committee, sorted by key).
    pub index: u32,
    /// The validator holding the seat.
    #[schema(value_type = String)]
    pub validator: Address,
    /// Its consensus key (none on a single-producer chain).
    #[schema(value_type = Option<String>)]
    pub key: Option<B256>,
    /// Its p2p endpoint.
    pub p2p_address: Option<String>,
    /// `active`, `jailed`, `tombstoned`, … (the base layer's status now).
    pub status: String,
    /// Bonded stake, base units of the staking asset.
    pub bonded: String,
    /// Missed blocks in the uptime window.
    pub missed_blocks: u64,
    /// The uptime window, in blocks.
    pub window_blocks: u64,
    /// Signed share of the window, in basis points (10,000 = every block).
    pub uptime_bps: u64,
    /// Its stake when the committee was written (base units): its weight in leader election.
    /// None on a single-producer chain.
    pub seat_stake: Option<String>,
    /// Its expected share of views led, in basis points (seat stake over the committee's,
    /// rounded down). None on a single-producer chain.
    pub leader_share_bps: Option<u64>,
    /// Blocks it proposed among [`ConsensusStatusView::recent`].
    pub proposed_recent: u64,
    /// This node's own seat.
    pub this_node: bool,
}

/// A block this node executed once finalized.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FinalizedBlockView {
    /// Height.
    pub height: u64,
    /// Consensus epoch and view it was proposed in.
    pub epoch: u64,
    /// The view.
    pub view: u64,
    /// The leader's validator.
    #[schema(value_type = String)]
    pub proposer: Address,
    /// Unix time (from the block).
    pub time: u64,
    /// Transactions it carried.
    pub txs: u64,
    /// Equivocation evidence items it carried.
    pub evidence: u64,
    /// Seats missing from its parent's certificate (downtime tracking).
    #[schema(value_type = Vec<String>)]
    pub missed: Vec<Address>,
    /// Milliseconds from the first vote this node saw in its view to its finalization (none if
    /// this node did not see the round, e.g. while catching up).
    pub finality_ms: Option<u64>,
}
