//! The chain: the core's state, its commitment and storage, advanced one block at a time.
//!
//! This is the "execute and commit a block" side of the node's boundary (`docs/architecture.md`,
//! "Node"). It never decides what goes in a block: a [`Proposal`] (header + ordered verified
//! transactions) arrives from the single-node producer today, from a BFT engine's finalized
//! block later, and [`Chain::execute`] runs it deterministically:
//!
//! 1. `begin_block` (delayed effects due by the header's time);
//! 2. every transaction in order through `execute_tx`; one rejected before execution (bad nonce,
//!    fee, balance) is skipped, changes nothing and is not part of the block;
//! 3. the block's changed keys update the commitment, giving the state root.
//!
//! [`Chain::commit`] then writes the block atomically ([`rampart_storage::Store::commit`]).
//! [`Chain::apply_block`] is the follower's path: re-verify a stored block's signed transactions,
//! execute them, and require the same root.

use crate::NodeError;
use crate::delegators::DelegatorIndex;
use alloy_primitives::{Address, B256};
use rampart_api::tx::Verifier;
use rampart_api::types::{BlockHeaderView, ReceiptView, tx_root};
use rampart_api::{ApiError, VerifiedTx};
use rampart_core::commitment::{Commitment, DEFAULT_DEPTH, Proof};
use rampart_core::{BlockHeader, Genesis, Height, State, Timestamp, begin_block, execute_tx};
use rampart_storage::{BlockCommit, Store, StoredBlock, StoredTx};

/// What goes in a block: decided by the producer (or consensus), executed by [`Chain::execute`].
#[derive(Clone, Debug)]
pub struct Proposal {
    /// Height; the head's plus one.
    pub height: u64,
    /// Unix time; not before the head's.
    pub time: u64,
    /// Who proposed it (receives priority tips).
    pub proposer: Option<Address>,
    /// Verified transactions, in execution order.
    pub txs: Vec<VerifiedTx>,
    /// Active validators that did not sign the parent (from its certificate; BFT only).
    pub missed: Vec<Address>,
    /// Equivocation evidence to apply (BFT only).
    pub evidence: Vec<rampart_core::base::ConsensusEvidence>,
}

impl Proposal {
    /// A proposal with no consensus reports (the single producer's).
    pub fn new(height: u64, time: u64, proposer: Option<Address>, txs: Vec<VerifiedTx>) -> Self {
        Self {
            height,
            time,
            proposer,
            txs,
            missed: Vec::new(),
            evidence: Vec::new(),
        }
    }
}

/// A transaction of a proposal that was rejected before execution (not in the block).
#[derive(Clone, Debug)]
pub struct Rejected {
    /// Its id.
    pub hash: B256,
    /// Its signer.
    pub signer: Address,
    /// Why.
    pub error: ApiError,
}

/// A block executed in memory, not yet committed.
#[derive(Debug)]
pub struct Executed {
    /// The block as it will be stored.
    pub block: StoredBlock,
    /// Receipts of its transactions, in order.
    pub receipts: Vec<ReceiptView>,
    /// Transactions of the proposal that were skipped.
    pub rejected: Vec<Rejected>,
    changes: Vec<rampart_core::state::EncodedChange>,
}

/// The state machine with its commitment and storage.
#[derive(Debug)]
pub struct Chain {
    state: State,
    commitment: Commitment,
    head: BlockHeaderView,
    store: Store,
    verifier: Verifier,
    delegators: DelegatorIndex,
}

impl Chain {
    /// Opens the chain in `store`: resumes at its head, or starts it from `genesis` if the store
    /// is empty. A resumed chain's recomputed root must equal its stored head's.
    pub fn open(store: Store, genesis: &Genesis, verifier: Verifier) -> Result<Self, NodeError> {
        if store.is_initialised()? {
            return Self::resume(store, verifier);
        }
        let mut state = genesis.build()?;
        state.set_invariant_checks(cfg!(test));
        let entries = state.encoded_entries();
        let mut commitment = commitment_of(&entries);
        let root = commitment.root();
        let head =
            BlockHeaderView::new(0, genesis.time.get(), None, B256::ZERO, tx_root(&[]), root);
        store.init(genesis, &entries, &head)?;
        Ok(Self {
            delegators: DelegatorIndex::of(&state),
            state,
            commitment,
            head,
            store,
            verifier,
        })
    }

