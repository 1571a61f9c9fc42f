//! Verify a GPG simple-signing message against a keyring at an instant.

use chrono::{DateTime, Utc};
use pgp::packet::SignatureType;

use super::keyring::Keyring;
use super::payload::{self, SimpleSigningPayload};
use super::{GpgError, instant, message, upper_hex};

/// A message whose signature verified with a valid key of the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedMessage {
    /// The primary key's fingerprint (uppercase hex): the signer's identity, also when a
    /// subkey signed.
    pub primary_fingerprint: String,
    /// The fingerprint of the key that made the signature (the primary or a subkey).
    pub signing_key_fingerprint: String,
    /// The signature's creation time.
    pub created: DateTime<Utc>,
    /// The earliest of the signature's and the keys' expiry times, if any.
    pub expires: Option<DateTime<Utc>>,
    /// The OpenPGP signature packet version (3 or 4).
    pub signature_version: u8,
    /// The signed content (the literal data).
    pub content: Vec<u8>,
}

/// A verified message whose content is an "atomic container signature".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpgVerified {
    pub primary_fingerprint: String,
    pub signing_key_fingerprint: String,
    pub created: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    pub signature_version: u8,
    pub payload: SimpleSigningPayload,
}

/// Verify a lookaside `signature-N` blob with `keyring` at `as_of` and parse its payload.
/// The payload's digest and identity are returned, not judged: comparing them with the image is
/// the caller's business.
pub fn verify_simple_signing(
    sig_bytes: &[u8],
    keyring: &Keyring,
    as_of: DateTime<Utc>,
) -> Result<GpgVerified, GpgError> {
    let m = verify_signed_message(sig_bytes, keyring, as_of)?;
    let payload = payload::parse(&m.content)?;
    Ok(GpgVerified {
        primary_fingerprint: m.primary_fingerprint,
        signing_key_fingerprint: m.signing_key_fingerprint,
        created: m.created,
        expires: m.expires,
        signature_version: m.signature_version,
        payload,
    })
}

/// Verify an OpenPGP signed message with `keyring` at `as_of`, whatever its content.
pub fn verify_signed_message(
    sig_bytes: &[u8],
    keyring: &Keyring,
    as_of: DateTime<Utc>,
) -> Result<VerifiedMessage, GpgError> {
    let msg = message::parse(sig_bytes)?;
    let sig = &msg.signature;
    if !matches!(sig.typ(), Some(SignatureType::Binary | SignatureType::Text)) {
        return Err(GpgError::NotSigned(format!(
            "a {:?} signature, not a signature over data",
            sig.typ()
        )));
    }
    let created = sig
        .created()
        .map(|t| instant(t.as_secs()))
        .ok_or_else(|| GpgError::InvalidTime("the signature has no creation time".into()))?;
    let candidates = keyring.candidates(sig);
    if candidates.is_empty() {
        return Err(GpgError::UnknownKey {
            issuer: issuer(sig),
        });
    }
    let mut last = None;
    for signer in candidates {
        if let Err(e) = signer.verify(sig, &msg.literal) {
            last = Some(classify_crypto_error(&signer.fingerprint(), e));
            continue;
        }
        if created < signer.created() {
            return Err(GpgError::InvalidTime(format!(
                "{created} is before its key {} was created ({})",
                signer.fingerprint(),
                signer.created()
            )));
        }
        if created > as_of {
            return Err(GpgError::InvalidTime(format!(
                "{created} is after the verification time {as_of}"
            )));
        }
        let sig_expires = sig
            .signature_expiration_time()
            .map(|d| d.as_secs())
            .filter(|s| *s > 0)
            .map(|s| created + chrono::Duration::seconds(i64::from(s)));
        if let Some(at) = sig_expires
            && at <= as_of
        {
            return Err(GpgError::SignatureExpired { at });
        }
        let validity = signer.validity(as_of)?;
        if let Some(at) = validity.expires
            && created >= at
        {
            return Err(GpgError::KeyExpired {
                fingerprint: signer.fingerprint(),
                at,
            });
        }
        let expires = match (sig_expires, validity.expires) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        return Ok(VerifiedMessage {
            primary_fingerprint: signer.primary_fingerprint(),
            signing_key_fingerprint: signer.fingerprint(),
            created,
            expires,
            signature_version: u8::from(sig.version()),
            content: msg.literal,
        });
    }
    Err(last.unwrap_or_else(|| GpgError::UnknownKey {
        issuer: issuer(sig),
    }))
}

/// A verification failure: a bad signature, or an algorithm rPGP cannot check.
fn classify_crypto_error(fingerprint: &str, e: pgp::errors::Error) -> GpgError {
    let detail = e.to_string();
    if matches!(e, pgp::errors::Error::Unsupported { .. }) {
        GpgError::Unsupported(detail)
    } else {
        GpgError::BadSignature {
            fingerprint: fingerprint.to_string(),
            detail,
        }
    }
}

/// The issuer as the signature names it: its fingerprint, else its key ID.
fn issuer(sig: &pgp::packet::Signature) -> String {
    if let Some(fp) = sig.issuer_fingerprint().first() {
        return format!("fingerprint {}", upper_hex(fp.as_bytes()));
    }
    match sig.issuer_key_id().first() {
        Some(id) => format!("key ID {}", upper_hex(id.as_ref())),
        None => "an unnamed key".into(),
    }
}
