//! The transaction envelope: nonce, fee, priority tip, action (PROTOCOL.md §2).
//!
//! A transaction is first *checked* (nonce, fee, balance): a failure there rejects it with no
//! state change at all. Otherwise the nonce is consumed and the fee paid, then the action runs;
//! if the action fails its writes are rolled back and only the nonce and fee remain.
//! Signatures are verified before this point, by the node.

use crate::action::{Action, Outcome};
use crate::bank;
use crate::bank::Accounts;
use crate::block::BlockHeader;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, fmt_address, module};
use crate::num::Amount;
use crate::state::State;
use serde::{Deserialize, Serialize};

/// An authenticated transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tx {
    /// The account that signed it.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub signer: Address,
    /// The signer's next nonce.
    pub nonce: u64,
    /// Covers the action's base fee; goes to the epoch's fee pool.
    pub fee: Amount,
    /// Goes to the block's proposer.
    pub priority_tip: Amount,
    /// What to do.
    pub action: Action,
}

impl Tx {
    /// A transaction paying no fee and no tip (for chains whose base fees are zero: tests and
    /// benchmarks).
    pub fn unpaid(signer: Address, nonce: u64, action: Action) -> Self {
        Self {
            signer,
            nonce,
            fee: Amount::ZERO,
            priority_tip: Amount::ZERO,
            action,
        }
    }
}

/// The result of an executed transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// What the action produced, or why it failed.
    pub result: Result<Outcome>,
    /// Events, the fee payment first (an action's events only if it succeeded).
    pub events: Vec<Event>,
}

/// The next nonce of an account.
pub fn next_nonce(state: &State, account: Address) -> u64 {
    state.get::<Accounts>(&account).map_or(0, |a| a.nonce)
}

/// Checks that would reject `tx` before execution.
pub fn check_tx(state: &State, tx: &Tx) -> Result<()> {
    let expected = next_nonce(state, tx.signer);
    if tx.nonce != expected {
        return Err(Error::BadNonce {
            account: fmt_address(&tx.signer),
            expected,
            got: tx.nonce,
        });
    }
    let required = state.params().base_fee_of(tx.action.name());
    if tx.fee < required {
        return Err(Error::FeeTooLow {
            action: tx.action.name(),
            offered: tx.fee,
            required,
        });
    }
    let total = tx.fee.checked_add(tx.priority_tip)?;
    if total.is_zero() {
        return Ok(());
    }
    let available = bank::balance(state, tx.signer, AssetId::NATIVE);
    if available < total {
        return Err(Error::InsufficientBalance {
            account: fmt_address(&tx.signer),
            asset: bank::symbol(state, AssetId::NATIVE),
            available,
            required: total,
        });
    }
    Ok(())
}

/// Executes `tx` in the block `header`. `Err` means rejected: nothing changed, not even the
/// nonce (the envelope's writes are undone too), so every node that skips it agrees. `Ok` carries
/// the action's result, success or failure; a failed action changes only the nonce and the fee.
pub fn execute_tx(state: &mut State, header: &BlockHeader, tx: Tx) -> Result<Receipt> {
    check_tx(state, &tx)?;
    let envelope = state.mark();
    let mut events = Vec::new();
    let nonce = tx
        .nonce
        .checked_add(1)
        .ok_or(crate::num::MathError::Overflow)?;
    state.put::<Accounts>(tx.signer, bank::Account { nonce });
    if let Err(e) = pay_fee(state, &tx, header.proposer, &mut events) {
        state.rollback_to(envelope);
        return Err(e);
    }
    let action = state.mark();
    let mut ctx = Ctx::new(tx.signer, header.height, header.time);
    ctx.proposer = header.proposer;
    let name = tx.action.name();
    let result = tx.action.execute(state, &mut ctx);
    match &result {
        Ok(_) => events.append(&mut ctx.events),
        Err(_) => state.rollback_to(action),
    }
    if state.invariant_checks() {
        let violations = crate::invariants::check(state);
        assert!(
            violations.is_empty(),
            "invariants broken after {name}: {violations:?}"
        );
    }
    Ok(Receipt { result, events })
}

fn pay_fee(
    state: &mut State,
    tx: &Tx,
    proposer: Option<Address>,
    events: &mut Vec<Event>,
) -> Result<()> {
    if tx.fee.is_zero() && tx.priority_tip.is_zero() {
        return Ok(());
    }
    bank::transfer(
        state,
        tx.signer,
        module::fee_pool(),
        AssetId::NATIVE,
        tx.fee,
    )?;
    crate::base::credit_proposer(state, events, tx.signer, proposer, tx.priority_tip)?;
    events.push(Event::FeePaid {
        payer: tx.signer,
        fee: tx.fee,
        priority_tip: tx.priority_tip,
    });
    Ok(())
}
