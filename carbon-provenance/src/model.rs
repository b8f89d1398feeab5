//! The GB/T 34945-2017 description model: data, activity, executing agent.
//!
//! GB/T 34945-2017 ("Information technology — Data provenance description
//! model") describes provenance with three top-level elements — data (数据),
//! activity (活动) and executing agent (执行实体) — on the same core as W3C
//! PROV-DM (entity, activity, agent). The standard's text was not at hand
//! when this crate was written: where a sub-element's meaning is not given by
//! the issue that specified this crate, PROV-DM's definition is followed, and
//! each such place says so.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ActivityId, AgentId, DataId, HexBytes, Timestamp};

/// A data item: the encrypted business record whose provenance is tracked.
///
/// Only the SHA-256 digest of the item's CP-ABE ciphertext is recorded,
/// never its plaintext; the ciphertext itself stays in the enterprise's
/// off-chain store at [`Data::location`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// Unique id of the data item (stable across versions).
    pub id: DataId,
    /// Kind of data, e.g. `sensor-reading`, `emission-report` (free text,
    /// at most [`crate::Limits::max_text`] bytes).
    #[serde(rename = "type")]
    pub kind: String,
    /// Human-readable label.
    pub label: String,
    /// SHA-256 of the ABE ciphertext (32 bytes, hex).
    pub digest: HexBytes,
    /// Size of the ciphertext in bytes.
    pub size: u64,
    /// Where the ciphertext is kept off chain (a URI in the enterprise store).
    pub location: String,
    /// Data this version was derived from, by the record's activity
    /// (PROV-DM `wasDerivedFrom` with that activity). Sorted, no repeats.
    #[serde(default)]
    pub derived_from: Vec<DataId>,
}

/// What an activity did to data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivityKind {
    /// Brought a data item into existence.
    Create,
    /// Produced a new version of an existing data item.
    Modify,
    /// Ended a data item: later records may not use or regenerate it.
    Delete,
    /// Passed a data item (or the allowances it describes) to another party.
    Transfer,
    /// Computed new data from existing data.
    Derive,
    /// Encrypted data under an ABE policy.
    Encrypt,
    /// Re-encapsulated a ciphertext under a new ABE policy.
    PolicyUpdate,
    /// Read data without changing it.
    Query,
}

impl ActivityKind {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Create => "create",
            ActivityKind::Modify => "modify",
            ActivityKind::Delete => "delete",
            ActivityKind::Transfer => "transfer",
            ActivityKind::Derive => "derive",
            ActivityKind::Encrypt => "encrypt",
            ActivityKind::PolicyUpdate => "policy-update",
            ActivityKind::Query => "query",
        }
    }
}

/// One condition parameter of an activity: an integer (within
/// ±[`crate::MAX_SAFE_INTEGER`]) or a string. No floats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    /// An integer parameter.
    Int(i64),
    /// A text parameter.
    Text(String),
}

/// What started an activity when another activity triggered it
/// (PROV-DM `wasStartedBy(started, trigger, starter)`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The activity that triggered this one.
    pub starter: ActivityId,
    /// The data item that carried the trigger, if any (PROV-DM's trigger
    /// entity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataId>,
}

/// An activity: one operation on data, performed by an executing agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    /// Unique id of the activity.
    pub id: ActivityId,
    /// What the activity did.
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    /// When it started (Unix milliseconds).
    pub started_at: Timestamp,
    /// When it ended (Unix milliseconds, not before `started_at`).
    pub ended_at: Timestamp,
    /// Where it ran (space / location: a site, a node, a region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Condition parameters (ordered by name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conditions: BTreeMap<String, Param>,
    /// The activity (and data) that started this one, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    /// Earlier activities this one used the results of (PROV-DM
    /// `wasInformedBy`). Sorted, no repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub informed_by: Vec<ActivityId>,
}

/// The kind of an executing agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgentKind {
    /// A covered enterprise (an emitter trading allowances).
    Enterprise,
    /// An owner of an offset project (forest, solar, wind, ...).
    ResourceHolder,
    /// The government regulator.
    Regulator,
    /// A third-party verifier of emission reports.
    Verifier,
    /// A device such as an emission sensor.
    Device,
    /// A software agent acting for an organisation.
    Software,
}

impl AgentKind {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::Enterprise => "enterprise",
            AgentKind::ResourceHolder => "resource-holder",
            AgentKind::Regulator => "regulator",
            AgentKind::Verifier => "verifier",
            AgentKind::Device => "device",
            AgentKind::Software => "software",
        }
    }
}

/// An agent's attribute set, encrypted under CP-ABE. This crate treats it
/// as opaque: it records the ciphertext's SHA-256 and, optionally, the
/// ciphertext bytes themselves (base64) so that an auditor holding the right
/// attributes can decrypt it. It depends on no ABE implementation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedAttributes {
    /// SHA-256 of the ciphertext (32 bytes, hex).
    pub digest: HexBytes,
    /// The ciphertext (standard base64), when carried in the record.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::base64_opt"
    )]
    pub ciphertext: Option<Vec<u8>>,
}

/// An executing agent: who performed an activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// The unique id assigned to the agent.
    pub id: AgentId,
    /// What kind of agent it is.
    #[serde(rename = "type")]
    pub kind: AgentKind,
    /// Its ed25519 public key (32 bytes, hex): records it executes are
    /// signed with the matching secret key.
    pub public_key: HexBytes,
    /// The attributes it holds, ABE-encrypted.
    pub attributes: SealedAttributes,
    /// The agent it acts for, if any (PROV-DM `actedOnBehalfOf`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<AgentId>,
}

/// Base64 (standard alphabet, padded) for optional byte strings.
pub(crate) mod base64_opt {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        match s {
            // The STANDARD engine rejects non-zero trailing bits, so every
            // byte string has exactly one accepted spelling.
            Some(s) => STANDARD
                .decode(s.as_bytes())
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}
