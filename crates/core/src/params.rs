//! Protocol parameters and limits (PROTOCOL.md §13), set at genesis and by governance.
//!
//! Every limit a user can grow against is a parameter here, enforced with
//! [`crate::Error::LimitExceeded`]. [`ParamsPatch`] is the partial form used by genesis files and
//! `set_params`: unknown names are rejected, omitted names keep their value.

use crate::error::{Error, Result};
use crate::num::{Amount, Bps, Wad};
use crate::time::Duration;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! params {
    (
        $( $(#[$doc:meta])* $name:ident : $ty:ty = $default:expr $(; $lo:literal ..= $hi:literal)? , )*
        @added {
            $( $(#[$adoc:meta])* $aname:ident : $aty:ty = $adefault:expr ; $alo:literal ..= $ahi:literal , )*
        }
    ) => {
        /// The protocol's parameters.
        ///
        /// # Encoding
        ///
        /// Borsh of the fields of the first stored layout, in order; then, only if one of the
        /// parameters added since (`@added` in the declaration) differs from its default, Borsh
        /// of all of them. A store written before they existed decodes with their defaults and
        /// re-encodes byte for byte (the golden test pins this), and every value has exactly one
        /// encoding (a tail of defaults is refused). `Params` is only ever stored as a whole
        /// value (table `params`), never inside another value, so the tail is "the rest".
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        pub struct Params {
            $( $(#[$doc])* pub $name: $ty, )*
            $( $(#[$adoc])* pub $aname: $aty, )*
        }

        impl Default for Params {
            fn default() -> Self {
                Self { $( $name: $default, )* $( $aname: $adefault, )* }
            }
        }

        impl BorshSerialize for Params {
            fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
                $( BorshSerialize::serialize(&self.$name, writer)?; )*
                let defaults = Self::default();
                if false $( || self.$aname != defaults.$aname )* {
                    $( BorshSerialize::serialize(&self.$aname, writer)?; )*
                }
                Ok(())
            }
        }

        impl BorshDeserialize for Params {
            fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
                let mut p = Self::default();
                $( p.$name = BorshDeserialize::deserialize_reader(reader)?; )*
                let mut tail = Vec::new();
                reader.read_to_end(&mut tail)?;
                if tail.is_empty() {
                    return Ok(p);
                }
                let mut rest = tail.as_slice();
                $( p.$aname = BorshDeserialize::deserialize(&mut rest)?; )*
                let defaults = Self::default();
                let canonical = false $( || p.$aname != defaults.$aname )*;
                if !rest.is_empty() || !canonical {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "params: a tail of added parameters must be complete and not all defaults",
                    ));
                }
                Ok(p)
            }
        }

        /// A partial set of parameters: the fields given replace the current ones.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        pub struct ParamsPatch {
            $(
                #[allow(missing_docs)]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<$ty>,
            )*
            $(
                #[allow(missing_docs)]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $aname: Option<$aty>,
            )*
        }

        impl Params {
            /// Every numeric parameter with its documented range: `(name, value, min, max)`.
            /// [`Params::validate`] refuses a value outside it, at genesis and at `set_params`.
            pub fn ranges(&self) -> Vec<(&'static str, u128, u128, u128)> {
                vec![
                    $( $( (stringify!($name), Raw::raw(&self.$name), $lo, $hi), )? )*
                    $( (stringify!($aname), Raw::raw(&self.$aname), $alo, $ahi), )*
                ]
            }
        }

        impl ParamsPatch {
            /// `base` with this patch applied.
            pub fn apply(&self, base: &Params) -> Params {
                let mut p = base.clone();
                $( if let Some(v) = &self.$name { p.$name = v.clone(); } )*
                $( if let Some(v) = &self.$aname { p.$aname = v.clone(); } )*
                p
            }
        }
    };
}

params! {
    /// Seconds between blocks of the single-node producer.
    block_time_s: Duration = Duration::new(2); 1..=600,
    /// Length of an epoch.
    epoch_length_s: Duration = Duration::new(3_600); 60..=604_800,
    /// Size of the active validator set.
    max_validators: u32 = 100; 1..=1_000,
    /// Epochs before new base stake earns.
    bonding_epochs: u32 = 1; 0..=1_000,
    /// Base-layer unbonding period.
    unbonding_period_s: Duration = Duration::days(21); 0..=31_536_000,
    /// Yearly issuance as a fraction of bonded stake.
    inflation_bps: Bps = Bps::new(300); 0..=10_000,
    /// Base slash for a double sign.
    double_sign_slash_bps: Bps = Bps::new(500); 0..=10_000,
    /// Base slash for downtime.
    downtime_slash_bps: Bps = Bps::new(1); 0..=10_000,
    /// Blocks in the uptime window.
    downtime_window_blocks: u64 = 1_000; 1..=10_000,
    /// Missed fraction of the window that jails.
    downtime_max_missed_bps: Bps = Bps::new(5_000); 1..=10_000,
    /// Time in jail before `unjail`.
    jail_period_s: Duration = Duration::new(600); 0..=31_536_000,
    /// Minimum self bond to join the active set.
    min_self_bond: Amount = Amount::new(1_000_000_000_000_000_000); 1..=1_000_000_000_000_000_000_000_000_000_000,
    /// Largest commission change per epoch.
    commission_max_change_bps: Bps = Bps::new(100); 0..=10_000,
    /// Largest validator commission.
    commission_max_bps: Bps = Bps::new(5_000); 0..=10_000,
    /// Restaking withdrawal delay; queued withdrawals stay slashable throughout.
    withdrawal_delay_s: Duration = Duration::days(14); 0..=31_536_000,
    /// After a slash request's veto window closes, how long anyone may still execute it; then it
    /// expires. Until then it holds the withdrawals it could reach.
    slash_execution_window_s: Duration = Duration::days(1); 60..=2_592_000,
    /// Delay before a decrease of slashable magnitude (or a deregistration) takes effect.
    deallocation_delay_s: Duration = Duration::days(14); 0..=31_536_000,
    /// Delay before loosened operator commitments or a new slasher/resolver take effect.
    config_delay_s: Duration = Duration::new(1_512_000); 0..=31_536_000,
    /// Time executed slashes stay in escrow before burn or redistribution.
    resolution_delay_s: Duration = Duration::days(7); 0..=31_536_000,
    /// Delay before a service commission change takes effect.
    commission_delay_s: Duration = Duration::days(7); 0..=31_536_000,
    /// Operator commission on a service's rewards when none is set.
    default_commission_bps: Bps = Bps::new(1_000); 0..=10_000,
    /// Protocol fee on restaking rewards.
    protocol_fee_bps: Bps = Bps::ZERO; 0..=10_000,
    /// LST pool fee on rewards.
    lst_fee_bps: Bps = Bps::new(1_000); 0..=10_000,
    /// Virtual shares and assets of every share pool (inflation guard).
    virtual_shares: u128 = 1_000; 1..=1_000_000_000_000_000_000,
    /// Operator sets one operator may join.
    max_sets_per_operator: u32 = 64; 1..=1_024,
    /// Operators one operator set may hold (every epoch's reward weights visit each member).
    max_operators_per_set: u32 = 256; 1..=1_024,
    /// Strategies in one operator set.
    max_strategies_per_set: u32 = 32; 1..=256,
    /// Positions one staker may hold.
    max_positions_per_staker: u32 = 64; 1..=1_024,
    /// Length of metadata URIs and evidence strings, in bytes.
    max_metadata_len: u32 = 1_024; 0..=65_536,
    /// Withdrawals one staker may have queued at once.
    max_withdrawals_per_staker: u32 = 256; 1..=4_096,
    /// Redelegated tranches a position may hold while their old operator can still slash them.
    max_redelegations_per_position: u32 = 8; 1..=64,
    /// Unbonding entries one delegator may have at once.
    max_unbondings_per_delegator: u32 = 32; 1..=256,
    /// Epochs of history kept for trailing yields (LST and vault rates).
    yield_window_epochs: u64 = 168; 1..=10_000,
    /// Reward programs streaming to one set at once.
    max_programs_per_set: u32 = 64; 1..=1_024,
    /// Operator sets one service may create.
    max_sets_per_service: u32 = 256; 1..=4_096,
    /// Services an operator may list in its allowed-services commitment.
    max_allowed_services: u32 = 256; 1..=4_096,
    /// Base fee of every action, in the native coin, unless `base_fees` names the action.
    base_fee: Amount = Amount::ZERO; 0..=1_000_000_000_000_000_000_000_000_000_000,
    /// Base fee per action name (PROTOCOL.md §10 names).
    base_fees: BTreeMap<String, Amount> = BTreeMap::new(),
    /// Governance price table: value of one whole unit of an external asset in RAM base units,
    /// by symbol (PROTOCOL.md §1). Used for cross-asset values, never for accounting.
    prices: BTreeMap<String, Wad> = BTreeMap::new(),
    // --- liquid restaking vaults (PROTOCOL.md §8) ---
    /// Vaults that may exist (each is visited at every epoch boundary).
    max_vaults: u32 = 256; 0..=4_096,
    /// Smallest seed deposit of a new vault (minted 1:1 to the dead account: inflation guard).
    vault_min_seed: Amount = Amount::new(1_000_000); 1..=1_000_000_000_000_000_000_000_000_000_000,
    /// Operators (and so positions) one vault policy may allow.
    max_vault_operators: u32 = 64; 1..=256,
    /// Services one vault policy may allow.
    max_vault_services: u32 = 64; 1..=256,
    /// Open withdrawal requests one account may hold in one vault queue.
    max_vault_requests_per_owner: u32 = 32; 1..=1_024,
    /// Queue entries finalized and restaking withdrawals collected per vault per call or epoch
    /// boundary (queue processing is bounded, never a loop over holders).
    vault_queue_batch: u32 = 64; 1..=1_024,
    @added {
        /// Share of the tokens a double-sign evidence slash takes that is paid to whoever
        /// submitted the evidence (the rest is escrowed for the service's destination).
        evidence_reward_bps: Bps = Bps::ZERO; 0..=10_000,
        /// Replaced signing keys an operator may have still accountable at once (each stays
        /// accountable for `deallocation_delay_s` after `set_signing_key` replaced it).
        max_retired_signing_keys: u32 = 4; 1..=64,
        // --- governance (PROTOCOL.md §10; docs/governance.md) ---
        /// Deposit a proposal needs before its voting period starts, in RAM.
        gov_min_deposit: Amount = Amount::new(1_000_000_000_000_000_000_000); 1..=1_000_000_000_000_000_000_000_000_000_000,
        /// Share of `gov_min_deposit` a proposer must put down at submission (anti-spam).
        gov_min_initial_deposit_bps: Bps = Bps::new(2_500); 0..=10_000,
        /// How long a proposal may collect deposits before it expires (deposits burned).
        gov_max_deposit_period_s: Duration = Duration::days(14); 60..=31_536_000,
        /// Length of the voting period.
        gov_voting_period_s: Duration = Duration::days(7); 60..=31_536_000,
        /// Votes cast (abstain and veto included) as a share of bonded stake needed for a result.
        gov_quorum_bps: Bps = Bps::new(3_340); 1..=10_000,
        /// Yes as a share of yes + no + veto above which a proposal passes.
        gov_threshold_bps: Bps = Bps::new(5_000); 1..=9_999,
        /// Veto as a share of all votes above which a proposal is vetoed (deposits burned).
        gov_veto_threshold_bps: Bps = Bps::new(3_340); 1..=10_000,
        /// Timelock of a passed proposal whose changes cannot raise a depositor's risk.
        gov_neutral_delay_s: Duration = Duration::days(1); 0..=31_536_000,
        /// Added to the longest exit path for a change that can raise a depositor's risk.
        gov_risk_margin_s: Duration = Duration::days(1); 0..=31_536_000,
        /// Longest pause of new deposits and allocations the guardian may impose.
        max_pause_s: Duration = Duration::days(7); 0..=2_592_000,
        /// Proposals in their voting period at once (each stake move of a voter visits them).
        gov_max_active_proposals: u32 = 16; 1..=256,
        /// Changes one proposal may carry.
        gov_max_changes: u32 = 32; 1..=256,
        /// Accounts that may deposit on one proposal (refunds visit each).
        gov_max_depositors: u32 = 64; 1..=1_024,
        // --- consensus (docs/consensus.md) ---
        /// Heights per consensus epoch under BFT consensus (the committee changes between
        /// epochs); 0 for a single block producer. Fixed at genesis.
        consensus_epoch_blocks: u64 = 0; 0..=1_000_000,
    }
}

/// A parameter's value as an integer, for its range check.
trait Raw {
    fn raw(&self) -> u128;
}

macro_rules! raw {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl Raw for $t {
            fn raw(&self) -> u128 {
                let $v = self;
                $e
            }
        })*
    };
}

raw! {
    u32 => |v| u128::from(*v),
    u64 => |v| u128::from(*v),
    u128 => |v| *v,
    Duration => |v| u128::from(v.get()),
    Bps => |v| u128::from(v.get()),
    Amount => |v| v.get(),
}

impl Params {
    /// [`Params::validate`], and refuses a change of a parameter fixed at genesis
    /// (`consensus_epoch_blocks`: every node's consensus epochs follow it).
    pub fn validate_change(&self, old: &Params) -> Result<()> {
        if self.consensus_epoch_blocks != old.consensus_epoch_blocks {
            return Err(Error::invalid(
                "consensus_epoch_blocks",
                "is fixed at genesis (every node's consensus epochs follow it)",
            ));
        }
        self.validate()
    }

    /// Rejects parameters that would break the protocol's arithmetic or timing.
    pub fn validate(&self) -> Result<()> {
        for (field, value, min, max) in self.ranges() {
            if value < min || value > max {
                return Err(Error::invalid(
                    field,
                    format!("{value} is outside its range [{min}, {max}]"),
                ));
            }
        }
        if self.epoch_length_s < self.block_time_s {
            return Err(Error::invalid(
                "epoch_length_s",
                "must be at least block_time_s",
            ));
        }
        for (symbol, price) in &self.prices {
            if price.is_zero() || price.get() > crate::pricing::MAX_PRICE_WAD {
                return Err(Error::invalid(
                    "prices",
                    format!(
                        "{symbol}: a price must be in [1, {}]",
                        crate::pricing::MAX_PRICE_WAD
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The base fee of the action named `action`.
    pub fn base_fee_of(&self, action: &str) -> Amount {
        self.base_fees.get(action).copied().unwrap_or(self.base_fee)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_protocol_table() {
        let p = Params::default();
        assert_eq!(p.withdrawal_delay_s, Duration::new(1_209_600));
        assert_eq!(p.config_delay_s, Duration::new(1_512_000));
        assert_eq!(p.virtual_shares, 1_000);
        assert_eq!(p.max_positions_per_staker, 64);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn patches_reject_unknown_names_and_keep_omitted_values() {
        let patch: ParamsPatch = serde_json::from_str(r#"{"withdrawal_delay_s": 60}"#).unwrap();
        let p = patch.apply(&Params::default());
        assert_eq!(p.withdrawal_delay_s, Duration::new(60));
        assert_eq!(p.epoch_length_s, Duration::new(3_600));
        assert!(serde_json::from_str::<ParamsPatch>(r#"{"no_such": 1}"#).is_err());
    }

    #[test]
    fn added_parameters_encode_only_when_they_differ_from_their_default() {
        let p = Params::default();
        let bytes = borsh::to_vec(&p).unwrap();
        assert_eq!(Params::try_from_slice(&bytes).unwrap(), p);
        let rewarded = Params {
            evidence_reward_bps: Bps::new(250),
            ..Params::default()
        };
        let longer = borsh::to_vec(&rewarded).unwrap();
        // The tail carries every added parameter (here: one Bps changed, the rest defaults).
        assert!(longer.len() > bytes.len() + 4);
        assert_eq!(longer[..bytes.len()], bytes[..]);
        assert_eq!(Params::try_from_slice(&longer).unwrap(), rewarded);
        // A tail that says nothing (all defaults) or is cut short is not canonical.
        // (`evidence_reward_bps` is the first added parameter: zeroing it leaves a complete tail
        // of defaults.)
        let mut defaults_tail = longer.clone();
        defaults_tail[bytes.len()..bytes.len() + 4].copy_from_slice(&0u32.to_le_bytes());
        assert!(Params::try_from_slice(&defaults_tail).is_err());
        assert!(Params::try_from_slice(&longer[..longer.len() - 1]).is_err());
    }

    #[test]
    fn zero_epoch_length_is_rejected() {
        let p = Params {
            epoch_length_s: Duration::ZERO,
            ..Params::default()
        };
        assert_eq!(p.validate().map_err(|e| e.code()), Err("invalid_input"));
    }
}
