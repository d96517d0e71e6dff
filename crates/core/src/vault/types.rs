//! The vault domain's stored values and action arguments.

use crate::events::Event;
use crate::ids::{Address, AssetId};
use crate::num::{Amount, Bps, MathError};
use crate::time::{Epoch, Timestamp};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A vault's fees (§8). Management is per year of the vault's value, performance a share of
/// rewards only, deposit and withdrawal a share of the amount moved.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VaultFees {
    /// Per year of the vault's value, accrued at each epoch boundary, minted as LRT.
    #[serde(default)]
    pub management_bps: Bps,
    /// Of rewards recognized, paid in the vault's asset at harvest.
    #[serde(default)]
    pub performance_bps: Bps,
    /// Of each deposit.
    #[serde(default)]
    pub deposit_bps: Bps,
    /// Of each instant withdrawal.
    #[serde(default)]
    pub withdrawal_bps: Bps,
}

/// The four vault fees, each with its hard cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeKind {
    /// Management (≤ 500 bps per year).
    Management,
    /// Performance (≤ 2000 bps of rewards).
    Performance,
    /// Deposit (≤ 100 bps).
    Deposit,
    /// Withdrawal (≤ 100 bps).
    Withdrawal,
}

impl FeeKind {
    /// Every kind, in the order of [`VaultFees`]' fields and of per-kind arrays.
    pub const ALL: [Self; 4] = [
        Self::Management,
        Self::Performance,
        Self::Deposit,
        Self::Withdrawal,
    ];

    /// Index into per-kind arrays.
    pub const fn index(self) -> usize {
        match self {
            Self::Management => 0,
            Self::Performance => 1,
            Self::Deposit => 2,
            Self::Withdrawal => 3,
        }
    }

    /// The field name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Management => "management",
            Self::Performance => "performance",
            Self::Deposit => "deposit",
            Self::Withdrawal => "withdrawal",
        }
    }

    /// The fee-stack kind of its events (PROTOCOL.md §7).
    pub const fn event_kind(self) -> &'static str {
        match self {
            Self::Management => "vault_management_fee",
            Self::Performance => "vault_performance_fee",
            Self::Deposit => "vault_deposit_fee",
            Self::Withdrawal => "vault_withdrawal_fee",
        }
    }

    /// The event of a fee of this kind: `amount` of `asset` charged on `on`, paid to `curator`.
    pub fn charged(self, on: Address, curator: Address, asset: AssetId, amount: Amount) -> Event {
        Event::FeeCharged {
            layer: "vault",
            kind: self.event_kind(),
            on,
            to: curator,
            asset,
            amount,
        }
    }

    /// Its hard cap.
    pub const fn cap(self) -> Bps {
        match self {
            Self::Management => Bps::new(500),
            Self::Performance => Bps::new(2_000),
            Self::Deposit | Self::Withdrawal => Bps::new(100),
        }
    }

    /// Its value in `fees`.
    pub const fn of(self, fees: &VaultFees) -> Bps {
        match self {
            Self::Management => fees.management_bps,
            Self::Performance => fees.performance_bps,
            Self::Deposit => fees.deposit_bps,
            Self::Withdrawal => fees.withdrawal_bps,
        }
    }

    /// `fees` with this fee set to `bps`.
    pub fn with(self, mut fees: VaultFees, bps: Bps) -> VaultFees {
        match self {
            Self::Management => fees.management_bps = bps,
            Self::Performance => fees.performance_bps = bps,
            Self::Deposit => fees.deposit_bps = bps,
            Self::Withdrawal => fees.withdrawal_bps = bps,
        }
        fees
    }
}

/// A vault's published allocation policy (§8): where the curator may delegate.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Operators the vault may delegate to (sorted, unique).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub allowed_operators: Vec<Address>,
    /// Services whose sets an operator it delegates to may have allocated the vault's strategy
    /// to (sorted, unique).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub allowed_services: Vec<Address>,
    /// Largest share of the vault's value delegated to one operator.
    pub max_per_operator_bps: Bps,
}

/// A vault's configuration: who runs it and under which rules. Read by every action, written
/// only by the curator's actions and when a delayed change falls due.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VaultConfig {
    /// The vault's index (its module account is `module::vault(index)`).
    pub index: u32,
    /// The asset it holds (a restakable, non-native strategy).
    pub asset: AssetId,
    /// Its LRT.
    pub lrt: AssetId,
    /// Who allocates, sets fees and policy, and receives the fees.
    pub curator: Address,
    /// The seed, minted 1:1 as LRT to the dead account at creation.
    pub seed: Amount,
    /// Smallest value a queued withdrawal may have (anti-griefing; defaults to the seed).
    pub min_request: Amount,
    /// Largest value the vault accepts deposits up to.
    pub deposit_cap: Amount,
    /// Share of the vault's value the curator keeps idle for instant exits.
    pub buffer_bps: Bps,
    /// Policy in force.
    pub policy: Policy,
    /// A looser policy waiting for `config_delay_s`.
    pub pending_policy: Option<(Policy, Timestamp)>,
    /// Fees in force.
    pub fees: VaultFees,
    /// Fees after a rise, in force from the start of the given epoch.
    pub pending_fees: Option<(VaultFees, Epoch)>,
    /// Per fee kind: the epoch of its last rise.
    pub last_rise: [Option<Epoch>; 4],
    /// When it was created.
    pub created_at: Timestamp,
}

