//! The adapter between revm's [`Database`] and the ledger state: reads go
//! through the block's overlay (so a transaction sees the writes of the
//! block's earlier transactions) and a per-block cache of analysed code;
//! nothing is written until the executor turns revm's resulting state into
//! a [`WriteSet`] ([`StateDb::state_writes`]), which the block commits in
//! its one atomic batch.

use std::collections::HashMap;

use revm::Database;
use revm::bytecode::Bytecode;
use revm::database_interface::DBErrorMarker;
use revm::primitives::{Address, B256, KECCAK_EMPTY, StorageKey, StorageValue, U256};
use revm::state::{AccountInfo, EvmState};

use super::keys::{self, EvmAccount};
use super::precompile::MarketJournal;
use crate::codec;
use crate::error::Error;
use crate::state::{StateView, WriteSet};
use crate::types::{AccountId, TimestampMs};

/// What the EVM keeps for the length of one block: analysed code by hash
/// (code is immutable, so the cache never goes stale) and the gas the
/// block's EVM transactions asked for so far.
#[derive(Default)]
pub struct EvmBlock {
    code: HashMap<B256, Bytecode>,
    /// Sum of the gas limits of the block's EVM transactions so far.
    pub gas_asked: u64,
    /// The EVM parameters, read by the block's first EVM transaction and
    /// again after any `evm.` parameter change in the block.
    pub(crate) params: Option<super::params::EvmParams>,
}

impl EvmBlock {
    /// An empty cache for a new block.
    pub fn new() -> Self {
        Self::default()
    }
}

/// A state read failed; the real error is kept in [`StateDb::fatal`].
#[derive(Debug, thiserror::Error)]
#[error("ledger state read failed")]
pub struct DbFailed;

impl DBErrorMarker for DbFailed {}

/// revm's database over a ledger [`StateView`], for one transaction.
pub struct StateDb<'a> {
    pub(crate) view: &'a (dyn StateView + 'a),
    code: &'a mut HashMap<B256, Bytecode>,
    /// The first read failure (a corrupt store): aborts the block.
    pub(crate) fatal: Option<Error>,
    /// The transaction's signer (for `msg.sender` resolution).
    pub(crate) origin: AccountId,
    /// Block time.
    pub(crate) time: TimestampMs,
    /// The caller's address, nonce (its ledger nonce) and the balance it
    /// shows for this transaction (`value`).
    caller: Option<(Address, u64, U256)>,
    /// Market writes made through the precompile, with their frames.
    pub(crate) market: MarketJournal,
}

