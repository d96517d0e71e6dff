//! Service attestations (PROTOCOL.md §6.6) signed with a key: what an operator's software signs,
//! and what double-sign evidence carries. One signing function for the CLI (`rampart attest`),
//! the scenario runner (`{"signed_by": NAME}` in a step), test support and benchmarks; the
//! protocol only ever *verifies* ([`rampart_core::restaking::recover_signer`]).

use alloy_primitives::{B256, Signature};
use k256::ecdsa::SigningKey;
use rampart_core::ids::SetRef;
use rampart_core::restaking::attestation_signing_hash;

/// Why an attestation could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("signing the attestation failed: {0}")]
pub struct AttestError(String);

/// `key`'s EIP-712 signature of `ServiceAttestation{service, setId, height, digest}` on
/// `chain_id`: 65 bytes `r ‖ s ‖ v` with low `s` and `v` 27/28, as `eth_signTypedData_v4`
/// returns it. Deterministic (RFC 6979): the same inputs give the same bytes in every library.
pub fn attest(
    key: &SigningKey,
    chain_id: u64,
    set: SetRef,
    height: u64,
    digest: B256,
) -> Result<[u8; 65], AttestError> {
    let hash = attestation_signing_hash(chain_id, set, height, digest);
    let (sig, recid) = key
        .sign_prehash_recoverable(hash.as_slice())
        .map_err(|e| AttestError(e.to_string()))?;
    Ok(Signature::from_signature_and_parity(sig, recid.is_y_odd()).as_bytes())
}

/// [`attest`] as `0x` hex, the form the evidence action takes.
pub fn attest_hex(
    key: &SigningKey,
    chain_id: u64,
    set: SetRef,
    height: u64,
    digest: B256,
) -> Result<String, AttestError> {
    let bytes = attest(key, chain_id, set, height, digest)?;
    Ok(format!("0x{}", alloy_primitives::hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::restaking::recover_signer;

    #[test]
    fn an_attestation_recovers_to_its_key_and_is_canonical() {
        let key = crate::names::dev_signing_key("op1");
        let set: SetRef = format!("{}/3", crate::names::dev_address("svc"))
            .parse()
            .expect("a set name");
        let digest = B256::repeat_byte(7);
        let sig = attest(&key, 31_337, set, 9, digest).expect("signs");
        assert!(sig[64] == 27 || sig[64] == 28);
        let hash = attestation_signing_hash(31_337, set, 9, digest);
        assert_eq!(
            recover_signer(hash, &sig),
            Ok(crate::names::dev_address("op1"))
        );
        assert_eq!(
            attest_hex(&key, 31_337, set, 9, digest).expect("signs"),
            format!("0x{}", alloy_primitives::hex::encode(sig))
        );
    }
}
