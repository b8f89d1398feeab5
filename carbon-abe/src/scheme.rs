//! FAME CP-ABE (Agrawal–Chase, CCS 2017, k = 2) as a key-encapsulation
//! mechanism on BLS12-381. The algebra is written out in the crate README.

use std::collections::{BTreeMap, BTreeSet};

use ark_bls12_381::{Bls12_381, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{Field, One, UniformRand, Zero};
use rand_core::{CryptoRng, RngCore};

use crate::encoding::Pt;
use crate::error::{DecodeError, Error, Result};
use crate::hash::{attribute_hashes, column_hashes};
use crate::ids::{Epoch, EpochTable, KeyVersion, UserId};
use crate::keys::{Component, Header, KeyRandomness, MasterKey, PublicKey, SharedSecret, UserKey};
use crate::msp::SpanProgram;
use crate::policy::{Attribute, Policy};

/// A ciphertext-policy ABE used as a KEM: the small trait the scheme is
/// reached through (in the manner of arkworks crypto-primitives).
pub trait AbeKem {
    /// Public parameters.
    type PublicKey;
    /// Master secret.
    type MasterKey;
    /// A user's key for a set of attributes.
    type UserKey;
    /// An encapsulation under a policy.
    type Header;
    /// The encapsulated secret.
    type SharedSecret;

    /// Generates a key pair.
    fn setup<R: RngCore + CryptoRng>(rng: &mut R) -> (Self::PublicKey, Self::MasterKey);

    /// Issues a key for `attrs` at their current `epochs`.
    fn keygen<R: RngCore + CryptoRng>(
        msk: &Self::MasterKey,
        user: UserId,
        version: KeyVersion,
        attrs: &BTreeSet<Attribute>,
        epochs: &EpochTable,
        rng: &mut R,
    ) -> Result<Self::UserKey>;

    /// Encapsulates a fresh secret under `policy` at the current `epochs`.
    fn encapsulate<R: RngCore + CryptoRng>(
        pk: &Self::PublicKey,
        policy: &Policy,
        epochs: &EpochTable,
        rng: &mut R,
    ) -> Result<(Self::SharedSecret, Self::Header)>;

    /// Recovers the secret, or [`Error::PolicyNotSatisfied`].
    fn decapsulate(key: &Self::UserKey, header: &Self::Header) -> Result<Self::SharedSecret>;
}

/// The FAME scheme.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fame;

fn nonzero<R: RngCore + CryptoRng>(rng: &mut R) -> Fr {
    loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            return x;
        }
    }
}

fn g() -> G1Projective {
    G1Projective::generator()
}

fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    // Callers pass slices of equal length.
    G1Projective::msm(bases, scalars).expect("equal-length bases and scalars")
}

fn inverse(x: Fr) -> Result<Fr> {
    x.inverse()
        .ok_or_else(|| DecodeError::Malformed("master key has a zero exponent".into()).into())
}

impl Fame {
    /// Draws the per-key randomness `(r1, r2)`.
    pub fn key_randomness<R: RngCore + CryptoRng>(rng: &mut R) -> KeyRandomness {
        KeyRandomness {
            r: [Fr::rand(rng), Fr::rand(rng)],
        }
    }

    /// `(c1/a_t, c2/a_t, c3/a_t)` for t = 1, 2 and `1/a_t`.
    fn exponents(msk: &MasterKey, rand: &KeyRandomness) -> Result<([[Fr; 3]; 2], [Fr; 2])> {
        let c = [
            msk.b[0] * rand.r[0],
            msk.b[1] * rand.r[1],
            rand.r[0] + rand.r[1],
        ];
        let inv = [inverse(msk.a[0])?, inverse(msk.a[1])?];
        let e = [0, 1].map(|t| c.map(|cl| cl * inv[t]));
        Ok((e, inv))
    }

    /// The key component of `attr` at `epoch` for the key with randomness
    /// `rand`, with a fresh σ.
    pub fn component<R: RngCore + CryptoRng>(
        msk: &MasterKey,
        rand: &KeyRandomness,
        attr: &Attribute,
        epoch: Epoch,
        rng: &mut R,
    ) -> Result<Component> {
        let (e, inv) = Self::exponents(msk, rand)?;
        let sigma = Fr::rand(rng);
        let h = attribute_hashes(attr, epoch);
        let g_aff = g().into_affine();
        let k = [0, 1].map(|t| {
            msm(
                &[h[0][t], h[1][t], h[2][t], g_aff],
                &[e[t][0], e[t][1], e[t][2], sigma * inv[t]],
            )
        });
        let k3 = g() * (-sigma);
        let k = G1Projective::normalize_batch(&[k[0], k[1], k3]);
        Ok(Component {
            epoch,
            k: [Pt(k[0]), Pt(k[1]), Pt(k[2])],
        })
    }

