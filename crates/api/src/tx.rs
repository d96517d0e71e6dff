//! Signed transactions: EIP-712 typed data over the whole action vocabulary (PROTOCOL.md §2).
//!
//! # The typed data
//!
//! Domain `{name: "Rampart", version: "1", chainId}`; primary type
//!
//! ```text
//! Transaction(string action,string args,uint64 nonce,uint256 fee,uint256 priorityTip)
//! ```
//!
//! `action` is the action's name in the vocabulary (`"deposit"`), `args` the JSON object of its
//! fields exactly as signed (`{"asset":"stETH","amount":"100"}`). One struct covers every action,
//! present and future: a new action needs no new type, no new signing code in any client, and a
//! wallet shows the user the action and its arguments as readable text. The node parses the
//! signed string itself, so there is nothing to canonicalise: what was signed is what runs.
//! See `docs/node.md` for the alternatives considered.
//!
//! # Checks before execution ([`Verifier::verify`])
//!
//! Cheapest first, the signature recovery (≈40 µs) last: chain id, sizes, amounts (`uint256`
//! above `u128::MAX` is rejected), action name and fields, then the signature, which must be
//! canonical (low `s`) and recover to `from`. Nonce, fee and balance are checked against state
//! by the node (`rampart_core::tx::check_tx`).

use crate::error::{ApiError, classify_serde, codes};
use alloy_primitives::{Address, B256, Signature, U256, keccak256};
use alloy_sol_types::{Eip712Domain, SolStruct, sol};
use rampart_core::{Action, Amount, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

sol! {
    /// The EIP-712 message of every Rampart transaction.
    #[derive(Debug, PartialEq, Eq)]
    struct Transaction {
        string action;
        string args;
        uint64 nonce;
        uint256 fee;
        uint256 priorityTip;
    }
}

/// The EIP-712 domain of the chain `chain_id`.
pub fn domain(chain_id: u64) -> Eip712Domain {
    Eip712Domain::new(
        Some("Rampart".into()),
        Some("1".into()),
        Some(U256::from(chain_id)),
        None,
        None,
    )
}

/// A transaction as it travels: the signed message, its chain, its signer and the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedTx {
    /// The chain id of the EIP-712 domain.
    pub chain_id: u64,
    /// The signer's address; the signature must recover to it. Mixed case only with a valid
    /// EIP-55 checksum.
    #[schema(value_type = String, example = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8")]
    #[serde(deserialize_with = "checked_address")]
    pub from: Address,
    /// The action's name (PROTOCOL.md §10).
    #[schema(example = "deposit")]
    pub action: String,
    /// The action's fields as a JSON object, exactly as signed.
    #[schema(example = r#"{"asset":"stETH","amount":"1000"}"#)]
    pub args: String,
    /// The signer's next nonce.
    pub nonce: u64,
    /// Fee in RAM base units, a decimal string (`uint256` in the typed data, at most `u128`).
    #[schema(example = "0")]
    pub fee: String,
    /// Priority tip in RAM base units, a decimal string.
    #[schema(example = "0")]
    pub priority_tip: String,
    /// 65 bytes `r ‖ s ‖ v` as `0x` hex, `v` 27/28 or 0/1 (what `eth_signTypedData_v4` returns).
    #[schema(example = "0x…")]
    pub signature: String,
}

fn checked_address<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
    let text = String::deserialize(d)?;
    crate::strict::parse_address(&text).map_err(|e| serde::de::Error::custom(e.message))
}

/// A transaction before signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedTx {
    /// The action's name.
    pub action: String,
    /// The action's fields as a JSON object string.
    pub args: String,
    /// The signer's next nonce.
    pub nonce: u64,
    /// Fee in RAM base units.
    pub fee: u128,
    /// Priority tip in RAM base units.
    pub priority_tip: u128,
}

impl UnsignedTx {
    /// An unsigned transaction from an action's JSON (`{"tx": "deposit", ...fields}`): the name
    /// is taken out and the remaining fields become `args`.
    pub fn from_action_json(
        action: &serde_json::Value,
        nonce: u64,
        fee: u128,
        priority_tip: u128,
    ) -> Result<Self, ApiError> {
        let mut fields = action
            .as_object()
            .cloned()
            .ok_or_else(|| ApiError::new(codes::INVALID_INPUT, "an action must be an object"))?;
        let name = match fields.remove("tx") {
            Some(serde_json::Value::String(s)) => s,
            _ => {
                return Err(ApiError::new(
                    codes::INVALID_INPUT,
                    "an action needs `tx`: its name",
                ));
            }
        };
        let args = serde_json::Value::Object(fields).to_string();
        Ok(Self {
            action: name,
            args,
            nonce,
            fee,
            priority_tip,
        })
    }

