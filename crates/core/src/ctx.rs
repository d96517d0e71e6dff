//! The execution context of one transaction or block step.

use crate::events::Event;
use crate::ids::Address;
use crate::time::{Height, Timestamp};

/// Who acts, when, and where the events go. Built by the block executor; actions never see a
/// clock.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The signer (already authenticated by the envelope).
    pub signer: Address,
    /// Block time.
    pub now: Timestamp,
    /// Block height.
    pub height: Height,
    /// The block's proposer (receives priority tips and MEV).
    pub proposer: Option<Address>,
    /// Events emitted so far.
    pub events: Vec<crate::events::Event>,
}

impl Ctx {
    /// A context for `signer` at (`height`, `now`).
    pub fn new(signer: Address, height: Height, now: Timestamp) -> Self {
        Self {
            signer,
            now,
            height,
            proposer: None,
            events: Vec::new(),
        }
    }

    /// Records an event.
    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }
}
