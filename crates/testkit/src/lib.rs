//! Test support for Rampart: a reference model of the restaking ledger and a harness that runs
//! the core and the model side by side, checking the invariants and each other after every step.

pub mod chain;
pub mod harness;
pub mod model;
