//! A history file: an ordered list of signed records, the form a user feeds
//! the `carbon prov` commands (`examples/data/provenance-history.json`).
//!
//! ```json
//! { "format": "carbon-provenance-history/1", "records": [ { "body": …, "signature": "…" } ] }
//! ```
//!
//! The file itself need not be canonical (it may be pretty-printed): each
//! record's hash and signature are computed over its canonical form, so
//! layout does not matter and meaning does.

use serde::{Deserialize, Serialize};

use crate::canonical::{Limits, parse_bounded};
use crate::error::Error;
use crate::log::ProvenanceLog;
use crate::record::Record;
use crate::store::MemoryStore;

/// The `format` tag of a history file.
pub const HISTORY_FORMAT: &str = "carbon-provenance-history/1";

/// An ordered list of records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Always [`HISTORY_FORMAT`].
    pub format: String,
    /// The records, in append order.
    pub records: Vec<Record>,
}

/// A history that failed validation: which record, and why.
#[derive(Debug, thiserror::Error)]
#[error("record {index}: {source}")]
pub struct HistoryError {
    /// Index of the first bad record (0-based).
    pub index: usize,
    /// Why it was refused.
    #[source]
    pub source: Error,
}

impl History {
    /// A history of these records.
    pub fn new(records: Vec<Record>) -> Self {
        History {
            format: HISTORY_FORMAT.to_owned(),
            records,
        }
    }

    /// Reads a history from untrusted bytes, bounded by `limits` before
    /// parsing ([`Limits::HISTORY`] is a sensible default).
    pub fn from_json(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let h: History = parse_bounded(bytes, limits)?;
        if h.format != HISTORY_FORMAT {
            return Err(Error::Decode(crate::error::DecodeError::Json {
                line: 1,
                column: 1,
                message: format!("format must be {HISTORY_FORMAT:?}, found {:?}", h.format),
            }));
        }
        Ok(h)
    }

    /// Pretty-printed JSON of the history.
    pub fn to_json_pretty(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Encode(e.to_string()))
    }

    /// Validates every record in order into a fresh in-memory log; stops at
    /// the first bad record.
    pub fn replay(&self) -> Result<ProvenanceLog<MemoryStore>, HistoryError> {
        let mut log = ProvenanceLog::new(MemoryStore::new());
        for (index, record) in self.records.iter().enumerate() {
            log.append(record.clone())
                .map_err(|source| HistoryError { index, source })?;
        }
        Ok(log)
    }
}
