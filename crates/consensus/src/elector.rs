//! Stake-weighted leader election for simplex (`docs/consensus.md`, "Leaders").
//!
//! Each view's leader is the core's [`leader_seat`] over the committee's seat stakes, so the
//! engine, the proposal checks and anyone reading the state compute the same schedule. The
//! schedule is fixed when the epoch's engine starts ([`Scheduled`]): it needs no certificate,
//! so simplex may elect the next view's leader early.

use commonware_consensus::simplex::elector::{Config, Elector, Scheduled, Terms};
use commonware_consensus::types::{Participant, Round};
use commonware_cryptography::certificate::Scheme;
use commonware_utils::ordered::Set;
use rampart_core::base::consensus::leader_seat;
use rampart_core::num::Amount;
use std::marker::PhantomData;
use std::sync::Arc;

/// The elector config of one epoch: its seats' stakes, in seat order.
#[derive(Clone, Debug)]
pub struct StakeWeighted {
    stakes: Arc<[Amount]>,
}

impl StakeWeighted {
    /// Leaders drawn by `stakes` (one per seat, in the committee's order).
    pub fn new(stakes: &[Amount]) -> Self {
        Self {
            stakes: stakes.into(),
        }
    }
}

impl<S: Scheme> Config<S> for StakeWeighted {
    type Elector = StakeWeightedElector<S>;

    fn build(self, participants: &Set<S::PublicKey>) -> Self::Elector {
        // The committee and its stakes are written together, one stake per seat (a core
        // invariant); should they ever disagree, every node falls back to equal weights alike.
        let stakes = if self.stakes.len() == participants.len() {
            self.stakes
        } else {
            vec![Amount::new(1); participants.len()].into()
        };
        StakeWeightedElector {
            stakes,
            _scheme: PhantomData,
        }
    }
}

/// The initialized elector.
#[derive(Debug)]
pub struct StakeWeightedElector<S> {
    stakes: Arc<[Amount]>,
    _scheme: PhantomData<fn() -> S>,
}

impl<S> Clone for StakeWeightedElector<S> {
    fn clone(&self) -> Self {
        Self {
            stakes: self.stakes.clone(),
            _scheme: PhantomData,
        }
    }
}

impl<S: Scheme> Elector<S> for StakeWeightedElector<S> {
    type Mode = Scheduled;

    fn terms(&self) -> Terms {
        Terms::rotating()
    }

    fn elect(&self, round: Round, _: ()) -> Participant {
        Participant::from_usize(leader_seat(
            &self.stakes,
            round.epoch().get(),
            round.view().get(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::Scheme as Ed;
    use commonware_consensus::types::{Epoch, View};
    use commonware_cryptography::{Signer as _, ed25519};

    fn keys(n: u64) -> Set<ed25519::PublicKey> {
        let keys: Vec<_> = (0..n)
            .map(|i| ed25519::PrivateKey::from_seed(i).public_key())
            .collect();
        Set::try_from(keys).unwrap_or_else(|_| panic!("distinct keys"))
    }

    #[test]
    fn the_engine_elects_the_cores_leader_seat() {
        let stakes = [
            Amount::new(1),
            Amount::new(0),
            Amount::new(6),
            Amount::new(3),
        ];
        let elector = <StakeWeighted as Config<Ed>>::build(StakeWeighted::new(&stakes), &keys(4));
        for view in 1..500 {
            let round = Round::new(Epoch::new(2), View::new(view));
            let seat = <StakeWeightedElector<Ed> as Elector<Ed>>::elect(&elector, round, ());
            assert_eq!(seat, Participant::from_usize(leader_seat(&stakes, 2, view)));
            assert_ne!(seat, Participant::from_usize(1), "no stake, no lead");
        }
    }

    #[test]
    fn stakes_that_do_not_match_the_seats_fall_back_to_equal_weights() {
        let elector =
            <StakeWeighted as Config<Ed>>::build(StakeWeighted::new(&[Amount::new(5)]), &keys(3));
        let mut led = [0u32; 3];
        for view in 1..300 {
            let seat = <StakeWeightedElector<Ed> as Elector<Ed>>::elect(
                &elector,
                Round::new(Epoch::new(0), View::new(view)),
                (),
            );
            led[usize::try_from(seat.get()).unwrap_or(0)] += 1;
        }
        assert!(led.iter().all(|n| *n > 60), "{led:?}");
    }
}
