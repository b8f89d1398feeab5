//! A walk through carbon-abe: an authority, three users, an encrypted
//! emissions report, a policy update and a revocation.
//!
//! Run: `cargo run -p carbon-abe --example walkthrough`

use carbon_abe::{
    Authority, Envelope, Error, KeyRequest, ObjectVersion, Policy, UserKey, update_policy,
};
use ed25519_dalek::SigningKey;
use rand_core::OsRng;

fn enrol(auth: &mut Authority, user: &str, attrs: &[&str]) -> Result<(UserKey, SigningKey), Error> {
    let id = SigningKey::generate(&mut OsRng);
    let set = attrs.iter().map(|a| a.parse()).collect::<Result<_, _>>()?;
    auth.register_user(user.parse()?, id.verifying_key(), set)?;
    let key = auth.handle_key_request(&KeyRequest::sign(&id, user.parse()?, 1), &mut OsRng)?;
    Ok((key, id))
}

fn show(who: &str, env: &Envelope, key: &UserKey) {
    match env.open(key) {
        Ok(text) => println!("  {who:6} reads: {}", String::from_utf8_lossy(&text)),
        Err(e) => println!("  {who:6} cannot read: {e}"),
    }
}

fn main() -> Result<(), Error> {
    let mut auth = Authority::setup(&mut OsRng);
    let (alice, alice_id) = enrol(&mut auth, "alice", &["org:acme", "role:auditor"])?;
    let (bob, _) = enrol(&mut auth, "bob", &["org:acme", "role:auditor"])?;
    let (carol, _) = enrol(&mut auth, "carol", &["regulator"])?;
    let policy: Policy = "org:acme and role:auditor".parse()?;
    let report = b"Acme Steel 2025: 1,204,553 t CO2e (verified)";
    let env = Envelope::seal(
        auth.public_key(),
        &policy,
        auth.epochs(),
        "report-2025".parse()?,
        ObjectVersion(0),
        report,
        &mut OsRng,
    )?;
    println!("encrypted under `{}`", env.policy());
    for (who, key) in [("alice", &alice), ("bob", &bob), ("carol", &carol)] {
        show(who, &env, key);
    }

    let new_policy = "regulator or (org:acme and role:auditor)".parse()?;
    let (env, signed) = update_policy(
        &env,
        &alice,
        &alice_id,
        auth.public_key(),
        new_policy,
        auth.epochs(),
        &mut OsRng,
    )?;
    auth.accept_update(&signed, &env)?;
    println!(
        "alice changed the policy to `{}` (header version {})",
        env.policy(),
        env.policy_version
    );
    show("carol", &env, &carol);

    let revocation = auth.revoke(&"bob".parse()?, &"role:auditor".parse()?, &mut OsRng)?;
    let env = auth
        .reencapsulate(&env, &mut OsRng)?
        .expect("the policy mentions role:auditor");
    println!(
        "revoked role:auditor from bob: epoch {}, {} component update(s)",
        revocation.epoch,
        revocation.updates.len()
    );
    let mut alice = alice;
    for update in &revocation.updates {
        update.apply_to(&mut alice)?;
    }
    for (who, key) in [("alice", &alice), ("bob", &bob), ("carol", &carol)] {
        show(who, &env, key);
    }
    Ok(())
}
