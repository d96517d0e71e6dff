//! The transaction vocabulary (PROTOCOL.md §10): the same names and fields in the API, the CLI
//! and the scenario runner. Accounts are addresses, assets and strategies are symbols, sets are
//! `"<service>/<set_id>"`, amounts are decimal strings, share amounts may be `"all"`.

use crate::bank;
use crate::base;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, AssetId, SetRef, SlashId, WithdrawalId, fmt_address};
use crate::num::{Amount, Bps, ShareAmount, Shares, Wad};
use crate::params::ParamsPatch;
use crate::restaking::{self, Admission, Commitments, Receive, RegisterService, SlashArgs};
use crate::state::{ParamsTable, State};
use crate::time::{Duration, Timestamp};
use crate::vault;
use serde::{Deserialize, Serialize};

/// Every action a transaction can carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "tx", rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)]
pub enum Action {
    // --- bank ---
    /// Move tokens to another account.
    Transfer {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        asset: String,
        amount: Amount,
    },
    /// Create tokens of an external asset (its issuer only).
    Mint {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: Address,
        asset: String,
        amount: Amount,
    },
    /// Destroy tokens of an external asset held by its issuer (the issuer only).
    Burn { asset: String, amount: Amount },
    // --- restaking ---
    /// Deposit tokens into the asset's strategy.
    Deposit {
        asset: String,
        amount: Amount,
        #[serde(default)]
        min_shares_out: Option<Shares>,
    },
    /// Become an operator.
    RegisterOperator {
        #[serde(default)]
        metadata_uri: String,
        #[serde(default)]
        allocation_delay_s: Duration,
        #[serde(default)]
        default_commission_bps: Option<Bps>,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        signing_key: Option<Address>,
    },
    /// Publish binding risk commitments (loosening waits `config_delay_s`).
    SetOperatorCommitments(Commitments),
    /// Become a service.
    RegisterService(RegisterService),
    /// Change the slasher and resolver (after `config_delay_s`).
    SetServiceSlasher {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        slasher: Address,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        resolver: Option<Address>,
    },
    /// Create an operator set.
    CreateOperatorSet {
        set_id: u32,
        strategies: Vec<String>,
        #[serde(default)]
        admission: Admission,
    },
    /// Declare a set's profit from corruption and corruption threshold (RISK.md §1).
    SetSecurityProfile(restaking::SetSecurityProfile),
    /// Approve an operator for a set that requires approval.
    ApproveOperator {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        set: SetRef,
    },
    /// Join an operator set.
    RegisterForSet { set: SetRef },
    /// Leave an operator set (operator), or remove an operator (service).
    DeregisterFromSet {
        set: SetRef,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        operator: Option<Address>,
    },
    /// Delegate deposit shares to an operator.
    Delegate {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        strategy: String,
        shares: ShareAmount,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        validator: Option<Address>,
    },
    /// Set the magnitude allocated to a set for a strategy.
    Allocate {
        set: SetRef,
        strategy: String,
        magnitude: Wad,
    },
    /// Queue a withdrawal from a position (or of undelegated shares without `operator`).
    QueueWithdrawal {
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        operator: Option<Address>,
        strategy: String,
        shares: ShareAmount,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        validator: Option<Address>,
    },
    /// Complete a queued withdrawal.
    CompleteWithdrawal {
        id: WithdrawalId,
        #[serde(default)]
        receive: Receive,
    },
    /// Move a position to another operator at once.
    Redelegate {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from_operator: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to_operator: Address,
        strategy: String,
        shares: ShareAmount,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        validator: Option<Address>,
    },
    /// Slash an operator's allocation to a set.
    Slash(SlashArgs),
    /// Veto a pending slash request (the service's resolver).
    VetoSlash { id: SlashId },
    /// Execute a pending slash request after its veto window.
    ExecuteSlash { id: SlashId },
    /// Prove an operator signed two digests for one (set, height); slashes at once (anyone).
    SubmitDoubleSignEvidence(restaking::DoubleSignEvidenceArgs),
    /// Replace the operator's signing key; the old one stays accountable for
    /// `deallocation_delay_s`.
    SetSigningKey {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        signing_key: Address,
    },
    /// Bind an ed25519 consensus key to the signer's validator, with its proof of possession.
    SetConsensusKey {
        #[cfg_attr(feature = "openapi", schema(value_type = alloy_primitives::String))]
        key: alloy_primitives::B256,
        p2p_address: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        pop: alloy_primitives::Bytes,
    },
    /// Prove a committee member signed two conflicting consensus votes; slashes and tombstones
    /// its validator (anyone).
    SubmitConsensusEvidence(crate::base::ConsensusEvidence),
    /// Restake base delegation shares natively.
    RestakeNative {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        #[serde(default)]
        shares: Option<ShareAmount>,
        #[serde(default)]
        amount: Option<Amount>,
    },
    /// Set an operator's commission on one service's rewards (after `commission_delay_s`).
    SetServiceCommission {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        service: Address,
        commission_bps: Bps,
    },
    /// Fund a reward program for one of the signer's operator sets.
    CreateRewardProgram(crate::rewards::CreateRewardProgram),
    /// Claim restaking rewards.
    ClaimRewards {
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        operator: Option<Address>,
        #[serde(default)]
        strategy: Option<String>,
    },
    // --- base layer ---
    /// Become a validator with a self bond.
    CreateValidator {
        commission_bps: Bps,
        self_bond: Amount,
    },
    /// Delegate RAM to a validator.
    DelegateBase {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        amount: Amount,
    },
    /// Undelegate (shares or a RAM amount).
    UndelegateBase {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        validator: Address,
        #[serde(default)]
        shares: Option<ShareAmount>,
        #[serde(default)]
        amount: Option<Amount>,
    },
    /// Move a base delegation to another validator at once.
    RedelegateBase {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from_validator: Address,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to_validator: Address,
        #[serde(default)]
        shares: Option<ShareAmount>,
        #[serde(default)]
        amount: Option<Amount>,
    },
    /// Collect completed unbonding entries.
    ClaimUnbonded {},
    /// Change the signer's validator commission (next epoch).
    SetValidatorCommission { commission_bps: Bps },
    /// Leave jail.
    Unjail {},
    /// A builder payment to the block's proposer (MEV).
    PayProposer { amount: Amount },
    // --- liquid staking ---
    /// Deposit RAM, receive LST.
    LstDeposit {
        amount: Amount,
        #[serde(default)]
        min_lst_out: Option<Amount>,
    },
    /// Burn LST and queue its redemption.
    LstRequestRedeem { shares: ShareAmount },
    /// Claim a redemption.
    LstClaim { id: u64 },
    // --- governance ---
    /// Register an external asset (and its strategy unless `restakable` is false).
    RegisterAsset {
        symbol: String,
        decimals: u8,
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        issuer: Option<Address>,
        #[serde(default = "yes")]
        restakable: bool,
    },
    /// Change parameters at once (the dev network's single governance key only: a production
    /// genesis names no `governance` key, and changes go through proposals).
    SetParams(Box<ParamsPatch>),
    /// Submit a governance proposal with a deposit (RAM).
    SubmitProposal {
        title: String,
        #[serde(default)]
        metadata_uri: String,
        changes: Vec<crate::governance::Change>,
        deposit: Amount,
    },
    /// Add to a proposal's deposit.
    DepositProposal { proposal: u64, amount: Amount },
    /// Vote on a proposal in its voting period (again to change the vote).
    Vote {
        proposal: u64,
        option: crate::governance::VoteOption,
    },
    /// The guardian: pause new deposits and allocations (`duration_s: 0` ends a pause).
    PauseDeposits { duration_s: Duration },
    // --- liquid restaking vaults ---
    /// Create a vault and its LRT (the signer pays the seed).
    CreateVault(Box<vault::CreateVault>),
    /// Deposit into a vault, receive LRT.
    VaultDeposit {
        vault: String,
        amount: Amount,
        #[serde(default)]
        min_lrt_out: Option<Amount>,
    },
    /// Delegate idle vault assets to an operator (the curator).
    VaultAllocate {
        vault: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        amount: Amount,
    },
    /// Queue a restaking withdrawal from one of the vault's positions (the curator).
    VaultDeallocate {
        vault: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        operator: Address,
        amount: vault::AmountOrAll,
    },
    /// Claim the vault's restaking rewards and move its queue (anyone).
    VaultHarvest { vault: String },
    /// Exit at once from the vault's buffer.
    VaultWithdrawInstant {
        vault: String,
        lrt: vault::AmountOrAll,
        #[serde(default)]
        min_out: Option<Amount>,
    },
    /// Burn LRT and join the vault's withdrawal queue.
    VaultRequestWithdrawal {
        vault: String,
        lrt: vault::AmountOrAll,
    },
    /// Claim a finalized vault withdrawal request.
    VaultClaim { id: u64 },
    /// Change the vault's fees (the curator; rises are capped and rate-limited).
    VaultSetFees {
        vault: String,
        fees: vault::VaultFees,
    },
    /// Change the vault's policy, deposit cap, buffer target or minimum request (the curator).
    VaultSetPolicy {
        vault: String,
        #[serde(default)]
        policy: Option<vault::Policy>,
        #[serde(default)]
        deposit_cap: Option<Amount>,
        #[serde(default)]
        buffer_bps: Option<Bps>,
        #[serde(default)]
        min_request: Option<Amount>,
    },
}