    fn resume(store: Store, verifier: Verifier) -> Result<Self, NodeError> {
        let (state, commitment, head) = load(&store)?;
        Ok(Self {
            delegators: DelegatorIndex::of(&state),
            state,
            commitment,
            head,
            store,
            verifier,
        })
    }

    /// The state after the head block.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Who delegates to each operator and validator (see [`crate::delegators`]), in step with
    /// [`Chain::state`].
    pub fn delegators(&self) -> &DelegatorIndex {
        &self.delegators
    }

    /// The last committed header.
    pub fn head(&self) -> &BlockHeaderView {
        &self.head
    }

    /// The storage.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The transaction verifier of this chain.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// A proof of `key` against the head's state root.
    pub fn prove(&mut self, key: &[u8]) -> Proof {
        self.commitment.prove(key)
    }

    /// Runs a proposal on the in-memory state (see the module docs). On error the in-memory
    /// state is reloaded from storage, so nothing half-executed survives.
    pub fn execute(&mut self, proposal: Proposal) -> Result<Executed, NodeError> {
        if proposal.height != self.head.height + 1 {
            return Err(NodeError::BadProposal(format!(
                "height {} does not follow {}",
                proposal.height, self.head.height
            )));
        }
        match self.run(proposal) {
            Ok(executed) => Ok(executed),
            Err(e) => {
                self.reload()?;
                Err(e)
            }
        }
    }

    fn run(&mut self, proposal: Proposal) -> Result<Executed, NodeError> {
        let mut header = BlockHeader::new(
            Height::new(proposal.height),
            Timestamp::new(proposal.time),
            proposal.proposer,
        );
        header.missed = proposal.missed.clone();
        header.evidence = proposal.evidence.clone();
        let begin_events = begin_block(&mut self.state, &header).map_err(|e| match e {
            rampart_core::error::BlockError::BadHeader(reason) => NodeError::BadProposal(reason),
            broken => NodeError::Protocol(broken.into()),
        })?;
        let events = rampart_core::events::render(&self.state, &begin_events);
        let mut txs = Vec::with_capacity(proposal.txs.len());
        let mut receipts = Vec::with_capacity(proposal.txs.len());
        let mut rejected = Vec::new();
        for vtx in proposal.txs {
            let VerifiedTx { hash, signed, tx } = vtx;
            let signer = tx.signer;
            match execute_tx(&mut self.state, &header, tx) {
                Err(e) => rejected.push(Rejected {
                    hash,
                    signer,
                    error: e.into(),
                }),
                Ok(receipt) => {
                    let index = u32::try_from(txs.len()).unwrap_or(u32::MAX);
                    let view =
                        receipt_view(&self.state, hash, proposal.height, index, &signed, receipt);
                    txs.push(StoredTx {
                        hash,
                        ok: view.ok,
                        signed,
                    });
                    receipts.push(view);
                }
            }
        }
        let changes = self.state.take_changes();
        self.commitment.apply(&changes);
        self.delegators
            .apply(&changes)
            .map_err(|e| NodeError::Corrupt(format!("block {}: {e}", proposal.height)))?;
        let root = self.commitment.root();
        let hashes: Vec<B256> = txs.iter().map(|t| t.hash).collect();
        let header = BlockHeaderView::new(
            proposal.height,
            proposal.time,
            proposal.proposer,
            self.head.hash,
            tx_root(&hashes),
            root,
        );
        Ok(Executed {
            block: StoredBlock {
                header,
                txs,
                events,
                missed: proposal.missed,
                evidence: proposal.evidence,
            },
            receipts,
            rejected,
            changes,
        })
    }

