//! Rampart's wire contract: what the node, the CLI and the dashboard say to each other.
//!
//! - [`tx`]: the signed transaction (EIP-712 typed data over the action vocabulary, PROTOCOL.md
//!   §2), signing helpers and the checks that reject a transaction before execution.
//! - [`strict`]: strict JSON for signed text (no duplicate or escaped keys, EIP-55 addresses).
//! - [`vocabulary`]: each action's fields and types, read from the core's deserializer.
//! - [`error`]: errors as `{code, message}` with stable codes.
//! - [`types`]: request and response bodies of the HTTP API, blocks, receipts, proofs, events.
//!
//! Everything here is plain data plus pure functions: no I/O, no clock. The node is the only
//! judge of a transaction, but a client can run the same [`tx::verify`] offline.

pub mod consensus;
pub mod error;
pub mod history;
pub mod strict;
pub mod tx;
pub mod types;
pub mod vocabulary;

pub use error::{ApiError, codes};
pub use tx::{SignedTx, TxLimits, UnsignedTx, VerifiedTx, Verifier, domain, verify};
