//! What this node sees of consensus, for `GET /v1/consensus` and the dashboard's network page.
//!
//! The node crate does not depend on the engine: `rampart-consensus` reports into a
//! [`ConsensusMonitor`] (rounds seen, finalizations, executed blocks, its counters), and
//! [`crate::Shared::consensus_status`] joins that with the committee and uptime from the
//! chain's state. Everything kept here is bounded: the last [`RECENT_BLOCKS`] executed blocks and
//! the first-vote times of the last [`TRACKED_VIEWS`] views.

use alloy_primitives::{Address, B256};
use rampart_api::ApiError;
use rampart_api::consensus::{ConsensusStatusView, FinalizedBlockView, SeatView};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// Executed blocks kept for the status.
pub const RECENT_BLOCKS: usize = 64;
/// Views whose first-vote time is kept (older ones are forgotten).
pub const TRACKED_VIEWS: usize = 256;

/// Reads the engine's counters (name, value).
pub type CounterSource = Box<dyn Fn() -> Vec<(&'static str, u64)> + Send + Sync>;

/// This node's part in consensus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Holds a consensus key (votes when it has a seat).
    Validator(B256),
    /// Follows finalized blocks without a key.
    Follower,
}

#[derive(Default)]
struct Live {
    role: Option<Role>,
    engine_epoch: Option<u64>,
    view: u64,
    finalized_view: u64,
    nullified: u64,
    /// First vote or certificate seen per (epoch, view).
    first_seen: BTreeMap<(u64, u64), Instant>,
    /// Milliseconds to finalization per (epoch, view), until the block is executed.
    finality: BTreeMap<(u64, u64), u64>,
    recent: VecDeque<FinalizedBlockView>,
    counters: Option<CounterSource>,
}

impl Live {
    fn trim(&mut self) {
        while self.first_seen.len() > TRACKED_VIEWS {
            self.first_seen.pop_first();
        }
        while self.finality.len() > TRACKED_VIEWS {
            self.finality.pop_first();
        }
    }
}

/// Rounds, finalizations and executed blocks as this node saw them (empty on a single
/// producer, where [`ConsensusMonitor::bft`] is false).
#[derive(Default)]
pub struct ConsensusMonitor {
    live: Mutex<Live>,
}

impl std::fmt::Debug for ConsensusMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsensusMonitor")
            .field("role", &self.lock().role)
            .finish_non_exhaustive()
    }
}

/// A snapshot of the monitor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// The node's role (none: single producer).
    pub role: Option<Role>,
    /// The engine's epoch on this node.
    pub engine_epoch: Option<u64>,
    /// Highest view seen.
    pub view: u64,
    /// View of the last finalization.
    pub finalized_view: u64,
    /// Nullified views seen.
    pub nullified: u64,
    /// Executed blocks, newest first.
    pub recent: Vec<FinalizedBlockView>,
    /// The engine's counters.
    pub counters: BTreeMap<String, u64>,
}

impl ConsensusMonitor {
    fn lock(&self) -> MutexGuard<'_, Live> {
        // Plain bookkeeping: a panic elsewhere cannot leave it half-updated in a harmful way.
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks the node as a BFT node with `role`, its counters read from `counters`.
    pub fn start(&self, role: Role, counters: CounterSource) {
        let mut l = self.lock();
        l.role = Some(role);
        l.counters = Some(counters);
    }

    /// Whether the node runs consensus (set by [`ConsensusMonitor::start`]).
    pub fn bft(&self) -> bool {
        self.lock().role.is_some()
    }

    /// The engine of `epoch` runs here (`None`: none runs, the node follows).
    pub fn engine(&self, epoch: Option<u64>) {
        self.lock().engine_epoch = epoch;
    }

    /// A vote or certificate of (`epoch`, `view`) was seen now.
    pub fn seen(&self, epoch: u64, view: u64) {
        let mut l = self.lock();
        l.view = l.view.max(view);
        l.first_seen
            .entry((epoch, view))
            .or_insert_with(Instant::now);
        l.trim();
    }

    /// (`epoch`, `view`) was nullified (skipped).
    pub fn nullified(&self, epoch: u64, view: u64) {
        self.seen(epoch, view);
        let mut l = self.lock();
        l.nullified = l.nullified.saturating_add(1);
    }

