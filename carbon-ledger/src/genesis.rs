//! Genesis: the network's founding configuration, read from a JSON file.
//!
//! The genesis block (height 0) has no transactions; its `parent` field is
//! the tagged digest of the canonical [`GenesisConfig`], and its state root
//! commits to the initial state written from it, so the genesis hash
//! identifies the network: any change to the file gives another network.
//!
//! Initial state keys (read by the market and consensus layers):
//!
//! | key | value |
//! |---|---|
//! | `sys/genesis` | bcs([`GenesisConfig`]) |
//! | `sys/regulator` | the regulator's [`AccountId`] (32 bytes) |
//! | `sys/member/` account | bcs([`Member`]) |
//! | `sys/param/` name | bcs([`ParamValue`]) |

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::block::{Block, BlockHeader, CommitCertificate};
use crate::codec;
use crate::error::{GenesisError, Result};
use crate::hash::{Hash32, tags};
use crate::merkle;
use crate::state::{LtHash, WriteSet};
use crate::store::{ChainHead, Store};
use crate::types::{AccountId, BlockHash, ChainId, Height, PublicKey, TimestampMs, View};

/// State key of the genesis configuration.
pub const KEY_GENESIS: &[u8] = b"sys/genesis";
/// State key of the regulator account.
pub const KEY_REGULATOR: &[u8] = b"sys/regulator";
/// State key prefix of members (followed by the 32-byte account).
pub const PREFIX_MEMBER: &[u8] = b"sys/member/";
/// State key prefix of parameters (followed by the name).
pub const PREFIX_PARAM: &[u8] = b"sys/param/";
/// Most members (validators + observers) a genesis may list.
pub const MAX_MEMBERS: usize = 1000;

/// What a member node does in consensus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Votes in PBFT.
    Consensus,
    /// Receives commits, never votes (the regulator's light node).
    Observer,
}

/// A node of the consortium.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Unique human-readable name.
    pub name: String,
    /// The node's ed25519 key.
    pub public_key: PublicKey,
    /// The account derived from the key.
    pub account: AccountId,
    /// Network address, `host:port`.
    pub address: String,
    /// Consensus or observer.
    pub role: NodeRole,
}

/// An initial parameter value: integers only (no floats in state), text, or
/// a flag. Fractions are scaled integers (e.g. basis points).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamValue {
    /// A non-negative integer.
    Int(u64),
    /// Text.
    Text(String),
    /// A flag.
    Bool(bool),
}

