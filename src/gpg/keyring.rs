//! Public keyrings (armored or binary, one or many keys) and the validity of their keys at an
//! instant: self-signatures, subkey bindings with cross-certification, revocations, expiry and
//! the signing flag. rPGP checks each of these signatures mathematically; which of them count,
//! and what they mean, is decided here.

use std::io::Cursor;

use chrono::{DateTime, Utc};
use pgp::composed::{Deserializable, SignedPublicKey, SignedPublicSubKey};
use pgp::packet::{PublicKey, Signature, SignatureType, SubpacketData};
use pgp::types::{KeyDetails, Tag};

use super::{GpgError, instant, upper_hex};

/// Public keys to verify GPG signatures with. Accepted identities are the primary keys'
/// fingerprints (uppercase hex), as in containers/image.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<SignedPublicKey>,
}

/// The key that made a signature: a primary key or one of its subkeys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signer<'a> {
    pub cert: &'a SignedPublicKey,
    pub subkey: Option<&'a SignedPublicSubKey>,
}

/// What the self-signatures say about a key at an instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Validity {
    /// When the key (the primary, or the subkey and its primary, whichever is sooner) expires.
    pub expires: Option<DateTime<Utc>>,
}

impl Keyring {
    pub fn new() -> Self {
        Keyring::default()
    }

    /// Read a keyring: ASCII-armored (one or more `PUBLIC KEY BLOCK`s) or binary (a
    /// concatenation of transferable public keys, as `gpg --export` writes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Keyring, GpgError> {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .ok_or_else(|| GpgError::Keyring("empty keyring".into()))?;
        let armored = bytes[start..].starts_with(b"-----BEGIN PGP");
        let parsed: Vec<Result<SignedPublicKey, pgp::errors::Error>> = if armored {
            let (keys, _headers) = SignedPublicKey::from_armor_many(Cursor::new(bytes))
                .map_err(|e| GpgError::Keyring(format!("armor: {e}")))?;
            keys.collect()
        } else {
            SignedPublicKey::from_bytes_many(Cursor::new(bytes))
                .map_err(|e| GpgError::Keyring(e.to_string()))?
                .collect()
        };
        let mut keys = Vec::new();
        for k in parsed {
            keys.push(k.map_err(|e| GpgError::Keyring(e.to_string()))?);
        }
        if keys.is_empty() {
            return Err(GpgError::Keyring("no public key in the keyring".into()));
        }
        Ok(Keyring { keys })
    }

    /// Add the keys of `other`.
    pub fn extend(&mut self, other: Keyring) {
        self.keys.extend(other.keys);
    }

    /// The primary keys' fingerprints, uppercase hex.
    pub fn fingerprints(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| upper_hex(k.primary_key.fingerprint().as_bytes()))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys (primary or subkey) the signature names as its issuer, by fingerprint or key ID.
    pub(crate) fn candidates(&self, sig: &Signature) -> Vec<Signer<'_>> {
        let fps: Vec<Vec<u8>> = sig
            .issuer_fingerprint()
            .iter()
            .map(|f| f.as_bytes().to_vec())
            .collect();
        let ids: Vec<Vec<u8>> = sig
            .issuer_key_id()
            .iter()
            .map(|k| k.as_ref().to_vec())
            .collect();
        let names = |k: &dyn KeyDetails| {
            fps.iter().any(|f| f == k.fingerprint().as_bytes())
                || ids.iter().any(|i| i == k.legacy_key_id().as_ref())
        };
        let mut out = Vec::new();
        for cert in &self.keys {
            if names(&cert.primary_key) {
                out.push(Signer { cert, subkey: None });
            }
            for sk in &cert.public_subkeys {
                if names(&sk.key) {
                    out.push(Signer {
                        cert,
                        subkey: Some(sk),
                    });
                }
            }
        }
        out
    }
}

