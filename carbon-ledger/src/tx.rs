//! Signed transactions and batch signature verification.
//!
//! A transaction names its sender by ed25519 public key (the account is
//! derived from it, see [`PublicKey::account`]), carries a per-account
//! [`Nonce`] and the [`ChainId`], and a typed [`Payload`]. The signature
//! covers `len || "carbon/tx/sign/v1" || bcs(TxBody)`; the transaction id
//! covers the whole signed transaction.

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::codec;
use crate::error::{DecodeError, TxError};
use crate::hash::{Hash32, tags};
use crate::types::{AccountId, ChainId, Nonce, PublicKey, Signature, TxHash};

/// Largest encoded transaction accepted from outside (128 KiB).
pub const MAX_TX_BYTES: usize = 128 * 1024;

/// What a transaction asks the ledger to do.
///
/// **Wire rule**: BCS encodes a variant by its index, so variants are only
/// ever appended, never reordered or removed. The market (issue #6) and the
/// EVM (issue #11) add their variants after these. `#[non_exhaustive]` lets
/// downstream crates match on it without breaking when variants are added.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    /// Anchor the SHA-256 digest of an off-chain document (e.g. an
    /// ABE-encrypted report kept in the blob store) under a short label.
    Anchor {
        /// Digest of the off-chain bytes.
        digest: Hash32,
        /// What the document is (free text, bounded by [`MAX_TX_BYTES`]).
        label: String,
    },
    /// A market operation (issue #6), performed for the sender.
    Market(crate::market::MarketTx),
    /// Deploy an EVM contract (issue #11): run `init_code`, store what it
    /// returns as the code of a new contract at the CREATE address of the
    /// sender's EVM address and this transaction's nonce (see
    /// [`crate::evm`]).
    Deploy {
        /// Init code (constructor and arguments), at most
        /// [`crate::evm::MAX_INIT_CODE_BYTES`] (hex in JSON).
        #[serde(with = "hex_json")]
        init_code: Vec<u8>,
        /// Most gas the transaction may use (at most the `evm.tx_gas_limit`
        /// parameter).
        gas_limit: u64,
    },
    /// Call an EVM contract (or a precompiled market contract) for the
    /// sender (issue #11).
    Call {
        /// The contract's 20-byte EVM address (hex in JSON).
        #[serde(with = "hex_json")]
        to: [u8; 20],
        /// ABI-encoded calldata, at most [`crate::evm::MAX_CALLDATA_BYTES`]
        /// (hex in JSON).
        #[serde(with = "hex_json")]
        input: Vec<u8>,
        /// Most gas the transaction may use.
        gas_limit: u64,
        /// Platform tokens (fen) paid to the contract's account with the
        /// call (0 for none); visible to the contract as `msg.value`.
        value: u64,
    },
}

/// The signed part of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxBody {
    /// The network this transaction is for.
    pub chain_id: ChainId,
    /// The sender's ed25519 public key; the sender account derives from it.
    pub sender: PublicKey,
    /// The sender's sequence number (checked by the executor).
    pub nonce: Nonce,
    /// What to do.
    pub payload: Payload,
}

impl TxBody {
    /// The exact bytes the sender signs.
    pub fn signing_message(&self) -> Vec<u8> {
        let body = codec::encode(self);
        let mut msg = Vec::with_capacity(1 + tags::TX_SIGN.len() + body.len());
        msg.push(tags::TX_SIGN.len() as u8);
        msg.extend_from_slice(tags::TX_SIGN);
        msg.extend_from_slice(&body);
        msg
    }
}

/// A signed transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The signed content.
    pub body: TxBody,
    /// ed25519 signature over [`TxBody::signing_message`].
    pub signature: Signature,
}

