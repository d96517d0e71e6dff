//! Insight for every position (PROTOCOL.md §9): where the yield comes from, what each layer
//! charges, APR and APY, and how to get out.
//!
//! # Yield
//!
//! Each holding reports what it earned over its own window, by layer and source, gross, fees and
//! net, in RAM:
//!
//! - a base delegation, since it opened: per source (issuance, transaction fees, priority tips,
//!   MEV) from the validator's cumulative per-share indices, the commission from the matching
//!   commission indices — exact;
//! - LST held (directly or inside a restaking position): the change of the pool's rate over the
//!   trailing `yield_window_epochs` (or as far back as the pool has history), split by source in
//!   proportion to the pool's own earnings, with its share of the pool fee — signed, so a slash
//!   shows as negative yield;
//! - a restaking position, since it opened: per funding service and reward asset, the net reward
//!   and the protocol fee and operator commission taken before it (valued in RAM at the
//!   governance price table); for native stake, the base layer's rewards on its validator shares.
//!
//! `APR = Σ net / Σ (value × window) × year`. `APY = (1 + APR/n)^n − 1` with `n` the real
//! compounding frequency: epochs per year for what compounds in an exchange rate (base pools,
//! the LST), 1 for restaking rewards that must be claimed by hand; the account's APY combines the
//! two parts.

use crate::bank;
use crate::base::{self, Source};
use crate::base::{BaseDelegations, DelegatorUnbondings, Unbondings};
use crate::error::Result;
use crate::ids::{Address, AssetId};
use crate::lst;
use crate::lst::LstSnapshots;
use crate::num::{Amount, BPS_DENOMINATOR, WAD, mul_div_floor};
use crate::restaking::{self, is_native_term, native_validator, settled_position};
use crate::restaking::{Deposits, Positions, StakerWithdrawals, Withdrawals};
use crate::state::State;
use crate::time::{Duration, Epoch, Timestamp};
use alloy_primitives::U256;
use serde::Serialize;

/// One line of the yield breakdown.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YieldSource {
    /// `base`, `lst` or `restaking`.
    pub layer: &'static str,
    /// `issuance`, `transaction_fees`, `priority_tips`, `mev`, or `program`.
    pub source: &'static str,
    /// The holding it comes from (a validator, an operator/strategy, the LST).
    pub holding: String,
    /// The funding service, for restaking programs.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub service: Option<Address>,
    /// The asset it is paid in.
    pub asset: String,
    /// Before fees, in RAM.
    #[serde(serialize_with = "crate::num::i128_as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub gross: i128,
    /// Fees taken at this layer, in RAM.
    #[serde(serialize_with = "crate::num::i128_as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub fees: i128,
    /// After fees, in RAM.
    #[serde(serialize_with = "crate::num::i128_as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub net: i128,
    /// Seconds over which it was earned.
    pub window_s: u64,
}

/// A fee line, summed by layer and kind.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeeLine {
    /// Layer.
    pub layer: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// In RAM.
    #[serde(serialize_with = "crate::num::i128_as_string")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub amount: i128,
}

/// Yield of one layer.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerYield {
    /// Layer.
    pub layer: &'static str,
    /// Net APR, bps.
    pub apr_bps: Option<i64>,
    /// APY at this layer's compounding, bps.
    pub apy_bps: Option<i64>,
    /// Compounding periods per year used.
    pub compounding_per_year: u64,
}

/// `yield {account}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YieldView {
    /// The account.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub account: Address,
    /// Value of everything measured, in RAM.
    pub value: Amount,
    /// Net APR over all layers, bps (`null` when nothing was held long enough to measure).
    pub apr_bps: Option<i64>,
    /// APY, bps.
    pub apy_bps: Option<i64>,
    /// Compounding periods per year of the auto-compounding part (1 if there is none).
    pub compounding_per_year: u64,
    /// Per layer.
    pub layers: Vec<LayerYield>,
    /// By layer and source.
    pub sources: Vec<YieldSource>,
    /// The fee stack.
    pub fee_stack: Vec<FeeLine>,
}

