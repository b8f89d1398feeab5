//! The crash-safe block store on sled.
//!
//! A block, its transactions and receipts, its state writes and the new
//! head land in **one atomic batch**, flushed before [`Store::commit`]
//! returns. After a crash, reopening yields a head that is a prefix of what
//! was committed, with exactly that head's state.

mod backend;
mod commit;
mod keys;
mod query;

use std::sync::{Mutex, MutexGuard};

pub use backend::StoreConfig;
pub use keys::TxLocation;
pub use query::{MAX_PAGE, Page, StatePage, TxInclusion, TxRecord};

use backend::Backend;
use keys::HeadRecord;

use crate::block::BlockHeader;
use crate::error::{Result, StoreError};
use crate::hash::Hash32;
use crate::state::{LtHash, StateView};
use crate::types::{BlockHash, ChainId, Height};

/// The committed head of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// Height of the last committed block.
    pub height: Height,
    /// Its hash.
    pub hash: BlockHash,
    /// The state root after it.
    pub state_root: Hash32,
}

/// In-memory copy of the head, guarded so that one commit runs at a time.
struct Head {
    chain_id: ChainId,
    genesis: BlockHash,
    head: ChainHead,
    lthash: LtHash,
}

/// The ledger store. Cheap to share by reference: queries run concurrently
/// with a commit and see either all of a block or none of it.
pub struct Store {
    backend: Backend,
    config: StoreConfig,
    head: Mutex<Option<Head>>,
}

impl Store {
    /// Opens (or creates) the store, checking the head records.
    pub fn open(config: StoreConfig) -> Result<Self> {
        let backend = Backend::open(&config)?;
        let head = load_head(&backend)?;
        Ok(Store {
            backend,
            config,
            head: Mutex::new(head),
        })
    }

    /// The configuration the store was opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, Option<Head>> {
        // A panic while holding the lock cannot leave `Head` half-updated:
        // it is replaced whole after the batch is durable.
        self.head.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The committed head, or `None` before genesis.
    pub fn head(&self) -> Option<ChainHead> {
        self.lock().as_ref().map(|h| h.head.clone())
    }

    /// The chain id, or `None` before genesis.
    pub fn chain_id(&self) -> Option<ChainId> {
        self.lock().as_ref().map(|h| h.chain_id.clone())
    }

    /// The genesis hash (the network's identity), or `None` before genesis.
    pub fn genesis_hash(&self) -> Option<BlockHash> {
        self.lock().as_ref().map(|h| h.genesis)
    }

    /// Bytes the database occupies on disk (sled may use ~2x the data).
    pub fn size_on_disk(&self) -> Result<u64> {
        self.backend.size_on_disk()
    }

    /// Re-derives everything the head claims from the records on disk:
    /// the parent links and hash index of every block, every block's
    /// transactions and receipts roots, and the state accumulator from a
    /// full scan of the state. Costs a full read of the store.
    pub fn verify_integrity(&self) -> Result<IntegrityReport> {
        let guard = self.lock();
        let Some(head) = guard.as_ref() else {
            return Err(StoreError::NotInitialised.into());
        };
        let mut prev: Option<BlockHash> = None;
        for h in 0..=head.head.height.0 {
            let height = Height(h);
            let header = self.stored_header(height)?.header;
            let hash = header.hash();
            if prev.is_some_and(|p| header.parent != p) {
                return Err(corrupt(
                    format!("header at height {h}"),
                    "parent link broken",
                ));
            }
            match self.backend.get(&keys::block_hash(&hash))? {
                Some(b)
                    if keys::decode_height(&b, || format!("hash index of {hash}"))? == height => {}
                _ => {
                    return Err(corrupt(
                        format!("hash index of block {h}"),
                        "missing or wrong",
                    ));
                }
            }
            let body = self.block_entries(height, header.tx_count)?;
            let txs: Vec<_> = body.iter().map(|e| e.tx.clone()).collect();
            let receipts: Vec<_> = body.iter().map(|e| e.receipt.clone()).collect();
            if crate::block::tx_root(&txs) != header.tx_root
                || crate::block::receipts_root(&receipts) != header.receipts_root
            {
                return Err(corrupt(
                    format!("body of block {h}"),
                    "roots do not match the header",
                ));
            }
            prev = Some(hash);
        }
        if prev != Some(head.head.hash) {
            return Err(corrupt(
                "chain head (m/head)".into(),
                "does not match the last header",
            ));
        }
        let mut acc = LtHash::new();
        let mut entries = 0u64;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.backend.scan(keys::STATE, after.as_deref(), 4096)?;
            let Some(last) = page.last() else { break };
            after = Some(last.0.clone());
            for (k, v) in &page {
                acc.insert(&k[keys::STATE.len()..], v);
                entries += 1;
            }
        }
        if acc != head.lthash || acc.root() != head.head.state_root {
            return Err(corrupt(
                "world state".into(),
                "does not match the head's state root",
            ));
        }
        Ok(IntegrityReport {
            head: head.head.clone(),
            blocks: head.head.height.0 + 1,
            state_entries: entries,
        })
    }

    fn stored_header(&self, height: Height) -> Result<keys::StoredHeader> {
        let bytes = self
            .backend
            .get(&keys::header(height))?
            .ok_or_else(|| corrupt(format!("header at height {height}"), "missing"))?;
        Ok(keys::decode(&bytes, || {
            format!("header at height {height}")
        })?)
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.config.path)
            .field("head", &self.head())
            .finish_non_exhaustive()
    }
}

