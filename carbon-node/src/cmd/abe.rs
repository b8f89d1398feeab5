//! `carbon abe ...`: CP-ABE from the command line (crate `carbon-abe`).
//!
//! Files: the authority directory holds `authority.state` (secret, mode
//! 0600), `public.key`, the public `epochs.json`, re-issued components in
//! `updates/` and re-issued keys in `keys/`. Keys, envelopes and updates
//! are written in the versioned binary encoding; every reader also accepts
//! the JSON encoding. Outputs are written to a temporary file and renamed,
//! so nothing (in particular no plaintext) is written when a step fails.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use carbon_abe::{
    Artefact, Attribute, Authority, ComponentUpdate, Envelope, EpochTable, KeyRequest, ObjectId,
    ObjectVersion, Policy, PublicKey, UserId, UserKey, update_policy,
};
use clap::{Args, Subcommand};
use ed25519_dalek::SigningKey;
use rand_core::OsRng;
use zeroize::Zeroizing;

/// The `abe` command group.
#[derive(Debug, Subcommand)]
pub enum AbeCommand {
    /// Create an authority: master key, public key, epoch table.
    Setup {
        /// Authority directory (created; must not hold an authority yet).
        #[arg(long)]
        dir: PathBuf,
    },
    /// Register a user with attributes and issue its key (and ed25519 identity).
    Keygen(KeygenArgs),
    /// Encrypt a file under a policy.
    Encrypt(EncryptArgs),
    /// Decrypt a file with a user key.
    Decrypt {
        /// The user key.
        #[arg(long)]
        key: PathBuf,
        /// The envelope.
        #[arg(long = "in")]
        input: PathBuf,
        /// Where to write the plaintext (only on success).
        #[arg(long)]
        out: PathBuf,
    },
    /// Change an envelope's policy (owner-signed, checked by the authority).
    UpdatePolicy(UpdatePolicyArgs),
    /// Revoke an attribute from a user and re-encapsulate envelopes.
    Revoke(RevokeArgs),
    /// Install a re-issued key component (from `revoke`) into a key file.
    ApplyUpdate {
        /// The key file, updated in place.
        #[arg(long)]
        key: PathBuf,
        /// The component update.
        #[arg(long)]
        update: PathBuf,
    },
}

/// Arguments of `carbon abe keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Authority directory.
    #[arg(long)]
    dir: PathBuf,
    /// The user id.
    #[arg(long)]
    user: String,
    /// Comma-separated attributes.
    #[arg(long, value_delimiter = ',', required = true)]
    attrs: Vec<String>,
    /// Where to write the key; the user's signing key goes to `<out>.ed25519`.
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `carbon abe encrypt`.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// The authority's public key.
    #[arg(long)]
    public: PathBuf,
    /// The access policy, e.g. "regulator or (org:acme and role:auditor)".
    #[arg(long)]
    policy: String,
    /// The plaintext file.
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the envelope.
    #[arg(long)]
    out: PathBuf,
    /// The epoch table [default: epochs.json next to the public key].
    #[arg(long)]
    epochs: Option<PathBuf>,
    /// The object id [default: the output file name].
    #[arg(long)]
    object_id: Option<String>,
    /// The content version bound into the payload.
    #[arg(long, default_value_t = 0)]
    version: u64,
}

/// Arguments of `carbon abe update-policy`.
#[derive(Debug, Args)]
pub struct UpdatePolicyArgs {
    /// Authority directory.
    #[arg(long)]
    dir: PathBuf,
    /// The owner's key (must satisfy the current policy).
    #[arg(long)]
    key: PathBuf,
    /// The owner's ed25519 signing key [default: `<key>.ed25519`].
    #[arg(long)]
    signer: Option<PathBuf>,
    /// The envelope.
    #[arg(long = "in")]
    input: PathBuf,
    /// The new policy.
    #[arg(long)]
    policy: String,
    /// Where to write the new envelope (may equal --in).
    #[arg(long)]
    out: PathBuf,
}

/// Arguments of `carbon abe revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Authority directory.
    #[arg(long)]
    dir: PathBuf,
    /// The user losing the attribute.
    #[arg(long)]
    user: String,
    /// The attribute.
    #[arg(long)]
    attr: String,
    /// Envelopes to re-encapsulate in place (those that mention the attribute).
    #[arg(long = "reencrypt")]
    reencrypt: Vec<PathBuf>,
}

const STATE: &str = "authority.state";
const PUBLIC: &str = "public.key";
const EPOCHS: &str = "epochs.json";

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, bytes: &[u8], secret: bool) -> Result<()> {
    let name = path.file_name().context("output path has no file name")?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Reads an artefact in either encoding.
fn read<T: Artefact>(path: &Path, what: &str) -> Result<T> {
    let bytes = Zeroizing::new(
        fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))?,
    );
    let value = if bytes.starts_with(b"CABE") {
        T::from_bytes(&bytes)
    } else {
        T::from_json(
            std::str::from_utf8(&bytes)
                .with_context(|| format!("{what} is neither binary nor JSON"))?,
        )
    };
    value.with_context(|| format!("invalid {what} {}", path.display()))
}

