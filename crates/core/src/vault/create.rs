//! `create_vault` (§8).

use super::{CreateVault, FeeKind, Policy, VaultBooks, VaultConfig, VaultFees};
use crate::bank::{self, AssetKind};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{AssetId, module};
use crate::num::Bps;
use crate::state::State;
use crate::vault::{VaultBooksTable, VaultByLrt, Vaults};

/// `create_vault {asset, curator, lrt_symbol, fees, deposit_cap, buffer_bps, policy,
/// seed_amount, min_request?}`, signed by anyone, who pays the seed. The seed is minted 1:1 as
/// LRT to the dead account, so the vault never has a tiny supply an attacker could inflate.
/// Returns the LRT symbol, which names the vault in every other action and query.
pub fn create_vault(state: &mut State, ctx: &mut Ctx, args: CreateVault) -> Result<String> {
    let p = state.params().clone();
    if state.count::<Vaults>() >= p.max_vaults as usize {
        return Err(Error::LimitExceeded {
            limit: "max_vaults",
            max: u64::from(p.max_vaults),
        });
    }
    let asset = crate::restaking::strategy_id(state, &args.asset)?;
    if asset == AssetId::NATIVE {
        return Err(Error::invalid(
            "asset",
            "a vault holds a deposit strategy's asset; RAM-native stake cannot be pooled",
        ));
    }
    check_fee_caps(&args.fees)?;
    let policy = normalize_policy(state, args.policy)?;
    if args.buffer_bps > Bps::ONE {
        return Err(Error::invalid("buffer_bps", "must be at most 10000"));
    }
    if args.seed_amount < p.vault_min_seed {
        return Err(Error::invalid(
            "seed_amount",
            format!("must be at least vault_min_seed ({})", p.vault_min_seed),
        ));
    }
    if args.deposit_cap < args.seed_amount {
        return Err(Error::invalid(
            "deposit_cap",
            "must be at least the seed amount",
        ));
    }
    let min_request = args.min_request.unwrap_or(args.seed_amount);
    if min_request.is_zero() {
        return Err(Error::invalid("min_request", "must be positive"));
    }
    let index = match state.iter::<Vaults>().next_back() {
        Some((last, _)) => last.checked_add(1).ok_or(Error::LimitExceeded {
            limit: "max_vaults",
            max: u64::from(u32::MAX),
        })?,
        None => 0,
    };
    let account = module::vault(index);
    let decimals = bank::asset(state, asset)?.decimals;
    let lrt = bank::register_asset(
        state,
        &args.lrt_symbol,
        decimals,
        Some(account),
        AssetKind::Lrt,
    )?;
    bank::transfer(state, ctx.signer, account, asset, args.seed_amount)?;
    bank::mint(
        state,
        &mut ctx.events,
        module::dead(),
        lrt,
        args.seed_amount,
    )?;
    let curator = args.curator.unwrap_or(ctx.signer);
    state.put::<Vaults>(
        index,
        VaultConfig {
            index,
            asset,
            lrt,
            curator,
            seed: args.seed_amount,
            min_request,
            deposit_cap: args.deposit_cap,
            buffer_bps: args.buffer_bps,
            policy,
            pending_policy: None,
            fees: args.fees,
            pending_fees: None,
            last_rise: [None; 4],
            created_at: ctx.now,
        },
    );
    state.put::<VaultBooksTable>(
        index,
        VaultBooks {
            idle: args.seed_amount,
            fee_accrued_at: ctx.now,
            last_claimable_at: ctx.now,
            ..VaultBooks::default()
        },
    );
    state.put::<VaultByLrt>(lrt, index);
    ctx.emit(Event::AssetRegistered {
        asset: lrt,
        symbol: args.lrt_symbol.clone(),
    });
    ctx.emit(Event::VaultCreated {
        vault: account,
        lrt: args.lrt_symbol.clone(),
        asset,
        curator,
        seed: args.seed_amount,
    });
    Ok(args.lrt_symbol)
}

