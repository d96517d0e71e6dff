//! Who delegates to an operator or a validator: a node-side reverse index of the core's
//! position tables, for the operator and validator pages.
//!
//! The core keys restaking positions by staker first (`Positions: (staker, operator, strategy)`)
//! and base delegations by delegator first (`BaseDelegations: (delegator, validator)`), because
//! every protocol path starts from the staker. "Every delegator of operator X" has no prefix in
//! those keys, and scanning all positions per page view would let anyone who opens positions
//! slow every page. The node therefore keeps the same keys reversed, in memory, next to the
//! state it already holds:
//!
//! - built from the state when the chain opens or reloads ([`DelegatorIndex::of`]);
//! - kept in step at every executed block from the block's changed keys (the exact set
//!   storage commits), so it is a mirror of the two tables, never a guess from events;
//! - nothing in consensus depends on it (it is not in the state root).
//!
//! An answer values each listed delegator through the core's own read side
//! ([`rampart_core::query::delegator_positions`], [`rampart_core::query::base_delegation_entry`]),
//! so a row shows exactly what `position` / `base_delegation` show for that account. Pages are
//! in address order with an `after` cursor and at most [`MAX_PAGE`] rows.

use alloy_primitives::Address;
use rampart_api::{ApiError, codes};
use rampart_core::query::{BaseDelegationEntry, PositionEntryView};
use rampart_core::schema::{BaseDelegations, Positions};
use rampart_core::state::{EncodedChange, KeyCodec, Table};
use rampart_core::{AssetId, State};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// Most rows in one page.
pub const MAX_PAGE: usize = 200;
/// Rows in a page when `limit` is not given.
pub const DEFAULT_PAGE: usize = 50;

/// The reversed keys of `Positions` and `BaseDelegations`, with distinct-delegator counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DelegatorIndex {
    /// (operator, staker, strategy) for every restaking position.
    positions: BTreeSet<(Address, Address, AssetId)>,
    /// Stakers per operator (distinct accounts, whatever their number of strategies).
    operator_counts: BTreeMap<Address, u64>,
    /// (validator, delegator) for every base delegation.
    base: BTreeSet<(Address, Address)>,
    /// Delegators per validator.
    validator_counts: BTreeMap<Address, u64>,
}

impl DelegatorIndex {
    /// The index of a state's current positions and base delegations.
    pub fn of(state: &State) -> Self {
        let mut index = Self::default();
        for (&(staker, operator, strategy), _) in state.iter::<Positions>() {
            index.add_position(operator, staker, strategy);
        }
        for (&(delegator, validator), _) in state.iter::<BaseDelegations>() {
            index.add_base(validator, delegator);
        }
        index
    }

    /// Follows one block's changed keys (`State::take_changes`): a written key is present, a
    /// deleted one gone. Keys of other tables are ignored; a key of these two tables that does
    /// not decode is reported (the stored state would not load either).
    pub fn apply(&mut self, changes: &[EncodedChange]) -> Result<(), String> {
        for (key, value) in changes {
            let Some((&id, mut rest)) = key.split_first() else {
                continue;
            };
            if id == Positions::ID {
                let (staker, operator, strategy) =
                    <(Address, Address, AssetId)>::decode_key(&mut rest)
                        .filter(|_| rest.is_empty())
                        .ok_or_else(|| format!("malformed key in table {id}"))?;
                if value.is_some() {
                    self.add_position(operator, staker, strategy);
                } else {
                    self.remove_position(operator, staker, strategy);
                }
            } else if id == BaseDelegations::ID {
                let (delegator, validator) = <(Address, Address)>::decode_key(&mut rest)
                    .filter(|_| rest.is_empty())
                    .ok_or_else(|| format!("malformed key in table {id}"))?;
                if value.is_some() {
                    self.add_base(validator, delegator);
                } else {
                    self.remove_base(validator, delegator);
                }
            }
        }
        Ok(())
    }

    fn add_position(&mut self, operator: Address, staker: Address, strategy: AssetId) {
        let first = !self.holds(operator, staker);
        if self.positions.insert((operator, staker, strategy)) && first {
            *self.operator_counts.entry(operator).or_default() += 1;
        }
    }

    fn remove_position(&mut self, operator: Address, staker: Address, strategy: AssetId) {
        if self.positions.remove(&(operator, staker, strategy)) && !self.holds(operator, staker) {
            decrement(&mut self.operator_counts, operator);
        }
    }

    fn holds(&self, operator: Address, staker: Address) -> bool {
        self.positions
            .range((operator, staker, AssetId(0))..)
            .next()
            .is_some_and(|(o, s, _)| *o == operator && *s == staker)
    }

    fn add_base(&mut self, validator: Address, delegator: Address) {
        if self.base.insert((validator, delegator)) {
            *self.validator_counts.entry(validator).or_default() += 1;
        }
    }

    fn remove_base(&mut self, validator: Address, delegator: Address) {
        if self.base.remove(&(validator, delegator)) {
            decrement(&mut self.validator_counts, validator);
        }
    }