    /// The EIP-712 message.
    pub fn message(&self) -> Transaction {
        Transaction {
            action: self.action.clone(),
            args: self.args.clone(),
            nonce: self.nonce,
            fee: U256::from(self.fee),
            priorityTip: U256::from(self.priority_tip),
        }
    }

    /// The EIP-712 signing hash on `chain_id`.
    pub fn signing_hash(&self, chain_id: u64) -> B256 {
        self.message().eip712_signing_hash(&domain(chain_id))
    }

    /// Signs with `key` (the CLI, tests and the dev network; wallets sign the same typed data
    /// with `eth_signTypedData_v4`).
    pub fn sign(self, key: &k256::ecdsa::SigningKey, chain_id: u64) -> Result<SignedTx, ApiError> {
        let hash = self.signing_hash(chain_id);
        let (sig, recid) = key
            .sign_prehash_recoverable(hash.as_slice())
            .map_err(|e| ApiError::new(codes::BAD_SIGNATURE, format!("signing failed: {e}")))?;
        let signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
        Ok(SignedTx {
            chain_id,
            from: Address::from_private_key(key),
            action: self.action,
            args: self.args,
            nonce: self.nonce,
            fee: self.fee.to_string(),
            priority_tip: self.priority_tip.to_string(),
            signature: format!("0x{}", hex_encode(&signature.as_bytes())),
        })
    }
}

/// Limits on a transaction's size, checked before anything else is parsed. In a node's TOML
/// (`[tx]`), an omitted limit keeps its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TxLimits {
    /// Largest `args` string, in bytes.
    pub max_args_bytes: usize,
    /// Longest action name, in bytes.
    pub max_action_bytes: usize,
}

impl Default for TxLimits {
    fn default() -> Self {
        Self {
            max_args_bytes: 16 * 1024,
            max_action_bytes: 64,
        }
    }
}

/// A transaction whose envelope and signature checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTx {
    /// Its id: `keccak256(signing hash ‖ from)`. Unique among committed transactions because a
    /// signer's nonces never repeat; independent of the signature's encoding.
    pub hash: B256,
    /// What the client sent (blocks store it, so anyone can re-verify).
    pub signed: SignedTx,
    /// The core's transaction.
    pub tx: Tx,
}

/// Checks transactions for one chain. Caches the domain separator.
#[derive(Clone, Debug)]
pub struct Verifier {
    chain_id: u64,
    separator: B256,
    limits: TxLimits,
}

impl Verifier {
    /// A verifier for `chain_id`.
    pub fn new(chain_id: u64, limits: TxLimits) -> Self {
        Self {
            chain_id,
            separator: domain(chain_id).separator(),
            limits,
        }
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Every check that needs no state (see the module docs for the order).
    pub fn verify(&self, signed: SignedTx) -> Result<VerifiedTx, ApiError> {
        if signed.chain_id != self.chain_id {
            return Err(ApiError::new(
                codes::WRONG_CHAIN_ID,
                format!(
                    "signed for chain {}, this is chain {}",
                    signed.chain_id, self.chain_id
                ),
            ));
        }
        self.check_sizes(&signed)?;
        let fee = parse_amount("fee", &signed.fee)?;
        let priority_tip = parse_amount("priority_tip", &signed.priority_tip)?;
        let action = parse_action(&signed.action, &signed.args)?;
        let signature = parse_signature(&signed.signature)?;
        let unsigned = UnsignedTx {
            action: signed.action.clone(),
            args: signed.args.clone(),
            nonce: signed.nonce,
            fee: fee.get(),
            priority_tip: priority_tip.get(),
        };
        let signing_hash = self.signing_hash(&unsigned);
        let signer = signature
            .recover_address_from_prehash(&signing_hash)
            .map_err(|e| ApiError::new(codes::BAD_SIGNATURE, format!("cannot recover: {e}")))?;
        if signer != signed.from {
            return Err(ApiError::new(
                codes::BAD_SIGNATURE,
                format!(
                    "the signature is by {signer:#x}, not by `from` {:#x} (or the message was altered)",
                    signed.from
                ),
            ));
        }
        let hash = tx_hash(&signing_hash, &signer);
        Ok(VerifiedTx {
            hash,
            tx: Tx {
                signer,
                nonce: signed.nonce,
                fee,
                priority_tip,
                action,
            },
            signed,
        })
    }

    fn signing_hash(&self, unsigned: &UnsignedTx) -> B256 {
        let struct_hash = unsigned.message().eip712_hash_struct();
        let mut buf = [0u8; 66];
        buf[0] = 0x19;
        buf[1] = 0x01;
        buf[2..34].copy_from_slice(self.separator.as_slice());
        buf[34..].copy_from_slice(struct_hash.as_slice());
        keccak256(buf)
    }

    fn check_sizes(&self, signed: &SignedTx) -> Result<(), ApiError> {
        if signed.args.len() > self.limits.max_args_bytes {
            return Err(ApiError::new(
                codes::PAYLOAD_TOO_LARGE,
                format!(
                    "args are {} bytes, at most {} are allowed",
                    signed.args.len(),
                    self.limits.max_args_bytes
                ),
            ));
        }
        if signed.action.len() > self.limits.max_action_bytes {
            return Err(ApiError::new(
                codes::PAYLOAD_TOO_LARGE,
                format!(
                    "the action name is {} bytes, at most {} are allowed",
                    signed.action.len(),
                    self.limits.max_action_bytes
                ),
            ));
        }
        Ok(())
    }
}

/// Verifies `signed` for `chain_id` with default limits (see [`Verifier`]).
pub fn verify(signed: SignedTx, chain_id: u64) -> Result<VerifiedTx, ApiError> {
    Verifier::new(chain_id, TxLimits::default()).verify(signed)
}

/// A transaction's id: `keccak256(signing hash ‖ signer)`.
pub fn tx_hash(signing_hash: &B256, signer: &Address) -> B256 {
    let mut buf = [0u8; 52];
    buf[..32].copy_from_slice(signing_hash.as_slice());
    buf[32..].copy_from_slice(signer.as_slice());
    keccak256(buf)
}

/// Parses a `uint256` decimal string that must fit the protocol's `u128` amounts.
pub fn parse_amount(field: &str, text: &str) -> Result<Amount, ApiError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(
            codes::INVALID_INPUT,
            format!("{field}: `{}` is not a decimal integer", truncate(text)),
        ));
    }
    if text.len() > 78 {
        return Err(ApiError::new(
            codes::AMOUNT_OVERFLOW,
            format!(
                "{field}: `{}…` ({} digits) exceeds the protocol's 128-bit amounts",
                truncate(text),
                text.len()
            ),
        ));
    }
    let wide = U256::from_str_radix(text, 10).map_err(|_| {
        ApiError::new(
            codes::AMOUNT_OVERFLOW,
            format!("{field}: `{text}` exceeds uint256"),
        )
    })?;
    let narrow = u128::try_from(wide).map_err(|_| {
        ApiError::new(
            codes::AMOUNT_OVERFLOW,
            format!("{field}: `{text}` exceeds the protocol's 128-bit amounts"),
        )
    })?;
    Ok(Amount::new(narrow))
}