    /// (`epoch`, `view`) was finalized now.
    pub fn finalized(&self, epoch: u64, view: u64) {
        let mut l = self.lock();
        l.view = l.view.max(view);
        l.finalized_view = l.finalized_view.max(view);
        if let Some(first) = l.first_seen.get(&(epoch, view)) {
            let ms = u64::try_from(first.elapsed().as_millis()).unwrap_or(u64::MAX);
            l.finality.insert((epoch, view), ms);
        }
        l.trim();
    }

    /// A finalized block was executed (its `finality_ms` is filled in here).
    pub fn executed(&self, mut block: FinalizedBlockView) {
        let mut l = self.lock();
        block.finality_ms = l.finality.remove(&(block.epoch, block.view));
        l.recent.push_front(block);
        l.recent.truncate(RECENT_BLOCKS);
    }

    /// What the monitor holds now.
    pub fn observed(&self) -> Observed {
        let l = self.lock();
        let counters = l
            .counters
            .as_ref()
            .map(|read| read().into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            .unwrap_or_default();
        Observed {
            role: l.role.clone(),
            engine_epoch: l.engine_epoch,
            view: l.view,
            finalized_view: l.finalized_view,
            nullified: l.nullified,
            recent: l.recent.iter().cloned().collect(),
            counters,
        }
    }
}

impl crate::Shared {
    /// `GET /v1/consensus`: the committee of the next block's epoch with each seat's uptime (on a
    /// single producer, the active set), joined with what this node saw of the rounds.
    pub fn consensus_status(&self) -> Result<ConsensusStatusView, ApiError> {
        let observed = self.consensus.observed();
        let own_key = match &observed.role {
            Some(Role::Validator(key)) => Some(*key),
            _ => None,
        };
        let proposed = proposed(&observed.recent);
        self.with_state(|state| {
            let height = state.meta().height.get();
            let view = rampart_core::query::consensus_view(state, None);
            let seats: Vec<(Address, Option<B256>, Option<String>)> = match &view.committee {
                Some(c) => c
                    .members
                    .iter()
                    .map(|m| (m.validator, Some(m.key), Some(m.p2p_address.clone())))
                    .collect(),
                None if view.consensus_epoch_blocks == 0 => rampart_core::base::active_set(state)
                    .into_iter()
                    .map(|a| (a, None, None))
                    .collect(),
                None => Vec::new(),
            };
            let stakes = view.seat_stakes.as_deref().unwrap_or_default();
            let total = stakes.iter().fold(0u128, |t, s| t.saturating_add(s.get()));
            let committee = seats
                .into_iter()
                .zip(0u32..)
                .map(|((validator, key, p2p_address), index)| {
                    let stake = usize::try_from(index).ok().and_then(|i| stakes.get(i));
                    let mut seat = seat(
                        state,
                        validator,
                        key,
                        p2p_address,
                        index,
                        own_key,
                        &proposed,
                    );
                    seat.seat_stake = stake.map(|s| s.get().to_string());
                    seat.leader_share_bps = stake.map(|s| share_bps(s.get(), total, stakes.len()));
                    seat
                })
                .collect();
            let finality: Vec<u64> = observed
                .recent
                .iter()
                .filter_map(|b| b.finality_ms)
                .collect();
            let (p50, p99) = p50_p99(&finality);
            ConsensusStatusView {
                mode: if observed.role.is_some() {
                    "bft"
                } else {
                    "single_producer"
                }
                .to_owned(),
                role: observed.role.as_ref().map(|r| {
                    match r {
                        Role::Validator(_) => "validator",
                        Role::Follower => "follower",
                    }
                    .to_owned()
                }),
                key: own_key,
                height,
                consensus_epoch_blocks: view.consensus_epoch_blocks,
                epoch: view.epoch,
                engine_epoch: observed.engine_epoch,
                view: observed.view,
                finalized_view: observed.finalized_view,
                nullified_views: observed.nullified,
                finality_ms_p50: p50,
                finality_ms_p99: p99,
                committee,
                recent: observed.recent,
                counters: observed.counters,
            }
        })
    }
}

fn seat(
    state: &rampart_core::State,
    validator: Address,
    key: Option<B256>,
    p2p_address: Option<String>,
    index: u32,
    own_key: Option<B256>,
    proposed: &BTreeMap<Address, u64>,
) -> SeatView {
    let v = rampart_core::query::validator_view(state, validator).ok();
    let missed_blocks = v.as_ref().map_or(0, |v| v.missed_blocks);
    let window_blocks = v.as_ref().map_or(0, |v| v.window_blocks);
    // Signed share of the window, rounded down (an absentee never looks better than it is).
    let uptime_bps = window_blocks
        .checked_sub(missed_blocks.min(window_blocks))
        .and_then(|signed| signed.checked_mul(10_000))
        .and_then(|x| x.checked_div(window_blocks))
        .unwrap_or(10_000);
    SeatView {
        index,
        validator,
        key,
        p2p_address,
        status: v.as_ref().map_or("unknown", |v| v.status).to_owned(),
        bonded: v
            .as_ref()
            .map_or_else(|| "0".to_owned(), |v| v.bonded.get().to_string()),
        missed_blocks,
        window_blocks,
        uptime_bps,
        seat_stake: None,
        leader_share_bps: None,
        proposed_recent: proposed.get(&validator).copied().unwrap_or(0),
        this_node: key.is_some() && key == own_key,
    }
}

/// A seat's share of views led, in basis points, rounded down: its stake over the total, or
/// one n-th when no seat has stake (the views then rotate).
fn share_bps(part: u128, total: u128, seats: usize) -> u64 {
    let bps = if total == 0 {
        10_000u128
            .checked_div(u128::try_from(seats).unwrap_or(1))
            .unwrap_or(0)
    } else {
        rampart_core::num::mul_div_floor(part, 10_000, total).unwrap_or(0)
    };
    u64::try_from(bps).unwrap_or(10_000)
}

/// Median and 99th percentile (nearest rank) of `values`, if any.
pub fn p50_p99(values: &[u64]) -> (Option<u64>, Option<u64>) {
    let mut v = values.to_vec();
    v.sort_unstable();
    let rank = |p: usize| {
        let n = v.len();
        v.get((n * p).div_ceil(100).clamp(1, n.max(1)) - 1).copied()
    };
    (rank(50), rank(99))
}

/// Blocks each proposer made among `recent`.
pub fn proposed(recent: &[FinalizedBlockView]) -> BTreeMap<Address, u64> {
    let mut out = BTreeMap::new();
    for b in recent {
        let n: &mut u64 = out.entry(b.proposer).or_insert(0);
        *n = n.saturating_add(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(height: u64, view: u64) -> FinalizedBlockView {
        FinalizedBlockView {
            height,
            epoch: 0,
            view,
            proposer: Address::repeat_byte(1),
            time: 0,
            txs: 0,
            evidence: 0,
            missed: Vec::new(),
            finality_ms: None,
        }
    }

    #[test]
    fn finality_is_measured_from_the_first_vote_and_attached_to_the_executed_block() {
        let m = ConsensusMonitor::default();
        assert!(!m.bft());
        m.start(Role::Follower, Box::new(|| vec![("executed", 7)]));
        assert!(m.bft());
        m.seen(0, 3);
        m.seen(0, 3);
        m.finalized(0, 3);
        m.executed(block(1, 3));
        m.executed(block(2, 4)); // a round this node did not see
        let o = m.observed();
        assert_eq!(o.view, 3);
        assert_eq!(o.finalized_view, 3);
        assert_eq!(o.recent.len(), 2);
        assert_eq!(o.recent[0].height, 2, "newest first");
        assert!(o.recent[0].finality_ms.is_none());
        assert!(o.recent[1].finality_ms.is_some());
        assert_eq!(o.counters.get("executed"), Some(&7));
    }

    #[test]
    fn what_is_kept_stays_bounded() {
        let m = ConsensusMonitor::default();
        for v in 0..(TRACKED_VIEWS as u64 * 3) {
            m.seen(0, v);
            if v % 2 == 0 {
                m.finalized(0, v);
            } else {
                m.nullified(0, v);
            }
            m.executed(block(v, v + 1_000_000));
        }
        let l = m.lock();
        assert!(l.first_seen.len() <= TRACKED_VIEWS);
        assert!(l.finality.len() <= TRACKED_VIEWS);
        assert_eq!(l.recent.len(), RECENT_BLOCKS);
        assert_eq!(l.nullified, TRACKED_VIEWS as u64 * 3 / 2);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        assert_eq!(p50_p99(&[]), (None, None));
        assert_eq!(p50_p99(&[5]), (Some(5), Some(5)));
        let v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(p50_p99(&v), (Some(50), Some(99)));
    }
}