/// Accumulates holdings' earnings.
#[derive(Default)]
pub(crate) struct Acc {
    sources: Vec<YieldSource>,
    fees: Vec<FeeLine>,
    /// Per layer: Σ net, Σ value × window.
    layers: Vec<(&'static str, i128, U256)>,
    pub(crate) value: Amount,
}

impl Acc {
    fn add(&mut self, s: YieldSource, value: Amount, fee_kind: &'static str) {
        let layer = s.layer;
        let vt = crate::num::wide_mul(value.get(), u128::from(s.window_s));
        match self.layers.iter_mut().find(|(l, _, _)| *l == layer) {
            Some(l) => {
                l.1 = l.1.saturating_add(s.net);
                l.2 = l.2.saturating_add(vt);
            }
            None => self.layers.push((layer, s.net, vt)),
        }
        if s.fees != 0 {
            match self
                .fees
                .iter_mut()
                .find(|f| f.layer == layer && f.kind == fee_kind)
            {
                Some(f) => f.amount = f.amount.saturating_add(s.fees),
                None => self.fees.push(FeeLine {
                    layer,
                    kind: fee_kind,
                    amount: s.fees,
                }),
            }
        }
        self.sources.push(s);
    }

    /// A base-layer source: `net` after the validator's commission `fee`, in RAM.
    fn base_source(&mut self, s: Source, holding: String, net: Amount, fee: Amount, window: u64) {
        self.add(
            YieldSource {
                layer: "base",
                source: s.name(),
                holding,
                service: None,
                asset: "RAM".into(),
                gross: signed(net).saturating_add(signed(fee)),
                fees: signed(fee),
                net: signed(net),
                window_s: window,
            },
            Amount::ZERO,
            "validator_commission",
        );
    }

    /// Adds a source line and its net to its layer; its fees go in with [`Acc::add_fee`].
    pub(crate) fn add_source(&mut self, s: YieldSource) {
        match self.layers.iter_mut().find(|(l, _, _)| *l == s.layer) {
            Some(l) => l.1 = l.1.saturating_add(s.net),
            None => self.layers.push((s.layer, s.net, U256::ZERO)),
        }
        self.sources.push(s);
    }

    /// Adds a line to the fee stack.
    pub(crate) fn add_fee(&mut self, layer: &'static str, kind: &'static str, amount: i128) {
        if amount == 0 {
            return;
        }
        match self
            .fees
            .iter_mut()
            .find(|f| f.layer == layer && f.kind == kind)
        {
            Some(f) => f.amount = f.amount.saturating_add(amount),
            None => self.fees.push(FeeLine {
                layer,
                kind,
                amount,
            }),
        }
    }

