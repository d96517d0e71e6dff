//! Order-preserving key encoding: fixed-width big-endian numbers, raw addresses, strings last.
//!
//! Byte order of encoded keys equals the keys' `Ord` order (tested below), so a storage backend
//! can range-scan by prefix exactly as the in-memory maps do.

use crate::ids::{Address, AssetId, EscrowId, SetRef, SlashId, WithdrawalId};
use crate::time::{Epoch, Height, Timestamp};

/// A key with an order-preserving byte encoding and a parser.
pub trait KeyCodec: Sized {
    /// Appends the key's bytes.
    fn encode_key(&self, out: &mut Vec<u8>);
    /// Reads a key from the front of `input`, advancing it.
    fn decode_key(input: &mut &[u8]) -> Option<Self>;
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Some(head)
}

impl KeyCodec for () {
    fn encode_key(&self, _: &mut Vec<u8>) {}
    fn decode_key(_: &mut &[u8]) -> Option<Self> {
        Some(())
    }
}

macro_rules! be_int {
    ($($t:ty),*) => {$(
        impl KeyCodec for $t {
            fn encode_key(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }
            fn decode_key(input: &mut &[u8]) -> Option<Self> {
                let bytes = take(input, std::mem::size_of::<$t>())?;
                Some(<$t>::from_be_bytes(bytes.try_into().ok()?))
            }
        }
    )*};
}
be_int!(u8, u32, u64, u128);

macro_rules! wrapped {
    ($t:ty, $inner:ty, $get:expr, $new:expr) => {
        impl KeyCodec for $t {
            fn encode_key(&self, out: &mut Vec<u8>) {
                let inner: $inner = $get(self);
                inner.encode_key(out);
            }
            fn decode_key(input: &mut &[u8]) -> Option<Self> {
                <$inner>::decode_key(input).map($new)
            }
        }
    };
}
wrapped!(AssetId, u32, |k: &AssetId| k.0, AssetId);
wrapped!(WithdrawalId, u64, |k: &WithdrawalId| k.0, WithdrawalId);
wrapped!(SlashId, u64, |k: &SlashId| k.0, SlashId);
wrapped!(EscrowId, u64, |k: &EscrowId| k.0, EscrowId);
wrapped!(Timestamp, u64, |k: &Timestamp| k.get(), Timestamp::new);
wrapped!(Height, u64, |k: &Height| k.get(), Height::new);
wrapped!(Epoch, u64, |k: &Epoch| k.get(), Epoch::new);

impl KeyCodec for Address {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_slice());
    }
    fn decode_key(input: &mut &[u8]) -> Option<Self> {
        take(input, 20).map(Address::from_slice)
    }
}

impl KeyCodec for alloy_primitives::B256 {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_slice());
    }
    fn decode_key(input: &mut &[u8]) -> Option<Self> {
        take(input, 32).map(alloy_primitives::B256::from_slice)
    }
}

impl KeyCodec for SetRef {
    fn encode_key(&self, out: &mut Vec<u8>) {
        self.service.encode_key(out);
        self.id.encode_key(out);
    }
    fn decode_key(input: &mut &[u8]) -> Option<Self> {
        Some(SetRef {
            service: Address::decode_key(input)?,
            id: u32::decode_key(input)?,
        })
    }
}

/// Strings are raw UTF-8 and take the rest of the key, so they may only be a key's last part.
impl KeyCodec for String {
    fn encode_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
    fn decode_key(input: &mut &[u8]) -> Option<Self> {
        let s = std::str::from_utf8(input).ok()?.to_owned();
        *input = &[];
        Some(s)
    }
}

macro_rules! tuple {
    ($($n:tt $t:ident),+) => {
        impl<$($t: KeyCodec),+> KeyCodec for ($($t,)+) {
            fn encode_key(&self, out: &mut Vec<u8>) {
                $(self.$n.encode_key(out);)+
            }
            fn decode_key(input: &mut &[u8]) -> Option<Self> {
                Some(($($t::decode_key(input)?,)+))
            }
        }
    };
}
tuple!(0 A, 1 B);
tuple!(0 A, 1 B, 2 C);
tuple!(0 A, 1 B, 2 C, 3 D);
tuple!(0 A, 1 B, 2 C, 3 D, 4 E);
tuple!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn enc<K: KeyCodec>(k: &K) -> Vec<u8> {
        let mut v = Vec::new();
        k.encode_key(&mut v);
        v
    }

    proptest! {
        #[test]
        fn byte_order_equals_key_order(
            a in any::<[u8; 20]>(), b in any::<[u8; 20]>(), x in any::<u64>(), y in any::<u64>(),
            i in any::<u32>(), j in any::<u32>(),
        ) {
            let k1 = (Address::from(a), AssetId(i), Timestamp::new(x));
            let k2 = (Address::from(b), AssetId(j), Timestamp::new(y));
            prop_assert_eq!(k1.cmp(&k2), enc(&k1).cmp(&enc(&k2)));
        }

        #[test]
        fn keys_round_trip(a in any::<[u8; 20]>(), i in any::<u32>(), x in any::<u64>()) {
            let k = (SetRef { service: Address::from(a), id: i }, AssetId(i), WithdrawalId(x));
            let bytes = enc(&k);
            let mut input = bytes.as_slice();
            prop_assert_eq!(KeyCodec::decode_key(&mut input), Some(k));
            prop_assert!(input.is_empty());
        }
    }

    #[test]
    fn string_keys_round_trip_as_last_part() {
        let k = (AssetId(3), "stETH".to_owned());
        let bytes = enc(&k);
        let mut input = bytes.as_slice();
        assert_eq!(<(AssetId, String)>::decode_key(&mut input), Some(k));
    }
}
