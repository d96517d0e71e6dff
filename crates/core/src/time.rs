//! Block time, durations, heights and epochs (PROTOCOL.md §1).
//!
//! Time is never read from a clock: it arrives in each block header. An epoch is
//! `epoch_length_s` of block time; epoch `e` covers `[genesis + e·len, genesis + (e+1)·len)`.

use crate::num::MathError;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! instant {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize,
            Deserialize, BorshSerialize, BorshDeserialize,
        )]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw value.
            pub const fn new(raw: u64) -> Self {
                Self(raw)
            }
            /// The raw value.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

instant! {
    /// Unix time in seconds, from the block header.
    Timestamp
}
instant! {
    /// A span of time in seconds.
    Duration
}
instant! {
    /// A block height.
    Height
}
instant! {
    /// An epoch number (epoch 0 starts at genesis time).
    Epoch
}

impl Timestamp {
    /// `self + d`, or an overflow error.
    pub fn checked_add(self, d: Duration) -> Result<Self, MathError> {
        self.0.checked_add(d.0).map(Self).ok_or(MathError::Overflow)
    }
    /// The time elapsed since `earlier`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Self) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// Zero seconds.
    pub const ZERO: Self = Self(0);
    /// One day.
    pub const DAY: Self = Self(86_400);
    /// A 365-day year, the basis for annual rates.
    pub const YEAR: Self = Self(31_536_000);
    /// `n` days.
    pub const fn days(n: u64) -> Self {
        Self(n * 86_400)
    }
}

impl Height {
    /// The next height.
    pub fn next(self) -> Result<Self, MathError> {
        self.0.checked_add(1).map(Self).ok_or(MathError::Overflow)
    }
}

impl Epoch {
    /// The epoch containing `t`, for a chain that started at `genesis` with epochs of `len`.
    pub fn containing(t: Timestamp, genesis: Timestamp, len: Duration) -> Self {
        match t.0.saturating_sub(genesis.0).checked_div(len.0) {
            Some(e) => Self(e),
            None => Self(0),
        }
    }
    /// When this epoch starts.
    pub fn start(self, genesis: Timestamp, len: Duration) -> Result<Timestamp, MathError> {
        let offset = self.0.checked_mul(len.0).ok_or(MathError::Overflow)?;
        genesis.checked_add(Duration(offset))
    }
    /// The next epoch.
    pub fn next(self) -> Result<Self, MathError> {
        self.0.checked_add(1).map(Self).ok_or(MathError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_partition_time_from_genesis() {
        let g = Timestamp::new(1_000);
        let len = Duration::new(3_600);
        assert_eq!(
            Epoch::containing(Timestamp::new(1_000), g, len),
            Epoch::new(0)
        );
        assert_eq!(
            Epoch::containing(Timestamp::new(4_599), g, len),
            Epoch::new(0)
        );
        assert_eq!(
            Epoch::containing(Timestamp::new(4_600), g, len),
            Epoch::new(1)
        );
        assert_eq!(Epoch::new(2).start(g, len), Ok(Timestamp::new(8_200)));
    }

    #[test]
    fn timestamp_addition_is_checked() {
        assert!(
            Timestamp::new(u64::MAX)
                .checked_add(Duration::new(1))
                .is_err()
        );
    }
}
