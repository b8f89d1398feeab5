//! Key and header types of the FAME scheme, with their encodings and
//! secret hygiene (zeroize on drop, redacted `Debug`).

use std::collections::BTreeMap;
use std::fmt;

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G2Affine};
use ark_ec::pairing::PairingOutput;
use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::encoding::{Artefact, Kind, Pt};
use crate::error::{DecodeError, Error, Result};
use crate::ids::{Epoch, KeyVersion, UserId};
use crate::policy::{Attribute, Policy};

/// The target group of the pairing.
pub type Gt = PairingOutput<Bls12_381>;

/// FAME public key: `(h, H1 = h^{a1}, H2 = h^{a2}, T1, T2)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub(crate) h: Pt<G2Affine>,
    pub(crate) h1: Pt<G2Affine>,
    pub(crate) h2: Pt<G2Affine>,
    pub(crate) t1: Pt<Gt>,
    pub(crate) t2: Pt<Gt>,
}

impl Artefact for PublicKey {
    const KIND: Kind = Kind::PublicKey;
}

/// FAME master secret key `(a1, a2, b1, b2, g^{d1}, g^{d2}, g^{d3})`.
///
/// Never serialised through serde, never printed; zeroized on drop. The
/// authority persists it with [`MasterKey::to_secret_bytes`].
#[derive(Clone)]
pub struct MasterKey {
    pub(crate) a: [Fr; 2],
    pub(crate) b: [Fr; 2],
    pub(crate) gd: [G1Affine; 3],
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.a.zeroize();
        self.b.zeroize();
        self.gd.zeroize();
    }
}

impl MasterKey {
    /// The secret encoding (for the authority's own storage only).
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(4 * 32 + 3 * 48));
        // Writing field and curve elements into a Vec cannot fail.
        (self.a, self.b, self.gd)
            .serialize_compressed(&mut *out)
            .expect("serialising into a Vec cannot fail");
        out
    }

    /// Decodes [`MasterKey::to_secret_bytes`], checking points and that
    /// a1, a2, b1, b2 are non-zero.
    pub fn from_secret_bytes(mut bytes: &[u8]) -> Result<Self> {
        let (a, b, gd) = <([Fr; 2], [Fr; 2], [G1Affine; 3])>::deserialize_compressed(&mut bytes)
            .map_err(|_| DecodeError::Malformed("master key".into()))?;
        if !bytes.is_empty() {
            return Err(DecodeError::TrailingBytes.into());
        }
        if a.iter().chain(&b).any(Zero::is_zero) {
            return Err(DecodeError::Malformed("master key has a zero exponent".into()).into());
        }
        Ok(MasterKey { a, b, gd })
    }
}

/// The per-key randomness `(r1, r2)` the authority keeps (secret) so that it
/// can re-issue one attribute component after a revocation.
#[derive(Clone, Zeroize)]
#[zeroize(drop)]
pub struct KeyRandomness {
    pub(crate) r: [Fr; 2],
}

impl fmt::Debug for KeyRandomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyRandomness(<redacted>)")
    }
}

impl KeyRandomness {
    /// The secret encoding (for the authority's own storage only).
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(64));
        self.r
            .serialize_compressed(&mut *out)
            .expect("serialising into a Vec cannot fail");
        out
    }

    /// Decodes [`KeyRandomness::to_secret_bytes`].
    pub fn from_secret_bytes(mut bytes: &[u8]) -> Result<Self> {
        let r = <[Fr; 2]>::deserialize_compressed(&mut bytes)
            .map_err(|_| DecodeError::Malformed("key randomness".into()))?;
        if !bytes.is_empty() {
            return Err(DecodeError::TrailingBytes.into());
        }
        Ok(KeyRandomness { r })
    }
}

/// One attribute's key component `(sk_{y,1}, sk_{y,2}, sk_{y,3})` at an epoch.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// The attribute's epoch when the component was issued.
    pub epoch: Epoch,
    pub(crate) k: [Pt<G1Affine>; 3],
}

impl Drop for Component {
    fn drop(&mut self) {
        self.k.iter_mut().for_each(|p| p.0.zeroize());
    }
}

impl Component {
    /// The three group elements (for analysis and tests).
    pub fn points(&self) -> [G1Affine; 3] {
        self.k.map(|p| p.0)
    }