fn load_authority(dir: &Path) -> Result<Authority> {
    Authority::load(&dir.join(STATE))
        .with_context(|| format!("cannot load authority from {}", dir.display()))
}

fn save_authority(dir: &Path, auth: &Authority) -> Result<()> {
    auth.save(&dir.join(STATE))
        .context("cannot save authority state")?;
    let epochs = serde_json::to_string_pretty(auth.epochs())?;
    write_atomic(&dir.join(EPOCHS), epochs.as_bytes(), false)
}

fn report(json: bool, value: serde_json::Value, text: String) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

fn signer_path(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push(".ed25519");
    PathBuf::from(s)
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Runs one `abe` subcommand.
pub fn run(cmd: AbeCommand, json: bool) -> Result<()> {
    match cmd {
        AbeCommand::Setup { dir } => setup(&dir, json),
        AbeCommand::Keygen(a) => keygen(a, json),
        AbeCommand::Encrypt(a) => encrypt(a, json),
        AbeCommand::Decrypt { key, input, out } => {
            let key: UserKey = read(&key, "key")?;
            let env: Envelope = read(&input, "envelope")?;
            let plain = env.open(&key).context("cannot decrypt")?;
            write_atomic(&out, &plain, true)?;
            let n = plain.len();
            report(
                json,
                serde_json::json!({"bytes": n, "out": out}),
                format!("decrypted {n} bytes to {}", out.display()),
            );
            Ok(())
        }
        AbeCommand::UpdatePolicy(a) => update(a, json),
        AbeCommand::Revoke(a) => revoke(a, json),
        AbeCommand::ApplyUpdate { key, update } => {
            let mut k: UserKey = read(&key, "key")?;
            let u: ComponentUpdate = read(&update, "component update")?;
            u.apply_to(&mut k).context("cannot apply update")?;
            write_atomic(&key, &k.to_bytes(), true)?;
            report(
                json,
                serde_json::json!({"key": key, "attribute": u.attribute}),
                format!("updated {} in {}", u.attribute, key.display()),
            );
            Ok(())
        }
    }
}

fn setup(dir: &Path, json: bool) -> Result<()> {
    if dir.join(STATE).exists() {
        bail!("{} already holds an authority", dir.display());
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let auth = Authority::setup(&mut OsRng);
    save_authority(dir, &auth)?;
    write_atomic(&dir.join(PUBLIC), &auth.public_key().to_bytes(), false)?;
    report(
        json,
        serde_json::json!({"dir": dir, "public": dir.join(PUBLIC)}),
        format!("authority created in {}", dir.display()),
    );
    Ok(())
}

fn keygen(a: KeygenArgs, json: bool) -> Result<()> {
    let mut auth = load_authority(&a.dir)?;
    let user = UserId::new(&a.user)?;
    let attrs = a
        .attrs
        .iter()
        .map(|s| Attribute::new(s.trim()))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let signing = SigningKey::generate(&mut OsRng);
    auth.register_user(user.clone(), signing.verifying_key(), attrs)?;
    let request = KeyRequest::sign(&signing, user.clone(), 1);
    let key = auth.handle_key_request(&request, &mut OsRng)?;
    let seed = Zeroizing::new(hex::encode(signing.to_bytes()));
    write_atomic(&signer_path(&a.out), seed.as_bytes(), true)?;
    write_atomic(&a.out, &key.to_bytes(), true)?;
    save_authority(&a.dir, &auth)?;
    report(
        json,
        serde_json::json!({"user": user, "version": key.version, "out": a.out}),
        format!(
            "issued key v{} for {user} to {}",
            key.version,
            a.out.display()
        ),
    );
    Ok(())
}

fn encrypt(a: EncryptArgs, json: bool) -> Result<()> {
    let pk: PublicKey = read(&a.public, "public key")?;
    let policy = Policy::parse(&a.policy).context("invalid policy")?;
    let epochs_path = a
        .epochs
        .clone()
        .unwrap_or_else(|| a.public.with_file_name(EPOCHS));
    let epochs: EpochTable = if epochs_path.exists() {
        let text = fs::read_to_string(&epochs_path)?;
        serde_json::from_str(&text)
            .with_context(|| format!("invalid epoch table {}", epochs_path.display()))?
    } else if a.epochs.is_some() {
        bail!("cannot read epoch table {}", epochs_path.display());
    } else {
        EpochTable::new()
    };
    let plain = Zeroizing::new(
        fs::read(&a.input).with_context(|| format!("cannot read {}", a.input.display()))?,
    );
    let object = match a.object_id {
        Some(id) => ObjectId::new(id)?,
        None => ObjectId::new(
            a.out
                .file_name()
                .context("output has no file name")?
                .to_string_lossy()
                .to_string(),
        )?,
    };
    let env = Envelope::seal(
        &pk,
        &policy,
        &epochs,
        object.clone(),
        ObjectVersion(a.version),
        &plain,
        &mut OsRng,
    )?;
    write_atomic(&a.out, &env.to_bytes(), false)?;
    report(
        json,
        serde_json::json!({"object": object, "policy": policy, "out": a.out}),
        format!(
            "encrypted {} under `{policy}` to {}",
            a.input.display(),
            a.out.display()
        ),
    );
    Ok(())
}

fn update(a: UpdatePolicyArgs, json: bool) -> Result<()> {
    let mut auth = load_authority(&a.dir)?;
    let key: UserKey = read(&a.key, "key")?;
    let signer_file = a.signer.clone().unwrap_or_else(|| signer_path(&a.key));
    let seed = Zeroizing::new(
        fs::read_to_string(&signer_file)
            .with_context(|| format!("cannot read signing key {}", signer_file.display()))?,
    );
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(seed.trim(), &mut *bytes)
        .context("signing key is not 32 hex-encoded bytes")?;
    let signing = SigningKey::from_bytes(&bytes);
    let env: Envelope = read(&a.input, "envelope")?;
    auth.check_current(&env)?;
    let policy = Policy::parse(&a.policy).context("invalid policy")?;
    let pk = auth.public_key().clone();
    let epochs = auth.epochs().clone();
    let (next, signed) = update_policy(&env, &key, &signing, &pk, policy, &epochs, &mut OsRng)
        .context("cannot update policy")?;
    auth.accept_update(&signed, &next)
        .context("authority refused the update")?;
    write_atomic(&a.out, &next.to_bytes(), false)?;
    save_authority(&a.dir, &auth)?;
    report(
        json,
        serde_json::json!({"object": next.object_id, "policy": next.policy(), "policy_version": next.policy_version}),
        format!(
            "policy of {} is now `{}` (version {})",
            next.object_id,
            next.policy(),
            next.policy_version
        ),
    );
    Ok(())
}

fn revoke(a: RevokeArgs, json: bool) -> Result<()> {
    let mut auth = load_authority(&a.dir)?;
    let user = UserId::new(&a.user)?;
    let attr = Attribute::new(&a.attr)?;
    // Read every envelope first, so a bad one aborts before any change.
    let envs = a
        .reencrypt
        .iter()
        .map(|p| read::<Envelope>(p, "envelope"))
        .collect::<Result<Vec<_>>>()?;
    let rev = auth.revoke(&user, &attr, &mut OsRng)?;
    let mut rewritten = Vec::new();
    let mut outputs = Vec::new();
    for (path, env) in a.reencrypt.iter().zip(&envs) {
        if let Some(next) = auth
            .reencapsulate(env, &mut OsRng)
            .with_context(|| format!("cannot re-encapsulate {}", path.display()))?
        {
            outputs.push((path.clone(), next.to_bytes()));
            rewritten.push(path.clone());
        }
    }
    let updates_dir = a.dir.join("updates");
    let keys_dir = a.dir.join("keys");
    fs::create_dir_all(&updates_dir)?;
    fs::create_dir_all(&keys_dir)?;
    let mut update_files = Vec::new();
    for u in &rev.updates {
        let name = format!(
            "{}-{}-e{}.update",
            sanitize(u.user.as_str()),
            sanitize(u.attribute.as_str()),
            u.component.epoch
        );
        let path = updates_dir.join(name);
        write_atomic(&path, &u.to_bytes(), true)?;
        update_files.push(path);
    }
    let new_key = match &rev.new_key {
        Some(k) => {
            let path = keys_dir.join(format!("{}-v{}.key", sanitize(user.as_str()), k.version));
            write_atomic(&path, &k.to_bytes(), true)?;
            Some(path)
        }
        None => None,
    };
    save_authority(&a.dir, &auth)?;
    for (path, bytes) in outputs {
        write_atomic(&path, &bytes, false)?;
    }
    report(
        json,
        serde_json::json!({"attribute": attr, "epoch": rev.epoch, "revoked_key": rev.revoked_key, "new_key": new_key, "updates": update_files, "reencrypted": rewritten}),
        format!(
            "revoked {attr} from {user} (epoch {}); key v{} revoked; {} component update(s) in {}; {} envelope(s) re-encapsulated",
            rev.epoch,
            rev.revoked_key,
            update_files.len(),
            updates_dir.display(),
            rewritten.len()
        ),
    );
    Ok(())
}