impl Transaction {
    /// Signs `body` with `key`. The body's `sender` is set from the key.
    pub fn sign(mut body: TxBody, key: &SigningKey) -> Self {
        body.sender = PublicKey::from(&key.verifying_key());
        let sig = key.sign(&body.signing_message());
        Transaction {
            body,
            signature: Signature(sig.to_bytes()),
        }
    }

    /// The transaction id.
    pub fn hash(&self) -> TxHash {
        TxHash(Hash32::tagged(tags::TX_ID, &[&codec::encode(self)]).0)
    }

    /// The sender's account.
    pub fn sender_account(&self) -> AccountId {
        self.body.sender.account()
    }

    /// Checks the chain id and the signature (strict ed25519 verification).
    pub fn verify(&self, chain: &ChainId) -> Result<(), TxError> {
        self.check_chain(chain)?;
        let key = self.body.sender.verifying_key()?;
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature.0);
        key.verify_strict(&self.body.signing_message(), &sig)
            .map_err(|_| TxError::BadSignature { index: 0 })
    }

    fn check_chain(&self, chain: &ChainId) -> Result<(), TxError> {
        if &self.body.chain_id != chain {
            return Err(TxError::WrongChain {
                expected: chain.to_string(),
                got: self.body.chain_id.to_string(),
            });
        }
        Ok(())
    }

    /// Canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Decodes untrusted bytes (at most [`MAX_TX_BYTES`], no trailing bytes).
    /// The signature is *not* checked here; call [`Transaction::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::decode(bytes, MAX_TX_BYTES, "transaction")
    }
}

/// Verifies many transactions at once with ed25519 batch verification
/// (about twice as fast per signature as one by one). On failure, finds
/// and reports the first bad transaction by checking them singly.
///
/// Batch verification checks the cofactored equation; strict single
/// verification ([`Transaction::verify`]) also rejects small-order `R`
/// components. Consensus code should use one of them consistently (this one,
/// for blocks) so every node reaches the same verdict.
pub fn verify_batch(txs: &[Transaction], chain: &ChainId) -> Result<(), TxError> {
    if txs.is_empty() {
        return Ok(());
    }
    let mut msgs = Vec::with_capacity(txs.len());
    let mut sigs = Vec::with_capacity(txs.len());
    let mut keys = Vec::with_capacity(txs.len());
    for (index, tx) in txs.iter().enumerate() {
        tx.check_chain(chain)?;
        keys.push(
            tx.body
                .sender
                .verifying_key()
                .map_err(|_| TxError::BadSignature { index })?,
        );
        sigs.push(ed25519_dalek::Signature::from_bytes(&tx.signature.0));
        msgs.push(tx.body.signing_message());
    }
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    if ed25519_dalek::verify_batch(&refs, &sigs, &keys).is_ok() {
        // Batch verification is cofactored; also reject small-order keys the
        // way verify_strict does, so batch and single verification agree.
        if let Some(index) = keys.iter().position(|k| k.is_weak()) {
            return Err(TxError::BadSignature { index });
        }
        return Ok(());
    }
    for (index, tx) in txs.iter().enumerate() {
        tx.verify(chain)
            .map_err(|_| TxError::BadSignature { index })?;
    }
    // The batch failed but every single check passed: only possible for
    // signatures that pass the cofactorless check but not the batch one.
    Err(TxError::BadSignature { index: 0 })
}

/// Bytes as hex strings in JSON (and other human-readable formats), as
/// serde's defaults in BCS (so the canonical encoding is unchanged).
mod hex_json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T, S>(v: &T, s: S) -> Result<S::Ok, S::Error>
    where
        T: AsRef<[u8]> + Serialize,
        S: Serializer,
    {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(v.as_ref()))
        } else {
            v.serialize(s)
        }
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: TryFrom<Vec<u8>> + Deserialize<'de>,
        D: Deserializer<'de>,
    {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
            T::try_from(bytes).map_err(|_| serde::de::Error::custom("wrong number of bytes"))
        } else {
            T::deserialize(d)
        }
    }
}