    /// Counts a holding's value and window even when it earned nothing from a source.
    pub(crate) fn exposure(&mut self, layer: &'static str, value: Amount, window: u64) {
        let vt = crate::num::wide_mul(value.get(), u128::from(window));
        match self.layers.iter_mut().find(|(l, _, _)| *l == layer) {
            Some(l) => l.2 = l.2.saturating_add(vt),
            None => self.layers.push((layer, 0, vt)),
        }
    }
}

pub(crate) fn signed(a: Amount) -> i128 {
    i128::try_from(a.get()).unwrap_or(i128::MAX)
}

/// RAM value of `amount` of `asset`: RAM 1:1, the LST at its rate, others at the governance price
/// (1 when none is set).
pub fn ram_value(state: &State, asset: AssetId, amount: Amount) -> Result<Amount> {
    crate::pricing::ram_value_floor(state, asset, amount)
}

/// `yield {account}`.
pub fn yield_view(state: &State, account: Address) -> Result<YieldView> {
    let now = state.now();
    let mut acc = Acc::default();
    base_yield(state, account, now, &mut acc)?;
    let lst_held = bank::balance(
        state,
        account,
        lst::pool(state).map(|p| p.asset).unwrap_or_default(),
    );
    lst_yield(state, "LST", lst_held, true, &mut acc)?;
    restaking_yield(state, account, now, &mut acc)?;
    crate::vault::insight::vault_yield(state, account, &mut acc)?;
    let n_auto = epochs_per_year(state);
    let mut layers = Vec::new();
    let (mut auto_net, mut manual_net) = (0i128, 0i128);
    for (layer, net, vt) in &acc.layers {
        let n = if *layer == "restaking" { 1 } else { n_auto };
        let apr = apr_wad(*net, *vt);
        layers.push(LayerYield {
            layer,
            apr_bps: apr.map(bps_of),
            apy_bps: apr.map(|a| bps_of(apy_wad(a, n))),
            compounding_per_year: n,
        });
        if *layer == "restaking" {
            manual_net = manual_net.saturating_add(*net);
        } else {
            auto_net = auto_net.saturating_add(*net);
        }
    }
    // Time-weighted value of the account: the largest layer exposure (layers stack on the same
    // stake, so they are not summed).
    let vt_account = acc
        .layers
        .iter()
        .map(|(_, _, vt)| *vt)
        .max()
        .unwrap_or(U256::ZERO);
    let apr_auto = apr_wad(auto_net, vt_account);
    let apr_manual = apr_wad(manual_net, vt_account);
    let apr = match (apr_auto, apr_manual) {
        (None, None) => None,
        (a, m) => Some(a.unwrap_or(0).saturating_add(m.unwrap_or(0))),
    };
    // What compounds in an exchange rate compounds per epoch; claimed rewards do not compound.
    let apy = apr.map(|_| {
        apr_auto
            .map_or(0, |a| apy_wad(a, n_auto))
            .saturating_add(apr_manual.unwrap_or(0))
    });
    let has_auto = acc.layers.iter().any(|(l, _, _)| *l != "restaking");
    Ok(YieldView {
        account,
        value: acc.value,
        apr_bps: apr.map(bps_of),
        apy_bps: apy.map(bps_of),
        compounding_per_year: if has_auto { n_auto } else { 1 },
        layers,
        sources: acc.sources,
        fee_stack: acc.fees,
    })
}

/// Epochs in a 365-day year.
fn epochs_per_year(state: &State) -> u64 {
    Duration::YEAR
        .get()
        .checked_div(state.params().epoch_length_s.get())
        .unwrap_or(1)
        .max(1)
}

/// Signed WAD fixed point (1e18 = 100 %).
const SWAD: i128 = WAD as i128;
/// WAD per basis point.
const WAD_PER_BPS: i128 = SWAD / BPS_DENOMINATOR as i128;

/// `net / value_time × year` in WAD (1e18 = 100 %), rounded towards zero; `None` if nothing was
/// held over time.
pub fn apr_wad(net: i128, value_time: U256) -> Option<i128> {
    if value_time.is_zero() {
        return None;
    }
    // |net| · year < 2^154 and × WAD < 2^214: the product fits; value_time ≠ 0 (checked above).
    let magnitude = crate::num::wide_mul(net.unsigned_abs(), u128::from(Duration::YEAR.get()))
        .saturating_mul(U256::from(WAD))
        .checked_div(value_time)
        .unwrap_or(U256::MAX);
    let v = i128::try_from(magnitude).unwrap_or(i128::MAX);
    Some(if net < 0 { v.saturating_neg() } else { v })
}

/// `x · part / whole`, rounded towards zero, without overflow (a share of a signed figure).
pub(crate) fn pro_rata(x: i128, part: u128, whole: u128) -> i128 {
    let magnitude = mul_div_floor(x.unsigned_abs(), part, whole.max(1)).unwrap_or(u128::MAX);
    let m = i128::try_from(magnitude).unwrap_or(i128::MAX);
    if x < 0 { m.saturating_neg() } else { m }
}

/// `(1 + apr/n)^n − 1` in WAD, by squaring, each product floored (so never above the exact
/// value by more than rounding, and never below −100 %).
pub fn apy_wad(apr_wad: i128, n: u64) -> i128 {
    let n = n.max(1);
    let base = SWAD.saturating_add(apr_wad.checked_div(i128::from(n)).unwrap_or(0));
    if base <= 0 {
        return -SWAD;
    }
    let wad = U256::from(WAD);
    let (mut result, mut b, mut e) = (wad, U256::from(base.unsigned_abs()), n);
    // Saturates instead of overflowing for absurd rates: a query never panics or wraps.
    let mul_wad = |x: U256, y: U256| x.checked_mul(y).and_then(|p| p.checked_div(wad));
    while e > 0 {
        if e & 1 == 1 {
            let Some(r) = mul_wad(result, b) else {
                return i128::MAX;
            };
            result = r;
        }
        e >>= 1;
        if e > 0 {
            let Some(sq) = mul_wad(b, b) else {
                return i128::MAX;
            };
            b = sq;
        }
    }
    i128::try_from(result)
        .unwrap_or(i128::MAX)
        .saturating_sub(SWAD)
}

/// The APR that compounds `n` times a year into `apy_wad` (the inverse of [`apy_wad`]), by
/// bisection: the largest APR whose APY does not exceed it.
pub fn apr_from_apy_wad(apy_wad_target: i128, n: u64) -> i128 {
    let (mut lo, mut hi) = (-SWAD, apy_wad_target.max(0));
    while lo < hi {
        // lo < mid ≤ hi even where the span saturates (absurd targets): the loop still ends.
        let mid = lo.saturating_add(hi.saturating_sub(lo).saturating_add(1) / 2);
        if apy_wad(mid, n) <= apy_wad_target {
            lo = mid;
        } else {
            hi = mid.saturating_sub(1);
        }
    }
    lo
}

/// WAD to whole basis points, rounded towards zero.
fn bps_of(wad: i128) -> i64 {
    i64::try_from(wad / WAD_PER_BPS).unwrap_or(i64::MAX)
}

/// `net / value_time × year`, in bps; `None` if nothing was held over time.
pub fn apr_bps(net: i128, value_time: U256) -> Option<i64> {
    apr_wad(net, value_time).map(bps_of)
}

/// `(1 + apr/n)^n − 1`, in bps, from an APR in bps.
pub fn apy_bps(apr_bps: i64, n: u64) -> i64 {
    bps_of(apy_wad(i128::from(apr_bps).saturating_mul(WAD_PER_BPS), n))
}

fn base_yield(state: &State, account: Address, now: Timestamp, acc: &mut Acc) -> Result<()> {
    let held: Vec<Address> = state
        .range::<BaseDelegations, _>((account, Address::ZERO)..)
        .take_while(|((d, _), _)| *d == account)
        .map(|((_, v), _)| *v)
        .collect();
    for v in held {
        let Some(d) = base::settled_delegation(state, account, v)? else {
            continue;
        };
        let value = base::base_delegation_value(state, v, &d)?.total()?;
        let earned = base::delegation_earnings(state, account, v)?;
        let window = now.saturating_since(d.since).get();
        acc.value = acc.value.checked_add(value)?;
        acc.exposure("base", value, window);
        for s in Source::ALL {
            let (net, fee) = (earned.net[s.index()], earned.commission[s.index()]);
            if net.is_zero() && fee.is_zero() {
                continue;
            }
            acc.base_source(s, format!("{v:#x}"), net, fee, window);
        }
    }
    Ok(())
}

/// The LST layer for `lst` held: rate change over the trailing window, split by the pool's
/// sources, with its share of the pool fee.
pub(crate) fn lst_yield(
    state: &State,
    holding: &str,
    lst_held: Amount,
    count_value: bool,
    acc: &mut Acc,
) -> Result<()> {
    if lst_held.is_zero() {
        return Ok(());
    }
    let epoch = state.meta().epoch;
    let window = state.params().yield_window_epochs;
    let first = Epoch::new(epoch.get().saturating_sub(window));
    let Some((_, then)) = state.range::<LstSnapshots, _>(first..=epoch).next() else {
        let value = lst::lst_value(state, lst_held)?;
        if count_value {
            acc.value = acc.value.checked_add(value)?;
        }
        acc.exposure("lst", value, 0);
        return Ok(());
    };
    let then = then.clone();
    let latest = state
        .range::<LstSnapshots, _>(first..=epoch)
        .next_back()
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| then.clone());
    let v = state.params().virtual_shares;
    let value_now = lst::lst_value(state, lst_held)?;
    let value_then = Amount::new(mul_div_floor(
        lst_held.get(),
        then.value.get().saturating_add(v),
        then.supply.get().saturating_add(v),
    )?);
    let net = signed(value_now).saturating_sub(signed(value_then));
    let window_s = state.now().saturating_since(then.time).get();
    if count_value {
        acc.value = acc.value.checked_add(value_now)?;
    }
    acc.exposure("lst", value_now, window_s);
    let fees_share = |total: Amount| -> Result<i128> {
        Ok(signed(Amount::new(mul_div_floor(
            total.get(),
            lst_held.get(),
            latest.supply.get().max(1),
        )?)))
    };
    let fee = fees_share(latest.fees.saturating_sub(then.fees))?;
    let mut earned = [0u128; 4];
    for (i, e) in earned.iter_mut().enumerate() {
        *e = latest.earned[i].get().saturating_sub(then.earned[i].get());
    }
    let total: u128 = earned.iter().sum();
    for s in Source::ALL {
        let part = if total == 0 {
            if s == Source::Issuance { net } else { 0 }
        } else {
            pro_rata(net, earned[s.index()], total)
        };
        let part_fee = if total == 0 {
            if s == Source::Issuance { fee } else { 0 }
        } else {
            pro_rata(fee, earned[s.index()], total)
        };
        if part == 0 && part_fee == 0 {
            continue;
        }
        acc.add(
            YieldSource {
                layer: "lst",
                source: s.name(),
                holding: holding.to_owned(),
                service: None,
                asset: lst::LST_SYMBOL.into(),
                gross: part.saturating_add(part_fee),
                fees: part_fee,
                net: part,
                window_s,
            },
            Amount::ZERO,
            "lst_pool_fee",
        );
    }
    Ok(())
}

