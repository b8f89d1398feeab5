//! Initialising with a genesis block and committing blocks.

use std::collections::HashSet;

use super::backend::Batch;
use super::keys::{self, BlockLeaves, HeadRecord, StoredHeader, TxEntryRef, TxLocation};
use super::{ChainHead, Head, Store};
use crate::block::{Block, BlockHeader, MAX_BLOCK_TXS, receipts_root};
use crate::codec;
use crate::error::{BlockError, Result, StoreError};
use crate::hash::Hash32;
use crate::merkle;
use crate::receipt::Receipt;
use crate::state::{Change, LtHash, WriteSet};
use crate::tx::Transaction;
use crate::types::{AccountId, Height, TimestampMs, TxIndex, View};

impl Store {
    /// Writes the genesis block (height 0, no transactions) and its initial
    /// state. Idempotent for the same genesis; a different genesis on an
    /// initialised store is [`StoreError::GenesisMismatch`].
    pub fn init(&self, genesis: &Block, writes: &WriteSet) -> Result<ChainHead> {
        let mut guard = self.lock();
        let hash = genesis.hash();
        if let Some(h) = guard.as_ref() {
            if h.genesis != hash {
                return Err(StoreError::GenesisMismatch {
                    stored: h.genesis,
                    given: hash,
                }
                .into());
            }
            return Ok(h.head.clone());
        }
        let header = &genesis.header;
        if header.height != Height(0) {
            return Err(BlockError::WrongHeight {
                expected: Height(0),
                got: header.height,
            }
            .into());
        }
        if !genesis.transactions.is_empty() || header.tx_count != 0 {
            return Err(BlockError::TxCountMismatch {
                header: header.tx_count,
                body: genesis.transactions.len(),
            }
            .into());
        }
        if header.tx_root != merkle::empty_root() {
            return Err(BlockError::TxRootMismatch.into());
        }
        if header.receipts_root != merkle::empty_root() {
            return Err(BlockError::ReceiptsRootMismatch.into());
        }
        writes.check_limits()?;
        let mut lthash = LtHash::new();
        for (k, v) in writes.iter() {
            if let Some(v) = v {
                lthash.insert(k, v);
            }
        }
        if lthash.root() != header.state_root {
            return Err(BlockError::StateRootMismatch {
                header: header.state_root,
                computed: lthash.root(),
            }
            .into());
        }
        let mut batch = Batch::default();
        batch.put(keys::META_CHAIN.to_vec(), codec::encode(&header.chain_id));
        batch.put(keys::META_GENESIS.to_vec(), codec::encode(&hash));
        self.stage_block(&mut batch, genesis, &[], &[], &[], writes, &lthash);
        self.backend.commit(batch)?;
        let head = ChainHead {
            height: Height(0),
            hash,
            state_root: lthash.root(),
        };
        *guard = Some(Head {
            chain_id: header.chain_id.clone(),
            genesis: hash,
            head: head.clone(),
            lthash,
        });
        Ok(head)
    }

    /// The state root the head state would have after `writes`.
    pub fn preview_state_root(&self, writes: &WriteSet) -> Result<Hash32> {
        let guard = self.lock();
        let head = guard.as_ref().ok_or(StoreError::NotInitialised)?;
        Ok(self.apply_to(&head.lthash, writes)?.root())
    }

    /// Builds the header of the next block over the current head: height,
    /// parent and chain id from the head; roots computed from the arguments.
    pub fn next_header(
        &self,
        timestamp: TimestampMs,
        proposer: AccountId,
        view: View,
        txs: &[Transaction],
        receipts: &[Receipt],
        writes: &WriteSet,
    ) -> Result<BlockHeader> {
        let guard = self.lock();
        let head = guard.as_ref().ok_or(StoreError::NotInitialised)?;
        let height = head.head.height.next().ok_or(BlockError::WrongHeight {
            expected: head.head.height,
            got: head.head.height,
        })?;
        Ok(BlockHeader {
            chain_id: head.chain_id.clone(),
            height,
            parent: head.head.hash,
            timestamp,
            proposer,
            view,
            tx_count: u32::try_from(txs.len()).map_err(|_| BlockError::TooManyTransactions {
                got: txs.len(),
                max: MAX_BLOCK_TXS,
            })?,
            tx_root: crate::block::tx_root(txs),
            receipts_root: receipts_root(receipts),
            state_root: self.apply_to(&head.lthash, writes)?.root(),
        })
    }

