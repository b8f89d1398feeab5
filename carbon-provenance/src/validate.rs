//! Checks of one record on its own: lengths, bounds, order, time, and the
//! consistency of its relations. Checks against the history it joins are in
//! [`crate::log`].

use sha2::{Digest as _, Sha256};

use crate::canonical::Limits;
use crate::error::ValidationError;
use crate::ids::{HexBytes, MAX_SAFE_INTEGER, RecordHash};
use crate::model::Param;
use crate::record::{FORMAT_VERSION, Record};

fn len_is(field: &'static str, bytes: &HexBytes, expected: usize) -> Result<(), ValidationError> {
    if bytes.0.len() == expected {
        Ok(())
    } else {
        Err(ValidationError::WrongLength {
            field,
            expected,
            actual: bytes.0.len(),
        })
    }
}

fn text(field: &'static str, s: &str, limits: &Limits) -> Result<(), ValidationError> {
    if s.len() > limits.max_text {
        return Err(ValidationError::TextTooLong {
            field,
            len: s.len(),
            max: limits.max_text,
        });
    }
    Ok(())
}

fn items(field: &'static str, len: usize, limits: &Limits) -> Result<(), ValidationError> {
    if len > limits.max_items {
        return Err(ValidationError::TooManyItems {
            field,
            len,
            max: limits.max_items,
        });
    }
    Ok(())
}

fn safe(field: &'static str, value: i128) -> Result<(), ValidationError> {
    if value.unsigned_abs() > u128::from(MAX_SAFE_INTEGER) {
        return Err(ValidationError::IntegerOutOfRange { field, value });
    }
    Ok(())
}

fn strictly_sorted<T: Ord>(field: &'static str, xs: &[T]) -> Result<(), ValidationError> {
    if xs.windows(2).all(|w| w[0] < w[1]) {
        Ok(())
    } else {
        Err(ValidationError::Unsorted { field })
    }
}

/// Checks everything about a record that needs no history: version, byte
/// lengths, text and list bounds, integer range, sorted lists, time order,
/// chain coverage, derivations only from used data and never from itself,
/// sealed-attribute digest, and the signature. Returns the record's hash.
pub fn check_record(record: &Record, limits: &Limits) -> Result<RecordHash, ValidationError> {
    let body = &record.body;
    if body.v != FORMAT_VERSION {
        return Err(ValidationError::UnsupportedVersion(body.v));
    }
    let act = &body.activity;
    let agent = &body.agent;

    // Lengths of every byte string.
    len_is("signature", &record.signature, 64)?;
    len_is("agent.public_key", &agent.public_key, 32)?;
    len_is("agent.attributes.digest", &agent.attributes.digest, 32)?;
    for d in &body.generated {
        len_is("generated.digest", &d.digest, 32)?;
    }
    for link in &body.chain {
        if let Some(prev) = &link.prev {
            len_is("chain.prev", prev, 32)?;
        }
    }

    // Bounds.
    if let Some(loc) = &act.location {
        text("activity.location", loc, limits)?;
    }
    items("activity.conditions", act.conditions.len(), limits)?;
    for (name, value) in &act.conditions {
        text("activity.conditions name", name, limits)?;
        match value {
            Param::Int(n) => safe("activity.conditions value", i128::from(*n))?,
            Param::Text(s) => text("activity.conditions value", s, limits)?,
        }
    }
    items("activity.informed_by", act.informed_by.len(), limits)?;
    items("used", body.used.len(), limits)?;
    items("generated", body.generated.len(), limits)?;
    items("chain", body.chain.len(), limits)?;
    safe("activity.started_at", i128::from(act.started_at.0))?;
    safe("activity.ended_at", i128::from(act.ended_at.0))?;
    for d in &body.generated {
        text("generated.type", &d.kind, limits)?;
        text("generated.label", &d.label, limits)?;
        text("generated.location", &d.location, limits)?;
        safe("generated.size", i128::from(d.size))?;
        items("generated.derived_from", d.derived_from.len(), limits)?;
        strictly_sorted("generated.derived_from", &d.derived_from)?;
    }
    if let Some(ct) = &agent.attributes.ciphertext {
        if ct.len() > limits.max_ciphertext {
            return Err(ValidationError::TooManyItems {
                field: "agent.attributes.ciphertext bytes",
                len: ct.len(),
                max: limits.max_ciphertext,
            });
        }
        if Sha256::digest(ct).as_slice() != agent.attributes.digest.0.as_slice() {
            return Err(ValidationError::AttributeDigestMismatch {
                agent: agent.id.clone(),
            });
        }
    }

    // One order per list, so one canonical form per meaning.
    strictly_sorted("activity.informed_by", &act.informed_by)?;
    strictly_sorted("used", &body.used)?;
    let gen_ids: Vec<_> = body.generated.iter().map(|d| &d.id).collect();
    strictly_sorted("generated", &gen_ids)?;
    let link_ids: Vec<_> = body.chain.iter().map(|l| &l.data).collect();
    strictly_sorted("chain", &link_ids)?;

    // Relations that need no history.
    if act.ended_at < act.started_at {
        return Err(ValidationError::EndBeforeStart {
            activity: act.id.clone(),
            started_at: act.started_at,
            ended_at: act.ended_at,
        });
    }
    if agent.on_behalf_of.as_ref() == Some(&agent.id) {
        return Err(ValidationError::SelfDelegation {
            agent: agent.id.clone(),
        });
    }
    let touched = body.touched();
    if touched.is_empty() {
        return Err(ValidationError::NoData {
            activity: act.id.clone(),
        });
    }
    if link_ids.len() != touched.len() || link_ids.iter().zip(&touched).any(|(a, b)| *a != b) {
        return Err(ValidationError::ChainLinksMismatch);
    }
    for d in &body.generated {
        for src in &d.derived_from {
            if *src == d.id {
                return Err(ValidationError::DerivationCycle {
                    data: d.id.clone(),
                    source_data: src.clone(),
                });
            }
            if body.used.binary_search(src).is_err() {
                return Err(ValidationError::DerivationWithoutUse {
                    data: d.id.clone(),
                    source_data: src.clone(),
                });
            }
        }
    }

    // Last, the costliest check.
    record.verify_and_hash()
}
