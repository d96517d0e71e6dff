//! Vault tests through the full transaction path (invariants asserted after every transaction).