fn yes() -> bool {
    true
}

/// What a successful action produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing to report beyond its events.
    Done,
    /// Shares minted, moved or paid.
    Shares(Shares),
    /// A withdrawal was queued.
    Withdrawal(WithdrawalId),
    /// A slash request was made (executed at once when the service has no resolver).
    Slash(SlashId),
    /// An operator set was created.
    Set(SetRef),
    /// An asset was registered.
    Asset(AssetId),
    /// A delayed change was scheduled for this time.
    EffectAt(Timestamp),
    /// An amount moved or minted.
    Amount(Amount),
    /// Base stake that earns from this epoch.
    ActiveFrom(crate::time::Epoch),
    /// An unbonding entry was created.
    Unbonding(u64),
    /// An LST redemption was queued.
    Redemption(u64),
    /// A reward program was created.
    Program(u64),
    /// A vault was created (named by its LRT symbol).
    Vault(String),
    /// A vault withdrawal request was queued.
    VaultRequest(u64),
    /// A governance proposal was submitted.
    Proposal(u64),
}

impl Outcome {
    /// The id this outcome created, as a scenario `as` binding or API reference would write it.
    pub fn created_id(&self) -> Option<serde_json::Value> {
        match self {
            Self::Withdrawal(id) => Some(id.0.into()),
            Self::Slash(id) => Some(id.0.into()),
            Self::Set(set) => Some(set.to_string().into()),
            Self::Asset(id) => Some(id.0.into()),
            Self::Unbonding(id) | Self::Redemption(id) | Self::Program(id) => Some((*id).into()),
            Self::Vault(symbol) => Some(symbol.clone().into()),
            Self::VaultRequest(id) | Self::Proposal(id) => Some((*id).into()),
            Self::Done
            | Self::Shares(_)
            | Self::EffectAt(_)
            | Self::Amount(_)
            | Self::ActiveFrom(_) => None,
        }
    }
}