fn restaking_yield(state: &State, account: Address, now: Timestamp, acc: &mut Acc) -> Result<()> {
    let keys: Vec<(Address, AssetId)> = state
        .range::<Positions, _>((account, Address::ZERO, AssetId(0))..)
        .take_while(|((s, _, _), _)| *s == account)
        .map(|((_, o, t), _)| (*o, *t))
        .collect();
    let lst_asset = lst::pool(state).map(|p| p.asset).ok();
    for (op, term) in keys {
        let Some(p) = settled_position(state, account, op, term, now)? else {
            continue;
        };
        let withdrawable = restaking::position_value(state, op, term, &p)?.withdrawable;
        let tokens = restaking::term_value(state, term, withdrawable)?;
        let asset = if is_native_term(term) {
            AssetId::NATIVE
        } else {
            term
        };
        let value = ram_value(state, asset, tokens)?;
        let window = now.saturating_since(p.since).get();
        acc.value = acc.value.checked_add(value)?;
        acc.exposure("restaking", value, window);
        let holding = format!("{op:#x}/{}", restaking::strategy_name(state, term));
        for r in &p.rewards {
            let net = ram_value(state, r.asset, r.earned)?;
            let protocol = ram_value(state, r.asset, r.protocol_fees)?;
            let commission = ram_value(state, r.asset, r.commissions)?;
            if net.is_zero() && protocol.is_zero() && commission.is_zero() {
                continue;
            }
            let fees = signed(protocol).saturating_add(signed(commission));
            acc.add(
                YieldSource {
                    layer: "restaking",
                    source: "program",
                    holding: holding.clone(),
                    service: Some(r.service),
                    asset: bank::symbol(state, r.asset),
                    gross: signed(net).saturating_add(fees),
                    fees,
                    net: signed(net),
                    window_s: window,
                },
                Amount::ZERO,
                "protocol_fee",
            );
            if !commission.is_zero() {
                // Split the two restaking fee kinds in the fee stack.
                move_fee(
                    acc,
                    "protocol_fee",
                    "operator_commission",
                    signed(commission),
                );
            }
        }
        if lst_asset == Some(term) {
            // Its value is already counted as the restaking position's.
            lst_yield(state, &holding, tokens, false, acc)?;
        }
        if is_native_term(term) {
            native_base_yield(
                state,
                term,
                withdrawable,
                &p.base_index_at_since,
                &holding,
                window,
                acc,
            )?;
        }
    }
    Ok(())
}

