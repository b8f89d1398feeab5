//! Hand-written BCS for the records the order path writes most,
//! [`Order`], [`Trade`] and [`Holding`]: byte for byte what `bcs` produces (serde
//! writes a 32-byte account one byte at a time), and decoders that read
//! the canonical form directly and hand anything else to `bcs`, so they
//! accept and reject exactly what it does. Tests compare both ways.

use super::error::MResult;
use super::table::dec_bcs;
use super::types::{Holding, Instrument, Order, OrderId, PeriodId, Side, Trade, TradeId};
use crate::types::{AccountId, TimestampMs};

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_instrument(out: &mut Vec<u8>, i: &Instrument) {
    match i {
        Instrument::Allowance(p) => {
            out.push(0);
            out.extend_from_slice(&p.0.to_le_bytes());
        }
        Instrument::Offset => out.push(1),
    }
}

/// BCS of an [`Order`].
pub(crate) fn enc_order(o: &Order) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    put_u64(&mut out, o.id.0);
    out.extend_from_slice(&o.owner.0);
    put_instrument(&mut out, &o.instrument);
    out.push(o.side.byte());
    for v in [o.price, o.quantity, o.remaining, o.escrow, o.placed_at.0] {
        put_u64(&mut out, v);
    }
    out
}

/// BCS of a [`Trade`].
pub(crate) fn enc_trade(t: &Trade) -> Vec<u8> {
    let mut out = Vec::with_capacity(112);
    put_u64(&mut out, t.id.0);
    put_instrument(&mut out, &t.instrument);
    put_u64(&mut out, t.price);
    put_u64(&mut out, t.quantity);
    out.extend_from_slice(&t.buyer.0);
    out.extend_from_slice(&t.seller.0);
    match t.taker_side {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            out.push(s.byte());
        }
    }
    put_u64(&mut out, t.time.0);
    out
}

/// BCS of a [`Holding`]: two `u64`s.
pub(crate) fn enc_holding(h: &Holding) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    put_u64(&mut out, h.balance);
    put_u64(&mut out, h.escrow);
    out
}

/// Decodes a stored [`Holding`] (exactly 16 bytes, as BCS).
pub(crate) fn dec_holding(b: &[u8]) -> MResult<Holding> {
    let mut c = Cur(b);
    match (c.u64(), c.u64(), c.0.is_empty()) {
        (Some(balance), Some(escrow), true) => Ok(Holding { balance, escrow }),
        _ => dec_bcs(b),
    }
}

/// A cursor over canonical bytes; every read fails (`None`) past the end
/// or on a byte outside the canonical set.
struct Cur<'a>(&'a [u8]);

impl Cur<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take::<8>().map(u64::from_le_bytes)
    }
    fn byte(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }
    fn account(&mut self) -> Option<AccountId> {
        self.take::<32>().map(AccountId)
    }
    fn side(&mut self) -> Option<Side> {
        match self.byte()? {
            0 => Some(Side::Buy),
            1 => Some(Side::Sell),
            _ => None,
        }
    }
    fn instrument(&mut self) -> Option<Instrument> {
        match self.byte()? {
            0 => Some(Instrument::Allowance(PeriodId(u32::from_le_bytes(
                self.take::<4>()?,
            )))),
            1 => Some(Instrument::Offset),
            _ => None,
        }
    }
}

fn order_fast(b: &[u8]) -> Option<Order> {
    let mut c = Cur(b);
    let o = Order {
        id: OrderId(c.u64()?),
        owner: c.account()?,
        instrument: c.instrument()?,
        side: c.side()?,
        price: c.u64()?,
        quantity: c.u64()?,
        remaining: c.u64()?,
        escrow: c.u64()?,
        placed_at: TimestampMs(c.u64()?),
    };
    c.0.is_empty().then_some(o)
}

fn trade_fast(b: &[u8]) -> Option<Trade> {
    let mut c = Cur(b);
    let t = Trade {
        id: TradeId(c.u64()?),
        instrument: c.instrument()?,
        price: c.u64()?,
        quantity: c.u64()?,
        buyer: c.account()?,
        seller: c.account()?,
        taker_side: match c.byte()? {
            0 => None,
            1 => Some(c.side()?),
            _ => return None,
        },
        time: TimestampMs(c.u64()?),
    };
    c.0.is_empty().then_some(t)
}

/// Decodes a stored [`Order`] (as BCS does).
pub(crate) fn dec_order(b: &[u8]) -> MResult<Order> {
    order_fast(b).map_or_else(|| dec_bcs(b), Ok)
}

/// Decodes a stored [`Trade`] (as BCS does).
pub(crate) fn dec_trade(b: &[u8]) -> MResult<Trade> {
    trade_fast(b).map_or_else(|| dec_bcs(b), Ok)
}

#[cfg(test)]
mod tests {
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
            let bytes = enc_order(&o);
            prop_assert_eq!(&bytes, &codec::encode(&o));
            prop_assert_eq!(dec_order(&bytes).ok(), Some(o));
        }

        #[test]
        fn trade_encoding_is_exactly_bcs_and_decodes_back(t in trade()) {
            let bytes = enc_trade(&t);
            prop_assert_eq!(&bytes, &codec::encode(&t));
            prop_assert_eq!(dec_trade(&bytes).ok(), Some(t));
        }

        #[test]
        fn holding_encoding_is_exactly_bcs_and_decodes_back(balance in any::<u64>(), escrow in any::<u64>(), cut in 0usize..17) {
            let h = Holding { balance, escrow };
            let bytes = enc_holding(&h);
            prop_assert_eq!(&bytes, &codec::encode(&h));
            prop_assert_eq!(dec_holding(&bytes).ok(), Some(h));
            let short = &bytes[..16 - cut.min(16)];
            prop_assert_eq!(dec_holding(short).ok(), dec_bcs::<Holding>(short).ok());
        }

        #[test]
        fn order_decoder_agrees_with_bcs_on_mangled_bytes(
            o in order(), at in any::<usize>(), byte in any::<u8>(), cut in 0usize..3
        ) {
            let b = mangle(enc_order(&o), at, byte, cut);
            prop_assert_eq!(dec_order(&b).ok(), dec_bcs::<Order>(&b).ok());
        }

        #[test]
        fn trade_decoder_agrees_with_bcs_on_mangled_bytes(
            t in trade(), at in any::<usize>(), byte in any::<u8>(), cut in 0usize..3
        ) {
            let b = mangle(enc_trade(&t), at, byte, cut);
            prop_assert_eq!(dec_trade(&b).ok(), dec_bcs::<Trade>(&b).ok());
        }
    }
}