    /// Key generation with caller-held randomness (the authority keeps it
    /// to re-issue components after a revocation).
    pub fn keygen_with<R: RngCore + CryptoRng>(
        msk: &MasterKey,
        rand: &KeyRandomness,
        user: UserId,
        version: KeyVersion,
        attrs: &BTreeSet<Attribute>,
        epochs: &EpochTable,
        rng: &mut R,
    ) -> Result<UserKey> {
        let (e, inv) = Self::exponents(msk, rand)?;
        let c = [
            msk.b[0] * rand.r[0],
            msk.b[1] * rand.r[1],
            rand.r[0] + rand.r[1],
        ];
        let h = G2Projective::generator();
        let sk0 = G2Projective::normalize_batch(&c.map(|cl| h * cl));
        let sigma = Fr::rand(rng);
        let col = column_hashes(0);
        let g_aff = g().into_affine();
        let skp = [0, 1].map(|t| {
            msm(
                &[col[0][t], col[1][t], col[2][t], g_aff],
                &[e[t][0], e[t][1], e[t][2], sigma * inv[t]],
            ) + msk.gd[t]
        });
        let skp3 = G1Projective::from(msk.gd[2]) - g() * sigma;
        let skp = G1Projective::normalize_batch(&[skp[0], skp[1], skp3]);
        let mut components = BTreeMap::new();
        for attr in attrs {
            components.insert(
                attr.clone(),
                Self::component(msk, rand, attr, epochs.get(attr), rng)?,
            );
        }
        Ok(UserKey {
            user,
            version,
            sk0: [Pt(sk0[0]), Pt(sk0[1]), Pt(sk0[2])],
            sk_prime: [Pt(skp[0]), Pt(skp[1]), Pt(skp[2])],
            components,
        })
    }

    /// Encapsulation with caller-chosen `(s1, s2)` (tests and benches).
    fn encapsulate_with(
        pk: &PublicKey,
        policy: &Policy,
        epochs: &EpochTable,
        s: [Fr; 2],
    ) -> (SharedSecret, Header) {
        let msp = SpanProgram::compile(policy);
        let columns: Vec<_> = (0..msp.column_count()).map(column_hashes).collect();
        let mut row_epochs = Vec::with_capacity(msp.row_count());
        let mut rows = Vec::with_capacity(msp.row_count() * 3);
        for i in 0..msp.row_count() {
            let attr = msp.label(i);
            let epoch = epochs.get(attr);
            row_epochs.push(epoch);
            let h = attribute_hashes(attr, epoch);
            for l in 0..3 {
                // X_t = H(attr,π(i),ℓ,t) + Σ_j M_ij·H(col,j,ℓ,t); entries ±1
                // are additions, others go to the multi-scalar product.
                let mut x = [G1Projective::from(h[l][0]), G1Projective::from(h[l][1])];
                let mut bases = Vec::new();
                let mut scalars = Vec::new();
                for &(j, m) in msp.row(i) {
                    for t in 0..2 {
                        if m.is_one() {
                            x[t] += columns[j][l][t];
                        } else if (-m).is_one() {
                            x[t] -= columns[j][l][t];
                        } else {
                            bases.push(columns[j][l][t]);
                            scalars.push(m * s[t]);
                        }
                    }
                }
                let mut ct = x[0] * s[0] + x[1] * s[1];
                if !bases.is_empty() {
                    ct += msm(&bases, &scalars);
                }
                rows.push(ct);
            }
        }
        let rows = G1Projective::normalize_batch(&rows);
        let rows = rows
            .chunks_exact(3)
            .map(|c| [Pt(c[0]), Pt(c[1]), Pt(c[2])])
            .collect();
        let ct0 = G2Projective::normalize_batch(&[
            pk.h1.0 * s[0],
            pk.h2.0 * s[1],
            pk.h.0 * (s[0] + s[1]),
        ]);
        let secret = SharedSecret(pk.t1.0 * s[0] + pk.t2.0 * s[1]);
        let header = Header {
            policy: policy.clone(),
            epochs: row_epochs,
            ct0: [Pt(ct0[0]), Pt(ct0[1]), Pt(ct0[2])],
            rows,
        };
        (secret, header)
    }

