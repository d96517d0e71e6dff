//! Ethereum keystore v3 files ("Web3 Secret Storage"), read and written from their primitives
//! (RustCrypto's `scrypt`, `pbkdf2`, `aes`, `ctr`; keccak from alloy).
//!
//! Why not the `eth-keystore` crate: it refuses files whose `crypto` member is spelt `Crypto`
//! (ethers v6 writes that, and the v3 definition allows it), and its scrypt cost is fixed at
//! 2^13. The format is small and fully specified; what matters is interoperability, which
//! `tests/keystore_interop.rs` checks against files made by ethers v6, eth-account and geth.
//!
//! Reading accepts `crypto` or `Crypto`, the `scrypt` and `pbkdf2` (HMAC-SHA256) key
//! derivations and the `aes-128-ctr` cipher, with bounded costs (a hostile file cannot make
//! us allocate gigabytes). Writing uses scrypt with geth's standard cost (N = 2^18, r = 8,
//! p = 1: about a second and 256 MiB), and geth's `address` field.

use aes::cipher::{KeyIvInit, StreamCipher};
use alloy_primitives::{Address, keccak256};
use anyhow::{Context, bail};
use serde_json::{Value, json};

/// scrypt cost of new files, as log2(N): geth's `StandardScryptN`.
pub const SCRYPT_LOG_N: u8 = 18;
/// The cheapest cost accepted for new files (geth's `LightScryptN`), for tests and slow
/// machines through `RAMPART_SCRYPT_LOG_N`.
pub const MIN_SCRYPT_LOG_N: u8 = 12;
/// The most expensive file we agree to open: N = 2^20 (1 GiB with r = 8).
const MAX_SCRYPT_LOG_N: u32 = 20;
/// The most PBKDF2 rounds we agree to run.
const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// Why a file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The MAC does not match: the password is wrong (or the file was altered).
    #[error("wrong password (the keystore's MAC does not match)")]
    WrongPassword,
    /// Not a keystore v3 file we can read.
    #[error("not a usable keystore v3 file: {0}")]
    Format(String),
}

/// The address a keystore file declares (geth's `address` field), if any.
pub fn declared_address(file: &Value) -> Option<Address> {
    let text = file.get("address")?.as_str()?;
    let text = text.strip_prefix("0x").unwrap_or(text);
    format!("0x{text}").parse().ok()
}

/// Whether `file` looks like a keystore v3 file (version 3 and a `crypto`/`Crypto` member).
pub fn is_keystore(file: &Value) -> bool {
    file.get("version").and_then(Value::as_u64) == Some(3) && crypto(file).is_ok()
}

fn crypto(file: &Value) -> Result<&Value, KeystoreError> {
    file.get("crypto")
        .or_else(|| file.get("Crypto"))
        .ok_or_else(|| KeystoreError::Format("no `crypto` member".into()))
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, KeystoreError> {
    v.get(name)
        .ok_or_else(|| KeystoreError::Format(format!("no `{name}`")))
}

fn hex_field(v: &Value, name: &str) -> Result<Vec<u8>, KeystoreError> {
    let text = field(v, name)?
        .as_str()
        .ok_or_else(|| KeystoreError::Format(format!("`{name}` is not a string")))?;
    let text = text.strip_prefix("0x").unwrap_or(text);
    rampart_api::tx::hex_decode(text)
        .ok_or_else(|| KeystoreError::Format(format!("`{name}` is not hex")))
}

fn u32_field(v: &Value, name: &str) -> Result<u32, KeystoreError> {
    field(v, name)?
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| KeystoreError::Format(format!("`{name}` is not a small integer")))
}