fn move_fee(acc: &mut Acc, from: &'static str, to: &'static str, amount: i128) {
    if let Some(f) = acc
        .fees
        .iter_mut()
        .find(|f| f.layer == "restaking" && f.kind == from)
    {
        f.amount = f.amount.saturating_sub(amount);
    }
    match acc
        .fees
        .iter_mut()
        .find(|f| f.layer == "restaking" && f.kind == to)
    {
        Some(f) => f.amount = f.amount.saturating_add(amount),
        None => acc.fees.push(FeeLine {
            layer: "restaking",
            kind: to,
            amount,
        }),
    }
}

/// Base rewards on natively restaked validator shares since the position opened: net and
/// commission from the validator's indices then (`at_since`: 4 net indices, then 4 commission
/// indices).
fn native_base_yield(
    state: &State,
    term: AssetId,
    shares: crate::num::Shares,
    at_since: &[U256],
    holding: &str,
    window: u64,
    acc: &mut Acc,
) -> Result<()> {
    let v = base::validator(state, native_validator(state, term)?)?;
    for s in Source::ALL {
        let i = s.index();
        let t = &v.sources[i];
        let since = |k: usize| at_since.get(k).copied().unwrap_or(U256::ZERO);
        let net = base::index_amount(shares.get(), t.net_per_share.saturating_sub(since(i)))?;
        let fee = base::index_amount(
            shares.get(),
            t.commission_per_share
                .saturating_sub(since(i.saturating_add(4))),
        )?;
        if net.is_zero() && fee.is_zero() {
            continue;
        }
        acc.base_source(s, holding.to_owned(), net, fee, window);
    }
    Ok(())
}

