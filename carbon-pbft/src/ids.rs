//! Typed identifiers: replicas, views, sequence numbers, digests, clients,
//! requests and virtual time. Each is a newtype so that a view can never be
//! passed where a sequence number is expected.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::fmt;
use std::time::Duration;

/// Index of a voting replica in the validator set (0..n).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplicaId(pub u32);

/// A view number. The primary of view `v` is replica `v mod n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct View(pub u64);

/// A sequence number assigned to a batch by the primary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeqNo(pub u64);

/// A client of the replicated service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientId(pub u64);

/// A client's request number; each client numbers its requests 1, 2, 3, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Digest(pub [u8; 32]);

/// A point in time as the host sees it, in milliseconds since an epoch the
/// host chooses (the simulator starts at zero). The replica never reads a
/// clock: every input carries `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(pub u64);

impl View {
    /// The next view, or `None` on overflow (a view that high is never reached
    /// honestly, so callers treat `None` as misbehaviour).
    pub fn next(self) -> Option<View> {
        self.0.checked_add(1).map(View)
    }
}

impl SeqNo {
    /// The sequence number after this one, or `None` on overflow.
    pub fn next(self) -> Option<SeqNo> {
        self.0.checked_add(1).map(SeqNo)
    }
}

impl Time {
    /// This time plus `d`, saturating at the far future.
    pub fn saturating_add(self, d: Duration) -> Time {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Time(self.0.saturating_add(ms))
    }

    /// Milliseconds elapsed since `earlier` (zero if `earlier` is later).
    pub fn millis_since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Digest {
    /// SHA-256 over a domain tag and then `parts`, each length-prefixed, so
    /// that distinct inputs never collide by concatenation.
    pub fn hash(domain: &[u8], parts: &[&[u8]]) -> Digest {
        let mut h = Sha256::new();
        h.update((domain.len() as u64).to_le_bytes());
        h.update(domain);
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        Digest(h.finalize().into())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest(")?;
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..)")
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

macro_rules! display_newtype {
    ($($t:ident => $p:literal),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($p, "{}"), self.0)
            }
        }
    )*};
}
display_newtype!(ReplicaId => "r", View => "v", SeqNo => "s", ClientId => "c", RequestId => "#", Time => "t=");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_next_reports_overflow_instead_of_wrapping() {
        assert_eq!(View(1).next(), Some(View(2)));
        assert_eq!(View(u64::MAX).next(), None);
        assert_eq!(SeqNo(u64::MAX).next(), None);
    }

    #[test]
    fn hash_is_domain_separated_and_length_prefixed() {
        let a = Digest::hash(b"x", &[b"ab", b"c"]);
        let b = Digest::hash(b"x", &[b"a", b"bc"]);
        let c = Digest::hash(b"y", &[b"ab", b"c"]);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, Digest::hash(b"x", &[b"ab", b"c"]));
    }

    #[test]
    fn time_saturates() {
        assert_eq!(
            Time(u64::MAX - 1).saturating_add(Duration::from_secs(1)),
            Time(u64::MAX)
        );
        assert_eq!(Time(5).millis_since(Time(9)), 0);
    }
}
