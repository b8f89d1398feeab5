//! Bounded queries: blocks, headers, transactions with proofs, state, blobs.

use serde::{Deserialize, Serialize};

use super::keys::{self, BlockLeaves, TxEntry, TxLocation};
use super::{Store, corrupt};
use crate::block::{Block, BlockHeader};
use crate::error::{QueryError, Result, StoreError};
use crate::hash::Hash32;
use crate::merkle::{InclusionProof, MerkleTree, ProofError};
use crate::receipt::Receipt;
use crate::tx::Transaction;
use crate::types::{BlockHash, Height, TxHash, TxIndex};

/// A page of state entries `(key, value)`; the cursor is the last key.
pub type StatePage = Page<(Vec<u8>, Vec<u8>), Vec<u8>>;

/// Largest page any query returns.
pub const MAX_PAGE: usize = 1000;

/// One page of results and the cursor to pass for the next one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T, C> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` when there is no more.
    pub next: Option<C>,
}

/// A transaction with its receipt and position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// The transaction.
    pub tx: Transaction,
    /// Its receipt.
    pub receipt: Receipt,
    /// Where it is.
    pub location: TxLocation,
}

/// A transaction and its receipt with proofs of inclusion in a block, for
/// a light client that holds the block's header (verified by its commit
/// certificate).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInclusion {
    /// The transaction, receipt and location.
    pub record: TxRecord,
    /// Proof of the transaction id against the header's `tx_root`.
    pub tx_proof: InclusionProof,
    /// Proof of the receipt hash against the header's `receipts_root`.
    pub receipt_proof: InclusionProof,
}

impl TxInclusion {
    /// Checks both proofs against a trusted header of the block at
    /// `record.location.height`.
    pub fn verify(&self, header: &BlockHeader) -> Result<(), ProofError> {
        let loc = self.record.location;
        let size = u64::from(header.tx_count);
        let index = u64::from(loc.index.0);
        let tx_hash = self.record.tx.hash();
        if header.height != loc.height
            || self.record.receipt.tx != tx_hash
            || self.tx_proof.index != index
            || self.receipt_proof.index != index
            || self.tx_proof.tree_size != size
            || self.receipt_proof.tree_size != size
        {
            return Err(ProofError::RootMismatch);
        }
        self.tx_proof.verify(&Hash32(tx_hash.0), &header.tx_root)?;
        self.receipt_proof
            .verify(&self.record.receipt.hash(), &header.receipts_root)
    }
}

fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(QueryError::BadLimit {
            got: limit,
            max: MAX_PAGE,
        }
        .into());
    }
    Ok(())
}

impl Store {
    /// The header at `height`, if committed.
    pub fn header(&self, height: Height) -> Result<Option<BlockHeader>> {
        match self.backend.get(&keys::header(height))? {
            None => Ok(None),
            Some(b) => {
                let s: keys::StoredHeader =
                    keys::decode(&b, || format!("header at height {height}"))?;
                Ok(Some(s.header))
            }
        }
    }

