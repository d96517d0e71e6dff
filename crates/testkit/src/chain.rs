//! A minimal in-memory chain for tests: genesis, transactions signed by any address (the core
//! still checks authority against it), time moving block by block, and a count of the state
//! entries each piece of work wrote (to show that work does not grow with delegators).

use rampart_core::genesis::Genesis;
use rampart_core::{
    Action, Address, Amount, BlockHeader, Error, Event, Height, Outcome, State, Timestamp, Tx,
    begin_block, execute_tx,
};

/// A chain driven directly through the core.
#[allow(missing_debug_implementations)]
pub struct Chain {
    /// The state.
    pub state: State,
    /// The current block.
    pub header: BlockHeader,
}

impl Chain {
    /// Builds genesis and opens the first block at genesis time. Invariants are checked after
    /// every transaction (debug builds) unless the caller turns them off.
    pub fn new(genesis: &Genesis) -> Self {
        let mut state = genesis.build().expect("genesis is valid");
        let header = BlockHeader::new(Height::new(1), genesis.time, None);
        begin_block(&mut state, &header).expect("first block");
        state.discard_journal();
        Self { state, header }
    }

    /// Runs `action` signed by `signer` with no fee.
    pub fn send(&mut self, signer: Address, action: Action) -> Result<Outcome, Error> {
        let result = self.send_keeping_journal(signer, action);
        self.state.discard_journal();
        result
    }

    /// Runs `action`, panicking with its error if it fails.
    pub fn must(&mut self, signer: Address, action: Action) -> Outcome {
        let name = action.name();
        match self.send(signer, action) {
            Ok(o) => o,
            Err(e) => panic!("{name} failed: {e}"),
        }
    }

    fn send_keeping_journal(&mut self, signer: Address, action: Action) -> Result<Outcome, Error> {
        let tx = Tx {
            signer,
            nonce: rampart_core::tx::next_nonce(&self.state, signer),
            fee: Amount::ZERO,
            priority_tip: Amount::ZERO,
            action,
        };
        execute_tx(&mut self.state, &self.header, tx)
            .expect("a fee-less envelope with the next nonce is always valid")
            .result
    }

    /// Runs `action` and returns its result and the number of state entries it wrote.
    pub fn send_counting(
        &mut self,
        signer: Address,
        action: Action,
    ) -> (Result<Outcome, Error>, usize) {
        self.state.discard_journal();
        let result = self.send_keeping_journal(signer, action);
        let written = self.state.take_changes().len();
        (result, written)
    }

    /// Opens the next block at unix time `t` (one block, however far ahead).
    pub fn advance_to(&mut self, t: u64) -> Vec<Event> {
        let (events, _) = self.advance_counting(t);
        events
    }

    /// Opens the next block at `t`; returns its events and the number of state entries written.
    pub fn advance_counting(&mut self, t: u64) -> (Vec<Event>, usize) {
        assert!(t >= self.header.time.get(), "time only moves forward");
        self.state.discard_journal();
        let block_time = self.state.params().block_time_s.get().max(1);
        let blocks = ((t - self.header.time.get()) / block_time).max(1);
        let header = BlockHeader::new(
            Height::new(self.header.height.get() + blocks),
            Timestamp::new(t),
            None,
        );
        let events = begin_block(&mut self.state, &header).expect("begin_block");
        let written = self.state.take_changes().len();
        self.header = header;
        (events, written)
    }

    /// The current unix time.
    pub fn now(&self) -> u64 {
        self.header.time.get()
    }
}
