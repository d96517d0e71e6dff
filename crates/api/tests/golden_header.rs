//! Golden block headers: the node stores headers as this JSON and chains them by this hash, so a
//! change of either would silently break existing stores and every follower. The hashes were
//! computed independently of this code, with Python's pycryptodome
//! (`Crypto.Hash.keccak.new(digest_bits=256)`) over `height (u64 BE) ‖ time (u64 BE) ‖ proposer
//! (20 bytes, zero if none) ‖ parent_hash ‖ tx_root ‖ state_root`.

use alloy_primitives::{Address, B256};
use rampart_api::types::BlockHeaderView;

#[test]
fn a_header_with_a_proposer_hashes_and_encodes_as_frozen() {
    let proposer: Address = "0x00112233445566778899aabbccddeeff00112233"
        .parse()
        .unwrap();
    let h = BlockHeaderView::new(
        12,
        1_750_000_000,
        Some(proposer),
        B256::repeat_byte(1),
        B256::repeat_byte(2),
        B256::repeat_byte(3),
    );
    assert_eq!(
        format!("{:x}", h.hash),
        "ea5ffc7ec1e6d3a8c0c98a52ba312883c05d458b4b9c521d695a4971bf3dbf76"
    );
    let json = serde_json::to_value(&h).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "height": 12,
            "time": 1_750_000_000u64,
            "proposer": "0x00112233445566778899aabbccddeeff00112233",
            "parent_hash": format!("0x{}", "01".repeat(32)),
            "tx_root": format!("0x{}", "02".repeat(32)),
            "state_root": format!("0x{}", "03".repeat(32)),
            "hash": "0xea5ffc7ec1e6d3a8c0c98a52ba312883c05d458b4b9c521d695a4971bf3dbf76",
        })
    );
    let back: BlockHeaderView = serde_json::from_value(json).unwrap();
    assert_eq!(back, h);
}

#[test]
fn the_first_block_without_a_proposer_hashes_as_frozen() {
    let h = BlockHeaderView::new(
        1,
        1_750_000_000,
        None,
        B256::ZERO,
        B256::ZERO,
        B256::repeat_byte(3),
    );
    assert_eq!(
        format!("{:x}", h.hash),
        "156aa570df57bfb20fb33d4bcce6ab2d43bbb490c014fb06274ac5cadc2ae390"
    );
    assert_eq!(h.compute_hash(), h.hash);
}