/// Rewards recognized but not yet in the vault's value: they vest linearly to `until`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vesting {
    /// Amount still unvested at `from`.
    pub amount: Amount,
    /// Start of the linear schedule.
    pub from: Timestamp,
    /// End of the linear schedule.
    pub until: Timestamp,
}

/// A vault's books: everything its value is computed from besides the restaking ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VaultBooks {
    /// Asset tokens the vault accounts for in its module account (any excess there is a
    /// donation and never enters the value). Includes `reserved`.
    pub idle: Amount,
    /// Of `idle`, what finalized requests are owed.
    pub reserved: Amount,
    /// LRT burned by pending requests: still exposed to the vault's gains and losses.
    pub queued_lrt: Amount,
    /// Per funding service: restaking rewards in the vault's asset recognized and not yet
    /// harvested.
    pub seen: Vec<(Address, Amount)>,
    /// Performance fee owed on `seen`, paid at harvest.
    pub pending_fee: Amount,
    /// Recognized rewards vesting into the value.
    pub vesting: Vesting,
    /// Up to when the management fee has been charged.
    pub fee_accrued_at: Timestamp,
    /// Per funding service: cumulative gross rewards recognized in the vault's asset.
    pub earned: Vec<(Address, Amount)>,
    /// Per fee kind: cumulative fees charged, in the vault's asset (the performance fee when
    /// set aside at recognition, the management fee at the value of the LRT minted).
    pub fees_charged: [Amount; 4],
    /// Rewards in other assets, claimed and held apart: never valued (no oracle).
    pub side_pocket: Vec<(AssetId, Amount)>,
    /// Latest `claimable_at` given to a request (keeps the queue's times monotone).
    pub last_claimable_at: Timestamp,
}

impl VaultBooks {
    /// Adds `fee` of `kind` to the cumulative fees charged.
    pub fn count_fee(&mut self, kind: FeeKind, fee: Amount) -> Result<(), MathError> {
        let k = kind.index();
        self.fees_charged[k] = self.fees_charged[k].checked_add(fee)?;
        Ok(())
    }
}

/// Lifecycle of a vault withdrawal request.
///
/// ```text
/// Pending --(due, head of the FIFO queue, vault has the liquidity)--> Finalized{payout}
/// Finalized --vault_claim (owner)--> (deleted)
/// ```
///
/// A pending request's LRT is burned but still exposed: it shares the vault's slashes and
/// rewards until finalization, when it is paid `min(value at request, value then)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting in the queue.
    Pending,
    /// Funded and fixed; claimable by its owner.
    Finalized {
        /// What it pays.
        payout: Amount,
        /// When it was finalized.
        at: Timestamp,
    },
}

impl RequestStatus {
    /// Lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Finalized { .. } => "finalized",
        }
    }
}

/// A withdrawal request in a vault's queue.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VaultRequest {
    /// The vault.
    pub vault: u32,
    /// Who is paid.
    pub owner: Address,
    /// LRT burned.
    pub lrt: Amount,
    /// Its value when requested.
    pub value_at_request: Amount,
    /// When requested.
    pub requested_at: Timestamp,
    /// Earliest finalization: the restaking withdrawal delay after the request.
    pub claimable_at: Timestamp,
    /// Status.
    pub status: RequestStatus,
}

/// A vault at one epoch boundary, for trailing yields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultSnapshot {
    /// Time of the boundary.
    pub time: Timestamp,
    /// Value after the boundary's work.
    pub assets: Amount,
    /// LRT supply plus queued LRT.
    pub units: Amount,
    /// Cumulative gross rewards recognized, per funding service.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<(String, Amount)>))]
    pub earned: Vec<(Address, Amount)>,
    /// Cumulative fees per kind.
    pub fees: [Amount; 4],
}

/// The limits `vault_set_policy` may change at once (each optional).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Largest value accepted.
    pub deposit_cap: Option<Amount>,
    /// Buffer target.
    pub buffer_bps: Option<Bps>,
    /// Smallest queued withdrawal.
    pub min_request: Option<Amount>,
}

/// Vault id counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VaultCounters {
    /// Next withdrawal request id.
    pub next_request: u64,
}

/// An amount of tokens in an action: exact, or `"all"` the signer holds of that kind.
pub type AmountOrAll = crate::num::OrAll<Amount>;

/// Arguments of `create_vault`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateVault {
    /// The asset (a restakable strategy other than `RAM-native`).
    pub asset: String,
    /// The curator (default: the signer).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub curator: Option<Address>,
    /// Symbol of the LRT (unique).
    pub lrt_symbol: String,
    /// Initial fees.
    #[serde(default)]
    pub fees: VaultFees,
    /// Largest value accepted.
    pub deposit_cap: Amount,
    /// Buffer target for instant exits.
    #[serde(default)]
    pub buffer_bps: Bps,
    /// Allocation policy.
    pub policy: Policy,
    /// The seed deposit, paid by the signer and minted 1:1 to the dead account.
    pub seed_amount: Amount,
    /// Smallest queued withdrawal (default: the seed amount).
    #[serde(default)]
    pub min_request: Option<Amount>,
}