    /// The six pairs whose multi-pairing is the shared secret, or
    /// [`Error::PolicyNotSatisfied`]; exposed so benches can time the
    /// reconstruction apart from the pairing.
    pub fn decapsulation_pairs(
        key: &UserKey,
        header: &Header,
    ) -> Result<([G1Affine; 6], [G2Affine; 6])> {
        let msp = SpanProgram::compile(&header.policy);
        if msp.row_count() != header.rows.len() || header.epochs.len() != header.rows.len() {
            return Err(Error::Integrity);
        }
        let current: BTreeMap<&Attribute, Epoch> = header.epochs().collect();
        let has = |a: &Attribute| {
            key.components
                .get(a)
                .is_some_and(|c| current.get(a) == Some(&c.epoch))
        };
        let gamma = msp
            .coefficients(&header.policy, &has)
            .ok_or(Error::PolicyNotSatisfied)?;
        let all_one = gamma.iter().all(|(_, g)| g.is_one());
        let mut a = [G1Projective::zero(); 3];
        let mut b = key.sk_prime.map(|p| G1Projective::from(p.0));
        if all_one {
            for &(i, _) in &gamma {
                let comp = &key.components[msp.label(i)];
                for l in 0..3 {
                    a[l] += header.rows[i][l].0;
                    b[l] += comp.k[l].0;
                }
            }
        } else {
            let coeffs: Vec<Fr> = gamma.iter().map(|&(_, g)| g).collect();
            for l in 0..3 {
                let cts: Vec<G1Affine> = gamma.iter().map(|&(i, _)| header.rows[i][l].0).collect();
                let sks: Vec<G1Affine> = gamma
                    .iter()
                    .map(|&(i, _)| key.components[msp.label(i)].k[l].0)
                    .collect();
                a[l] = msm(&cts, &coeffs);
                b[l] += msm(&sks, &coeffs);
            }
        }
        let p = G1Projective::normalize_batch(&[-a[0], -a[1], -a[2], b[0], b[1], b[2]]);
        let q = [
            key.sk0[0].0,
            key.sk0[1].0,
            key.sk0[2].0,
            header.ct0[0].0,
            header.ct0[1].0,
            header.ct0[2].0,
        ];
        Ok(([p[0], p[1], p[2], p[3], p[4], p[5]], q))
    }
}

impl AbeKem for Fame {
    type PublicKey = PublicKey;
    type MasterKey = MasterKey;
    type UserKey = UserKey;
    type Header = Header;
    type SharedSecret = SharedSecret;

    fn setup<R: RngCore + CryptoRng>(rng: &mut R) -> (PublicKey, MasterKey) {
        let a = [nonzero(rng), nonzero(rng)];
        let b = [nonzero(rng), nonzero(rng)];
        let d = [Fr::rand(rng), Fr::rand(rng), Fr::rand(rng)];
        let h = G2Projective::generator();
        let egh = Bls12_381::pairing(g(), h);
        let hs: Vec<G2Affine> = G2Projective::normalize_batch(&[h, h * a[0], h * a[1]]);
        let gd = G1Projective::normalize_batch(&d.map(|x| g() * x));
        let pk = PublicKey {
            h: Pt(hs[0]),
            h1: Pt(hs[1]),
            h2: Pt(hs[2]),
            t1: Pt(egh * (d[0] * a[0] + d[2])),
            t2: Pt(egh * (d[1] * a[1] + d[2])),
        };
        let msk = MasterKey {
            a,
            b,
            gd: [gd[0], gd[1], gd[2]],
        };
        (pk, msk)
    }

    fn keygen<R: RngCore + CryptoRng>(
        msk: &MasterKey,
        user: UserId,
        version: KeyVersion,
        attrs: &BTreeSet<Attribute>,
        epochs: &EpochTable,
        rng: &mut R,
    ) -> Result<UserKey> {
        let rand = Self::key_randomness(rng);
        Self::keygen_with(msk, &rand, user, version, attrs, epochs, rng)
    }

    fn encapsulate<R: RngCore + CryptoRng>(
        pk: &PublicKey,
        policy: &Policy,
        epochs: &EpochTable,
        rng: &mut R,
    ) -> Result<(SharedSecret, Header)> {
        let s = [Fr::rand(rng), Fr::rand(rng)];
        Ok(Self::encapsulate_with(pk, policy, epochs, s))
    }

    fn decapsulate(key: &UserKey, header: &Header) -> Result<SharedSecret> {
        let (p, q) = Self::decapsulation_pairs(key, header)?;
        Ok(SharedSecret(Bls12_381::multi_pairing(p, q)))
    }
}
