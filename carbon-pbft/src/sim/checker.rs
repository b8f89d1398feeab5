//! The invariant checker: agreement, valid certificates and in-order
//! delivery on every commit, and who executed which request.

use crate::config::ValidatorSet;
use crate::ids::{ClientId, Digest, RequestId, SeqNo};
use std::collections::BTreeMap;

/// Checks agreement, certificates and in-order delivery on every commit.
pub(crate) struct Checker {
    validators: ValidatorSet,
    /// The change every replica reported: its boundary and the next set.
    pub(crate) change: Option<(SeqNo, ValidatorSet)>,
    committed: BTreeMap<SeqNo, Digest>,
    pub(crate) executed: BTreeMap<(ClientId, RequestId), Vec<bool>>,
    pub(crate) n: usize,
    verified: std::collections::BTreeSet<Vec<u8>>,
    pub(crate) violations: Vec<String>,
}

impl Checker {
    pub(crate) fn new(validators: ValidatorSet, n: usize) -> Checker {
        Checker {
            validators,
            change: None,
            committed: BTreeMap::new(),
            executed: BTreeMap::new(),
            n,
            verified: Default::default(),
            violations: Vec::new(),
        }
    }

    /// A replica reported the boundary of the change: all must agree.
    pub(crate) fn change_reported(&mut self, who: &str, boundary: SeqNo, set: &ValidatorSet) {
        match &self.change {
            Some((b, s)) if *b != boundary || s != set => self.violations.push(format!(
                "{who} put the validator-set change at {boundary}, another at {b}"
            )),
            Some(_) => {}
            None => self.change = Some((boundary, set.clone())),
        }
    }

    pub(crate) fn agree(&mut self, who: &str, seq: SeqNo, digest: Digest) {
        match self.committed.get(&seq) {
            Some(d) if *d != digest => self.violations.push(format!(
                "agreement: {who} committed {digest:?} at {seq}, another {d:?}"
            )),
            Some(_) => {}
            None => {
                self.committed.insert(seq, digest);
            }
        }
    }

    /// Verify a certificate for `batch`, remembering ones already checked.
    pub(crate) fn certificate_ok(
        &mut self,
        c: &crate::certificate::CommitCertificate,
        batch: &crate::messages::Batch,
    ) -> bool {
        if c.digest != batch.digest() {
            return false;
        }
        let key = bcs::to_bytes(c).unwrap_or_default();
        if self.verified.contains(&key) {
            return true;
        }
        let set = match &self.change {
            Some((b, next)) if c.seq > *b => next,
            _ => &self.validators,
        };
        let ok = c.verify(set).is_ok();
        if ok {
            self.verified.insert(key);
        }
        ok
    }

    pub(crate) fn executed_by(&self, c: ClientId, r: RequestId) -> usize {
        self.executed
            .get(&(c, r))
            .map_or(0, |v| v.iter().filter(|b| **b).count())
    }
}
