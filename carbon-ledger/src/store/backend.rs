//! The only module that talks to sled. Everything above it sees ordered
//! byte keys, atomic durable batches and bounded prefix scans, so another
//! backend (RocksDB, redb) would replace this file alone.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Result, StoreError};

/// Where and how to open the store.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Directory of the database (created if absent).
    pub path: PathBuf,
    /// sled's page cache in bytes. sled's own default is 1 GiB; ours is
    /// 64 MiB so that a node shares a small machine.
    pub cache_capacity: u64,
    /// Largest blob accepted by the off-chain blob store.
    pub max_blob_bytes: usize,
    /// Delete the database when the store is dropped (tests).
    pub temporary: bool,
    /// Favour write throughput over disk space (sled's `HighThroughput`
    /// mode: less eager log compaction, more disk used). On by default.
    pub prefer_throughput: bool,
    /// How long `open` waits for another handle to release the database's
    /// file lock before failing with [`StoreError::Locked`]. sled releases
    /// the lock only when its background threads have let go of the files,
    /// which can be a moment after the previous `Store` was dropped, so a
    /// restart in the same process must wait briefly. Default 5 s.
    pub lock_wait: Duration,
}

impl StoreConfig {
    /// Defaults for a database at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StoreConfig {
            path: path.into(),
            cache_capacity: 64 * 1024 * 1024,
            max_blob_bytes: 16 * 1024 * 1024,
            temporary: false,
            prefer_throughput: true,
            lock_wait: Duration::from_secs(5),
        }
    }

    /// Sets how long `open` waits for the database's file lock.
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Sets whether to favour write throughput over disk space.
    pub fn prefer_throughput(mut self, yes: bool) -> Self {
        self.prefer_throughput = yes;
        self
    }

    /// Sets the cache capacity in bytes.
    pub fn cache_capacity(mut self, bytes: u64) -> Self {
        self.cache_capacity = bytes;
        self
    }

    /// Sets the blob size limit in bytes.
    pub fn max_blob_bytes(mut self, bytes: usize) -> Self {
        self.max_blob_bytes = bytes;
        self
    }
}

/// Writes to apply atomically.
#[derive(Default)]
pub(crate) struct Batch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    pub(crate) fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((key, Some(value)));
    }

    pub(crate) fn delete(&mut self, key: Vec<u8>) {
        self.ops.push((key, None));
    }
}

pub(crate) struct Backend {
    db: sled::Db,
}

fn backend_err(e: sled::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// sled 0.34.7 writes a snapshot to `snap.<lsn>.generating` and renames it
/// to `snap.<lsn>` when complete, but on recovery it takes the newest file
/// starting with `snap.` *including* a `.generating` one; a crash while a
/// snapshot was being written (e.g. during the snapshot sled writes right
/// after recovery) then leaves a store sled refuses to open with
/// "Read corrupted data" (sled issues #1527, #1533; found by our SIGKILL
/// test). A `.generating` file is never a committed snapshot, so removing it
/// restores sled's intended recovery: the last renamed snapshot plus the log.
fn remove_torn_snapshots(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(()); // no directory yet: nothing to clean
    };
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::Backend(e.to_string()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(entry.path()).map_err(|e| StoreError::Backend(e.to_string()))?;
        }
    }
    Ok(())
}

/// Whether sled failed because another handle holds the database's lock.
/// sled 0.34.7 reports it only as an `Io` error of kind `Other` whose
/// message starts with this phrase.
fn is_lock_contention(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Opens sled at `config`, waiting up to `wait` (polling with a growing
/// pause) while another handle in this or another process holds the lock.
pub(crate) fn open_with_lock_wait(
    config: &sled::Config,
    path: &Path,
    wait: Duration,
) -> std::result::Result<sled::Db, StoreError> {
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(5);
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(e) if is_lock_contention(&e) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(StoreError::Locked {
                        path: path.display().to_string(),
                        waited_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    });
                }
                std::thread::sleep(pause.min(deadline - now));
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            Err(e) => return Err(backend_err(e)),
        }
    }
}

impl Backend {
    pub(crate) fn open(cfg: &StoreConfig) -> Result<Self> {
        remove_torn_snapshots(&cfg.path)?;
        let config = sled::Config::new()
            .path(&cfg.path)
            .cache_capacity(cfg.cache_capacity)
            .temporary(cfg.temporary)
            .mode(if cfg.prefer_throughput {
                sled::Mode::HighThroughput
            } else {
                sled::Mode::LowSpace
            });
        let db = open_with_lock_wait(&config, &cfg.path, cfg.lock_wait)?;
        Ok(Backend { db })
    }

    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get(key).map_err(backend_err)?.map(|v| v.to_vec()))
    }

    pub(crate) fn contains(&self, key: &[u8]) -> Result<bool> {
        Ok(self.db.contains_key(key).map_err(backend_err)?)
    }

    /// Up to `limit` entries whose key starts with `prefix` and sorts after
    /// `start_after` (if given), in key order.
    pub(crate) fn scan(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        let iter = match start_after {
            Some(after) => {
                let mut from = after.to_vec();
                from.push(0); // the smallest key strictly after `after`
                self.db.range(from..)
            }
            None => self.db.range(prefix.to_vec()..),
        };
        for item in iter {
            let (k, v) = item.map_err(backend_err)?;
            if !k.starts_with(prefix) || out.len() == limit {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// Applies `batch` atomically and makes it durable before returning.
    pub(crate) fn commit(&self, batch: Batch) -> Result<()> {
        let mut b = sled::Batch::default();
        for (k, v) in batch.ops {
            match v {
                Some(v) => b.insert(k, v),
                None => b.remove(k),
            }
        }
        self.db.apply_batch(b).map_err(backend_err)?;
        self.db.flush().map_err(backend_err)?;
        Ok(())
    }

    /// Bytes the database occupies on disk.
    pub(crate) fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk().map_err(backend_err)?)
    }
}