/// One step of an exit.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExitStep {
    /// The action or wait.
    pub kind: &'static str,
    /// How long this step takes.
    pub delay_s: u64,
    /// The earliest time it can be done, taking earlier steps into account.
    pub earliest_at: Timestamp,
    /// Its fee: the action's base fee in RAM.
    pub fee: Amount,
    /// A protocol fee the step charges on the holding, in the holding's asset (a vault's
    /// withdrawal fee).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_fee: Option<Amount>,
}

/// The exit of one holding.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExitPathView {
    /// What is exited.
    pub holding: String,
    /// Its value in RAM.
    pub value: Amount,
    /// Steps, in order.
    pub steps: Vec<ExitStep>,
    /// When it is all liquid.
    pub completes_at: Timestamp,
}

/// `exit_path {account}`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExitView {
    /// The account.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub account: Address,
    /// The steps of the slowest exit (all exits run in parallel).
    pub steps: Vec<ExitStep>,
    /// When everything is liquid.
    pub completes_at: Timestamp,
    /// Per holding.
    pub paths: Vec<ExitPathView>,
    /// Queued governance changes, and whether this exit completes before each applies.
    pub governance: Vec<crate::governance::GovernanceFlag>,
}

pub(crate) struct Path<'a> {
    state: &'a State,
    at: Timestamp,
    steps: Vec<ExitStep>,
}

impl<'a> Path<'a> {
    pub(crate) fn new(state: &'a State) -> Self {
        Self {
            state,
            at: state.now(),
            steps: Vec::new(),
        }
    }
    /// An action that takes effect after `delay`.
    pub(crate) fn step(mut self, kind: &'static str, delay: u64) -> Self {
        let fee = self.state.params().base_fee_of(kind);
        self.at = Timestamp::new(self.at.get().saturating_add(delay));
        self.steps.push(ExitStep {
            kind,
            delay_s: delay,
            earliest_at: self.at,
            fee,
            exit_fee: None,
        });
        self
    }
    /// The last step also charges `fee` on the holding.
    pub(crate) fn charge(mut self, fee: Amount) -> Self {
        if let Some(last) = self.steps.last_mut() {
            last.exit_fee = Some(fee);
        }
        self
    }
    /// Waiting until `t` (no action).
    pub(crate) fn wait_until(mut self, kind: &'static str, t: Timestamp) -> Self {
        if t > self.at {
            let delay = t.saturating_since(self.at).get();
            self.at = t;
            self.steps.push(ExitStep {
                kind,
                delay_s: delay,
                earliest_at: t,
                fee: Amount::ZERO,
                exit_fee: None,
            });
        }
        self
    }
    fn base_unbond(self) -> Self {
        let p = self.state.params().unbonding_period_s.get();
        self.step("undelegate_base", 0).step("claim_unbonded", p)
    }
    /// Requesting a redemption at `self.at`: its batch closes at the next epoch boundary, then
    /// the pool's stake unbonds.
    fn lst_redeem(self) -> Self {
        let claimable = self.lst_batch_claimable(self.state.epoch_at(self.at));
        let wait = claimable.get().saturating_sub(self.at.get());
        self.step("lst_request_redeem", 0).step("lst_claim", wait)
    }
    /// When the batch of redemptions requested in `epoch` becomes claimable (at the latest).
    fn lst_batch_claimable(&self, epoch: Epoch) -> Timestamp {
        let state = self.state;
        let boundary = epoch
            .next()
            .and_then(|e| state.epoch_start(e))
            .unwrap_or(self.at);
        Timestamp::new(
            boundary
                .get()
                .saturating_add(state.params().unbonding_period_s.get()),
        )
    }
    pub(crate) fn done(self, holding: String, value: Amount) -> ExitPathView {
        ExitPathView {
            holding,
            value,
            completes_at: self.at,
            steps: self.steps,
        }
    }
}