/// Parses the signed `args` of `action` into the core's [`Action`].
///
/// `args` is read strictly ([`crate::strict`]): no duplicate or escaped keys, mixed-case
/// addresses only with their EIP-55 checksum, integers above `u64` as exact amounts.
pub fn parse_action(action: &str, args: &str) -> Result<Action, ApiError> {
    let fields = crate::strict::parse(&format!("args of `{}`", truncate(action)), args)
        .map_err(|e| ApiError::new(codes::INVALID_INPUT, e.message))?;
    crate::strict::check_addresses(&fields)?;
    let serde_json::Value::Object(mut fields) = fields else {
        return Err(ApiError::new(
            codes::INVALID_INPUT,
            "args must be a JSON object",
        ));
    };
    if fields.contains_key("tx") {
        return Err(ApiError::new(
            codes::INVALID_INPUT,
            "args must not contain `tx`: the action is named by `action`",
        ));
    }
    fields.insert("tx".into(), serde_json::Value::String(action.to_owned()));
    serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| classify_serde("tx", &truncate(action), &e))
}

/// Parses a 65-byte hex signature and rejects non-canonical (high `s`) ones.
pub fn parse_signature(text: &str) -> Result<Signature, ApiError> {
    let bad = |why: &str| ApiError::new(codes::BAD_SIGNATURE, why.to_owned());
    let hex = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex_decode(hex).ok_or_else(|| bad("the signature is not hex"))?;
    let sig = Signature::from_raw(&bytes).map_err(|e| bad(&format!("malformed signature: {e}")))?;
    if sig.normalize_s().is_some() {
        return Err(bad("the signature's s is not in the lower half (EIP-2)"));
    }
    Ok(sig)
}