    /// Validates `block` against the head, its `receipts` (one per
    /// transaction, in order) and its state `writes`, then persists all of
    /// it in one atomic batch and flushes before returning. On any error
    /// nothing is written. Signatures are *not* checked here: the executor
    /// batch-verifies them before execution ([`crate::verify_batch`]).
    pub fn commit(
        &self,
        block: &Block,
        receipts: &[Receipt],
        writes: &WriteSet,
    ) -> Result<ChainHead> {
        let mut guard = self.lock();
        let head = guard.as_mut().ok_or(StoreError::NotInitialised)?;
        let header = &block.header;
        if header.chain_id != head.chain_id {
            return Err(BlockError::WrongChain {
                expected: head.chain_id.to_string(),
                got: header.chain_id.to_string(),
            }
            .into());
        }
        let expected = head.head.height.next().ok_or(BlockError::WrongHeight {
            expected: head.head.height,
            got: header.height,
        })?;
        if header.height != expected {
            return Err(BlockError::WrongHeight {
                expected,
                got: header.height,
            }
            .into());
        }
        if header.parent != head.head.hash {
            return Err(BlockError::WrongParent {
                expected: head.head.hash,
                got: header.parent,
            }
            .into());
        }
        let n = block.transactions.len();
        if n > MAX_BLOCK_TXS {
            return Err(BlockError::TooManyTransactions {
                got: n,
                max: MAX_BLOCK_TXS,
            }
            .into());
        }
        if header.tx_count as usize != n {
            return Err(BlockError::TxCountMismatch {
                header: header.tx_count,
                body: n,
            }
            .into());
        }
        writes.check_limits()?;
        // The state root (the costliest check) is hashed on other threads
        // while this one checks the body; nothing is written before both pass.
        let olds = self.old_values(writes)?;
        let changes = changes(writes, &olds);
        let base = &head.lthash;
        let chain_id = &head.chain_id;
        let (body, lthash) = std::thread::scope(|s| {
            let job = s.spawn(|| {
                let mut acc = base.clone();
                acc.apply(&changes);
                acc
            });
            let body = self.check_body(chain_id, block, receipts);
            let acc = job.join().expect("invariant: hashing threads do not panic");
            (body, acc)
        });
        let (tx_leaves, receipt_leaves) = body?;
        let computed = lthash.root();
        if computed != header.state_root {
            return Err(BlockError::StateRootMismatch {
                header: header.state_root,
                computed,
            }
            .into());
        }
        let mut batch = Batch::default();
        self.stage_block(
            &mut batch,
            block,
            receipts,
            &tx_leaves,
            &receipt_leaves,
            writes,
            &lthash,
        );
        self.backend.commit(batch)?;
        let new_head = ChainHead {
            height: header.height,
            hash: block.hash(),
            state_root: computed,
        };
        head.head = new_head.clone();
        head.lthash = lthash;
        Ok(new_head)
    }