/// The derived key of `kdf` for `password`.
fn derive(crypto: &Value, password: &[u8]) -> Result<Vec<u8>, KeystoreError> {
    let kdf = field(crypto, "kdf")?.as_str().unwrap_or_default();
    let params = field(crypto, "kdfparams")?;
    let dklen = usize::try_from(u32_field(params, "dklen")?).unwrap_or(0);
    if !(32..=64).contains(&dklen) {
        return Err(KeystoreError::Format(format!(
            "dklen {dklen} (32 expected)"
        )));
    }
    let salt = hex_field(params, "salt")?;
    let mut key = vec![0u8; dklen];
    match kdf {
        "scrypt" => {
            let n = u32_field(params, "n")?;
            let (r, p) = (u32_field(params, "r")?, u32_field(params, "p")?);
            if !n.is_power_of_two() || n.trailing_zeros() > MAX_SCRYPT_LOG_N || r > 32 || p > 16 {
                return Err(KeystoreError::Format(format!(
                    "scrypt cost n={n} r={r} p={p} is beyond what we open (n ≤ 2^{MAX_SCRYPT_LOG_N}, r ≤ 32, p ≤ 16)"
                )));
            }
            let log_n = u8::try_from(n.trailing_zeros()).unwrap_or(u8::MAX);
            let params = scrypt::Params::new(log_n, r, p)
                .map_err(|e| KeystoreError::Format(format!("scrypt parameters: {e}")))?;
            scrypt::scrypt(password, &salt, &params, &mut key)
                .map_err(|e| KeystoreError::Format(format!("scrypt: {e}")))?;
        }
        "pbkdf2" => {
            let prf = field(params, "prf")?.as_str().unwrap_or_default();
            if prf != "hmac-sha256" {
                return Err(KeystoreError::Format(format!("pbkdf2 prf `{prf}`")));
            }
            let rounds = u32_field(params, "c")?;
            if rounds > MAX_PBKDF2_ROUNDS {
                return Err(KeystoreError::Format(format!("{rounds} pbkdf2 rounds")));
            }
            pbkdf2::pbkdf2::<hmac::Hmac<sha2::Sha256>>(password, &salt, rounds, &mut key);
        }
        other => return Err(KeystoreError::Format(format!("kdf `{other}`"))),
    }
    Ok(key)
}

/// The private key in `file`, unlocked with `password`.
pub fn decrypt(file: &Value, password: &str) -> Result<Vec<u8>, KeystoreError> {
    let crypto = crypto(file)?;
    let cipher = field(crypto, "cipher")?.as_str().unwrap_or_default();
    if cipher != "aes-128-ctr" {
        return Err(KeystoreError::Format(format!("cipher `{cipher}`")));
    }
    let iv = hex_field(field(crypto, "cipherparams")?, "iv")?;
    let mut data = hex_field(crypto, "ciphertext")?;
    let mac = hex_field(crypto, "mac")?;
    let key = derive(crypto, password.as_bytes())?;
    let expected = keccak256([&key[16..32], &data[..]].concat());
    if expected.as_slice() != mac.as_slice() {
        return Err(KeystoreError::WrongPassword);
    }
    let mut cipher = Aes128Ctr::new_from_slices(&key[..16], &iv)
        .map_err(|_| KeystoreError::Format("the iv is not 16 bytes".into()))?;
    cipher.apply_keystream(&mut data);
    Ok(data)
}

/// A keystore v3 file for `secret` (whose address is `address`), scrypt with cost 2^`log_n`.
pub fn encrypt(
    secret: &[u8],
    address: &Address,
    password: &str,
    log_n: u8,
) -> anyhow::Result<Value> {
    use rand_08::RngCore;
    let mut rng = rand_08::rngs::OsRng;
    let (mut salt, mut iv, mut id) = ([0u8; 32], [0u8; 16], [0u8; 16]);
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut iv);
    rng.fill_bytes(&mut id);
    let (r, p) = (8u32, 1u32);
    let params =
        scrypt::Params::new(log_n, r, p).map_err(|e| anyhow::anyhow!("scrypt parameters: {e}"))?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key)
        .map_err(|e| anyhow::anyhow!("scrypt: {e}"))?;
    let mut data = secret.to_vec();
    Aes128Ctr::new_from_slices(&key[..16], &iv)
        .context("aes key")?
        .apply_keystream(&mut data);
    let mac = keccak256([&key[16..32], &data[..]].concat());
    // A random (version 4) UUID.
    id[6] = (id[6] & 0x0f) | 0x40;
    id[8] = (id[8] & 0x3f) | 0x80;
    let h = rampart_api::tx::hex_encode(&id);
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    );
    Ok(json!({
        "version": 3,
        "id": uuid,
        "address": format!("{address:x}"),
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": {"iv": rampart_api::tx::hex_encode(&iv)},
            "ciphertext": rampart_api::tx::hex_encode(&data),
            "kdf": "scrypt",
            "kdfparams": {"dklen": 32, "n": 1u32 << log_n, "r": r, "p": p, "salt": rampart_api::tx::hex_encode(&salt)},
            "mac": rampart_api::tx::hex_encode(mac.as_slice()),
        },
    }))
}

