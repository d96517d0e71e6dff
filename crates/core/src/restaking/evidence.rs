//! Objective faults (§6.6): double-sign evidence that anyone may submit and the protocol
//! verifies itself, slashing at once with no slasher and no veto.
//!
//! # The attestation
//!
//! An operator's `signing_key` signs service messages as EIP-712 typed data, domain
//! `{name: "Rampart", version: "1", chainId}` (the chain's id, [`crate::block::Meta::chain_id`]),
//! primary type
//!
//! ```text
//! ServiceAttestation(address service,uint32 setId,uint64 height,bytes32 digest)
//! ```
//!
//! so any EIP-712 wallet or library (`eth_signTypedData_v4`) produces it. `height` is the
//! service's own height (a round, a slot), not the chain's. Two signatures by one key over two
//! different digests at one (service, set, height) are a double sign.
//!
//! # The key in force
//!
//! `signing_key` is set at `register_operator` (default: the operator's own account) and
//! replaced with `set_signing_key` (an operator rotating a compromised or aged key). `height`
//! is the service's own height, which the chain cannot date, so "the key in force when the
//! attestations were made" is kept as an *accountability window*: a replaced key stays
//! accountable for `deallocation_delay_s` after its replacement (the same window an operator
//! that leaves a set stays slashable), in [`crate::restaking::RetiredSigningKeys`], then it is
//! retired for good. Evidence counts when both attestations are by one key of the operator that
//! is accountable when the evidence is submitted: the current key, or a replaced one still in its
//! window. So rotating right after a double sign escapes nothing (the old key is still
//! accountable for as long as any slash on a leaving operator), and a thief of a replaced key
//! can frame the operator only inside that window, never after it. Both signatures must be by
//! the *same* key: a conflict between the old and the new key could be a thief's word against the
//! operator's.
//!
//! # Invariants
//!
//! - One punishment per (operator, set, height) ([`crate::restaking::DoubleSignEvidence`]); two
//!   sets of one service are two offences.
//! - The slash goes through the same path as every executed slash
//!   ([`super::slashing::execute_at_once`]) with `min(double_sign_wad, max_slash_per_event)`,
//!   and only reaches an operator the set can still slash.
//! - A failing submission returns before its first write.
//! - At most `max_retired_signing_keys` replaced keys per operator are accountable at once;
//!   entries whose window ended are pruned at the operator's next rotation.
//!
//! # Arithmetic
//!
//! The submitter's reward is `floor(escrowed · evidence_reward_bps / 10_000)` of each escrow the
//! slash created, taken out of that escrow (so conservation and escrow cover hold); the rest is
//! burned or redistributed as any slash.

use super::{SlashRequest, SlashStatus};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::{Address, SetRef, SlashId, fmt_address};
use crate::num::Wad;
use crate::restaking::{DoubleSignEvidence, Operators, RetiredSigningKeys};
use crate::state::State;
use crate::time::Timestamp;
use alloy_primitives::{B256, Bytes, Signature, U256};
use alloy_sol_types::{Eip712Domain, SolStruct, sol};
use serde::{Deserialize, Serialize};

sol! {
    /// The EIP-712 message an operator's signing key signs for a service.
    #[derive(Debug, PartialEq, Eq)]
    struct ServiceAttestation {
        address service;
        uint32 setId;
        uint64 height;
        bytes32 digest;
    }
}

/// The EIP-712 domain of the chain `chain_id` (the transactions' domain).
pub fn attestation_domain(chain_id: u64) -> Eip712Domain {
    Eip712Domain::new(
        Some("Rampart".into()),
        Some("1".into()),
        Some(U256::from(chain_id)),
        None,
        None,
    )
}

/// The EIP-712 signing hash of an attestation of `digest` for `set` at `height` on `chain_id`:
/// `keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message))`.
pub fn attestation_signing_hash(chain_id: u64, set: SetRef, height: u64, digest: B256) -> B256 {
    ServiceAttestation {
        service: set.service,
        setId: set.id,
        height,
        digest,
    }
    .eip712_signing_hash(&attestation_domain(chain_id))
}