/// `exit_path {account}`.
pub fn exit_view(state: &State, account: Address) -> Result<ExitView> {
    let now = state.now();
    let mut paths = Vec::new();
    let lst_asset = lst::pool(state).map(|p| p.asset).ok();
    for ((_, v), _) in state
        .range::<BaseDelegations, _>((account, Address::ZERO)..)
        .take_while(|((d, _), _)| *d == account)
    {
        let Some(d) = base::settled_delegation(state, account, *v)? else {
            continue;
        };
        let value = base::base_delegation_value(state, *v, &d)?.total()?;
        let mut path = Path::new(state);
        if let Some(last) = d.locked.iter().map(|l| l.matures_at).max() {
            path = path.wait_until("redelegation_lock", last);
        }
        if let Some(last) = d.pending.iter().map(|p| p.epoch).max() {
            let t = state.epoch_start(last)?;
            path = path.wait_until("bond_activation", t);
        }
        paths.push(
            path.base_unbond()
                .done(format!("base delegation to {v:#x}"), value),
        );
    }
    let lst_held = bank::balance(state, account, lst_asset.unwrap_or_default());
    if !lst_held.is_zero() {
        paths.push(
            Path::new(state)
                .lst_redeem()
                .done("LST".into(), lst::lst_value(state, lst_held)?),
        );
    }
    for ((_, op, term), _) in state
        .range::<Positions, _>((account, Address::ZERO, AssetId(0))..)
        .take_while(|((s, _, _), _)| *s == account)
    {
        let Some(p) = settled_position(state, account, *op, *term, now)? else {
            continue;
        };
        let withdrawable = restaking::position_value(state, *op, *term, &p)?.withdrawable;
        let value = restaking::term_value(state, *term, withdrawable)?;
        let mut path = Path::new(state);
        if let Some(last) = p.tranches.iter().map(|t| t.matures_at).max() {
            path = path.wait_until("redelegation_window", last);
        }
        path = path.step("queue_withdrawal", 0).step(
            "complete_withdrawal",
            state.params().withdrawal_delay_s.get(),
        );
        path = underlying(path, *term, lst_asset);
        paths.push(path.done(
            format!("{op:#x}/{}", restaking::strategy_name(state, *term)),
            value,
        ));
    }
    for ((_, term), shares) in state
        .range::<Deposits, _>((account, AssetId(0))..)
        .take_while(|((s, _), _)| *s == account)
    {
        let path = underlying(
            Path::new(state)
                .step("queue_withdrawal", 0)
                .step("complete_withdrawal", 0),
            *term,
            lst_asset,
        );
        paths.push(path.done(
            format!("deposit/{}", restaking::strategy_name(state, *term)),
            restaking::term_value(state, *term, *shares)?,
        ));
    }
    for ((_, id), ()) in state
        .range::<StakerWithdrawals, _>((account, crate::ids::WithdrawalId(0))..)
        .take_while(|((s, _), _)| *s == account)
    {
        let Some(w) = state.get::<Withdrawals>(id) else {
            continue;
        };
        let value = restaking::term_value(
            state,
            w.strategy,
            restaking::withdrawal_payout_shares(state, w)?,
        )?;
        let path = Path::new(state)
            .wait_until("withdrawal_delay", w.completable_at)
            .step("complete_withdrawal", 0);
        paths.push(underlying(path, w.strategy, lst_asset).done(format!("withdrawal {id}"), value));
    }
    for ((_, id), ()) in state
        .range::<DelegatorUnbondings, _>((account, 0u64)..)
        .take_while(|((d, _), _)| *d == account)
    {
        let Some(u) = state.get::<Unbondings>(id) else {
            continue;
        };
        let path = Path::new(state)
            .wait_until("unbonding", u.completes_at)
            .step("claim_unbonded", 0);
        paths.push(path.done(
            format!("unbonding {id}"),
            base::unbonding_value(state, *id, u)?,
        ));
    }
    for (id, r) in lst::redemptions_of(state, account) {
        let mut path = Path::new(state);
        let t =
            lst::claimable_at(state, r.epoch).unwrap_or_else(|| path.lst_batch_claimable(r.epoch));
        path = path.wait_until("lst_redemption", t);
        paths.push(
            path.step("lst_claim", 0)
                .done(format!("redemption {id}"), r.value_at_request),
        );
    }
    crate::vault::insight::exit_paths(state, account, &mut paths)?;
    let slowest = paths.iter().max_by_key(|p| p.completes_at);
    let completes_at = slowest.map_or(now, |p| p.completes_at);
    Ok(ExitView {
        account,
        steps: slowest.map(|p| p.steps.clone()).unwrap_or_default(),
        completes_at,
        paths,
        governance: crate::governance::flags(state, completes_at),
    })
}