impl Signer<'_> {
    pub fn primary_fingerprint(&self) -> String {
        upper_hex(self.cert.primary_key.fingerprint().as_bytes())
    }

    pub fn fingerprint(&self) -> String {
        match self.subkey {
            Some(sk) => upper_hex(sk.key.fingerprint().as_bytes()),
            None => self.primary_fingerprint(),
        }
    }

    pub fn created(&self) -> DateTime<Utc> {
        match self.subkey {
            Some(sk) => instant(sk.key.created_at().as_secs()),
            None => instant(self.cert.primary_key.created_at().as_secs()),
        }
    }

    /// Check the signature mathematically with this key.
    pub fn verify(&self, sig: &Signature, data: &[u8]) -> Result<(), pgp::errors::Error> {
        match self.subkey {
            Some(sk) => sig.verify(&sk.key, data),
            None => sig.verify(&self.cert.primary_key, data),
        }
    }

    /// Whether the key may make a data signature at `as_of`, and until when.
    pub fn validity(&self, as_of: DateTime<Utc>) -> Result<Validity, GpgError> {
        let primary = &self.cert.primary_key;
        let pfp = self.primary_fingerprint();
        if let Some(r) = self.cert.details.revocation_signatures.iter().find(|s| {
            s.typ() == Some(SignatureType::KeyRevocation) && s.verify_key(primary).is_ok()
        }) {
            return Err(GpgError::KeyRevoked {
                fingerprint: pfp,
                reason: revocation_reason(r),
            });
        }
        let self_sig = latest(primary_self_signatures(self.cert), as_of).ok_or_else(|| {
            GpgError::KeyNotBound {
                fingerprint: pfp.clone(),
                detail: "the primary key has no valid self-signature".into(),
            }
        })?;
        let primary_created = instant(primary.created_at().as_secs());
        let mut expires = expiry(primary_created, self_sig).or_else(|| {
            primary
                .legacy_v3_expiration_days()
                .filter(|d| *d > 0)
                .map(|d| primary_created + chrono::Duration::days(i64::from(d)))
        });
        if let Some(at) = expires
            && at <= as_of
        {
            return Err(GpgError::KeyExpired {
                fingerprint: pfp,
                at,
            });
        }
        let Some(sk) = self.subkey else {
            if let Some(false) = may_sign(self_sig) {
                return Err(GpgError::KeyNotBound {
                    fingerprint: pfp,
                    detail: "the primary key's flags do not allow signing data".into(),
                });
            }
            return Ok(Validity { expires });
        };
        let sfp = self.fingerprint();
        if let Some(r) = sk.signatures.iter().find(|s| {
            s.typ() == Some(SignatureType::SubkeyRevocation)
                && s.verify_subkey_binding(primary, &sk.key).is_ok()
        }) {
            return Err(GpgError::KeyRevoked {
                fingerprint: sfp,
                reason: format!("subkey revoked: {}", revocation_reason(r)),
            });
        }
        let bindings = sk.signatures.iter().filter(|s| {
            s.typ() == Some(SignatureType::SubkeyBinding)
                && s.verify_subkey_binding(primary, &sk.key).is_ok()
        });
        let binding = latest(bindings, as_of).ok_or_else(|| GpgError::KeyNotBound {
            fingerprint: sfp.clone(),
            detail: format!("the subkey has no valid binding signature by primary key {pfp}"),
        })?;
        if may_sign(binding) != Some(true) {
            return Err(GpgError::KeyNotBound {
                fingerprint: sfp,
                detail: "the subkey's binding does not allow signing data".into(),
            });
        }
        // A signing subkey must sign its primary back (the "cross-certification"), or anyone
        // could bind someone else's signing key to their own primary key.
        let backsig = binding
            .embedded_signature()
            .ok_or_else(|| GpgError::KeyNotBound {
                fingerprint: sfp.clone(),
                detail:
                    "the signing subkey is not cross-certified (no primary key binding signature)"
                        .into(),
            })?;
        if backsig.typ() != Some(SignatureType::KeyBinding)
            || backsig
                .verify_primary_key_binding(&sk.key, primary)
                .is_err()
        {
            return Err(GpgError::KeyNotBound {
                fingerprint: sfp,
                detail: "the subkey's cross-certification does not verify".into(),
            });
        }
        let sub_expires = expiry(instant(sk.key.created_at().as_secs()), binding);
        if let Some(at) = sub_expires
            && at <= as_of
        {
            return Err(GpgError::KeyExpired {
                fingerprint: sfp,
                at,
            });
        }
        expires = match (expires, sub_expires) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Validity { expires })
    }
}

/// The primary key's valid self-signatures: direct-key signatures and user ID certifications
/// it made itself.
fn primary_self_signatures(cert: &SignedPublicKey) -> impl Iterator<Item = &Signature> {
    let primary: &PublicKey = &cert.primary_key;
    let direct = cert
        .details
        .direct_signatures
        .iter()
        .filter(move |s| s.typ() == Some(SignatureType::Key) && s.verify_key(primary).is_ok());
    let certs = cert.details.users.iter().flat_map(move |u| {
        u.signatures.iter().filter(move |s| {
            s.is_certification() && s.verify_certification(primary, Tag::UserId, &u.id).is_ok()
        })
    });
    direct.chain(certs)
}

/// The newest signature not made after `as_of`.
fn latest<'a>(
    sigs: impl Iterator<Item = &'a Signature>,
    as_of: DateTime<Utc>,
) -> Option<&'a Signature> {
    sigs.filter_map(|s| s.created().map(|c| (instant(c.as_secs()), s)))
        .filter(|(c, _)| *c <= as_of)
        .max_by_key(|(c, _)| *c)
        .map(|(_, s)| s)
}

/// Key creation + the key expiration subpacket (0 means "never").
fn expiry(created: DateTime<Utc>, sig: &Signature) -> Option<DateTime<Utc>> {
    sig.key_expiration_time()
        .map(|d| d.as_secs())
        .filter(|s| *s > 0)
        .map(|s| created + chrono::Duration::seconds(i64::from(s)))
}

/// The signing flag of a self-signature: `None` when it carries no key flags subpacket.
fn may_sign(sig: &Signature) -> Option<bool> {
    let has_flags = sig.config().is_some_and(|c| {
        c.hashed_subpackets()
            .any(|p| matches!(p.data, SubpacketData::KeyFlags(_)))
    });
    has_flags.then(|| sig.key_flags().sign())
}

fn revocation_reason(sig: &Signature) -> String {
    let code = sig
        .revocation_reason_code()
        .map(|c| format!("{c:?}"))
        .unwrap_or_else(|| "no reason given".into());
    match sig.revocation_reason_string() {
        Some(s) if !s.is_empty() => format!("{code}: {}", String::from_utf8_lossy(s)),
        _ => code,
    }
}