/// The scrypt cost for new files: `RAMPART_SCRYPT_LOG_N` if set (at least
/// [`MIN_SCRYPT_LOG_N`]), else [`SCRYPT_LOG_N`].
pub fn scrypt_log_n() -> anyhow::Result<u8> {
    match std::env::var("RAMPART_SCRYPT_LOG_N") {
        Err(_) => Ok(SCRYPT_LOG_N),
        Ok(text) => {
            let n: u8 = text
                .parse()
                .with_context(|| format!("RAMPART_SCRYPT_LOG_N=`{text}` is not a number"))?;
            if !(MIN_SCRYPT_LOG_N..=20).contains(&n) {
                bail!("RAMPART_SCRYPT_LOG_N must be between {MIN_SCRYPT_LOG_N} and 20");
            }
            Ok(n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_round_trips_and_a_wrong_password_is_reported_as_such() {
        let secret = [7u8; 32];
        let address = Address::repeat_byte(1);
        let file = encrypt(&secret, &address, "pw", 12).unwrap();
        assert_eq!(decrypt(&file, "pw").unwrap(), secret);
        assert!(matches!(
            decrypt(&file, "nope"),
            Err(KeystoreError::WrongPassword)
        ));
        assert_eq!(declared_address(&file), Some(address));
        let mut capital = file.clone();
        let c = capital.as_object_mut().unwrap().remove("crypto").unwrap();
        capital["Crypto"] = c;
        assert_eq!(decrypt(&capital, "pw").unwrap(), secret);
        assert!(is_keystore(&capital));
    }

    /// Files made by ethers v6, eth-account (scrypt and PBKDF2), geth and this CLI
    /// (`tests/fixtures/keystores/README.md` says how each was made).
    #[test]
    fn files_made_by_ethers_eth_account_and_geth_open() {
        let cases: [(&str, &str, &str, &str); 5] = [
            (
                include_str!("../tests/fixtures/keystores/ethers-v6.json"),
                "rampart-fixture",
                "11",
                "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a",
            ),
            (
                include_str!("../tests/fixtures/keystores/eth-account-scrypt.json"),
                "rampart-fixture",
                "22",
                "0x1563915e194d8cfba1943570603f7606a3115508",
            ),
            (
                include_str!("../tests/fixtures/keystores/eth-account-pbkdf2.json"),
                "rampart-fixture",
                "33",
                "0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb",
            ),
            (
                include_str!(
                    "../tests/fixtures/keystores/UTC--2016-03-22T12-57-55.920751759Z--f466859ead1932d743d622cb74fc058882e8648a"
                ),
                "foobar",
                "",
                "0xf466859ead1932d743d622cb74fc058882e8648a",
            ),
            (
                include_str!("../tests/fixtures/keystores/rampart.json"),
                "rampart-fixture",
                "44",
                "0x7564105e977516c53be337314c7e53838967bdac",
            ),
        ];
        for (text, password, byte, address) in cases {
            let file: Value = serde_json::from_str(text).unwrap();
            assert!(is_keystore(&file), "{address}");
            let secret = decrypt(&file, password).unwrap();
            if !byte.is_empty() {
                assert_eq!(rampart_api::tx::hex_encode(&secret), byte.repeat(32));
            }
            let key = k256::ecdsa::SigningKey::from_slice(&secret).unwrap();
            let derived = Address::from_private_key(&key);
            assert_eq!(format!("{derived:#x}"), address);
            assert_eq!(declared_address(&file), Some(derived));
            assert!(matches!(
                decrypt(&file, "wrong"),
                Err(KeystoreError::WrongPassword)
            ));
        }
    }

    #[test]
    fn hostile_costs_are_refused_before_any_work() {
        let mut file = encrypt(&[7u8; 32], &Address::ZERO, "pw", 12).unwrap();
        file["crypto"]["kdfparams"]["n"] = json!(1u64 << 30);
        let e = decrypt(&file, "pw").unwrap_err();
        assert!(e.to_string().contains("beyond what we open"), "{e}");
    }
}