/// The canonical genesis configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisConfig {
    /// The network's id.
    pub chain_id: ChainId,
    /// Genesis time.
    pub timestamp: TimestampMs,
    /// Consensus nodes, in file order.
    pub validators: Vec<Member>,
    /// Observer nodes, in file order.
    pub observers: Vec<Member>,
    /// The regulator's account (one of the observers).
    pub regulator: AccountId,
    /// Initial parameters, ordered by name.
    pub parameters: BTreeMap<String, ParamValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMember {
    name: String,
    public_key: String,
    address: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenesisFile {
    chain_id: String,
    timestamp_ms: u64,
    validators: Vec<FileMember>,
    #[serde(default)]
    observers: Vec<FileMember>,
    regulator: String,
    #[serde(default)]
    parameters: BTreeMap<String, serde_json::Value>,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> GenesisError {
    GenesisError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn check_address(addr: &str) -> Result<(), String> {
    let (host, port) = addr.rsplit_once(':').ok_or("expected host:port")?;
    if host.is_empty() || host.len() > 253 || host.chars().any(char::is_whitespace) {
        return Err("bad host".into());
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("bad port {port:?}")),
    }
}

fn member(
    m: FileMember,
    role: NodeRole,
    field: String,
    seen: &mut HashSet<String>,
) -> Result<Member, GenesisError> {
    if m.name.is_empty() || m.name.len() > 64 {
        return Err(invalid(format!("{field}.name"), "must be 1-64 characters"));
    }
    if !seen.insert(format!("name:{}", m.name)) {
        return Err(invalid(
            format!("{field}.name"),
            format!("duplicate name {:?}", m.name),
        ));
    }
    let public_key: PublicKey = m
        .public_key
        .parse()
        .map_err(|e: String| invalid(format!("{field}.public_key"), e))?;
    let vk = public_key
        .verifying_key()
        .map_err(|_| invalid(format!("{field}.public_key"), "not an ed25519 point"))?;
    if vk.is_weak() {
        return Err(invalid(
            format!("{field}.public_key"),
            "weak (small-order) key",
        ));
    }
    if !seen.insert(format!("key:{public_key}")) {
        return Err(invalid(format!("{field}.public_key"), "duplicate key"));
    }
    check_address(&m.address).map_err(|e| invalid(format!("{field}.address"), e))?;
    Ok(Member {
        name: m.name,
        account: public_key.account(),
        public_key,
        address: m.address,
        role,
    })
}

fn param(name: &str, v: serde_json::Value) -> Result<ParamValue, GenesisError> {
    let field = format!("parameters.{name}");
    let ok_name = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !ok_name {
        return Err(invalid(field, "names are 1-128 characters of [a-z0-9._-]"));
    }
    match v {
        serde_json::Value::Bool(b) => Ok(ParamValue::Bool(b)),
        serde_json::Value::String(s) => Ok(ParamValue::Text(s)),
        serde_json::Value::Number(n) => n.as_u64().map(ParamValue::Int).ok_or_else(|| {
            invalid(
                field,
                "integers must be non-negative and whole (no floats in state; scale fractions)",
            )
        }),
        _ => Err(invalid(field, "must be an integer, a string or a boolean")),
    }
}

impl GenesisConfig {
    /// Parses and validates a genesis JSON document.
    pub fn from_json(json: &str) -> Result<Self, GenesisError> {
        let f: GenesisFile =
            serde_json::from_str(json).map_err(|e| GenesisError::Json(e.to_string()))?;
        let chain_id = ChainId::new(f.chain_id).map_err(|e| invalid("chain_id", e.to_string()))?;
        if f.validators.is_empty() {
            return Err(invalid("validators", "at least one validator is required"));
        }
        if f.validators.len() + f.observers.len() > MAX_MEMBERS {
            return Err(invalid(
                "validators",
                format!("at most {MAX_MEMBERS} members"),
            ));
        }
        let mut seen = HashSet::new();
        let validators = (f.validators.into_iter().enumerate())
            .map(|(i, m)| {
                member(
                    m,
                    NodeRole::Consensus,
                    format!("validators[{i}]"),
                    &mut seen,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let observers = (f.observers.into_iter().enumerate())
            .map(|(i, m)| member(m, NodeRole::Observer, format!("observers[{i}]"), &mut seen))
            .collect::<Result<Vec<_>, _>>()?;
        let regulator = observers
            .iter()
            .find(|m| m.name == f.regulator)
            .map(|m| m.account)
            .ok_or_else(|| {
                invalid(
                    "regulator",
                    format!("{:?} is not the name of an observer", f.regulator),
                )
            })?;
        let parameters = f
            .parameters
            .into_iter()
            .map(|(k, v)| Ok((k.clone(), param(&k, v)?)))
            .collect::<Result<_, GenesisError>>()?;
        Ok(GenesisConfig {
            chain_id,
            timestamp: TimestampMs(f.timestamp_ms),
            validators,
            observers,
            regulator,
            parameters,
        })
    }

    /// Reads and validates a genesis JSON file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, GenesisError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| GenesisError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_json(&text)
    }

    /// The tagged digest of the canonical configuration.
    pub fn digest(&self) -> Hash32 {
        Hash32::tagged(tags::GENESIS, &[&codec::encode(self)])
    }

    /// The initial state written at genesis.
    pub fn initial_state(&self) -> WriteSet {
        let mut w = WriteSet::new();
        w.put(KEY_GENESIS, codec::encode(self));
        w.put(KEY_REGULATOR, self.regulator.0.to_vec());
        for m in self.validators.iter().chain(&self.observers) {
            w.put([PREFIX_MEMBER, &m.account.0].concat(), codec::encode(m));
        }
        for (name, v) in &self.parameters {
            w.put([PREFIX_PARAM, name.as_bytes()].concat(), codec::encode(v));
        }
        w
    }

    /// The genesis block and its initial state.
    pub fn genesis_block(&self) -> (Block, WriteSet) {
        let writes = self.initial_state();
        let mut acc = LtHash::new();
        for (k, v) in writes.iter() {
            if let Some(v) = v {
                acc.insert(k, v);
            }
        }
        let header = BlockHeader {
            chain_id: self.chain_id.clone(),
            height: Height(0),
            parent: BlockHash(self.digest().0),
            timestamp: self.timestamp,
            proposer: AccountId::ZERO,
            view: View(0),
            tx_count: 0,
            tx_root: merkle::empty_root(),
            receipts_root: merkle::empty_root(),
            state_root: acc.root(),
        };
        (
            Block {
                header,
                transactions: Vec::new(),
                certificate: CommitCertificate::default(),
            },
            writes,
        )
    }

    /// The genesis hash: the network's identity.
    pub fn hash(&self) -> BlockHash {
        self.genesis_block().0.hash()
    }

    /// All members, validators first.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.validators.iter().chain(&self.observers)
    }
}

impl Store {
    /// Initialises an empty store from `genesis`, or checks that an
    /// initialised one holds this genesis ([`crate::StoreError::GenesisMismatch`]
    /// otherwise).
    pub fn init_genesis(&self, genesis: &GenesisConfig) -> Result<ChainHead> {
        let (block, writes) = genesis.genesis_block();
        self.init(&block, &writes)
    }
}
