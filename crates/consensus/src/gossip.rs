//! Mempool gossip: a transaction sent to any node reaches every validator's mempool, so it
//! waits for the next block, not for the receiving node's turn to lead.
//!
//! - **Out.** Every [`GOSSIP_EVERY`] a node sends what its API admitted since the last round
//!   (the node's gossip outbox, bounded; `Shared::take_gossip`) to all its peers in one
//!   message: a codec list of at most [`MAX_GOSSIP_TXS`] transactions, each the JSON a block
//!   carries (at most `MAX_TX_BYTES`), at most [`MAX_GOSSIP_BYTES`] in all.
//! - **In.** A receiver checks each signature once and remembers the result by the exact bytes
//!   ([`VerifiedCache`]), so a block that carries those bytes later is not checked again; then
//!   the node admits the transaction under its usual rules (nonce order, fees, balance, account
//!   rate, mempool limits). It does not forward it: the origin sends to every peer, one hop.
//! - **Bad input.** A message that does not decode, or carries a transaction that does not
//!   parse or verify (an honest node gossips only what it admitted), blocks its sender and is
//!   counted (`gossip_malformed`, `gossip_invalid`); transactions admission refuses (already
//!   pending, a nonce gap, …) are only counted (`gossip_refused`). Nothing here stops the node.

use crate::Stats;
use crate::app::VerifiedCache;
use crate::block::MAX_TX_BYTES;
use bytes::Bytes;
use commonware_codec::{Error as CodecError, RangeCfg, Read as _, Write as _};
use commonware_cryptography::ed25519;
use commonware_p2p::{Blocker, Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use rampart_api::SignedTx;
use rampart_node::Shared;
use std::sync::Arc;
use std::time::Duration;

/// How often a node sends what its API admitted.
pub const GOSSIP_EVERY: Duration = Duration::from_millis(20);
/// Most transactions in one gossip message.
pub const MAX_GOSSIP_TXS: usize = 4_096;
/// Largest gossip message (well under the p2p message limit).
pub const MAX_GOSSIP_BYTES: usize = 4 * 1024 * 1024;

/// The message of `txs` (already within the limits).
pub fn encode(txs: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::new();
    txs.to_vec().write(&mut out);
    out
}

/// The transactions of a message, refusing anything over the limits or trailing bytes.
pub fn decode(message: &[u8]) -> Result<Vec<Bytes>, CodecError> {
    let mut message = Bytes::copy_from_slice(message);
    let txs = Vec::<Bytes>::read_cfg(
        &mut message,
        &(
            RangeCfg::from(..=MAX_GOSSIP_TXS),
            RangeCfg::from(..=MAX_TX_BYTES),
        ),
    )?;
    if !message.is_empty() {
        return Err(CodecError::ExtraData(message.len()));
    }
    Ok(txs)
}

/// Runs both directions until the engine is aborted.
pub async fn run<E, S, R, B>(
    context: E,
    node: Arc<Shared>,
    (mut sender, mut receiver): (S, R),
    mut blocker: B,
    verified: VerifiedCache,
    stats: Arc<Stats>,
) where
    E: Clock + Spawner,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
    B: Blocker<PublicKey = ed25519::PublicKey>,
{
    node.enable_gossip();
    {
        let node = node.clone();
        let stats = stats.clone();
        context.child("gossip_out").spawn(move |ctx| async move {
            loop {
                ctx.sleep(GOSSIP_EVERY).await;
                let mut batch: Vec<Bytes> = Vec::new();
                let mut bytes = 0usize;
                for signed in node.take_gossip(MAX_GOSSIP_TXS) {
                    let Ok(raw) = serde_json::to_vec(&signed) else {
                        continue;
                    };
                    if raw.len() > MAX_TX_BYTES {
                        continue;
                    }
                    if bytes.saturating_add(raw.len()) > MAX_GOSSIP_BYTES {
                        send(&mut sender, &batch, &stats);
                        batch.clear();
                        bytes = 0;
                    }
                    bytes = bytes.saturating_add(raw.len()).saturating_add(4);
                    batch.push(Bytes::from(raw));
                }
                send(&mut sender, &batch, &stats);
            }
        });
    }
    let verifier = node.verifier().clone();
    while let Ok((peer, message)) = receiver.recv().await {
        let Ok(txs) = decode(message.as_ref()) else {
            Stats::bump(&stats.gossip_malformed);
            let _ = blocker.block(peer);
            continue;
        };
        for raw in txs {
            // An honest node gossips only what it admitted, which parsed and verified: a
            // transaction that does not is its sender's fault, so the sender is blocked.
            let Some(vtx) = serde_json::from_slice::<SignedTx>(&raw)
                .ok()
                .and_then(|signed| verifier.verify(signed).ok())
            else {
                Stats::bump(&stats.gossip_invalid);
                let _ = blocker.block(peer.clone());
                break;
            };
            // The bytes a leader puts in a block are this JSON again (serialisation is
            // canonical), so a block carrying it finds its signature checked here.
            verified.insert(&raw, vtx.clone());
            match node.admit_gossiped(vtx) {
                Ok(_) => Stats::bump(&stats.gossip_admitted),
                Err(_) => Stats::bump(&stats.gossip_refused),
            }
        }
    }
}

fn send<S: Sender<PublicKey = ed25519::PublicKey>>(sender: &mut S, txs: &[Bytes], stats: &Stats) {
    if txs.is_empty() {
        return;
    }
    let n = u64::try_from(txs.len()).unwrap_or(u64::MAX);
    let _ = sender.send(Recipients::All, encode(txs), false);
    stats
        .gossip_sent
        .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_refuse_what_is_over_the_limits() {
        let txs = vec![Bytes::from_static(b"{}"), Bytes::from(vec![7u8; 300])];
        assert_eq!(decode(&encode(&txs)).ok(), Some(txs.clone()));
        let mut trailing = encode(&txs);
        trailing.push(0);
        assert!(decode(&trailing).is_err());
        let too_big = vec![Bytes::from(vec![0u8; MAX_TX_BYTES + 1])];
        assert!(decode(&encode(&too_big)).is_err());
        let too_many = vec![Bytes::new(); MAX_GOSSIP_TXS + 1];
        assert!(decode(&encode(&too_many)).is_err());
        assert!(decode(&[0xff; 64]).is_err());
    }
}
