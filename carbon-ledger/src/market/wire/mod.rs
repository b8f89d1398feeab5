//! The value codecs of the market's typed caches: BCS (the one canonical
//! encoding) through `bcs`, and hand-written BCS for the records the order
//! path reads and writes most — `u64`s, lists of them, [`Order`],
//! [`Trade`] and [`Holding`] (and a decoder of [`AccountRecord`]): byte for byte what `bcs` produces (serde
//! writes a 32-byte account one byte at a time), and decoders that read
//! the canonical form directly and hand anything else to `bcs`, so they
//! accept and reject exactly what it does. Tests compare both ways.

use super::error::{Fail, MResult};
use super::types::{
    AccountRecord, AccountStatus, Holding, Instrument, Order, OrderId, PeriodId, Role, Side, Trade,
    TradeId,
};
use crate::state::MAX_VALUE_BYTES;
use crate::types::{AccountId, TimestampMs};

#[cfg(test)]
mod tests;

/// Decodes a stored BCS record (a record that does not decode is a
/// corrupt state, fatal to the block).
pub(crate) fn dec_bcs<V: serde::de::DeserializeOwned>(b: &[u8]) -> MResult<V> {
    crate::codec::decode(b, MAX_VALUE_BYTES, "market record").map_err(|e| Fail::Fatal(e.into()))
}

/// Appends a record's encoding to a buffer.
pub(crate) type EncFn<V> = fn(&V, &mut Vec<u8>);

/// A record's encoding by an appending encoder, as a new vector.
#[cfg(test)]
pub(crate) fn owned<V>(enc: EncFn<V>, v: &V) -> Vec<u8> {
    let mut out = Vec::new();
    enc(v, &mut out);
    out
}

/// Appends a record as BCS (the one canonical encoding).
pub(crate) fn enc_bcs<V: serde::Serialize>(v: &V, out: &mut Vec<u8>) {
    bcs::serialize_into(out, v)
        .expect("invariant: market records are BCS-encodable (no maps, lengths < 2^31)");
}

/// BCS of a `u64`: 8 bytes little-endian.
pub(crate) fn enc_u64(v: &u64, out: &mut Vec<u8>) {
    put_u64(out, *v);
}

/// Decodes a BCS `u64` (exactly 8 bytes; anything else fails as BCS does).
pub(crate) fn dec_u64(b: &[u8]) -> MResult<u64> {
    match <[u8; 8]>::try_from(b) {
        Ok(a) => Ok(u64::from_le_bytes(a)),
        Err(_) => dec_bcs(b),
    }
}

/// BCS of a list of `u64`s (or of newtypes of one): ULEB128 length, then
/// each 8 bytes little-endian.
pub(crate) fn enc_u64_list(items: impl ExactSizeIterator<Item = u64>, out: &mut Vec<u8>) {
    out.reserve(5 + 8 * items.len());
    let mut n = items.len() as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    for x in items {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

/// Decodes a BCS list of `u64`s. The common case — a minimal ULEB128
/// length followed by exactly that many 8-byte items — is read directly;
/// anything else goes to the BCS decoder, which accepts or rejects it
/// (so the result is always the one BCS gives).
pub(crate) fn dec_u64_list(b: &[u8]) -> MResult<Vec<u64>> {
    let mut n: u64 = 0;
    for (i, byte) in b.iter().take(5).enumerate() {
        n |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let body = &b[i + 1..];
            let minimal = i == 0 || *byte != 0;
            if minimal && n <= i32::MAX as u64 && body.len() as u64 == n * 8 {
                // Room for one more: a decoded list is usually appended to.
                let mut out = Vec::with_capacity(n as usize + 1);
                out.extend(
                    body.chunks_exact(8)
                        .map(|c| u64::from_le_bytes(c.try_into().expect("invariant: chunks of 8"))),
                );
                return Ok(out);
            }
            break;
        }
    }
    dec_bcs(b)
}

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
pub(crate) fn enc_order(o: &Order, out: &mut Vec<u8>) {
    put_u64(out, o.id.0);
    out.extend_from_slice(&o.owner.0);
    put_instrument(out, &o.instrument);
    out.push(o.side.byte());
    for v in [o.price, o.quantity, o.remaining, o.escrow, o.placed_at.0] {
        put_u64(out, v);
    }
}

/// BCS of a [`Trade`].
pub(crate) fn enc_trade(t: &Trade, out: &mut Vec<u8>) {
    put_u64(out, t.id.0);
    put_instrument(out, &t.instrument);
    put_u64(out, t.price);
    put_u64(out, t.quantity);
    out.extend_from_slice(&t.buyer.0);
    out.extend_from_slice(&t.seller.0);
    match t.taker_side {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            out.push(s.byte());
        }
    }
    put_u64(out, t.time.0);
}

/// BCS of a [`Holding`]: two `u64`s.
pub(crate) fn enc_holding(h: &Holding, out: &mut Vec<u8>) {
    put_u64(out, h.balance);
    put_u64(out, h.escrow);
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

/// The common case of a stored [`AccountRecord`]: a name of under 128
/// bytes (a one-byte length), so that anything else goes to `bcs`.
fn account_fast(b: &[u8]) -> Option<AccountRecord> {
    let mut c = Cur(b);
    let len = c.byte()?;
    if len >= 0x80 || c.0.len() < usize::from(len) {
        return None;
    }
    let (name, rest) = c.0.split_at(usize::from(len));
    let name = std::str::from_utf8(name).ok()?.to_owned();
    c.0 = rest;
    let status = match c.byte()? {
        0 => AccountStatus::Free,
        1 => AccountStatus::Approved(match c.byte()? {
            0 => Role::Enterprise,
            1 => Role::ResourceHolder,
            2 => Role::Verifier,
            _ => return None,
        }),
        _ => return None,
    };
    let frozen = match c.byte()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let registered_at = TimestampMs(c.u64()?);
    c.0.is_empty().then_some(AccountRecord {
        name,
        status,
        frozen,
        registered_at,
    })
}

/// Decodes a stored [`AccountRecord`] (as BCS does): read for every
/// order's trader check.
pub(crate) fn dec_account(b: &[u8]) -> MResult<AccountRecord> {
    account_fast(b).map_or_else(|| dec_bcs(b), Ok)
}

/// Decodes a stored [`Order`] (as BCS does).
pub(crate) fn dec_order(b: &[u8]) -> MResult<Order> {
    order_fast(b).map_or_else(|| dec_bcs(b), Ok)
}

/// Decodes a stored [`Trade`] (as BCS does).
pub(crate) fn dec_trade(b: &[u8]) -> MResult<Trade> {
    trade_fast(b).map_or_else(|| dec_bcs(b), Ok)
}