impl<'a> StateDb<'a> {
    /// A database over `view` for a transaction signed by `origin`.
    pub fn new(
        view: &'a (dyn StateView + 'a),
        block: &'a mut EvmBlock,
        origin: AccountId,
        time: TimestampMs,
    ) -> Self {
        StateDb {
            view,
            code: &mut block.code,
            fatal: None,
            origin,
            time,
            caller: None,
            market: MarketJournal::default(),
        }
    }

    /// Sets the transaction's caller: an account without code whose EVM
    /// nonce is its ledger nonce and whose balance is the call's value.
    /// Its account is never written.
    pub(crate) fn set_caller(&mut self, addr: Address, nonce: u64, value: U256) {
        self.caller = Some((addr, nonce, value));
    }

    fn fail(&mut self, e: Error) -> DbFailed {
        self.fatal.get_or_insert(e);
        DbFailed
    }

    /// The stored account record of `a`.
    pub(crate) fn account_record(&mut self, a: &Address) -> Result<Option<EvmAccount>, DbFailed> {
        match self.view.get(&keys::account(a)) {
            Ok(None) => Ok(None),
            Ok(Some(b)) => codec::decode(&b, 64, "evm account")
                .map(Some)
                .map_err(|e| self.fail(e.into())),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Turns revm's state after a transaction into ledger writes: changed
    /// account records, new code, changed slots; self-destructed accounts
    /// and their slots deleted.
    pub(crate) fn state_writes(&mut self, state: &EvmState) -> crate::Result<WriteSet> {
        let mut w = WriteSet::new();
        let caller = self.caller.map(|c| c.0);
        for (addr, acc) in state {
            if !acc.is_touched() || Some(*addr) == caller {
                continue;
            }
            if acc.is_selfdestructed() {
                w.delete(keys::account(addr));
                self.delete_slots(addr, &mut w)?;
                continue;
            }
            let info = &acc.info;
            let code_hash = if info.code_hash == B256::ZERO {
                KECCAK_EMPTY
            } else {
                info.code_hash
            };
            let orig = acc.original_info();
            if info.nonce == 0 && code_hash == KECCAK_EMPTY {
                // Empty (EIP-161): delete only what was stored.
                if orig.nonce != 0 || !orig.is_code_hash_empty_or_zero() {
                    w.delete(keys::account(addr));
                }
            } else {
                if acc.is_created() || orig.nonce != info.nonce || orig.code_hash != code_hash {
                    let rec = EvmAccount {
                        nonce: info.nonce,
                        code_hash: code_hash.0,
                    };
                    w.put(keys::account(addr), codec::encode(&rec));
                }
            }
            if acc.is_created()
                && let Some(code) = &info.code
                && code_hash != KECCAK_EMPTY
            {
                w.put(keys::code(&code_hash), code.original_bytes().to_vec());
            }
            for (slot, v) in &acc.storage {
                if !v.is_changed() {
                    continue;
                }
                let key = keys::slot(addr, slot);
                if v.present_value.is_zero() {
                    w.delete(key);
                } else {
                    w.put(key, v.present_value.to_be_bytes::<32>().to_vec());
                }
            }
        }
        Ok(w)
    }

    fn delete_slots(&mut self, addr: &Address, w: &mut WriteSet) -> crate::Result<()> {
        let prefix = keys::slots(addr);
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.view.scan_prefix(&prefix, after.as_deref(), 256)?;
            for (k, _) in &page {
                w.delete(k.clone());
            }
            match page.last() {
                Some((k, _)) if page.len() == 256 => after = Some(k.clone()),
                _ => return Ok(()),
            }
        }
    }
}

impl Database for StateDb<'_> {
    type Error = DbFailed;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbFailed> {
        if let Some((a, nonce, value)) = self.caller
            && a == address
        {
            let mut info = AccountInfo::from_balance(value);
            info.nonce = nonce;
            return Ok(Some(info));
        }
        let Some(rec) = self.account_record(&address)? else {
            return Ok(None);
        };
        let hash = B256::from(rec.code_hash);
        let code = if hash == KECCAK_EMPTY {
            None
        } else {
            Some(self.code_by_hash(hash)?)
        };
        Ok(Some(AccountInfo {
            nonce: rec.nonce,
            code_hash: hash,
            code,
            ..Default::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbFailed> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        if let Some(c) = self.code.get(&code_hash) {
            return Ok(c.clone());
        }
        let raw = match self.view.get(&keys::code(&code_hash)) {
            Ok(Some(b)) => b,
            Ok(None) => {
                let e = crate::store::corrupt(format!("evm code {code_hash}"), "missing");
                return Err(self.fail(e));
            }
            Err(e) => return Err(self.fail(e)),
        };
        let code = Bytecode::new_raw_checked(raw.into()).map_err(|_| {
            self.fail(crate::store::corrupt(
                format!("evm code {code_hash}"),
                "undecodable",
            ))
        })?;
        self.code.insert(code_hash, code.clone());
        Ok(code)
    }

    fn storage(&mut self, address: Address, index: StorageKey) -> Result<StorageValue, DbFailed> {
        match self.view.get(&keys::slot(&address, &index)) {
            Ok(None) => Ok(U256::ZERO),
            Ok(Some(b)) if b.len() == 32 => Ok(U256::from_be_slice(&b)),
            Ok(Some(_)) => Err(self.fail(crate::store::corrupt(
                format!("evm slot {address} {index}"),
                "not 32 bytes",
            ))),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn block_hash(&mut self, _number: u64) -> Result<B256, DbFailed> {
        Ok(B256::ZERO)
    }
}