impl Action {
    /// The action's name in the vocabulary.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Transfer { .. } => "transfer",
            Self::Mint { .. } => "mint",
            Self::Burn { .. } => "burn",
            Self::Deposit { .. } => "deposit",
            Self::RegisterOperator { .. } => "register_operator",
            Self::SetOperatorCommitments(_) => "set_operator_commitments",
            Self::RegisterService(_) => "register_service",
            Self::SetServiceSlasher { .. } => "set_service_slasher",
            Self::CreateOperatorSet { .. } => "create_operator_set",
            Self::SetSecurityProfile(_) => "set_security_profile",
            Self::ApproveOperator { .. } => "approve_operator",
            Self::RegisterForSet { .. } => "register_for_set",
            Self::DeregisterFromSet { .. } => "deregister_from_set",
            Self::Delegate { .. } => "delegate",
            Self::Allocate { .. } => "allocate",
            Self::QueueWithdrawal { .. } => "queue_withdrawal",
            Self::CompleteWithdrawal { .. } => "complete_withdrawal",
            Self::Redelegate { .. } => "redelegate",
            Self::Slash(_) => "slash",
            Self::VetoSlash { .. } => "veto_slash",
            Self::ExecuteSlash { .. } => "execute_slash",
            Self::SubmitDoubleSignEvidence(_) => "submit_double_sign_evidence",
            Self::SetSigningKey { .. } => "set_signing_key",
            Self::SetConsensusKey { .. } => "set_consensus_key",
            Self::SubmitConsensusEvidence(_) => "submit_consensus_evidence",
            Self::RestakeNative { .. } => "restake_native",
            Self::SetServiceCommission { .. } => "set_service_commission",
            Self::CreateRewardProgram(_) => "create_reward_program",
            Self::ClaimRewards { .. } => "claim_rewards",
            Self::CreateValidator { .. } => "create_validator",
            Self::DelegateBase { .. } => "delegate_base",
            Self::UndelegateBase { .. } => "undelegate_base",
            Self::RedelegateBase { .. } => "redelegate_base",
            Self::ClaimUnbonded {} => "claim_unbonded",
            Self::SetValidatorCommission { .. } => "set_validator_commission",
            Self::Unjail {} => "unjail",
            Self::PayProposer { .. } => "pay_proposer",
            Self::LstDeposit { .. } => "lst_deposit",
            Self::LstRequestRedeem { .. } => "lst_request_redeem",
            Self::LstClaim { .. } => "lst_claim",
            Self::RegisterAsset { .. } => "register_asset",
            Self::SetParams(_) => "set_params",
            Self::SubmitProposal { .. } => "submit_proposal",
            Self::DepositProposal { .. } => "deposit_proposal",
            Self::Vote { .. } => "vote",
            Self::PauseDeposits { .. } => "pause_deposits",
            Self::CreateVault(_) => "create_vault",
            Self::VaultDeposit { .. } => "vault_deposit",
            Self::VaultAllocate { .. } => "vault_allocate",
            Self::VaultDeallocate { .. } => "vault_deallocate",
            Self::VaultHarvest { .. } => "vault_harvest",
            Self::VaultWithdrawInstant { .. } => "vault_withdraw_instant",
            Self::VaultRequestWithdrawal { .. } => "vault_request_withdrawal",
            Self::VaultClaim { .. } => "vault_claim",
            Self::VaultSetFees { .. } => "vault_set_fees",
            Self::VaultSetPolicy { .. } => "vault_set_policy",
        }
    }

    /// Whether the guardian's pause refuses it: new deposits and new stake behind operators
    /// (raising an allocation is checked in `allocate`). Withdrawals, claims, redelegations away
    /// and slashing are never paused.
    pub fn is_new_deposit(&self) -> bool {
        matches!(
            self,
            Self::Deposit { .. }
                | Self::Delegate { .. }
                | Self::RestakeNative { .. }
                | Self::LstDeposit { .. }
                | Self::VaultDeposit { .. }
                | Self::VaultAllocate { .. }
        )
    }

    /// Runs the action for `ctx.signer`. Authority is checked inside each handler; on error the
    /// caller rolls the state back.
    pub fn execute(self, state: &mut State, ctx: &mut Ctx) -> Result<Outcome> {
        use restaking as r;
        if self.is_new_deposit() {
            crate::governance::require_unpaused(state, ctx.now, self.name())?;
        }
        match self {
            Self::Transfer { to, asset, amount } => transfer(state, ctx, to, &asset, amount),
            Self::Mint { to, asset, amount } => {
                let id = issuer_asset(state, ctx, "mint", &asset)?;
                bank::mint(state, &mut ctx.events, to, id, amount)?;
                Ok(Outcome::Done)
            }
            Self::Burn { asset, amount } => {
                let id = issuer_asset(state, ctx, "burn", &asset)?;
                bank::burn(state, &mut ctx.events, ctx.signer, id, amount)?;
                Ok(Outcome::Done)
            }
            Self::Deposit {
                asset,
                amount,
                min_shares_out,
            } => r::deposit(state, ctx, &asset, amount, min_shares_out).map(Outcome::Shares),
            Self::RegisterOperator {
                metadata_uri,
                allocation_delay_s,
                default_commission_bps,
                signing_key,
            } => {
                let commission =
                    default_commission_bps.unwrap_or(state.params().default_commission_bps);
                r::register_operator(
                    state,
                    ctx,
                    metadata_uri,
                    allocation_delay_s,
                    commission,
                    signing_key,
                )?;
                Ok(Outcome::Done)
            }
            Self::SetOperatorCommitments(c) => {
                r::set_operator_commitments(state, ctx, c)?;
                Ok(Outcome::Done)
            }
            Self::RegisterService(args) => {
                r::register_service(state, ctx, args)?;
                Ok(Outcome::Done)
            }
            Self::SetServiceSlasher { slasher, resolver } => {
                r::set_service_slasher(state, ctx, slasher, resolver)?;
                Ok(Outcome::Done)
            }
            Self::CreateOperatorSet {
                set_id,
                strategies,
                admission,
            } => {
                r::create_operator_set(state, ctx, set_id, &strategies, admission).map(Outcome::Set)
            }
            Self::SetSecurityProfile(args) => {
                r::set_security_profile(state, ctx, args).map(Outcome::Set)
            }
            Self::ApproveOperator { operator, set } => {
                r::approve_operator(state, ctx, operator, set)?;
                Ok(Outcome::Done)
            }
            Self::RegisterForSet { set } => {
                r::register_for_set(state, ctx, set)?;
                Ok(Outcome::Done)
            }
            Self::DeregisterFromSet { set, operator } => {
                r::deregister_from_set(state, ctx, set, operator).map(Outcome::EffectAt)
            }
            Self::Delegate {
                operator,
                strategy,
                shares,
                validator,
            } => {
                r::delegate(state, ctx, operator, &strategy, validator, shares).map(Outcome::Shares)
            }
            Self::Allocate {
                set,
                strategy,
                magnitude,
            } => {
                // The pause is governance's; restaking is handed it (it does not use governance).
                let paused_until = crate::governance::gov_state(state).paused_until;
                r::allocate(state, ctx, set, &strategy, magnitude, paused_until)
                    .map(Outcome::EffectAt)
            }
            Self::QueueWithdrawal {
                operator,
                strategy,
                shares,
                validator,
            } => r::queue_withdrawal(state, ctx, operator, &strategy, validator, shares)
                .map(Outcome::Withdrawal),
            Self::CompleteWithdrawal { id, receive } => {
                r::complete_withdrawal(state, ctx, id, receive).map(Outcome::Shares)
            }
            Self::Redelegate {
                from_operator,
                to_operator,
                strategy,
                shares,
                validator,
            } => r::redelegate(
                state,
                ctx,
                from_operator,
                to_operator,
                &strategy,
                validator,
                shares,
            )
            .map(Outcome::Shares),
            Self::Slash(args) => r::request_slash(state, ctx, args).map(Outcome::Slash),
            Self::VetoSlash { id } => {
                r::veto_slash(state, ctx, id)?;
                Ok(Outcome::Done)
            }
            Self::ExecuteSlash { id } => {
                r::execute_slash(state, ctx, id)?;
                Ok(Outcome::Done)
            }
            Self::SubmitDoubleSignEvidence(args) => {
                r::submit_double_sign_evidence(state, ctx, args).map(Outcome::Slash)
            }
            Self::SetSigningKey { signing_key } => {
                r::set_signing_key(state, ctx, signing_key)?;
                Ok(Outcome::Done)
            }
            Self::SetConsensusKey {
                key,
                p2p_address,
                pop,
            } => {
                base::consensus::set_consensus_key(state, ctx, key, p2p_address, pop)?;
                Ok(Outcome::Done)
            }
            Self::SubmitConsensusEvidence(evidence) => {
                crate::block::apply_consensus_evidence(
                    state,
                    &mut ctx.events,
                    &evidence,
                    ctx.height,
                    ctx.now,
                )?;
                Ok(Outcome::Done)
            }
            Self::RestakeNative {
                validator,
                shares,
                amount,
            } => r::restake_native(state, ctx, validator, base_amount(shares, amount)?)
                .map(Outcome::Shares),
            Self::SetServiceCommission {
                service,
                commission_bps,
            } => crate::rewards::set_service_commission(state, ctx, service, commission_bps)
                .map(Outcome::EffectAt),
            Self::CreateRewardProgram(args) => {
                crate::rewards::create_reward_program(state, ctx, args).map(Outcome::Program)
            }
            Self::ClaimRewards { operator, strategy } => {
                let strategy = strategy.map(|s| r::strategy_id(state, &s)).transpose()?;
                crate::rewards::claim_rewards(state, ctx, operator, strategy)?;
                Ok(Outcome::Done)
            }
            Self::CreateValidator {
                commission_bps,
                self_bond,
            } => {
                base::create_validator(state, ctx, commission_bps, self_bond)?;
                Ok(Outcome::Done)
            }
            Self::DelegateBase { validator, amount } => {
                base::delegate_base(state, ctx, validator, amount).map(Outcome::ActiveFrom)
            }
            Self::UndelegateBase {
                validator,
                shares,
                amount,
            } => base::undelegate_base(state, ctx, validator, base_amount(shares, amount)?)
                .map(Outcome::Unbonding),
            Self::RedelegateBase {
                from_validator,
                to_validator,
                shares,
                amount,
            } => {
                base::redelegate_base(
                    state,
                    ctx,
                    from_validator,
                    to_validator,
                    base_amount(shares, amount)?,
                )?;
                Ok(Outcome::Done)
            }
            Self::ClaimUnbonded {} => base::claim_unbonded(state, ctx).map(Outcome::Amount),
            Self::SetValidatorCommission { commission_bps } => {
                base::set_validator_commission(state, ctx, commission_bps).map(Outcome::ActiveFrom)
            }
            Self::Unjail {} => {
                base::unjail(state, ctx)?;
                Ok(Outcome::Done)
            }
            Self::PayProposer { amount } => {
                base::pay_proposer(state, ctx, amount)?;
                Ok(Outcome::Done)
            }
            Self::LstDeposit {
                amount,
                min_lst_out,
            } => crate::lst::deposit(state, ctx, amount, min_lst_out).map(Outcome::Amount),
            Self::LstRequestRedeem { shares } => {
                crate::lst::request_redeem(state, ctx, shares).map(Outcome::Redemption)
            }
            Self::LstClaim { id } => crate::lst::claim(state, ctx, id).map(Outcome::Amount),
            Self::RegisterAsset {
                symbol,
                decimals,
                issuer,
                restakable,
            } => {
                require_governance(state, ctx, "register_asset")?;
                restaking::register_external_asset(
                    state,
                    &mut ctx.events,
                    &symbol,
                    decimals,
                    issuer,
                    restakable,
                )
                .map(Outcome::Asset)
            }
            Self::SetParams(patch) => {
                require_governance(state, ctx, "set_params")?;
                let params = patch.apply(state.params());
                params.validate_change(state.params())?;
                state.put::<ParamsTable>((), params);
                ctx.emit(Event::ParamsChanged);
                Ok(Outcome::Done)
            }
            Self::SubmitProposal {
                title,
                metadata_uri,
                changes,
                deposit,
            } => crate::governance::submit_proposal(
                state,
                ctx,
                title,
                metadata_uri,
                changes,
                deposit,
            )
            .map(Outcome::Proposal),
            Self::DepositProposal { proposal, amount } => {
                crate::governance::deposit_proposal(state, ctx, proposal, amount)?;
                Ok(Outcome::Done)
            }
            Self::Vote { proposal, option } => {
                crate::governance::vote(state, ctx, proposal, option)?;
                Ok(Outcome::Done)
            }
            Self::PauseDeposits { duration_s } => {
                crate::governance::pause_deposits(state, ctx, duration_s).map(Outcome::EffectAt)
            }
            Self::CreateVault(args) => vault::create_vault(state, ctx, *args).map(Outcome::Vault),
            Self::VaultDeposit {
                vault: v,
                amount,
                min_lrt_out,
            } => vault::deposit(state, ctx, &v, amount, min_lrt_out).map(Outcome::Amount),
            Self::VaultAllocate {
                vault: v,
                operator,
                amount,
            } => vault::allocate(state, ctx, &v, operator, amount).map(Outcome::Shares),
            Self::VaultDeallocate {
                vault: v,
                operator,
                amount,
            } => vault::deallocate(state, ctx, &v, operator, amount).map(Outcome::Withdrawal),
            Self::VaultHarvest { vault: v } => vault::harvest(state, ctx, &v).map(Outcome::Amount),
            Self::VaultWithdrawInstant {
                vault: v,
                lrt,
                min_out,
            } => vault::withdraw_instant(state, ctx, &v, lrt, min_out).map(Outcome::Amount),
            Self::VaultRequestWithdrawal { vault: v, lrt } => {
                vault::request_withdrawal(state, ctx, &v, lrt).map(Outcome::VaultRequest)
            }
            Self::VaultClaim { id } => vault::claim(state, ctx, id).map(Outcome::Amount),
            Self::VaultSetFees { vault: v, fees } => match vault::set_fees(state, ctx, &v, fees)? {
                Some(at) => Ok(Outcome::EffectAt(at)),
                None => Ok(Outcome::Done),
            },
            Self::VaultSetPolicy {
                vault: v,
                policy,
                deposit_cap,
                buffer_bps,
                min_request,
            } => {
                let limits = vault::Limits {
                    deposit_cap,
                    buffer_bps,
                    min_request,
                };
                vault::set_policy(state, ctx, &v, policy, limits).map(Outcome::EffectAt)
            }
        }
    }
}

