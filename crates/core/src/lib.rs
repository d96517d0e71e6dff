//! Rampart's deterministic protocol state machine.
//!
//! Everything here is a pure function of (state, block header, transaction): no I/O, no clock,
//! no randomness, no floats, no hash-map iteration (see `clippy.toml`). The node, the scenario
//! runner and the tests drive it through [`genesis::Genesis::build`], [`block::begin_block`],
//! [`tx::execute_tx`] and [`query::Query::run`], and check [`invariants::check`] after every
//! transaction in tests and debug builds.
//!
//! The protocol is specified in `PROTOCOL.md`; module docs cite its sections and state their
//! invariants and arithmetic.

#![deny(clippy::float_arithmetic)]
// Every operation that can overflow, wrap, divide by zero or truncate is checked (or carries a
// comment saying why it cannot); tests may use plain operators.
#![cfg_attr(
    not(test),
    deny(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)
)]
#![warn(missing_docs)]

pub mod action;
pub mod bank;
pub mod base;
pub mod block;
// Index arithmetic of a heap-ordered tree whose depth is at most `MAX_DEPTH` (24): every index
// is below 2^25 and every shift below 32, so none of it can overflow.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
pub mod commitment;
pub mod ctx;
pub mod error;
pub mod events;
pub mod genesis;
pub mod governance;
pub mod ids;
pub mod insight;
pub mod invariants;
pub mod kinds;
pub mod lst;
pub mod num;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod params;
pub mod pricing;
pub mod query;
pub mod restaking;
pub mod rewards;
pub mod schema;
pub mod state;
pub mod time;
pub mod tx;
pub mod vault;

pub use action::{Action, Outcome};
pub use block::{BlockHeader, begin_block};
pub use error::{Error, Result};
pub use events::Event;
pub use genesis::Genesis;
pub use ids::{Address, AssetId, SetRef};
pub use num::{Amount, Bps, Shares, WAD, Wad};
pub use query::Query;
pub use state::State;
pub use time::{Duration, Epoch, Height, Timestamp};
pub use tx::{Receipt, Tx, execute_tx};
