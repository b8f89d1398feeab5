//! Every hand-written codec against `bcs`: equal encodings, and decoders
//! that accept and reject exactly what `bcs` does.

use super::*;
use crate::codec;
use proptest::prelude::*;

fn instrument() -> impl Strategy<Value = Instrument> {
    prop_oneof![
        any::<u32>().prop_map(|p| Instrument::Allowance(PeriodId(p))),
        Just(Instrument::Offset)
    ]
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn order() -> impl Strategy<Value = Order> {
    (
        any::<u64>(),
        any::<[u8; 32]>(),
        instrument(),
        side(),
        any::<[u64; 5]>(),
    )
        .prop_map(|(id, owner, instrument, side, v)| Order {
            id: OrderId(id),
            owner: AccountId(owner),
            instrument,
            side,
            price: v[0],
            quantity: v[1],
            remaining: v[2],
            escrow: v[3],
            placed_at: TimestampMs(v[4]),
        })
}

fn trade() -> impl Strategy<Value = Trade> {
    (
        any::<[u64; 4]>(),
        instrument(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        proptest::option::of(side()),
    )
        .prop_map(|(v, instrument, buyer, seller, taker_side)| Trade {
            id: TradeId(v[0]),
            instrument,
            price: v[1],
            quantity: v[2],
            buyer: AccountId(buyer),
            seller: AccountId(seller),
            taker_side,
            time: TimestampMs(v[3]),
        })
}

fn account() -> impl Strategy<Value = AccountRecord> {
    let status = prop_oneof![
        Just(AccountStatus::Free),
        Just(AccountStatus::Approved(Role::Enterprise)),
        Just(AccountStatus::Approved(Role::ResourceHolder)),
        Just(AccountStatus::Approved(Role::Verifier)),
    ];
    ("\\PC{0,40}", status, any::<bool>(), any::<u64>()).prop_map(|(name, status, frozen, t)| {
        AccountRecord {
            name,
            status,
            frozen,
            registered_at: TimestampMs(t),
        }
    })
}

/// Flips one byte or cuts the tail: the decoders must then agree with
/// BCS (both reject, or both give the same record).
fn mangle(mut b: Vec<u8>, at: usize, byte: u8, cut: usize) -> Vec<u8> {
    if !b.is_empty() {
        let i = at % b.len();
        b[i] = byte;
    }
    b.truncate(b.len().saturating_sub(cut));
    b
}

proptest! {
    #[test]
    fn order_encoding_is_exactly_bcs_and_decodes_back(o in order()) {
        let bytes = owned(enc_order, &o);
        prop_assert_eq!(&bytes, &codec::encode(&o));
        prop_assert_eq!(dec_order(&bytes).ok(), Some(o));
    }

    #[test]
    fn trade_encoding_is_exactly_bcs_and_decodes_back(t in trade()) {
        let bytes = owned(enc_trade, &t);
        prop_assert_eq!(&bytes, &codec::encode(&t));
        prop_assert_eq!(dec_trade(&bytes).ok(), Some(t));
    }

    #[test]
    fn holding_encoding_is_exactly_bcs_and_decodes_back(balance in any::<u64>(), escrow in any::<u64>(), cut in 0usize..17) {
        let h = Holding { balance, escrow };
        let bytes = owned(enc_holding, &h);
        prop_assert_eq!(&bytes, &codec::encode(&h));
        prop_assert_eq!(dec_holding(&bytes).ok(), Some(h));
        let short = &bytes[..16 - cut.min(16)];
        prop_assert_eq!(dec_holding(short).ok(), dec_bcs::<Holding>(short).ok());
    }

    #[test]
    fn account_decoder_agrees_with_bcs_and_on_mangled_bytes(
        a in account(), at in any::<usize>(), byte in any::<u8>(), cut in 0usize..3
    ) {
        let bytes = codec::encode(&a);
        prop_assert_eq!(dec_account(&bytes).ok(), Some(a));
        let b = mangle(bytes, at, byte, cut);
        prop_assert_eq!(dec_account(&b).ok(), dec_bcs::<AccountRecord>(&b).ok());
    }

    #[test]
    fn order_decoder_agrees_with_bcs_on_mangled_bytes(
        o in order(), at in any::<usize>(), byte in any::<u8>(), cut in 0usize..3
    ) {
        let b = mangle(owned(enc_order, &o), at, byte, cut);
        prop_assert_eq!(dec_order(&b).ok(), dec_bcs::<Order>(&b).ok());
    }

    #[test]
    fn trade_decoder_agrees_with_bcs_on_mangled_bytes(
        t in trade(), at in any::<usize>(), byte in any::<u8>(), cut in 0usize..3
    ) {
        let b = mangle(owned(enc_trade, &t), at, byte, cut);
        prop_assert_eq!(dec_trade(&b).ok(), dec_bcs::<Trade>(&b).ok());
    }
}

mod scalars {
    use super::*;

    #[test]
    fn fast_encoders_are_exactly_bcs() {
        for n in [0usize, 1, 127, 128, 300, 20_000] {
            let v: Vec<u64> = (0..n as u64).map(|i| i * 0x0101_0101_0101).collect();
            assert_eq!(
                {
                    let mut b = Vec::new();
                    enc_u64_list(v.iter().copied(), &mut b);
                    b
                },
                codec::encode(&v),
                "{n} items"
            );
        }
        for x in [0u64, 1, u64::MAX, 0x1234_5678_9abc] {
            assert_eq!(owned(enc_u64, &x), codec::encode(&x));
            assert_eq!(dec_u64(&owned(enc_u64, &x)).ok(), Some(x));
        }
        assert!(dec_u64(&[1, 2, 3]).is_err());
        assert!(dec_u64(&[0; 9]).is_err());
        for n in [0usize, 1, 127, 128, 300] {
            let v: Vec<u64> = (0..n as u64)
                .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
                .collect();
            assert_eq!(dec_u64_list(&codec::encode(&v)).ok(), Some(v));
        }
        let rec = (7u32, String::from("name"), Some(3u64));
        assert_eq!(owned(enc_bcs, &rec), codec::encode(&rec));
    }
}

mod list_decoding {
    use super::*;

    proptest! {
        /// On any bytes, the fast list decoder accepts exactly what BCS
        /// accepts, with the same value.
        #[test]
        fn fast_list_decoder_agrees_with_bcs(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let bcs: Option<Vec<u64>> = dec_bcs(&bytes).ok();
            prop_assert_eq!(dec_u64_list(&bytes).ok(), bcs);
        }

        #[test]
        fn fast_list_decoder_agrees_with_bcs_on_lists(v in proptest::collection::vec(any::<u64>(), 0..40), cut in 0usize..8) {
            let mut bytes = crate::codec::encode(&v);
            let n = bytes.len().saturating_sub(cut);
            bytes.truncate(n);
            let bcs: Option<Vec<u64>> = dec_bcs(&bytes).ok();
            prop_assert_eq!(dec_u64_list(&bytes).ok(), bcs);
        }
    }
}