/// Why a signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not 65 bytes `r ‖ s ‖ v`.
    #[error("a signature is 65 bytes r ‖ s ‖ v, this one has {0}")]
    BadLength(usize),
    /// `v` is neither 27/28 nor 0/1.
    #[error("v must be 27, 28, 0 or 1, not {0}")]
    BadV(u8),
    /// `r` or `s` is zero or not below the curve order.
    #[error("r and s must be in [1, n)")]
    OutOfRange,
    /// `s` is in the upper half of the curve order (EIP-2: not canonical).
    #[error("s is not in the lower half of the curve order (EIP-2)")]
    HighS,
    /// No public key recovers from it.
    #[error("no key recovers from the signature")]
    Unrecoverable,
}

/// The address whose key made `signature` (65 bytes `r ‖ s ‖ v`, `v` 27/28 or 0/1, low `s`)
/// over the 32-byte `hash`.
pub fn recover_signer(hash: B256, signature: &[u8]) -> Result<Address, SignatureError> {
    let bytes: &[u8; 65] = signature
        .try_into()
        .map_err(|_| SignatureError::BadLength(signature.len()))?;
    let parity = match bytes[64] {
        0 | 27 => false,
        1 | 28 => true,
        v => return Err(SignatureError::BadV(v)),
    };
    let r = U256::from_be_slice(&bytes[..32]);
    let s = U256::from_be_slice(&bytes[32..64]);
    let sig = Signature::new(r, s, parity);
    let ecdsa = sig.to_k256().map_err(|_| SignatureError::OutOfRange)?;
    if ecdsa.normalize_s().is_some() {
        return Err(SignatureError::HighS);
    }
    sig.recover_address_from_prehash(&hash)
        .map_err(|_| SignatureError::Unrecoverable)
}

/// `submit_double_sign_evidence {operator, set, height, digest_a, signature_a, digest_b,
/// signature_b}`: anyone may sign it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DoubleSignEvidenceArgs {
    /// The operator that signed twice.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub operator: Address,
    /// The set both attestations name (`"<service>/<id>"`).
    pub set: SetRef,
    /// The service height both attestations name.
    pub height: u64,
    /// The first digest (32 bytes, `0x` hex).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub digest_a: B256,
    /// Its signature (65 bytes `r ‖ s ‖ v`, `0x` hex).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub signature_a: Bytes,
    /// The second digest.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub digest_b: B256,
    /// Its signature.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub signature_b: Bytes,
}

/// Verifies the evidence and slashes `double_sign_wad` (within the per-event cap) of the
/// operator's allocation to the set, in every strategy of the set, at once. Returns the
/// executed slash's id.
pub fn submit_double_sign_evidence(
    state: &mut State,
    ctx: &mut Ctx,
    args: DoubleSignEvidenceArgs,
) -> Result<SlashId> {
    let request = check_evidence(state, ctx, &args)?;
    let first_event = ctx.events.len();
    let wad = request.wad;
    let id = super::slashing::execute_at_once(state, &mut ctx.events, request, ctx.now)?;
    let escrows: Vec<_> = ctx.events[first_event..]
        .iter()
        .filter_map(|e| match e {
            Event::Slashed {
                id: s,
                escrow: Some(escrow),
                ..
            } if *s == id => Some(*escrow),
            _ => None,
        })
        .collect();
    let bps = state.params().evidence_reward_bps;
    super::slashing::pay_from_escrows(state, &mut ctx.events, id, &escrows, ctx.signer, bps)?;
    state.put::<DoubleSignEvidence>((args.operator, args.set, args.height), id);
    ctx.emit(Event::DoubleSignProven {
        id,
        operator: args.operator,
        set: args.set,
        height: args.height,
        wad,
        submitter: ctx.signer,
    });
    Ok(id)
}