fn truncate(text: &str) -> String {
    let mut end = text.len().min(64);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Lowercase hex of `bytes`, without a prefix.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Bytes of a hex string (no prefix), or `None` if it is not hex.
pub fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    hex.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> k256::ecdsa::SigningKey {
        k256::ecdsa::SigningKey::from_slice(&[byte; 32]).unwrap()
    }

    fn deposit(nonce: u64) -> UnsignedTx {
        UnsignedTx::from_action_json(
            &serde_json::json!({"tx": "deposit", "asset": "stETH", "amount": "100"}),
            nonce,
            0,
            0,
        )
        .unwrap()
    }

    #[test]
    fn a_signed_transaction_verifies_and_recovers_its_signer() {
        let signed = deposit(3).sign(&key(7), 31_337).unwrap();
        let v = verify(signed.clone(), 31_337).unwrap();
        assert_eq!(v.tx.signer, Address::from_private_key(&key(7)));
        assert_eq!(v.tx.nonce, 3);
        assert_eq!(v.tx.action.name(), "deposit");
        assert_eq!(v.signed, signed);
    }

    #[test]
    fn the_type_string_is_the_documented_one() {
        assert_eq!(
            Transaction::eip712_encode_type(),
            "Transaction(string action,string args,uint64 nonce,uint256 fee,uint256 priorityTip)"
        );
    }

    #[test]
    fn another_chain_id_is_rejected_before_the_signature() {
        let signed = deposit(0).sign(&key(7), 1).unwrap();
        assert_eq!(verify(signed, 2).unwrap_err().code, codes::WRONG_CHAIN_ID);
    }

    #[test]
    fn a_signature_over_another_chain_does_not_verify_even_if_relabelled() {
        let mut signed = deposit(0).sign(&key(7), 1).unwrap();
        signed.chain_id = 2;
        assert_eq!(verify(signed, 2).unwrap_err().code, codes::BAD_SIGNATURE);
    }

    #[test]
    fn any_altered_field_breaks_the_signature() {
        let signed = deposit(0).sign(&key(7), 9).unwrap();
        let mut a = signed.clone();
        a.args = r#"{"asset":"stETH","amount":"101"}"#.into();
        let mut b = signed.clone();
        b.nonce = 1;
        let mut c = signed.clone();
        c.priority_tip = "1".into();
        let mut d = signed.clone();
        d.from = Address::from_private_key(&key(8));
        for t in [a, b, c, d] {
            assert_eq!(verify(t, 9).unwrap_err().code, codes::BAD_SIGNATURE);
        }
    }

    #[test]
    fn high_s_and_garbage_signatures_are_rejected() {
        let signed = deposit(0).sign(&key(7), 9).unwrap();
        let sig = parse_signature(&signed.signature).unwrap();
        let n = U256::from_str_radix(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
            16,
        )
        .unwrap();
        let flipped = Signature::new(sig.r(), n - sig.s(), !sig.v());
        let mut high = signed.clone();
        high.signature = format!("0x{}", hex_encode(&flipped.as_bytes()));
        assert_eq!(verify(high, 9).unwrap_err().code, codes::BAD_SIGNATURE);
        let mut junk = signed;
        junk.signature = "0x1234".into();
        assert_eq!(verify(junk, 9).unwrap_err().code, codes::BAD_SIGNATURE);
    }

    #[test]
    fn amounts_above_u128_are_rejected_with_amount_overflow() {
        let mut t = deposit(0);
        t.args = format!(r#"{{"asset":"stETH","amount":"{}0"}}"#, u128::MAX);
        let signed = t.sign(&key(7), 9).unwrap();
        assert_eq!(verify(signed, 9).unwrap_err().code, codes::AMOUNT_OVERFLOW);
        let mut fee = deposit(0).sign(&key(7), 9).unwrap();
        fee.fee = format!("{}", U256::MAX);
        assert_eq!(verify(fee, 9).unwrap_err().code, codes::AMOUNT_OVERFLOW);
        assert_eq!(
            parse_amount("fee", "-1").unwrap_err().code,
            codes::INVALID_INPUT
        );
    }

    #[test]
    fn unknown_actions_and_wrong_fields_get_distinct_codes() {
        let unknown = UnsignedTx {
            action: "teleport".into(),
            ..deposit(0)
        };
        let signed = unknown.sign(&key(7), 9).unwrap();
        assert_eq!(verify(signed, 9).unwrap_err().code, codes::UNKNOWN_ACTION);
        let mut wrong = deposit(0);
        wrong.args = r#"{"asset": 5, "amount": "1"}"#.into();
        let signed = wrong.sign(&key(7), 9).unwrap();
        assert_eq!(verify(signed, 9).unwrap_err().code, codes::INVALID_INPUT);
        let mut not_json = deposit(0);
        not_json.args = "{".into();
        let signed = not_json.sign(&key(7), 9).unwrap();
        assert_eq!(verify(signed, 9).unwrap_err().code, codes::INVALID_INPUT);
    }

    #[test]
    fn oversized_args_are_rejected() {
        let mut t = deposit(0);
        t.args = format!(r#"{{"asset":"{}","amount":"1"}}"#, "x".repeat(20_000));
        let signed = t.sign(&key(7), 9).unwrap();
        assert_eq!(
            verify(signed, 9).unwrap_err().code,
            codes::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(
            hex_decode(&hex_encode(&[0, 1, 254, 255])),
            Some(vec![0, 1, 254, 255])
        );
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("abc"), None);
    }
}