    /// How many accounts hold a position with `operator`.
    pub fn operator_count(&self, operator: Address) -> u64 {
        self.operator_counts.get(&operator).copied().unwrap_or(0)
    }

    /// How many accounts delegate to `validator`.
    pub fn validator_count(&self, validator: Address) -> u64 {
        self.validator_counts.get(&validator).copied().unwrap_or(0)
    }

    /// Up to `limit` stakers of `operator` after `after`, in address order.
    pub fn operator_page(
        &self,
        operator: Address,
        after: Option<Address>,
        limit: usize,
    ) -> Vec<Address> {
        let start = match after {
            // Past every strategy of `after`.
            Some(a) => Bound::Excluded((operator, a, AssetId(u32::MAX))),
            None => Bound::Included((operator, Address::ZERO, AssetId(0))),
        };
        let mut out: Vec<Address> = Vec::new();
        for &(o, s, _) in self.positions.range((start, Bound::Unbounded)) {
            if o != operator {
                break;
            }
            if out.last() != Some(&s) {
                if out.len() == limit {
                    break;
                }
                out.push(s);
            }
        }
        out
    }

    /// Up to `limit` delegators of `validator` after `after`, in address order.
    pub fn validator_page(
        &self,
        validator: Address,
        after: Option<Address>,
        limit: usize,
    ) -> Vec<Address> {
        let start = match after {
            Some(a) => Bound::Excluded((validator, a)),
            None => Bound::Included((validator, Address::ZERO)),
        };
        self.base
            .range((start, Bound::Unbounded))
            .take_while(|(v, _)| *v == validator)
            .take(limit)
            .map(|(_, d)| *d)
            .collect()
    }
}

fn decrement(counts: &mut BTreeMap<Address, u64>, key: Address) {
    if let Some(n) = counts.get_mut(&key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

/// `?after=&limit=` of a delegator list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Start after this account (the previous page's `next`).
    pub after: Option<String>,
    /// Rows, at most 200 (default 50).
    pub limit: Option<usize>,
}

/// A page request, checked.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageAt {
    /// Start after this account.
    pub after: Option<Address>,
    /// Rows, if given.
    pub limit: Option<usize>,
}

impl PageAt {
    fn limit(&self) -> Result<usize, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::new(
                codes::INVALID_INPUT,
                format!("limit {n} is out of range: 1 to {MAX_PAGE}"),
            )),
        }
    }
}

/// One staker of an operator: its positions with the operator, one per strategy.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OperatorDelegatorView {
    /// The staker.
    #[schema(value_type = String)]
    pub staker: Address,
    /// Its positions with the operator, valued as `position` values them.
    pub positions: Vec<PositionEntryView>,
}

/// `GET /v1/operators/{operator}/delegators`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OperatorDelegatorsView {
    /// The operator.
    #[schema(value_type = String)]
    pub operator: Address,
    /// Accounts holding a position with it (all pages).
    pub count: u64,
    /// This page, in address order.
    pub delegators: Vec<OperatorDelegatorView>,
    /// `after` for the next page, if there is one.
    #[schema(value_type = Option<String>)]
    pub next: Option<Address>,
}

/// One delegator of a validator.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ValidatorDelegatorView {
    /// The delegator.
    #[schema(value_type = String)]
    pub delegator: Address,
    /// Its delegation, valued as `base_delegation` values it.
    pub delegation: BaseDelegationEntry,
}

/// `GET /v1/validators/{validator}/delegators`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ValidatorDelegatorsView {
    /// The validator.
    #[schema(value_type = String)]
    pub validator: Address,
    /// Accounts delegating to it (all pages).
    pub count: u64,
    /// This page, in address order.
    pub delegators: Vec<ValidatorDelegatorView>,
    /// `after` for the next page, if there is one.
    #[schema(value_type = Option<String>)]
    pub next: Option<Address>,
}

/// A page of `operator`'s stakers, valued from `state`.
pub fn operator_delegators(
    index: &DelegatorIndex,
    state: &State,
    operator: Address,
    page: &PageAt,
) -> Result<OperatorDelegatorsView, ApiError> {
    if state
        .get::<rampart_core::schema::Operators>(&operator)
        .is_none()
    {
        return Err(ApiError::new(
            codes::NOT_FOUND,
            format!("{operator} is not a registered operator"),
        ));
    }
    let limit = page.limit()?;
    let accounts = index.operator_page(operator, page.after, limit);
    let mut delegators = Vec::with_capacity(accounts.len());
    for staker in &accounts {
        let positions = rampart_core::query::delegator_positions(state, *staker, operator)
            .map_err(ApiError::from)?;
        delegators.push(OperatorDelegatorView {
            staker: *staker,
            positions,
        });
    }
    Ok(OperatorDelegatorsView {
        operator,
        count: index.operator_count(operator),
        next: next_cursor(&accounts, limit, |a| {
            !index.operator_page(operator, Some(a), 1).is_empty()
        }),
        delegators,
    })
}