    /// Up to `limit` headers from `from` upwards.
    pub fn headers(&self, from: Height, limit: usize) -> Result<Page<BlockHeader, Height>> {
        check_limit(limit)?;
        let Some(head) = self.head().map(|h| h.height.0) else {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let mut items = Vec::new();
        let mut h = from.0;
        while h <= head && items.len() < limit {
            match self.header(Height(h))? {
                Some(x) => items.push(x),
                None => {
                    return Err(corrupt(
                        format!("header at height {h}"),
                        "missing below the head",
                    ));
                }
            }
            h += 1;
        }
        let next = (h <= head).then_some(Height(h));
        Ok(Page { items, next })
    }

    /// The block at `height` (header, transactions, certificate).
    pub fn block_by_height(&self, height: Height) -> Result<Option<Block>> {
        let Some(b) = self.backend.get(&keys::header(height))? else {
            return Ok(None);
        };
        let stored: keys::StoredHeader = keys::decode(&b, || format!("header at height {height}"))?;
        let entries = self.block_entries(height, stored.header.tx_count)?;
        Ok(Some(Block {
            header: stored.header,
            transactions: entries.into_iter().map(|e| e.tx).collect(),
            certificate: stored.certificate,
        }))
    }

    /// The block with hash `hash`.
    pub fn block_by_hash(&self, hash: &BlockHash) -> Result<Option<Block>> {
        match self.backend.get(&keys::block_hash(hash))? {
            None => Ok(None),
            Some(b) => {
                let height = keys::decode_height(&b, || format!("hash index of {hash}"))?;
                self.block_by_height(height)
            }
        }
    }

    /// The Merkle leaves (transaction ids and receipt hashes) of a block.
    pub(crate) fn block_leaves(&self, height: Height) -> Result<BlockLeaves> {
        let record = || format!("leaves of block {height}");
        let bytes = self
            .backend
            .get(&keys::leaves(height))?
            .ok_or_else(|| corrupt(record(), "missing"))?;
        Ok(keys::decode(&bytes, record)?)
    }

    /// All transaction entries of a block, in order (bounded by the block
    /// size limit).
    pub(crate) fn block_entries(&self, height: Height, tx_count: u32) -> Result<Vec<TxEntry>> {
        let leaves = self.block_leaves(height)?;
        if leaves.txs.len() != tx_count as usize || leaves.receipts.len() != tx_count as usize {
            return Err(corrupt(
                format!("leaves of block {height}"),
                "count differs from the header",
            ));
        }
        let mut out = Vec::with_capacity(leaves.txs.len());
        for (i, leaf) in leaves.txs.iter().enumerate() {
            let entry = self
                .tx_entry(&TxHash(leaf.0))?
                .ok_or_else(|| corrupt(format!("transaction {i} of block {height}"), "missing"))?;
            if entry.location != TxLocation::new(height, TxIndex(i as u32)) {
                return Err(corrupt(
                    format!("transaction {i} of block {height}"),
                    "stored at another location",
                ));
            }
            out.push(entry);
        }
        Ok(out)
    }

    fn tx_entry(&self, hash: &TxHash) -> Result<Option<TxEntry>> {
        let Some(bytes) = self.backend.get(&keys::tx(hash))? else {
            return Ok(None);
        };
        let entry: TxEntry = keys::decode(&bytes, || format!("transaction {hash}"))?;
        if entry.receipt.tx != *hash || entry.tx.hash() != *hash {
            return Err(corrupt(
                format!("transaction {hash}"),
                "content does not match its id",
            ));
        }
        Ok(Some(entry))
    }

    /// A transaction by id, with its receipt and location (one read).
    pub fn transaction(&self, hash: &TxHash) -> Result<Option<TxRecord>> {
        Ok(self.tx_entry(hash)?.map(|e| TxRecord {
            tx: e.tx,
            receipt: e.receipt,
            location: e.location,
        }))
    }

    /// A transaction with proofs of it and its receipt against its block's
    /// header.
    pub fn transaction_proof(&self, hash: &TxHash) -> Result<Option<TxInclusion>> {
        let Some(record) = self.transaction(hash)? else {
            return Ok(None);
        };
        let height = record.location.height;
        let leaves = self.block_leaves(height)?;
        let i = record.location.index.0 as usize;
        let tx_proof = MerkleTree::new(&leaves.txs).proof(i);
        let receipt_proof = MerkleTree::new(&leaves.receipts).proof(i);
        match (tx_proof, receipt_proof) {
            (Some(tx_proof), Some(receipt_proof)) => Ok(Some(TxInclusion {
                record,
                tx_proof,
                receipt_proof,
            })),
            _ => Err(corrupt(
                format!("leaves of block {height}"),
                "shorter than the transaction index",
            )),
        }
    }

    /// The head state's value at `key`.
    pub fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.backend.get(&keys::state(key))
    }

    /// Up to `limit` head-state entries whose key starts with `prefix`, after
    /// the key `start_after` (the previous page's cursor) if given.
    pub fn state_prefix(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<StatePage> {
        check_limit(limit)?;
        let full_prefix = keys::state(prefix);
        let after = start_after.map(keys::state);
        let mut raw = self
            .backend
            .scan(&full_prefix, after.as_deref(), limit + 1)?;
        let more = raw.len() > limit;
        raw.truncate(limit);
        let items: Vec<(Vec<u8>, Vec<u8>)> = raw
            .into_iter()
            .map(|(k, v)| (k[keys::STATE.len()..].to_vec(), v))
            .collect();
        let next = if more {
            items.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        Ok(Page { items, next })
    }

    /// Stores an off-chain blob under its SHA-256 and flushes it; returns
    /// the digest. Blobs are not part of the state root: the chain holds
    /// their digests (e.g. in an [`crate::Payload::Anchor`]).
    pub fn put_blob(&self, bytes: &[u8]) -> Result<Hash32> {
        let max = self.config.max_blob_bytes;
        if bytes.len() > max {
            return Err(StoreError::BlobTooLarge {
                len: bytes.len(),
                max,
            }
            .into());
        }
        let digest = Hash32::digest(bytes);
        let mut batch = super::backend::Batch::default();
        batch.put(keys::blob(&digest), bytes.to_vec());
        self.backend.commit(batch)?;
        Ok(digest)
    }

    /// The blob with SHA-256 `digest`; its content is re-hashed on read.
    pub fn blob(&self, digest: &Hash32) -> Result<Option<Vec<u8>>> {
        match self.backend.get(&keys::blob(digest))? {
            None => Ok(None),
            Some(b) if Hash32::digest(&b) == *digest => Ok(Some(b)),
            Some(_) => Err(corrupt(
                format!("blob {digest}"),
                "content does not match its digest",
            )),
        }
    }

    /// Deletes a blob (off-chain data may be withdrawn; its digest stays on
    /// chain). Returns whether it existed.
    pub fn delete_blob(&self, digest: &Hash32) -> Result<bool> {
        let existed = self.backend.contains(&keys::blob(digest))?;
        let mut batch = super::backend::Batch::default();
        batch.delete(keys::blob(digest));
        self.backend.commit(batch)?;
        Ok(existed)
    }
}

impl TxLocation {
    /// Convenience constructor.
    pub fn new(height: Height, index: TxIndex) -> Self {
        TxLocation { height, index }
    }
}