/// After a restaking withdrawal: native stake still unbonds at the base layer; LST still redeems.
pub(crate) fn underlying<'a>(
    path: Path<'a>,
    term: AssetId,
    lst_asset: Option<AssetId>,
) -> Path<'a> {
    if is_native_term(term) {
        path.base_unbond()
    } else if lst_asset == Some(term) {
        path.lst_redeem()
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PCT: i128 = SWAD / 100;

    /// Asserts `got` is within `tol` WAD of `want`.
    fn near(got: i128, want: i128, tol: i128) {
        assert!((got - want).abs() <= tol, "got {got}, want {want} ± {tol}");
    }

    #[test]
    fn tv30_four_percent_apr_is_4_0808_percent_apy_daily_and_4_0742_monthly() {
        // (1 + 0.04/365)^365 − 1 = 0.04080849…; (1 + 0.04/12)^12 − 1 = 0.04074154…
        near(
            apy_wad(4 * PCT, 365),
            40_808_490_000_000_000,
            10_000_000_000,
        );
        near(apy_wad(4 * PCT, 12), 40_741_540_000_000_000, 10_000_000_000);
        assert_eq!(apy_bps(400, 365), 408);
        assert_eq!(apy_bps(400, 12), 407);
    }

    #[test]
    fn tv30_four_percent_apy_is_3_9223_percent_apr_daily() {
        // 365 · ((1.04)^(1/365) − 1) = 0.0392228…
        let apr = apr_from_apy_wad(4 * PCT, 365);
        near(apr, 39_222_800_000_000_000, 100_000_000_000);
        // And back again, within rounding.
        near(apy_wad(apr, 365), 4 * PCT, 1_000_000);
    }

    #[test]
    fn tv30_one_basis_point_a_day_is_3_65_percent_apr_and_3_7172_percent_apy() {
        // 0.0001 per day on 1 unit held for 365 days.
        let value = 1_000_000_000_000_000_000u128;
        let net = i128::try_from(value / 10_000 * 365).unwrap();
        let vt = U256::from(value) * U256::from(Duration::YEAR.get());
        assert_eq!(apr_wad(net, vt), Some(365 * PCT / 100));
        assert_eq!(apr_bps(net, vt), Some(365));
        // (1.0001)^365 − 1 = 0.0371724…
        near(
            apy_wad(365 * PCT / 100, 365),
            37_172_400_000_000_000,
            100_000_000_000,
        );
        assert_eq!(apy_bps(365, 365), 371);
    }

    #[test]
    fn tv30_rated_one_day_window_apr_is_3_421875_percent() {
        // 0.003 ETH earned in one day by a 32 ETH validator.
        let net = 3_000_000_000_000_000i128;
        let vt = U256::from(32_000_000_000_000_000_000u128) * U256::from(86_400u64);
        assert_eq!(apr_wad(net, vt), Some(34_218_750_000_000_000));
        assert_eq!(apr_bps(net, vt), Some(342));
    }

    #[test]
    fn losses_give_negative_apr_and_apy_never_below_minus_100_percent() {
        let vt = U256::from(SWAD as u128) * U256::from(Duration::YEAR.get());
        assert_eq!(apr_wad(-SWAD / 10, vt), Some(-SWAD / 10));
        assert!(apy_wad(-SWAD / 10, 365) > -SWAD / 10);
        assert_eq!(apy_wad(-3 * SWAD, 1), -SWAD);
        assert_eq!(apr_wad(5, U256::ZERO), None);
    }

    #[test]
    fn one_compounding_period_leaves_apr_unchanged() {
        for apr in [0, 1, 4 * PCT, 123 * PCT, -50 * PCT] {
            assert_eq!(apy_wad(apr, 1), apr);
        }
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn apy_grows_with_apr_and_with_compounding(
                a in 0i128..(5 * SWAD), b in 0i128..(5 * SWAD), n in 1u64..10_000,
            ) {
                let (lo, hi) = (a.min(b), a.max(b));
                prop_assert!(apy_wad(lo, n) <= apy_wad(hi, n));
                // Compounding more often never gives less (up to one rounding step per period).
                prop_assert!(apy_wad(hi, n) + i128::from(n.min(64)) * 2 >= apy_wad(hi, 1));
            }

            #[test]
            fn apr_from_apy_inverts_apy(apr in 0i128..(2 * SWAD), n in 1u64..1_000) {
                let apy = apy_wad(apr, n);
                let back = apr_from_apy_wad(apy, n);
                prop_assert!(back >= apr, "{back} < {apr}");
                prop_assert!(apy_wad(back, n) == apy);
            }
        }
    }
}
