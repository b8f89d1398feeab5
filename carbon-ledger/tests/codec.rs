//! Canonical encoding: round trips, one encoding per value, and rejection of
//! trailing bytes, over-long and non-canonical lengths.

mod common;

use carbon_ledger::codec;
use carbon_ledger::receipt::MAX_RECEIPT_BYTES;
use carbon_ledger::tx::MAX_TX_BYTES;
use carbon_ledger::{
    Block, BlockHeader, ChainId, CommitCertificate, Cost, DecodeError, Event, Hash32, Receipt,
    Transaction, TxError, TxStatus, verify_batch,
};
use common::{anchor_tx, chain, key};
use proptest::prelude::*;

/// Offset of the label's length byte in an encoded anchor transaction.
fn label_len_offset(tx: &Transaction) -> usize {
    1 + tx.body.chain_id.as_str().len() + 32 + 8 + 1 + 32
}

#[test]
fn transaction_round_trips_through_bytes_and_json() {
    let tx = anchor_tx(1, 7, "emission report 2026");
    let bytes = tx.to_bytes();
    assert_eq!(Transaction::from_bytes(&bytes).unwrap(), tx);
    let json = serde_json::to_string(&tx).unwrap();
    assert!(
        json.contains(&tx.body.sender.to_hex()),
        "keys are hex in JSON: {json}"
    );
    assert_eq!(serde_json::from_str::<Transaction>(&json).unwrap(), tx);
}

#[test]
fn same_transaction_always_has_the_same_bytes_and_id() {
    let a = anchor_tx(1, 7, "x");
    let b = anchor_tx(1, 7, "x");
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.hash(), b.hash());
    assert_ne!(a.hash(), anchor_tx(1, 8, "x").hash());
}

#[test]
fn encoding_of_a_fixed_transaction_is_stable() {
    // Golden vector: a change here is a breaking change of the wire format.
    let tx = anchor_tx(1, 7, "x");
    let bytes = tx.to_bytes();
    assert_eq!(bytes.len(), 1 + 11 + 32 + 8 + 1 + 32 + 1 + 1 + 64);
    assert_eq!(&bytes[..12], b"\x0bcarbon-test");
    assert_eq!(&bytes[44..52], &7u64.to_le_bytes());
    assert_eq!(bytes[52], 0, "Anchor is variant 0");
}

#[test]
fn rejects_trailing_bytes() {
    let mut bytes = anchor_tx(1, 1, "a").to_bytes();
    bytes.push(0);
    assert_eq!(
        Transaction::from_bytes(&bytes),
        Err(DecodeError::TrailingBytes {
            what: "transaction"
        })
    );
    let r = Receipt::success(anchor_tx(1, 1, "a").hash());
    let mut rb = r.to_bytes();
    rb.extend_from_slice(&[1, 2]);
    assert!(matches!(
        Receipt::from_bytes(&rb),
        Err(DecodeError::TrailingBytes { .. })
    ));
}