/// A page of `validator`'s delegators, valued from `state`.
pub fn validator_delegators(
    index: &DelegatorIndex,
    state: &State,
    validator: Address,
    page: &PageAt,
) -> Result<ValidatorDelegatorsView, ApiError> {
    if state
        .get::<rampart_core::schema::Validators>(&validator)
        .is_none()
    {
        return Err(ApiError::new(
            codes::NOT_FOUND,
            format!("{validator} is not a validator"),
        ));
    }
    let limit = page.limit()?;
    let accounts = index.validator_page(validator, page.after, limit);
    let mut delegators = Vec::with_capacity(accounts.len());
    for delegator in &accounts {
        if let Some(delegation) =
            rampart_core::query::base_delegation_entry(state, *delegator, validator)
                .map_err(ApiError::from)?
        {
            delegators.push(ValidatorDelegatorView {
                delegator: *delegator,
                delegation,
            });
        }
    }
    Ok(ValidatorDelegatorsView {
        validator,
        count: index.validator_count(validator),
        next: next_cursor(&accounts, limit, |a| {
            !index.validator_page(validator, Some(a), 1).is_empty()
        }),
        delegators,
    })
}

/// The last account of a full page, if anything follows it.
fn next_cursor(
    accounts: &[Address],
    limit: usize,
    more_after: impl Fn(Address) -> bool,
) -> Option<Address> {
    let last = *accounts.last()?;
    (accounts.len() == limit && more_after(last)).then_some(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::state::encode_full_key;

    fn a(n: u8) -> Address {
        Address::repeat_byte(n)
    }

    fn pos(staker: u8, operator: u8, strategy: u32, present: bool) -> EncodedChange {
        let key = encode_full_key::<Positions>(&(a(staker), a(operator), AssetId(strategy)));
        (key, present.then(Vec::new))
    }

    fn base(delegator: u8, validator: u8, present: bool) -> EncodedChange {
        let key = encode_full_key::<BaseDelegations>(&(a(delegator), a(validator)));
        (key, present.then(Vec::new))
    }

    #[test]
    fn counts_distinct_accounts_and_follows_deletes() {
        let mut ix = DelegatorIndex::default();
        ix.apply(&[
            pos(1, 9, 1, true),
            pos(1, 9, 2, true),
            pos(2, 9, 1, true),
            pos(3, 8, 1, true),
        ])
        .unwrap();
        assert_eq!(ix.operator_count(a(9)), 2);
        assert_eq!(ix.operator_page(a(9), None, 10), vec![a(1), a(2)]);
        // Rewriting a present key changes nothing; one of two strategies gone keeps the staker.
        ix.apply(&[pos(1, 9, 1, true), pos(1, 9, 1, false)])
            .unwrap();
        assert_eq!(ix.operator_count(a(9)), 2);
        ix.apply(&[pos(1, 9, 2, false)]).unwrap();
        assert_eq!(ix.operator_count(a(9)), 1);
        assert_eq!(ix.operator_page(a(9), None, 10), vec![a(2)]);
        // Deleting what is absent is a no-op.
        ix.apply(&[pos(7, 9, 1, false), base(7, 5, false)]).unwrap();
        assert_eq!(ix.operator_count(a(9)), 1);
        ix.apply(&[
            base(1, 5, true),
            base(2, 5, true),
            base(2, 5, true),
            base(1, 5, false),
        ])
        .unwrap();
        assert_eq!(ix.validator_count(a(5)), 1);
        assert_eq!(ix.validator_page(a(5), None, 10), vec![a(2)]);
        assert_eq!(ix.operator_count(a(8)), 1);
    }

    #[test]
    fn pages_by_cursor_without_repeats() {
        let mut ix = DelegatorIndex::default();
        let mut changes = Vec::new();
        for s in 1..=7u8 {
            changes.push(pos(s, 9, 1, true));
            changes.push(pos(s, 9, 3, true));
            changes.push(base(s, 5, true));
        }
        ix.apply(&changes).unwrap();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = ix.operator_page(a(9), after, 3);
            assert!(page.len() <= 3);
            seen.extend(page.iter().copied());
            match next_cursor(&page, 3, |x| !ix.operator_page(a(9), Some(x), 1).is_empty()) {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, (1..=7).map(a).collect::<Vec<_>>());
        assert_eq!(ix.validator_page(a(5), Some(a(5)), 10), vec![a(6), a(7)]);
        // A page that ends exactly at the last account has no next.
        let last = ix.validator_page(a(5), Some(a(4)), 3);
        assert_eq!(
            next_cursor(&last, 3, |x| !ix
                .validator_page(a(5), Some(x), 1)
                .is_empty()),
            None
        );
    }

    #[test]
    fn malformed_keys_are_reported() {
        let mut ix = DelegatorIndex::default();
        let bad = (vec![Positions::ID, 1, 2, 3], Some(Vec::new()));
        assert!(ix.apply(&[bad]).is_err());
        let other = (vec![200u8, 1, 2], None);
        assert!(ix.apply(&[other]).is_ok());
    }
}
