//! What breaking consensus costs when the committee is the base layer's active set with one
//! vote per seat (issue 11's decision: stake decides membership, proposer frequency, rewards and
//! slashable security, not vote weight).
//!
//! With `n` seats, a BFT engine of the simplex family tolerates `f = ⌊(n − 1) / 3⌋` faulty seats
//! and needs a quorum of `q = n − f` votes. Two conflicting blocks can both be certified only if
//! two quorums share `2q − n` seats that vote twice: an attacker breaks **safety** with that many
//! seats. No quorum forms without `n − q + 1` of them: an attacker breaks **liveness** with that
//! many. The cheapest way to hold `k` seats is to control the `k` active validators with the least
//! bonded stake, so the figures below sum the `k` smallest bonds — against the total, this is
//! what one-vote-per-seat costs compared with stake-weighted votes (where the figure would be a
//! third of the total).

use rampart_core::State;
use rampart_core::base;
use serde::Serialize;

/// The cost of holding enough seats to break one property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeatAttack {
    /// Seats needed.
    pub seats: u32,
    /// Bonded stake of the cheapest such seats (RAM base units, decimal).
    pub cheapest_stake: String,
    /// That stake as a share of all bonded stake of the active set, in basis points (floored).
    pub share_of_bonded_bps: u32,
}

/// Consensus security of the active set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeatSecurity {
    /// Seats (active validators).
    pub seats: u32,
    /// Faulty seats tolerated.
    pub fault_tolerance: u32,
    /// Votes a certificate needs.
    pub quorum: u32,
    /// Bonded stake of the active set.
    pub bonded_total: String,
    /// To certify two conflicting blocks.
    pub safety: SeatAttack,
    /// To stop blocks from being certified.
    pub liveness: SeatAttack,
    /// With stake-weighted votes, either attack would need a third of `bonded_total`.
    pub stake_weighted_third: String,
}

/// The figures for the active set of `state`.
pub fn seat_security(state: &State) -> SeatSecurity {
    let mut bonds: Vec<u128> = base::active_set(state)
        .into_iter()
        .filter_map(|v| base::validator(state, v).ok().map(|v| v.bonded.get()))
        .collect();
    bonds.sort_unstable();
    let n = u32::try_from(bonds.len()).unwrap_or(u32::MAX);
    let f = n.saturating_sub(1) / 3;
    let q = n.saturating_sub(f);
    let total = bonds.iter().fold(0u128, |a, b| a.saturating_add(*b));
    let attack = |seats: u32| {
        let k = usize::try_from(seats)
            .unwrap_or(usize::MAX)
            .min(bonds.len());
        let stake = bonds[..k].iter().fold(0u128, |a, b| a.saturating_add(*b));
        // stake ≤ total: the share is at most 10,000 (an empty set has none).
        let share = rampart_core::num::mul_div_floor(stake, 10_000, total)
            .ok()
            .and_then(|x| u32::try_from(x).ok())
            .unwrap_or(0);
        SeatAttack {
            seats: u32::try_from(k).unwrap_or(u32::MAX),
            cheapest_stake: stake.to_string(),
            share_of_bonded_bps: share,
        }
    };
    SeatSecurity {
        seats: n,
        fault_tolerance: f,
        quorum: q,
        bonded_total: total.to_string(),
        safety: attack(q.saturating_mul(2).saturating_sub(n)),
        liveness: attack(n.saturating_sub(q).saturating_add(1)),
        stake_weighted_third: total.checked_div(3).unwrap_or(0).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::genesis::{Genesis, GenesisValidator};
    use rampart_core::{Address, Amount, Bps};

    fn state(bonds: &[u128]) -> State {
        let g = Genesis {
            validators: bonds
                .iter()
                .enumerate()
                .map(|(i, b)| GenesisValidator {
                    address: Address::with_last_byte(u8::try_from(i + 1).unwrap_or(0)),
                    self_bond: Amount::new(*b),
                    commission_bps: Bps::ZERO,
                    consensus_key: None,
                    p2p_address: None,
                })
                .collect(),
            params: serde_json::from_value(serde_json::json!({"min_self_bond": "1"}))
                .expect("params"),
            ..Genesis::default()
        };
        g.build().expect("genesis")
    }

    #[test]
    fn the_cheapest_seats_break_safety_and_liveness() {
        // n = 4: f = 1, q = 3; two quorums share 2 seats; 2 seats withheld leave no quorum.
        let s = seat_security(&state(&[40, 10, 30, 20]));
        assert_eq!((s.seats, s.fault_tolerance, s.quorum), (4, 1, 3));
        assert_eq!(s.safety.seats, 2);
        assert_eq!(
            s.safety.cheapest_stake, "30",
            "the two smallest bonds: 10 + 20"
        );
        assert_eq!(s.safety.share_of_bonded_bps, 3_000);
        assert_eq!(s.liveness.seats, 2);
        assert_eq!(s.stake_weighted_third, "33");
        // n = 7: f = 2, q = 5; safety and liveness both need 3 seats.
        let s = seat_security(&state(&[1, 1, 1, 100, 100, 100, 100]));
        assert_eq!((s.safety.seats, s.liveness.seats), (3, 3));
        assert_eq!(s.safety.cheapest_stake, "3");
        assert_eq!(s.safety.share_of_bonded_bps, 74, "3 of 403 = 0.74 %");
    }

    #[test]
    fn no_seats_no_figures() {
        let s = seat_security(&state(&[]));
        assert_eq!(
            (s.seats, s.safety.seats, s.safety.cheapest_stake.as_str()),
            (0, 0, "0")
        );
    }
}