#[test]
fn rejects_length_longer_than_the_input() {
    let tx = anchor_tx(1, 1, "abc");
    let mut bytes = tx.to_bytes();
    let off = label_len_offset(&tx);
    assert_eq!(bytes[off], 3);
    bytes[off] = 127; // claims 127 label bytes; only 3 + 64 follow
    assert!(matches!(
        Transaction::from_bytes(&bytes),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn rejects_huge_declared_length_without_allocating() {
    let tx = anchor_tx(1, 1, "abc");
    let bytes = tx.to_bytes();
    let off = label_len_offset(&tx);
    let mut evil = bytes[..off].to_vec();
    evil.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x07]); // 2^31 - 1
    evil.extend_from_slice(&bytes[off + 1..]);
    assert!(Transaction::from_bytes(&evil).is_err());
}

#[test]
fn rejects_non_canonical_length_encoding() {
    let tx = anchor_tx(1, 1, "abc");
    let bytes = tx.to_bytes();
    let off = label_len_offset(&tx);
    let mut evil = bytes[..off].to_vec();
    evil.extend_from_slice(&[0x83, 0x00]); // 3 encoded in two ULEB128 bytes
    evil.extend_from_slice(&bytes[off + 1..]);
    assert_eq!(
        Transaction::from_bytes(&evil),
        Err(DecodeError::NonCanonical {
            what: "transaction"
        })
    );
}

#[test]
fn rejects_input_over_the_size_limit() {
    let big = vec![0u8; MAX_TX_BYTES + 1];
    assert!(matches!(
        Transaction::from_bytes(&big),
        Err(DecodeError::TooLarge { .. })
    ));
    let big = vec![0u8; MAX_RECEIPT_BYTES + 1];
    assert!(matches!(
        Receipt::from_bytes(&big),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn rejects_unknown_payload_variant_and_bad_chain_id() {
    let tx = anchor_tx(1, 1, "abc");
    let mut bytes = tx.to_bytes();
    bytes[52] = 9;
    assert!(matches!(
        Transaction::from_bytes(&bytes),
        Err(DecodeError::Malformed { .. })
    ));
    let mut bytes = tx.to_bytes();
    bytes[1] = b'C'; // upper case is not allowed in a chain id
    assert!(matches!(
        Transaction::from_bytes(&bytes),
        Err(DecodeError::Malformed { .. })
    ));
    assert!(ChainId::new("").is_err());
    assert!(ChainId::new("a".repeat(65)).is_err());
}

#[test]
fn rejects_truncated_block_and_short_signature_in_json() {
    let block = sample_block();
    let bytes = block.to_bytes();
    assert_eq!(Block::from_bytes(&bytes).unwrap(), block);
    assert!(matches!(
        Block::from_bytes(&bytes[..bytes.len() - 1]),
        Err(DecodeError::Truncated { .. })
    ));
    let mut long = bytes.clone();
    long.push(0);
    assert!(matches!(
        Block::from_bytes(&long),
        Err(DecodeError::TrailingBytes { .. })
    ));
    let json = serde_json::to_string(&anchor_tx(1, 1, "a")).unwrap();
    let sig_start = json.find("\"signature\":\"").unwrap() + 13;
    let mut bad = json.clone();
    bad.replace_range(sig_start..sig_start + 2, "");
    assert!(serde_json::from_str::<Transaction>(&bad).is_err());
}

fn sample_block() -> Block {
    let txs = vec![anchor_tx(1, 0, "a"), anchor_tx(2, 0, "b")];
    Block {
        header: BlockHeader {
            chain_id: chain(),
            height: carbon_ledger::Height(3),
            parent: carbon_ledger::BlockHash([9; 32]),
            timestamp: carbon_ledger::TimestampMs(1_700_000_000_000),
            proposer: carbon_ledger::AccountId([4; 32]),
            view: carbon_ledger::View(2),
            tx_count: 2,
            tx_root: carbon_ledger::block::tx_root(&txs),
            receipts_root: Hash32::ZERO,
            state_root: Hash32::ZERO,
        },
        transactions: txs,
        certificate: CommitCertificate(vec![1, 2, 3]),
    }
}

#[test]
fn signature_covers_every_field() {
    let tx = anchor_tx(3, 5, "report");
    assert_eq!(tx.verify(&chain()), Ok(()));
    let mut t = tx.clone();
    t.body.nonce.0 += 1;
    assert!(matches!(
        t.verify(&chain()),
        Err(TxError::BadSignature { .. })
    ));
    let mut t = tx.clone();
    t.body.sender = carbon_ledger::PublicKey::from(&key(4).verifying_key());
    assert!(matches!(
        t.verify(&chain()),
        Err(TxError::BadSignature { .. })
    ));
    let other = ChainId::new("carbon-main").unwrap();
    assert!(matches!(tx.verify(&other), Err(TxError::WrongChain { .. })));
}

#[test]
fn batch_verification_accepts_good_and_names_the_bad_transaction() {
    assert_eq!(verify_batch(&[], &chain()), Ok(()));
    let mut txs: Vec<_> = (0..20).map(|i| anchor_tx(i as u8 + 1, i, "t")).collect();
    assert_eq!(verify_batch(&txs, &chain()), Ok(()));
    txs[13].body.nonce.0 += 1;
    assert_eq!(
        verify_batch(&txs, &chain()),
        Err(TxError::BadSignature { index: 13 })
    );
}

#[test]
fn account_is_derived_from_the_public_key() {
    let tx = anchor_tx(5, 0, "a");
    assert_eq!(
        tx.sender_account(),
        carbon_ledger::PublicKey::from(&key(5).verifying_key()).account()
    );
    assert_ne!(tx.sender_account(), anchor_tx(6, 0, "a").sender_account());
}

#[test]
fn receipt_with_events_round_trips() {
    let r = Receipt {
        tx: anchor_tx(1, 0, "a").hash(),
        status: TxStatus::Failed {
            code: 7,
            reason: "insufficient balance".into(),
        },
        events: vec![Event {
            source: "market".into(),
            topics: vec![Hash32::digest(b"t")],
            data: vec![1, 2],
        }],
        cost: Cost {
            keys_written: 2,
            bytes_written: 99,
            gas_used: 0,
        },
    };
    assert_eq!(Receipt::from_bytes(&r.to_bytes()).unwrap(), r);
    assert_eq!(
        serde_json::from_str::<Receipt>(&serde_json::to_string(&r).unwrap()).unwrap(),
        r
    );
}

proptest! {
    #[test]
    fn any_anchor_transaction_round_trips(seed in 1u8..=255, nonce in any::<u64>(), label in ".{0,200}") {
        let tx = anchor_tx(seed, nonce, &label);
        let bytes = tx.to_bytes();
        let back = Transaction::from_bytes(&bytes).unwrap();
        prop_assert_eq!(codec::encode(&back), bytes);
        prop_assert_eq!(back, tx);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Transaction::from_bytes(&bytes);
        let _ = Receipt::from_bytes(&bytes);
        let _ = Block::from_bytes(&bytes);
    }
}
