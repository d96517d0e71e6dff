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
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        Self(n.saturating_mul(86_400))
    }
    /// At least one second (a length that divides or bounds a loop is never zero).
    pub const fn max_one(self) -> Self {
        if self.0 == 0 { Self(1) } else { self }
    }
}

impl Height {
    /// The next height.
    pub fn next(self) -> Result<Self, MathError> {
        self.0.checked_add(1).map(Self).ok_or(MathError::Overflow)
    }
}

impl Epoch {
    /// The next epoch.
    pub fn next(self) -> Result<Self, MathError> {
        self.0.checked_add(1).map(Self).ok_or(MathError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_addition_is_checked() {
        assert!(
            Timestamp::new(u64::MAX)
                .checked_add(Duration::new(1))
                .is_err()
        );
    }
}