/// Every check, with no write: the slash request the evidence proves.
fn check_evidence(state: &State, ctx: &Ctx, args: &DoubleSignEvidenceArgs) -> Result<SlashRequest> {
    let operator = super::operator(state, args.operator)?;
    let service = super::service(state, args.set.service)?;
    let set = super::operator_set(state, args.set)?;
    let Some(double_sign_wad) = service.double_sign_wad else {
        return Err(Error::NoDoubleSignRule(fmt_address(&args.set.service)));
    };
    if args.digest_a == args.digest_b {
        return Err(Error::EvidenceNotConflicting {
            digest: args.digest_a,
        });
    }
    if let Some(slash) = state.get::<DoubleSignEvidence>(&(args.operator, args.set, args.height)) {
        return Err(Error::EvidenceAlreadyUsed {
            operator: fmt_address(&args.operator),
            set: args.set.to_string(),
            height: args.height,
            slash: *slash,
        });
    }
    let chain_id = state.meta().chain_id;
    let recover = |which: &'static str, digest: B256, signature: &Bytes| {
        let hash = attestation_signing_hash(chain_id, args.set, args.height, digest);
        recover_signer(hash, signature).map_err(|reason| Error::EvidenceBadSignature {
            which,
            reason: reason.to_string(),
        })
    };
    let signer_a = recover("signature_a", args.digest_a, &args.signature_a)?;
    if !accountable(
        state,
        args.operator,
        operator.signing_key,
        signer_a,
        ctx.now,
    ) {
        return Err(Error::EvidenceBadSignature {
            which: "signature_a",
            reason: format!(
                "signed by {}, which is not a signing key of {} accountable now (its key is {})",
                fmt_address(&signer_a),
                fmt_address(&args.operator),
                fmt_address(&operator.signing_key)
            ),
        });
    }
    let signer_b = recover("signature_b", args.digest_b, &args.signature_b)?;
    if signer_b != signer_a {
        return Err(Error::EvidenceBadSignature {
            which: "signature_b",
            reason: format!(
                "signed by {}, not by {} which signed signature_a",
                fmt_address(&signer_b),
                fmt_address(&signer_a)
            ),
        });
    }
    let slashable = set.strategies.iter().any(|s| {
        !super::slashable_magnitude(state, args.operator, args.set, *s, ctx.now).is_zero()
    });
    if !slashable {
        return Err(Error::not_slashable(&args.operator, &args.set));
    }
    let wad: Wad = double_sign_wad.min(service.max_slash_per_event);
    Ok(SlashRequest {
        service: args.set.service,
        operator: args.operator,
        set: args.set,
        strategies: set.strategies.clone(),
        wad,
        evidence: format!(
            "double sign at height {}: {} and {}",
            args.height, args.digest_a, args.digest_b
        ),
        requested_at: ctx.now,
        executable_at: ctx.now,
        status: SlashStatus::Executed,
        outcome: Vec::new(),
    })
}

/// Whether `key` is `operator`'s signing key `current`, or a key it replaced whose
/// accountability window is still open at `now`.
fn accountable(
    state: &State,
    operator: Address,
    current: Address,
    key: Address,
    now: Timestamp,
) -> bool {
    key == current
        || retired_signing_keys(state, operator)
            .any(|(retired, _, until)| retired == key && now < until)
}

/// The keys `operator` replaced that are still stored: `(key, replaced_at, accountable_until)`,
/// by end of accountability. Entries whose window has ended may linger until the next rotation.
pub fn retired_signing_keys(
    state: &State,
    operator: Address,
) -> impl Iterator<Item = (Address, Timestamp, Timestamp)> + '_ {
    state
        .range::<RetiredSigningKeys, _>(
            (operator, Timestamp::new(0), Address::ZERO)
                ..=(
                    operator,
                    Timestamp::new(u64::MAX),
                    Address::repeat_byte(0xff),
                ),
        )
        .map(|((_, until, key), replaced_at)| (*key, *replaced_at, *until))
}

/// The service height whose double sign by `operator` in `set` slash `id` punished, if it was an
/// evidence slash. O(heights punished for this operator and set).
pub fn double_sign_height(
    state: &State,
    operator: Address,
    set: SetRef,
    id: SlashId,
) -> Option<u64> {
    state
        .range::<DoubleSignEvidence, _>((operator, set, 0)..=(operator, set, u64::MAX))
        .find(|(_, slash)| **slash == id)
        .map(|((_, _, height), _)| *height)
}