/// Every fee within its hard cap.
pub(super) fn check_fee_caps(fees: &VaultFees) -> Result<()> {
    for kind in FeeKind::ALL {
        let bps = kind.of(fees);
        if bps > kind.cap() {
            return Err(Error::VaultFeeAboveCap {
                fee: kind.name(),
                bps,
                cap: kind.cap(),
            });
        }
    }
    Ok(())
}

/// Sorts and dedups the lists, checks their limits, that every operator and service exists and
/// that the per-operator share is a fraction.
pub(super) fn normalize_policy(state: &State, mut policy: Policy) -> Result<Policy> {
    let p = state.params();
    policy.allowed_operators.sort();
    policy.allowed_operators.dedup();
    policy.allowed_services.sort();
    policy.allowed_services.dedup();
    for (limit, len, max) in [
        (
            "max_vault_operators",
            policy.allowed_operators.len(),
            p.max_vault_operators,
        ),
        (
            "max_vault_services",
            policy.allowed_services.len(),
            p.max_vault_services,
        ),
    ] {
        if len > max as usize {
            return Err(Error::LimitExceeded {
                limit,
                max: u64::from(max),
            });
        }
    }
    for op in &policy.allowed_operators {
        crate::restaking::operator(state, *op)?;
    }
    for service in &policy.allowed_services {
        crate::restaking::service(state, *service)?;
    }
    if policy.max_per_operator_bps > Bps::ONE {
        return Err(Error::invalid(
            "max_per_operator_bps",
            "must be at most 10000",
        ));
    }
    Ok(policy)
}

/// Whether `new` permits anything `old` forbade.
pub(super) fn loosens(old: &Policy, new: &Policy) -> bool {
    let adds = |old: &[crate::ids::Address], new: &[crate::ids::Address]| {
        new.iter().any(|x| old.binary_search(x).is_err())
    };
    adds(&old.allowed_operators, &new.allowed_operators)
        || adds(&old.allowed_services, &new.allowed_services)
        || new.max_per_operator_bps > old.max_per_operator_bps
}

/// What both policies permit: applied at once when a change loosens anything.
pub(super) fn meet(old: &Policy, new: &Policy) -> Policy {
    let both = |a: &[crate::ids::Address], b: &[crate::ids::Address]| {
        a.iter()
            .filter(|x| b.binary_search(x).is_ok())
            .copied()
            .collect()
    };
    Policy {
        allowed_operators: both(&old.allowed_operators, &new.allowed_operators),
        allowed_services: both(&old.allowed_services, &new.allowed_services),
        max_per_operator_bps: old.max_per_operator_bps.min(new.max_per_operator_bps),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Address;

    fn policy(ops: &[u8], services: &[u8], max: u32) -> Policy {
        Policy {
            allowed_operators: ops.iter().map(|b| Address::repeat_byte(*b)).collect(),
            allowed_services: services.iter().map(|b| Address::repeat_byte(*b)).collect(),
            max_per_operator_bps: Bps::new(max),
        }
    }

    #[test]
    fn adding_an_operator_or_service_or_raising_the_share_loosens() {
        let old = policy(&[1, 2], &[7], 5_000);
        assert!(!loosens(&old, &old));
        assert!(loosens(&old, &policy(&[1, 2, 3], &[7], 5_000)));
        assert!(loosens(&old, &policy(&[1, 2], &[7, 8], 5_000)));
        assert!(loosens(&old, &policy(&[1, 2], &[7], 5_001)));
        assert!(!loosens(&old, &policy(&[1], &[], 100)));
    }

    #[test]
    fn a_mixed_change_applies_its_tighter_part_at_once() {
        let old = policy(&[1, 2], &[7], 5_000);
        let new = policy(&[2, 3], &[7, 8], 4_000);
        assert_eq!(meet(&old, &new), policy(&[2], &[7], 4_000));
    }
}