/// What [`Store::verify_integrity`] checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrityReport {
    /// The verified head.
    pub head: ChainHead,
    /// Blocks checked (genesis included).
    pub blocks: u64,
    /// State entries re-hashed.
    pub state_entries: u64,
}

pub(crate) fn corrupt(record: String, reason: &str) -> crate::error::Error {
    StoreError::Corrupt {
        record,
        reason: reason.to_string(),
    }
    .into()
}

fn load_head(backend: &Backend) -> Result<Option<Head>> {
    let Some(bytes) = backend.get(keys::META_HEAD)? else {
        return Ok(None);
    };
    let rec: HeadRecord = keys::decode(&bytes, || "chain head (m/head)".into())?;
    let lthash = LtHash::from_bytes(&rec.lthash).ok_or_else(|| {
        corrupt(
            "chain head (m/head)".into(),
            "state accumulator has the wrong length",
        )
    })?;
    let chain_bytes = backend
        .get(keys::META_CHAIN)?
        .ok_or_else(|| corrupt("chain id (m/chain)".into(), "missing"))?;
    let chain_id = keys::decode_chain(&chain_bytes)?;
    let genesis_bytes = backend
        .get(keys::META_GENESIS)?
        .ok_or_else(|| corrupt("genesis hash (m/genesis)".into(), "missing"))?;
    let genesis: BlockHash = keys::decode(&genesis_bytes, || "genesis hash (m/genesis)".into())?;
    let header_bytes = backend.get(&keys::header(rec.height))?.ok_or_else(|| {
        corrupt(
            format!("header at height {}", rec.height),
            "missing (the head names it)",
        )
    })?;
    let stored: keys::StoredHeader =
        keys::decode(&header_bytes, || format!("header at height {}", rec.height))?;
    let header: &BlockHeader = &stored.header;
    if header.hash() != rec.hash {
        return Err(corrupt(
            "chain head (m/head)".into(),
            "hash does not match the header at its height",
        ));
    }
    if header.state_root != lthash.root() {
        return Err(corrupt(
            "chain head (m/head)".into(),
            "state accumulator does not match the header's state root",
        ));
    }
    if header.chain_id != chain_id {
        return Err(corrupt(
            "chain id (m/chain)".into(),
            "does not match the head header",
        ));
    }
    let head = ChainHead {
        height: rec.height,
        hash: rec.hash,
        state_root: header.state_root,
    };
    Ok(Some(Head {
        chain_id,
        genesis,
        head,
        lthash,
    }))
}

impl StateView for Store {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.backend.get(&keys::state(key))
    }

    fn scan_prefix(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<crate::state::Entry>> {
        let after = start_after.map(keys::state);
        let raw = self
            .backend
            .scan(&keys::state(prefix), after.as_deref(), limit)?;
        Ok(raw
            .into_iter()
            .map(|(k, v)| (k[keys::STATE.len()..].to_vec(), v))
            .collect())
    }
}