    /// What `action` signed by `signer` would do as the next transaction of the next block at
    /// `time`: `begin_block`, the `pending` transactions (the mempool's), then the action with
    /// the signer's nonce at that point and `fee` (default: the action's base fee). No
    /// signature is needed and everything is undone: the chain is exactly as before.
    pub fn simulate(
        &mut self,
        time: u64,
        proposer: Option<Address>,
        pending: Vec<VerifiedTx>,
        signer: Address,
        action: rampart_core::Action,
        fee: Option<rampart_core::Amount>,
    ) -> Result<rampart_api::types::SimulationView, ApiError> {
        let start = self.state.mark();
        let header = BlockHeader::new(
            Height::new(self.head.height + 1),
            Timestamp::new(time.max(self.head.time)),
            proposer,
        );
        let out = match begin_block(&mut self.state, &header) {
            Err(e) => Err(ApiError::new(
                rampart_api::codes::UNAVAILABLE,
                format!("the next block would not begin: {e}"),
            )),
            Ok(_) => {
                for vtx in pending {
                    let _ = execute_tx(&mut self.state, &header, vtx.tx);
                }
                let nonce = rampart_core::tx::next_nonce(&self.state, signer);
                let fee = fee.unwrap_or_else(|| self.state.params().base_fee_of(action.name()));
                let tx = rampart_core::Tx {
                    signer,
                    nonce,
                    fee,
                    priority_tip: rampart_core::Amount::ZERO,
                    action,
                };
                let mut view = rampart_api::types::SimulationView {
                    height: header.height.get(),
                    time: header.time.get(),
                    nonce,
                    fee: fee.to_string(),
                    ok: false,
                    outcome: serde_json::Value::Null,
                    error: None,
                    events: serde_json::Value::Array(Vec::new()),
                };
                match execute_tx(&mut self.state, &header, tx) {
                    Err(e) => view.error = Some(e.into()),
                    Ok(receipt) => {
                        view.events = rampart_core::events::render(&self.state, &receipt.events);
                        match receipt.result {
                            Ok(outcome) => {
                                view.ok = true;
                                view.outcome = serde_json::to_value(outcome)
                                    .unwrap_or(serde_json::Value::Null);
                            }
                            Err(e) => view.error = Some(ApiError::from(e)),
                        }
                    }
                }
                Ok(view)
            }
        };
        self.state.rollback_to(start);
        out
    }

    /// A keeper's dry run of the next block: `begin_block` at `time`, the `pending`
    /// transactions (the mempool's, in proposal order), then each candidate signed by its
    /// closure with the nonce its signer would have at that point. A candidate whose action
    /// fails (or that would be rejected) is undone on its own, so later candidates see the
    /// block without it. Everything is undone at the end: the chain is exactly as before.
    /// Returns, per candidate, its signed transaction if it would succeed, else why not.
    pub fn dry_run<F>(
        &mut self,
        time: u64,
        proposer: Option<Address>,
        pending: Vec<VerifiedTx>,
        candidates: Vec<(Address, F)>,
    ) -> Vec<Result<VerifiedTx, ApiError>>
    where
        F: FnOnce(u64) -> Result<rampart_api::SignedTx, ApiError>,
    {
        let start = self.state.mark();
        let header = BlockHeader::new(
            Height::new(self.head.height + 1),
            Timestamp::new(time.max(self.head.time)),
            proposer,
        );
        let began = begin_block(&mut self.state, &header);
        let out = match began {
            Err(e) => {
                let error = ApiError::new(
                    rampart_api::codes::UNAVAILABLE,
                    format!("the next block would not begin: {e}"),
                );
                candidates.iter().map(|_| Err(error.clone())).collect()
            }
            Ok(_) => {
                for vtx in pending {
                    let _ = execute_tx(&mut self.state, &header, vtx.tx);
                }
                candidates
                    .into_iter()
                    .map(|(signer, sign)| self.dry_run_one(&header, signer, sign))
                    .collect()
            }
        };
        self.state.rollback_to(start);
        out
    }

    fn dry_run_one(
        &mut self,
        header: &BlockHeader,
        signer: Address,
        sign: impl FnOnce(u64) -> Result<rampart_api::SignedTx, ApiError>,
    ) -> Result<VerifiedTx, ApiError> {
        let nonce = rampart_core::tx::next_nonce(&self.state, signer);
        let vtx = self.verifier.verify(sign(nonce)?)?;
        let mark = self.state.mark();
        let outcome = match execute_tx(&mut self.state, header, vtx.tx.clone()) {
            Err(e) => Err(ApiError::from(e)),
            Ok(receipt) => match receipt.result {
                Ok(_) => Ok(()),
                Err(e) => Err(ApiError::from(e)),
            },
        };
        match outcome {
            Ok(()) => Ok(vtx),
            Err(e) => {
                self.state.rollback_to(mark);
                Err(e)
            }
        }
    }

    /// Writes an executed block to storage; it becomes the head. On a storage error the
    /// in-memory state is reloaded from the last committed block.
    pub fn commit(&mut self, executed: &Executed) -> Result<(), NodeError> {
        let result = self.store.commit(&BlockCommit {
            block: &executed.block,
            receipts: &executed.receipts,
            changes: &executed.changes,
        });
        match result {
            Ok(()) => {
                self.head = executed.block.header.clone();
                Ok(())
            }
            Err(e) => {
                self.reload()?;
                Err(e.into())
            }
        }
    }