/// `set_signing_key {signing_key}`, signed by the operator: `signing_key` signs its attestations
/// from now on; the replaced key stays accountable for `deallocation_delay_s`.
pub fn set_signing_key(state: &mut State, ctx: &mut Ctx, signing_key: Address) -> Result<()> {
    let mut operator = super::operator(state, ctx.signer)?.clone();
    if signing_key == operator.signing_key {
        return Err(Error::invalid(
            "signing_key",
            "is already the operator's signing key",
        ));
    }
    let until = ctx.now.checked_add(state.params().deallocation_delay_s)?;
    let (ended, open): (Vec<_>, Vec<_>) =
        retired_signing_keys(state, ctx.signer).partition(|(_, _, until)| *until <= ctx.now);
    let max = state.params().max_retired_signing_keys;
    if open.len() >= max as usize {
        return Err(Error::LimitExceeded {
            limit: "max_retired_signing_keys",
            max: u64::from(max),
        });
    }
    for (key, _, end) in ended {
        state.delete::<RetiredSigningKeys>(&(ctx.signer, end, key));
    }
    let old = operator.signing_key;
    state.put::<RetiredSigningKeys>((ctx.signer, until, old), ctx.now);
    operator.signing_key = signing_key;
    state.put::<Operators>(ctx.signer, operator);
    ctx.emit(Event::SigningKeyChanged {
        operator: ctx.signer,
        old,
        new: signing_key,
        old_accountable_until: until,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, hex};

    /// Reference vectors computed with two independent EIP-712 implementations, neither a
    /// dependency of this workspace; both give the same hashes and (RFC 6979, deterministic)
    /// signatures, recorded below as hex only.
    ///
    /// ethers 6.17.0 (JavaScript; `npm install ethers@6` in a temporary directory):
    ///
    /// ```js
    /// const { TypedDataEncoder, Wallet } = require("ethers");
    /// const types = { ServiceAttestation: [
    ///   { name: "service", type: "address" }, { name: "setId", type: "uint32" },
    ///   { name: "height", type: "uint64" }, { name: "digest", type: "bytes32" } ] };
    /// const cases = [
    ///   { chainId: 31337, service: "0x00000000000000000000000000000000000000aa", setId: 7,
    ///     height: 123456789n, digest: "0x" + "ab".repeat(32), key: "0x" + "11".repeat(32) },
    ///   { chainId: 1, service: "0xdAC17F958D2ee523a2206206994597C13D831ec7", setId: 4294967295,
    ///     height: 18446744073709551615n, digest: "0x" + "00".repeat(31) + "01",
    ///     key: "0x" + "42".repeat(32) } ];
    /// for (const c of cases) {
    ///   const domain = { name: "Rampart", version: "1", chainId: c.chainId };
    ///   const msg = { service: c.service, setId: c.setId, height: c.height, digest: c.digest };
    ///   const w = new Wallet(c.key);
    ///   console.log(TypedDataEncoder.hash(domain, types, msg), w.address,
    ///               await w.signTypedData(domain, types, msg));
    /// }
    /// ```
    ///
    /// eth-account 0.14.0 (Python; `python3 -m venv /tmp/ethvenv && /tmp/ethvenv/bin/pip install
    /// eth-account`), for each of the same cases:
    ///
    /// ```python
    /// from eth_account.messages import encode_typed_data
    /// from eth_account import Account
    /// from eth_utils import keccak
    /// td = {"types": {"EIP712Domain": [{"name": "name", "type": "string"},
    ///                                  {"name": "version", "type": "string"},
    ///                                  {"name": "chainId", "type": "uint256"}],
    ///                 "ServiceAttestation": [{"name": "service", "type": "address"},
    ///                                        {"name": "setId", "type": "uint32"},
    ///                                        {"name": "height", "type": "uint64"},
    ///                                        {"name": "digest", "type": "bytes32"}]},
    ///       "primaryType": "ServiceAttestation",
    ///       "domain": {"name": "Rampart", "version": "1", "chainId": chain},
    ///       "message": {"service": svc, "setId": set_id, "height": height, "digest": digest}}
    /// m = encode_typed_data(full_message=td)
    /// h = keccak(b"\x19" + m.version + m.header + m.body)   # the signing hash
    /// s = Account.sign_message(m, private_key=key).signature
    /// a = Account.from_key(key).address
    /// ```
    const VECTOR_HASH: B256 =
        b256!("b9a7fa764b6f1794d23364ccd4a8c2c9d0bf838de2a073c86f2950fa2ad2f469");
    const VECTOR_SIGNATURE: [u8; 65] = hex!(
        "3737c9669d74a7ce4c29ca46a7c5376e81f41f8796c6359fd599f5d229079a4263a2ab57efd197c0e214a956b7ba836fe43157dbc7ec3d7de35560a2d91624461b"
    );
    /// The second case: every field at its largest (`setId` 2³²−1, `height` 2⁶⁴−1), chain 1, a
    /// checksummed address and a digest that is 1.
    const BOUNDARY_HASH: B256 =
        b256!("357255e4b11b5b43d5c4819a9974c2240335af1ae2f6e4eb6f62e6cd0f106f91");
    const BOUNDARY_SIGNATURE: [u8; 65] = hex!(
        "6d2e3423fe5153fd19a7e7027e7a12a34227a2a08502ef7c50728ccdae751e244e7c747797feccdcec4600b52583ce5858097265f4d0b6af4baae638717379e41c"
    );

    fn vector_set() -> SetRef {
        SetRef {
            service: address!("00000000000000000000000000000000000000aa"),
            id: 7,
        }
    }

    fn vector_digest() -> B256 {
        B256::repeat_byte(0xab)
    }

    #[test]
    fn the_type_string_is_the_documented_one() {
        assert_eq!(
            ServiceAttestation::eip712_encode_type(),
            "ServiceAttestation(address service,uint32 setId,uint64 height,bytes32 digest)"
        );
    }

    #[test]
    fn the_signing_hash_matches_ethers_and_eth_account() {
        assert_eq!(
            attestation_signing_hash(31_337, vector_set(), 123_456_789, vector_digest()),
            VECTOR_HASH
        );
    }

    #[test]
    fn the_eth_account_signature_recovers_to_its_key() {
        assert_eq!(
            recover_signer(VECTOR_HASH, &VECTOR_SIGNATURE),
            Ok(address!("19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"))
        );
    }

    #[test]
    fn the_boundary_vector_matches_ethers_and_eth_account() {
        let set = SetRef {
            service: address!("dAC17F958D2ee523a2206206994597C13D831ec7"),
            id: u32::MAX,
        };
        let mut digest = B256::ZERO;
        digest.0[31] = 1;
        let hash = attestation_signing_hash(1, set, u64::MAX, digest);
        assert_eq!(hash, BOUNDARY_HASH);
        assert_eq!(
            recover_signer(hash, &BOUNDARY_SIGNATURE),
            Ok(address!("17c5185167401eD00cF5F5b2fc97D9BBfDb7D025"))
        );
    }

    #[test]
    fn signing_with_k256_gives_the_libraries_signature() {
        // RFC 6979 nonces: the same key and hash give the same signature in every library.
        let key = k256::ecdsa::SigningKey::from_slice(&[0x11; 32]).expect("a valid secret");
        let (sig, recid) = key
            .sign_prehash_recoverable(VECTOR_HASH.as_slice())
            .expect("signing");
        let sig = Signature::from_signature_and_parity(sig, recid.is_y_odd());
        assert_eq!(sig.as_bytes(), VECTOR_SIGNATURE);
    }

    #[test]
    fn another_chain_set_height_or_digest_changes_the_hash() {
        let base = attestation_signing_hash(1, vector_set(), 5, vector_digest());
        let other_set = SetRef {
            id: 8,
            ..vector_set()
        };
        for h in [
            attestation_signing_hash(2, vector_set(), 5, vector_digest()),
            attestation_signing_hash(1, other_set, 5, vector_digest()),
            attestation_signing_hash(1, vector_set(), 6, vector_digest()),
            attestation_signing_hash(1, vector_set(), 5, B256::ZERO),
        ] {
            assert_ne!(h, base);
        }
    }

    #[test]
    fn malformed_high_s_and_bad_v_signatures_are_refused() {
        assert_eq!(
            recover_signer(VECTOR_HASH, &VECTOR_SIGNATURE[..64]),
            Err(SignatureError::BadLength(64))
        );
        let mut bad_v = VECTOR_SIGNATURE;
        bad_v[64] = 29;
        assert_eq!(
            recover_signer(VECTOR_HASH, &bad_v),
            Err(SignatureError::BadV(29))
        );
        let mut zero = VECTOR_SIGNATURE;
        zero[..32].fill(0);
        assert_eq!(
            recover_signer(VECTOR_HASH, &zero),
            Err(SignatureError::OutOfRange)
        );
        // (r, n − s, !v) is the same signature in its high-s form.
        let n = U256::from_be_slice(&hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let s = U256::from_be_slice(&VECTOR_SIGNATURE[32..64]);
        let mut high = VECTOR_SIGNATURE;
        high[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
        high[64] = if VECTOR_SIGNATURE[64] == 27 { 28 } else { 27 };
        assert_eq!(
            recover_signer(VECTOR_HASH, &high),
            Err(SignatureError::HighS)
        );
        // v as 0/1 is accepted like 27/28.
        let mut raw_v = VECTOR_SIGNATURE;
        raw_v[64] -= 27;
        assert_eq!(
            recover_signer(VECTOR_HASH, &raw_v),
            recover_signer(VECTOR_HASH, &VECTOR_SIGNATURE)
        );
    }
}
