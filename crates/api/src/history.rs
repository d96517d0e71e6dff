//! The node's history (`GET /v1/history`, `/v1/history/{group}`): one snapshot of the charted
//! figures per epoch boundary, kept by the node (not protocol state), served as time series.
//!
//! Every value is an exact decimal string of base units (amounts) or of a WAD (rates, 1e18 = 1):
//! a series says its `unit` and how many `decimals` turn a value into whole units.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The series groups, each one chart's worth: `tvl`, `stake`, `rates`, `rewards`, `security`,
/// `accounts`.
pub const GROUPS: [&str; 6] = ["tvl", "stake", "rates", "rewards", "security", "accounts"];

/// One epoch's figures as stored: series key → exact decimal value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistorySnapshot {
    /// The epoch that had just begun.
    pub epoch: u64,
    /// Unix time of the block that began it.
    pub time: u64,
    /// Height of that block.
    pub height: u64,
    /// Series key (`tvl/strategy/stETH`) → value.
    pub values: BTreeMap<String, String>,
    /// Series key → unit and decimals.
    pub units: BTreeMap<String, HistoryUnit>,
}

/// What a series' values count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryUnit {
    /// `stETH`, `RAM`, `RAM per stRAM`, …
    pub unit: String,
    /// Decimal places of one whole unit (18 for tokens and WAD rates).
    pub decimals: u8,
}

/// One point of a series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryPoint {
    /// Unix time of the epoch's first block.
    pub time: u64,
    /// The epoch.
    pub epoch: u64,
    /// Exact decimal value in base units of `unit`.
    pub value: String,
}

/// One series over a time range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistorySeries {
    /// Its key: `<group>/<kind>/<id>[/<part>]`, e.g. `tvl/strategy/stETH`,
    /// `stake/validator/0x…`, `security/set/0x…/0/cost`.
    pub key: String,
    /// The unit of the values.
    pub unit: String,
    /// Decimal places of one whole unit.
    pub decimals: u8,
    /// Points in time order.
    pub points: Vec<HistoryPoint>,
}

/// `GET /v1/history/{group}`: the group's series in a time range at a resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    /// The group asked for.
    pub group: String,
    /// Start of the range (unix seconds, inclusive).
    pub from: u64,
    /// End of the range (unix seconds, inclusive).
    pub to: u64,
    /// The resolution used: at most one point per this many seconds (the last snapshot of each
    /// bucket); 0 means every stored snapshot. Raised when the range would give more than
    /// [`MAX_POINTS`] points.
    pub resolution_s: u64,
    /// Every series of the group that has a point in the range.
    pub series: Vec<HistorySeries>,
}

/// `GET /v1/history`: what is stored and how it is bounded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryIndex {
    /// The groups (`GET /v1/history/{group}`).
    pub groups: Vec<String>,
    /// Snapshots stored.
    pub snapshots: u64,
    /// Time of the oldest and newest snapshot, if any.
    pub first_time: Option<u64>,
    /// Time of the newest snapshot.
    pub last_time: Option<u64>,
    /// The storage bound.
    pub bound: HistoryBound,
}

/// How the node bounds its history: the newest `recent` epochs at full resolution, older ones
/// downsampled to the last snapshot of each UTC day, at most `daily` of those; the oldest beyond
/// that are deleted. At most `recent + daily` snapshots are ever stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryBound {
    /// Snapshots kept at full (per-epoch) resolution.
    pub recent: u64,
    /// Daily snapshots kept beyond those.
    pub daily: u64,
}

/// The most points one series of a `/v1/history/{group}` answer has.
pub const MAX_POINTS: u64 = 2_000;
