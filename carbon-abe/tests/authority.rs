//! Authority, signed policy updates and revocation, end to end.

use std::collections::BTreeSet;

use carbon_abe::{
    Artefact, Attribute, Authority, AuthorityError, Envelope, Error, KeyRequest, ObjectId,
    ObjectVersion, Policy, PolicyUpdate, UserId, UserKey, update_policy,
};
use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

struct World {
    auth: Authority,
    rng: ChaCha20Rng,
    signers: Vec<(UserId, SigningKey)>,
}

fn id(s: &str) -> UserId {
    UserId::new(s).unwrap()
}

fn attr(s: &str) -> Attribute {
    Attribute::new(s).unwrap()
}

impl World {
    fn new(seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        World {
            auth: Authority::setup(&mut rng),
            rng,
            signers: Vec::new(),
        }
    }

    fn enrol(&mut self, user: &str, attrs: &[&str]) -> UserKey {
        let sk = SigningKey::generate(&mut self.rng);
        let set: BTreeSet<Attribute> = attrs.iter().map(|a| attr(a)).collect();
        self.auth
            .register_user(id(user), sk.verifying_key(), set)
            .unwrap();
        let req = KeyRequest::sign(&sk, id(user), 1);
        self.signers.push((id(user), sk));
        self.auth.handle_key_request(&req, &mut self.rng).unwrap()
    }

    fn signer(&self, user: &str) -> &SigningKey {
        &self
            .signers
            .iter()
            .find(|(u, _)| u.as_str() == user)
            .unwrap()
            .1
    }

    fn seal(&mut self, object: &str, policy: &str, msg: &[u8]) -> Envelope {
        let p = Policy::parse(policy).unwrap();
        let pk = self.auth.public_key().clone();
        let epochs = self.auth.epochs().clone();
        Envelope::seal(
            &pk,
            &p,
            &epochs,
            ObjectId::new(object).unwrap(),
            ObjectVersion(0),
            msg,
            &mut self.rng,
        )
        .unwrap()
    }
}

fn refused(r: Result<impl std::fmt::Debug, Error>) -> AuthorityError {
    match r {
        Err(Error::Authority(e)) => e,
        other => panic!("expected an authority refusal, got {other:?}"),
    }
}

#[test]
fn signed_key_requests_are_authenticated_and_not_replayable() {
    let mut w = World::new(1);
    w.enrol("alice", &["a"]);
    let alice = w.signer("alice").clone();
    let replay = KeyRequest::sign(&alice, id("alice"), 1);
    assert!(matches!(
        refused(w.auth.handle_key_request(&replay, &mut w.rng)),
        AuthorityError::StaleRequest { .. }
    ));
    let forged = KeyRequest::sign(&SigningKey::generate(&mut w.rng), id("alice"), 2);
    assert_eq!(
        refused(w.auth.handle_key_request(&forged, &mut w.rng)),
        AuthorityError::BadSignature
    );
    let unknown = KeyRequest::sign(&alice, id("mallory"), 1);
    assert!(matches!(
        refused(w.auth.handle_key_request(&unknown, &mut w.rng)),
        AuthorityError::UnknownUser(_)
    ));
    let next = KeyRequest::sign(&alice, id("alice"), 2);
    assert!(w.auth.handle_key_request(&next, &mut w.rng).is_ok());
}

#[test]
fn owner_updates_policy_without_touching_the_payload() {
    let mut w = World::new(2);
    let alice = w.enrol("alice", &["org:acme", "role:auditor"]);
    let carol = w.enrol("carol", &["regulator"]);
    let env = w.seal("report-7", "org:acme and role:auditor", b"q3 emissions");
    assert!(matches!(env.open(&carol), Err(Error::PolicyNotSatisfied)));
    let new_policy = Policy::parse("regulator or (org:acme and role:auditor)").unwrap();
    let pk = w.auth.public_key().clone();
    let epochs = w.auth.epochs().clone();
    let (next, update) = update_policy(
        &env,
        &alice,
        &w.signer("alice").clone(),
        &pk,
        new_policy,
        &epochs,
        &mut w.rng,
    )
    .unwrap();
    w.auth.accept_update(&update, &next).unwrap();
    assert_eq!(next.payload(), env.payload());
    assert_eq!(&next.open(&carol).unwrap()[..], b"q3 emissions");
    assert_eq!(&next.open(&alice).unwrap()[..], b"q3 emissions");
    // The same update again, or the superseded envelope, is stale.
    assert!(matches!(
        refused(w.auth.accept_update(&update, &next)),
        AuthorityError::StaleVersion { .. }
    ));
    assert!(matches!(
        refused(w.auth.check_current(&env)),
        AuthorityError::StaleVersion { .. }
    ));
    // A further update must name the current policy and come from the owner.
    let narrower = Policy::parse("regulator").unwrap();
    let (third, by_carol) = update_policy(
        &next,
        &carol,
        &w.signer("carol").clone(),
        &pk,
        narrower.clone(),
        &epochs,
        &mut w.rng,
    )
    .unwrap();
    assert_eq!(
        refused(w.auth.accept_update(&by_carol, &third)),
        AuthorityError::NotOwner("carol".into())
    );
    let wrong_old = PolicyUpdate::sign(
        w.signer("alice"),
        id("alice"),
        next.object_id.clone(),
        &Policy::parse("x").unwrap(),
        narrower.clone(),
        third.policy_version,
    );
    assert_eq!(
        refused(w.auth.accept_update(&wrong_old, &third)),
        AuthorityError::PolicyMismatch
    );
    let impostor = PolicyUpdate::sign(
        w.signer("carol"),
        id("alice"),
        next.object_id.clone(),
        next.policy(),
        narrower,
        third.policy_version,
    );
    assert_eq!(
        refused(w.auth.accept_update(&impostor, &third)),
        AuthorityError::BadSignature
    );
}

