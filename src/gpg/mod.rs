//! GPG "simple signing": the OpenPGP signed messages that skopeo, podman (`--sign-by`) and Red
//! Hat's pipeline store in a lookaside folder, each holding an "atomic container signature" JSON
//! document.
//!
//! rPGP parses the packets and checks the signature mathematics; it accepts expired signatures,
//! revoked keys and unbound subkeys at that level, so this module decides key validity itself
//! ([`keyring`]: self-signatures, subkey bindings and cross-certifications, revocations, key and
//! signature expiry, the signing flag), at the instant the caller gives (`--as-of`).
//!
//! The API is also what policy.json's `signedBy` requirement evaluates with:
//! [`Keyring::from_bytes`] and [`verify_simple_signing`].

mod keyring;
pub mod lookaside;
mod message;
mod payload;
mod verify;

pub use keyring::Keyring;
pub use message::{NotOpenPgpKind, classify};
pub use payload::{ATOMIC_PAYLOAD_TYPE, SimpleSigningPayload};
pub use verify::{GpgVerified, VerifiedMessage, verify_signed_message, verify_simple_signing};

use chrono::{DateTime, Utc};

use sigaudit_model::codes::ResultCode;

/// Why a GPG signature is not accepted. Each variant maps to one stable result code
/// ([`GpgError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpgError {
    /// The bytes are not an OpenPGP message at all (a `\0sigstore-json` copy, armor, anything).
    #[error("not an OpenPGP signed message: {0}")]
    NotOpenPgp(NotOpenPgpKind),
    /// OpenPGP packets that cannot be parsed.
    #[error("malformed OpenPGP data: {0}")]
    Malformed(String),
    /// Well-formed OpenPGP, but not exactly one signature over one literal data packet.
    #[error("not a signed message: {0}")]
    NotSigned(String),
    /// An algorithm or packet version this build cannot verify.
    #[error("unsupported OpenPGP signature: {0}")]
    Unsupported(String),
    /// No key of the keyring has the issuer's key ID or fingerprint.
    #[error("signed by {issuer}, which is not in the keyring")]
    UnknownKey { issuer: String },
    /// The issuer's key is in the keyring but the signature does not verify with it.
    #[error("the signature does not verify with key {fingerprint}: {detail}")]
    BadSignature { fingerprint: String, detail: String },
    /// The primary key, or the signing subkey, has a valid revocation signature.
    #[error("key {fingerprint} is revoked ({reason})")]
    KeyRevoked { fingerprint: String, reason: String },
    /// The primary key or the signing subkey has expired (at `as_of`, or before the signature).
    #[error("key {fingerprint} expired at {at}")]
    KeyExpired {
        fingerprint: String,
        at: DateTime<Utc>,
    },
    /// The signature's own lifetime (signature expiration subpacket) has passed at `as_of`.
    #[error("the signature expired at {at}")]
    SignatureExpired { at: DateTime<Utc> },
    /// The signing key has no valid self-signature (primary) or binding signature and
    /// cross-certification (subkey), or is not allowed to sign data.
    #[error("key {fingerprint} cannot make this signature: {detail}")]
    KeyNotBound { fingerprint: String, detail: String },
    /// The signature's creation time is impossible (before its key, after `as_of`, or missing).
    #[error("signature creation time: {0}")]
    InvalidTime(String),
    /// The signed content is not the strict "atomic container signature" JSON.
    #[error("the signed content is not an atomic container signature: {0}")]
    InvalidPayload(String),
    /// Two keys of the signed content name one field for a Go reader (see [`sigaudit_gojson`]).
    #[error("the signed content is refused: {0}")]
    AmbiguousPayload(String),
    /// `critical.type` is some other string.
    #[error("critical.type is {found:?}, not {ATOMIC_PAYLOAD_TYPE:?}")]
    WrongPayloadType { found: String },
    /// A keyring that cannot be used.
    #[error("keyring: {0}")]
    Keyring(String),
}

impl GpgError {
    /// The stable result code of a signature rejected for this reason.
    pub fn code(&self) -> ResultCode {
        match self {
            GpgError::NotOpenPgp(_) => ResultCode::NotOpenpgp,
            GpgError::Malformed(_)
            | GpgError::NotSigned(_)
            | GpgError::BadSignature { .. }
            | GpgError::InvalidTime(_) => ResultCode::InvalidOpenpgp,
            GpgError::Unsupported(_) => ResultCode::UnsupportedFormat,
            GpgError::UnknownKey { .. } | GpgError::Keyring(_) => ResultCode::UntrustedKey,
            GpgError::KeyRevoked { .. } => ResultCode::KeyRevoked,
            GpgError::KeyExpired { .. } => ResultCode::KeyExpired,
            GpgError::SignatureExpired { .. } => ResultCode::SignatureExpired,
            GpgError::KeyNotBound { .. } => ResultCode::KeyNotBound,
            GpgError::InvalidPayload(_) => ResultCode::InvalidPayload,
            GpgError::AmbiguousPayload(_) => ResultCode::AmbiguousJson,
            GpgError::WrongPayloadType { .. } => ResultCode::WrongPayloadType,
        }
    }
}

/// Uppercase hex, the way GnuPG and containers/image print fingerprints and key IDs.
pub(crate) fn upper_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// An OpenPGP timestamp (seconds since the epoch) as a chrono instant.
pub(crate) fn instant(secs: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(i64::from(secs), 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