    /// Checks the transactions (chain id, not already on chain, not
    /// repeated, root) and the receipts (one per transaction in order,
    /// root); returns the leaves of both trees.
    fn check_body(
        &self,
        chain_id: &crate::types::ChainId,
        block: &Block,
        receipts: &[Receipt],
    ) -> Result<(Vec<Hash32>, Vec<Hash32>)> {
        let header = &block.header;
        let n = block.transactions.len();
        let tx_hashes: Vec<_> = block.transactions.iter().map(Transaction::hash).collect();
        let mut seen = HashSet::with_capacity(n);
        for (i, (tx, h)) in block.transactions.iter().zip(&tx_hashes).enumerate() {
            if &tx.body.chain_id != chain_id {
                return Err(BlockError::TxWrongChain { index: i as u32 }.into());
            }
            if !seen.insert(*h) || self.backend.contains(&keys::tx(h))? {
                return Err(BlockError::DuplicateTransaction(*h).into());
            }
        }
        let tx_leaves: Vec<Hash32> = tx_hashes.iter().map(|h| Hash32(h.0)).collect();
        if merkle::root(&tx_leaves) != header.tx_root {
            return Err(BlockError::TxRootMismatch.into());
        }
        if receipts.len() != n || receipts.iter().zip(&tx_hashes).any(|(r, h)| &r.tx != h) {
            return Err(BlockError::ReceiptMismatch.into());
        }
        let receipt_leaves: Vec<Hash32> = receipts.iter().map(Receipt::hash).collect();
        if merkle::root(&receipt_leaves) != header.receipts_root {
            return Err(BlockError::ReceiptsRootMismatch.into());
        }
        Ok((tx_leaves, receipt_leaves))
    }

    /// The current value of every key in `writes`, in the same order.
    fn old_values(&self, writes: &WriteSet) -> Result<Vec<Option<Vec<u8>>>> {
        writes
            .iter()
            .map(|(k, _)| self.backend.get(&keys::state(k)))
            .collect()
    }

    /// The accumulator after applying `writes` to the state `base` commits
    /// to: one read of the old value per written key.
    fn apply_to(&self, base: &LtHash, writes: &WriteSet) -> Result<LtHash> {
        let olds = self.old_values(writes)?;
        let mut acc = base.clone();
        acc.apply(&changes(writes, &olds));
        Ok(acc)
    }

    #[allow(clippy::too_many_arguments)]
    fn stage_block(
        &self,
        batch: &mut Batch,
        block: &Block,
        receipts: &[Receipt],
        tx_leaves: &[Hash32],
        receipt_leaves: &[Hash32],
        writes: &WriteSet,
        lthash: &LtHash,
    ) {
        let header = &block.header;
        let hash = block.hash();
        let height = header.height;
        let stored = StoredHeader {
            header: header.clone(),
            certificate: block.certificate.clone(),
        };
        batch.put(keys::header(height), codec::encode(&stored));
        batch.put(keys::block_hash(&hash), height.0.to_be_bytes().to_vec());
        for (i, (tx, receipt)) in block.transactions.iter().zip(receipts).enumerate() {
            let index = TxIndex(i as u32);
            let location = TxLocation { height, index };
            let entry = TxEntryRef {
                location,
                tx,
                receipt,
            };
            batch.put(keys::tx(&receipt.tx), codec::encode(&entry));
        }
        let leaves = BlockLeaves {
            txs: tx_leaves.to_vec(),
            receipts: receipt_leaves.to_vec(),
        };
        batch.put(keys::leaves(height), codec::encode(&leaves));
        for (k, v) in writes.iter() {
            match v {
                Some(v) => batch.put(keys::state(k), v.to_vec()),
                None => batch.delete(keys::state(k)),
            }
        }
        let rec = HeadRecord {
            height,
            hash,
            lthash: lthash.to_bytes(),
        };
        batch.put(keys::META_HEAD.to_vec(), codec::encode(&rec));
    }
}

/// The effective changes of `writes` given the `olds` values (same order):
/// writes that leave a value unchanged are dropped.
fn changes<'a>(writes: &'a WriteSet, olds: &'a [Option<Vec<u8>>]) -> Vec<Change<'a>> {
    writes
        .iter()
        .zip(olds)
        .filter(|((_, new), old)| old.as_deref() != *new)
        .map(|((k, new), old)| (k, old.as_deref(), new))
        .collect()
}