#[test]
fn revocation_locks_out_the_revoked_key_and_keeps_other_holders() {
    let mut w = World::new(3);
    let alice = w.enrol("alice", &["org:acme", "role:auditor"]);
    let bob = w.enrol("bob", &["org:acme", "role:auditor"]);
    let dave = w.enrol("dave", &["org:acme"]);
    let env = w.seal("r1", "org:acme and role:auditor", b"audit file");
    let untouched = w.seal("r2", "org:acme", b"org memo");
    assert_eq!(&env.open(&bob).unwrap()[..], b"audit file");

    let rev = w
        .auth
        .revoke(&id("bob"), &attr("role:auditor"), &mut w.rng)
        .unwrap();
    assert_eq!(rev.epoch.0, 1);
    assert_eq!(rev.updates.len(), 1, "only alice still holds role:auditor");
    assert!(w.auth.is_revoked(&id("bob"), rev.revoked_key).unwrap());
    let bob_new = rev.new_key.as_ref().unwrap();
    assert_eq!(bob_new.version.0, bob.version.0 + 1);
    assert!(bob_new.component(&attr("role:auditor")).is_none());

    let fresh = w
        .auth
        .reencapsulate(&env, &mut w.rng)
        .unwrap()
        .expect("policy mentions role:auditor");
    assert!(
        w.auth
            .reencapsulate(&untouched, &mut w.rng)
            .unwrap()
            .is_none()
    );
    assert_eq!(fresh.payload(), env.payload());
    assert!(matches!(fresh.open(&bob), Err(Error::PolicyNotSatisfied)));
    assert!(matches!(
        fresh.open(bob_new),
        Err(Error::PolicyNotSatisfied)
    ));
    // Alice needs her re-issued component; her other components stay.
    let mut alice2 = alice.clone();
    assert!(matches!(
        fresh.open(&alice2),
        Err(Error::PolicyNotSatisfied)
    ));
    rev.updates[0].apply_to(&mut alice2).unwrap();
    assert_eq!(
        alice2.component(&attr("org:acme")),
        alice.component(&attr("org:acme"))
    );
    assert_eq!(&fresh.open(&alice2).unwrap()[..], b"audit file");
    // Other objects are unaffected; bob's new key still opens them.
    assert_eq!(&untouched.open(bob_new).unwrap()[..], b"org memo");
    assert_eq!(&untouched.open(&dave).unwrap()[..], b"org memo");
    // An update cannot be applied to someone else's key or twice.
    assert!(rev.updates[0].apply_to(&mut dave.clone()).is_err());
    assert!(rev.updates[0].apply_to(&mut alice2).is_err());
    // New encryptions use the new epoch.
    let later = w.seal("r3", "role:auditor", b"later");
    assert!(matches!(later.open(&bob), Err(Error::PolicyNotSatisfied)));
    assert_eq!(&later.open(&alice2).unwrap()[..], b"later");
    assert!(matches!(
        refused(
            w.auth
                .revoke(&id("dave"), &attr("role:auditor"), &mut w.rng)
        ),
        AuthorityError::AttributeNotHeld { .. }
    ));
}

#[test]
fn state_survives_save_and_load() {
    let mut w = World::new(4);
    let alice = w.enrol("alice", &["a", "b"]);
    w.enrol("bob", &["a"]);
    w.auth.revoke(&id("bob"), &attr("a"), &mut w.rng).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authority.state");
    w.auth.save(&path).unwrap();
    let mut loaded = Authority::load(&path).unwrap();
    assert_eq!(loaded.public_key(), w.auth.public_key());
    assert_eq!(loaded.epochs(), w.auth.epochs());
    assert!(
        loaded
            .is_revoked(&id("bob"), carbon_abe::KeyVersion(0))
            .unwrap()
    );
    // Keys issued after reload are compatible with the saved randomness.
    let req = KeyRequest::sign(w.signer("alice"), id("alice"), 2);
    let again = loaded.handle_key_request(&req, &mut w.rng).unwrap();
    let env = w.seal("o", "a and b", b"persisted");
    assert_eq!(&env.open(&again).unwrap()[..], b"persisted");
    assert!(alice.component(&attr("b")).is_some());
    // Corrupted state is rejected, not half-loaded.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(Authority::load(&path), Err(Error::Decode(_))));
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let mut w = World::new(5);
    let key = w.enrol("alice", &["a"]);
    let msk_bytes = w.auth.to_secret_bytes();
    let dbg = format!("{:?} {:?}", w.auth, key);
    assert!(!dbg.contains(&hex::encode(&msk_bytes[..16])));
    assert!(dbg.contains("alice") && !dbg.contains(&key.to_json()[40..80]));
    let json = key.to_json();
    assert!(UserKey::from_json(&json).is_ok());
}