    /// The follower's path: re-verifies a block's signed transactions, executes them with the
    /// block's header, requires the same transactions to run and the same root, and commits.
    pub fn apply_block(&mut self, block: &StoredBlock) -> Result<B256, NodeError> {
        let mut txs = Vec::with_capacity(block.txs.len());
        for t in &block.txs {
            let vtx = self
                .verifier
                .verify(t.signed.clone())
                .map_err(|e| NodeError::BadProposal(format!("tx {:#x}: {e}", t.hash)))?;
            txs.push(vtx);
        }
        let executed = self.execute(Proposal {
            height: block.header.height,
            time: block.header.time,
            proposer: block.header.proposer,
            txs,
            missed: block.missed.clone(),
            evidence: block.evidence.clone(),
        })?;
        let got = &executed.block.header;
        if got.hash != block.header.hash || !executed.rejected.is_empty() {
            self.reload()?;
            return Err(NodeError::BadProposal(format!(
                "block {} re-executes to root {:#x} (hash {:#x}), the block says root {:#x} (hash {:#x})",
                block.header.height,
                got.state_root,
                got.hash,
                block.header.state_root,
                block.header.hash
            )));
        }
        self.commit(&executed)?;
        Ok(self.head.state_root)
    }

    /// Reloads the state, commitment and head from the last committed block.
    pub fn reload(&mut self) -> Result<(), NodeError> {
        let (state, commitment, head) = load(&self.store)?;
        self.delegators = DelegatorIndex::of(&state);
        self.state = state;
        self.commitment = commitment;
        self.head = head;
        Ok(())
    }
}

/// The committed state, its commitment and head, checked against each other.
fn load(store: &Store) -> Result<(State, Commitment, BlockHeaderView), NodeError> {
    let head = store.head()?;
    let entries = store.load_state()?;
    let mut state = State::from_entries(entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))
        .map_err(|e| NodeError::Corrupt(format!("stored state: {e}")))?;
    state.set_invariant_checks(cfg!(test));
    let mut commitment = commitment_of(&entries);
    let root = commitment.root();
    if root != head.state_root {
        return Err(NodeError::Corrupt(format!(
            "stored state has root {root:#x}, the head block {} says {:#x}",
            head.height, head.state_root
        )));
    }
    Ok((state, commitment, head))
}

fn commitment_of(entries: &[(Vec<u8>, Vec<u8>)]) -> Commitment {
    Commitment::from_entries(
        DEFAULT_DEPTH,
        entries.iter().map(|(k, v)| (k.as_slice(), v.as_slice())),
    )
}

fn receipt_view(
    state: &State,
    hash: B256,
    height: u64,
    index: u32,
    signed: &rampart_api::SignedTx,
    receipt: rampart_core::Receipt,
) -> ReceiptView {
    let (ok, outcome, error) = match receipt.result {
        Ok(outcome) => (
            true,
            serde_json::to_value(outcome).unwrap_or(serde_json::Value::Null),
            None,
        ),
        Err(e) => (false, serde_json::Value::Null, Some(ApiError::from(e))),
    };
    ReceiptView {
        hash,
        height,
        index,
        from: signed.from,
        nonce: signed.nonce,
        action: signed.action.clone(),
        ok,
        outcome,
        error,
        events: rampart_core::events::render(state, &receipt.events),
    }
}

/// Re-executes every stored block from genesis on a fresh in-memory chain and returns each
/// height's state root (height 0 = genesis). Used to check that a store's roots are exactly
/// what its blocks give.
///
/// `limits` are the node's `[tx]` limits: a chain built with larger ones must replay with them.
pub fn replay_roots(
    store: &Store,
    chain_id: u64,
    limits: rampart_api::TxLimits,
) -> Result<Vec<(u64, B256)>, NodeError> {
    let genesis = store.genesis()?;
    let head = store.head()?;
    let scratch = Store::open_in_memory()?;
    let mut replica = Chain::open(scratch, &genesis, Verifier::new(chain_id, limits))?;
    let mut roots = vec![(0, replica.head.state_root)];
    for height in 1..=head.height {
        let block = store
            .block(height)?
            .ok_or_else(|| NodeError::Corrupt(format!("block {height} is missing")))?;
        let root = replica.apply_block(&block)?;
        roots.push((height, root));
    }
    Ok(roots)
}