    /// A component from raw group elements (for analysis and tests: a
    /// component only works together with the rest of the key it was
    /// issued for).
    pub fn from_points(epoch: Epoch, k: [G1Affine; 3]) -> Self {
        Component {
            epoch,
            k: k.map(Pt),
        }
    }
}

impl fmt::Debug for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Component {{ epoch: {}, .. }}", self.epoch)
    }
}

/// A user's secret key for a set of attributes. Zeroized on drop; `Debug`
/// shows only the holder, version and attribute names.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserKey {
    /// The holder.
    pub user: UserId,
    /// The key version (bumped when the holder's attribute set changes).
    pub version: KeyVersion,
    pub(crate) sk0: [Pt<G2Affine>; 3],
    pub(crate) sk_prime: [Pt<G1Affine>; 3],
    pub(crate) components: BTreeMap<Attribute, Component>,
}

impl Drop for UserKey {
    fn drop(&mut self) {
        self.sk0.iter_mut().for_each(|p| p.0.zeroize());
        self.sk_prime.iter_mut().for_each(|p| p.0.zeroize());
    }
}

impl fmt::Debug for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserKey")
            .field("user", &self.user)
            .field("version", &self.version)
            .field("attributes", &self.components.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Artefact for UserKey {
    const KIND: Kind = Kind::UserKey;
}

impl UserKey {
    /// The attributes and the epochs of their components.
    pub fn attributes(&self) -> impl Iterator<Item = (&Attribute, Epoch)> {
        self.components.iter().map(|(a, c)| (a, c.epoch))
    }

    /// The component of `attr`, if the key holds it.
    pub fn component(&self, attr: &Attribute) -> Option<&Component> {
        self.components.get(attr)
    }

    /// Removes the component of `attr` (for analysis and tests).
    pub fn remove_component(&mut self, attr: &Attribute) -> Option<Component> {
        self.components.remove(attr)
    }

    /// Installs or replaces one attribute's component (a re-issue after a
    /// revocation, see [`crate::revocation::ComponentUpdate`]).
    pub fn set_component(&mut self, attr: Attribute, component: Component) {
        self.components.insert(attr, component);
    }
}

/// A ciphertext header: the policy, the epochs it was encapsulated under,
/// `ct0 ∈ G2³` and one `ct_i ∈ G1³` per span-program row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawHeader")]
pub struct Header {
    pub(crate) policy: Policy,
    pub(crate) epochs: Vec<Epoch>,
    pub(crate) ct0: [Pt<G2Affine>; 3],
    pub(crate) rows: Vec<[Pt<G1Affine>; 3]>,
}

#[derive(Deserialize)]
struct RawHeader {
    policy: Policy,
    epochs: Vec<Epoch>,
    ct0: [Pt<G2Affine>; 3],
    rows: Vec<[Pt<G1Affine>; 3]>,
}

impl TryFrom<RawHeader> for Header {
    type Error = Error;
    fn try_from(raw: RawHeader) -> Result<Self> {
        let n = raw.policy.attributes().len();
        if raw.epochs.len() != n || raw.rows.len() != n {
            return Err(
                DecodeError::Malformed("header rows do not match its policy".into()).into(),
            );
        }
        Ok(Header {
            policy: raw.policy,
            epochs: raw.epochs,
            ct0: raw.ct0,
            rows: raw.rows,
        })
    }
}

impl Artefact for Header {
    const KIND: Kind = Kind::Header;
}

impl Header {
    /// The access policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The epoch each policy attribute was encapsulated under.
    pub fn epochs(&self) -> impl Iterator<Item = (&Attribute, Epoch)> {
        self.policy
            .attributes()
            .into_iter()
            .zip(self.epochs.iter().copied())
    }

    /// SHA-256 of the binary encoding, domain-separated.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"carbon-abe/header/v1\0");
        h.update(self.to_bytes());
        h.finalize().into()
    }
}

/// The KEM's shared secret (an element of GT); zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret(pub(crate) Gt);

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

impl Drop for SharedSecret {
    fn drop(&mut self) {
        self.0.0.zeroize();
    }
}

impl SharedSecret {
    /// The canonical bytes, for key derivation.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(576));
        self.0
            .serialize_compressed(&mut *out)
            .expect("serialising into a Vec cannot fail");
        out
    }
}