/// Exactly one of `shares` or `amount`.
fn base_amount(shares: Option<ShareAmount>, amount: Option<Amount>) -> Result<base::BaseAmount> {
    match (shares, amount) {
        (Some(s), None) => Ok(base::BaseAmount::Shares(s)),
        (None, Some(a)) => Ok(base::BaseAmount::Amount(a)),
        _ => Err(Error::invalid(
            "shares",
            "give exactly one of `shares` or `amount`",
        )),
    }
}

fn transfer(
    state: &mut State,
    ctx: &mut Ctx,
    to: Address,
    asset: &str,
    amount: Amount,
) -> Result<Outcome> {
    let id = bank::asset_id(state, asset)?;
    if amount.is_zero() {
        return Err(Error::invalid("amount", "must be positive"));
    }
    bank::transfer(state, ctx.signer, to, id, amount)?;
    ctx.emit(Event::Transferred {
        from: ctx.signer,
        to,
        asset: id,
        amount,
    });
    Ok(Outcome::Done)
}

fn issuer_asset(state: &State, ctx: &Ctx, action: &'static str, asset: &str) -> Result<AssetId> {
    let id = bank::asset_id(state, asset)?;
    let issuer = bank::issuer_of(state, id)?;
    if ctx.signer != issuer {
        return Err(Error::unauthorized(
            action,
            &ctx.signer,
            format!("the issuer of {asset}"),
        ));
    }
    Ok(id)
}

fn require_governance(state: &State, ctx: &Ctx, action: &'static str) -> Result<()> {
    let governance = state.meta().governance;
    if ctx.signer != governance {
        return Err(Error::unauthorized(
            action,
            &ctx.signer,
            format!("governance ({})", fmt_address(&governance)),
        ));
    }
    Ok(())
}
