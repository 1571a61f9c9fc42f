//! Notary Project signature envelopes: JWS (`application/jose+json`) and COSE
//! (`application/cose`).
//!
//! This module turns an envelope blob into a format-independent [`Envelope`] and runs the
//! **integrity** step of notation verification (reference §2.1–2.5, §3.2 step 1), in
//! notation-core-go's order:
//!
//! 1. [`parse`]: envelope structure, encodings, header types, certificate DER parsing;
//! 2. [`verify_integrity`]: leaf key → algorithm, which must equal the header algorithm; the
//!    signature check (aws-lc-rs) over the exact signed bytes; the header rules (`crit`,
//!    signing scheme, time presence); the content checks (payload, `cty`, expiry after signing
//!    time).
//!
//! Then, separately:
//! * [`check_extended_attributes`] is the verification-plugin gate (§3.2 step 2). It fails any
//!   signature naming a verification plugin (this auditor runs no plugins) and, **unlike
//!   notation-go** (§2.5), any unknown critical extended attribute, as the spec requires.
//! * [`target_artifact`] reads the signed descriptor (§3.2 step 9).
//!
//! Not done here: the X.509 chain rules (`ValidateCodeSigningCertChain`, §3.3), which are part of
//! integrity in notation-core-go and belong to the certificate module; callers must run them on
//! [`Envelope::cert_chain`] to complete the integrity step.
//!
//! Deliberate departures from notation-go (all fail-closed):
//! * RSA-PSS salt: parity, not a departure. JWS accepts any salt length (as golang-jwt
//!   `PSSSaltLengthAuto`), COSE only salt = hash length (go-cose); see [`alg::PssSalt`].
//!   aws-lc-rs requires a modulus of at least 2048 bits, so a 2041–2047-bit modulus (which
//!   notation counts as 2048) fails the signature check.
//! * Duplicate keys in the JWS protected header, and protected keys that differ from a
//!   notation header name only in ASCII case (Go's `encoding/json` would match them
//!   case-insensitively), are rejected instead of "last one wins".
//! * Duplicate members in the JWS envelope object or in the payload are rejected.
//! * COSE labels present in both the protected and the unprotected header are rejected
//!   (RFC 9052 §3).
//! * Times are kept as UTC instants; the signer's UTC offset is not preserved.

pub mod alg;
pub mod cose;
pub mod jws;

use std::collections::BTreeMap;

use crate::x509::Cert;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, Utc};
use der::Decode;
use serde::Deserialize;
use x509_cert::Certificate;

pub use crate::envelope::alg::Algorithm;

/// Media type of a JWS envelope (the signature manifest layer's `mediaType`).
pub const MEDIA_TYPE_JWS: &str = "application/jose+json";
/// Media type of a COSE envelope.
pub const MEDIA_TYPE_COSE: &str = "application/cose";
/// The only payload content type notation accepts (`cty`, COSE label 3).
pub const PAYLOAD_CONTENT_TYPE: &str = "application/vnd.cncf.notary.payload.v1+json";

/// Protected header name of the signing scheme.
pub const HEADER_SIGNING_SCHEME: &str = "io.cncf.notary.signingScheme";
/// Protected header name of the signing time (`notary.x509`).
pub const HEADER_SIGNING_TIME: &str = "io.cncf.notary.signingTime";
/// Protected header name of the authentic signing time (`notary.x509.signingAuthority`).
pub const HEADER_AUTHENTIC_SIGNING_TIME: &str = "io.cncf.notary.authenticSigningTime";
/// Protected header name of the signature expiry.
pub const HEADER_EXPIRY: &str = "io.cncf.notary.expiry";
/// Reserved extended attribute naming a verification plugin.
pub const HEADER_VERIFICATION_PLUGIN: &str = "io.cncf.notary.verificationPlugin";
/// Reserved extended attribute giving the plugin's minimum version.
pub const HEADER_VERIFICATION_PLUGIN_MIN_VERSION: &str =
    "io.cncf.notary.verificationPluginMinVersion";
/// Unprotected header name of the RFC 3161 timestamp token.
pub const HEADER_TIMESTAMP_SIGNATURE: &str = "io.cncf.notary.timestampSignature";
/// Unprotected header name of the (informational) signing agent.
pub const HEADER_SIGNING_AGENT: &str = "io.cncf.notary.signingAgent";

/// Signing scheme value for `notary.x509`.
pub const SCHEME_X509: &str = "notary.x509";
/// Signing scheme value for `notary.x509.signingAuthority`.
pub const SCHEME_X509_SIGNING_AUTHORITY: &str = "notary.x509.signingAuthority";

/// Which envelope format a blob was parsed from; a few header rules differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeFormat {
    /// JWS flattened JSON serialization.
    Jws,
    /// `COSE_Sign1_Tagged`.
    Cose,
}

impl EnvelopeFormat {
    /// The envelope media type.
    pub fn media_type(self) -> &'static str {
        match self {
            EnvelopeFormat::Jws => MEDIA_TYPE_JWS,
            EnvelopeFormat::Cose => MEDIA_TYPE_COSE,
        }
    }
}

/// The Notary Project signing scheme (`io.cncf.notary.signingScheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningScheme {
    /// `notary.x509`: signing time from the signer, trust via `ca` stores, TSA optional.
    X509,
    /// `notary.x509.signingAuthority`: authentic signing time, trust via `signingAuthority` stores.
    X509SigningAuthority,
}

impl SigningScheme {
    /// Parses the header value; only the two spec values are accepted.
    pub fn from_header(value: &str) -> Result<SigningScheme, IntegrityError> {
        match value {
            SCHEME_X509 => Ok(SigningScheme::X509),
            SCHEME_X509_SIGNING_AUTHORITY => Ok(SigningScheme::X509SigningAuthority),
            other => Err(IntegrityError::UnsupportedSigningScheme(other.to_string())),
        }
    }

    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningScheme::X509 => SCHEME_X509,
            SigningScheme::X509SigningAuthority => SCHEME_X509_SIGNING_AUTHORITY,
        }
    }
}

impl std::fmt::Display for SigningScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protected header that is not one of notation's own (the reserved plugin attributes are
/// included here, as notation-go does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedAttribute {
    /// Header name; a COSE integer label is rendered in decimal.
    pub name: String,
    /// Whether the name is listed in `crit`.
    pub critical: bool,
    /// The value: text values as they are, anything else as compact JSON (JWS) or a
    /// diagnostic-like rendering (COSE).
    pub value: String,
    /// Whether the value was a JSON string / CBOR text string (the plugin attributes must be).
    pub is_text: bool,
}

/// A parsed signature envelope, independent of its format.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Source format.
    pub format: EnvelopeFormat,
    /// Payload bytes (the `{"targetArtifact": …}` JSON).
    pub payload: Vec<u8>,
    /// `cty` / COSE label 3; must equal [`PAYLOAD_CONTENT_TYPE`] (checked in
    /// [`verify_integrity`]). Empty when a JWS omits `cty`.
    pub payload_content_type: String,
    /// Signing scheme.
    pub signing_scheme: SigningScheme,
    /// `io.cncf.notary.signingTime`, if present.
    pub signing_time: Option<DateTime<Utc>>,
    /// `io.cncf.notary.authenticSigningTime`, if present.
    pub authentic_signing_time: Option<DateTime<Utc>>,
    /// `io.cncf.notary.expiry`, if present.
    pub expiry: Option<DateTime<Utc>>,
    /// The `crit` list as written (COSE integer labels in decimal).
    pub critical: Vec<String>,
    /// Extended attributes in header order.
    pub extended_attributes: Vec<ExtendedAttribute>,
    /// `io.cncf.notary.verificationPlugin`, when present as text.
    pub verification_plugin: Option<String>,
    /// `io.cncf.notary.verificationPluginMinVersion`, when present as text.
    pub verification_plugin_min_version: Option<String>,
    /// Certificate chain as DER, leaf first, in envelope order (never re-ordered).
    pub cert_chain: Vec<Vec<u8>>,
    /// RFC 3161 `TimeStampToken` DER, if present.
    pub timestamp_token: Option<Vec<u8>>,
    /// Raw signature bytes (RSA-PSS, or ECDSA raw `R‖S`).
    pub signature: Vec<u8>,
    /// Informational signing agent; never influences a result.
    pub signing_agent: Option<String>,
    /// Signature algorithm named by the protected header.
    pub alg: Algorithm,
    /// The exact bytes the signature covers: JWS `ASCII(protected "." payload)` as received,
    /// COSE `Sig_structure` built with the original protected bytes.
    pub signed_bytes: Vec<u8>,
}

impl Envelope {
    /// The time that the integrity rules treat as "the signing time": `signingTime` for
    /// `notary.x509`, `authenticSigningTime` for the signing-authority scheme.
    pub fn effective_signing_time(&self) -> Option<DateTime<Utc>> {
        match self.signing_scheme {
            SigningScheme::X509 => self.signing_time,
            SigningScheme::X509SigningAuthority => self.authentic_signing_time,
        }
    }

    /// Looks up an extended attribute by name.
    pub fn extended_attribute(&self, name: &str) -> Option<&ExtendedAttribute> {
        self.extended_attributes.iter().find(|a| a.name == name)
    }
}

/// Integrity failures. `Display` is notation-go's message where the reference gives one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    /// Layer media type other than JWS or COSE.
    #[error("signature envelope format with media type \"{0}\" is not supported")]
    UnsupportedMediaType(String),
    /// The envelope itself does not parse (JSON/CBOR structure, unprotected encodings).
    #[error("malformed signature envelope: {0}")]
    MalformedEnvelope(String),
    /// A protected header that does not decode or has a wrongly typed value.
    #[error("{0}")]
    InvalidHeader(String),
    /// Two keys of the JWS envelope or protected header that Go reads as one field (see
    /// [`sigaudit_gojson`]; Go keeps the last one, and its JWT library reads keys exactly).
    #[error("{0}")]
    AmbiguousJson(String),
    /// No (or an unusable) certificate chain.
    #[error("certificate chain is not present")]
    CertificateChainNotPresent,
    /// `x5c[0]` / `x5chain[0]` is not an X.509 certificate, or its key is unusable.
    #[error("malformed leaf certificate")]
    MalformedLeafCertificate,
    /// A non-leaf chain element is not an X.509 certificate.
    #[error("malformed certificate at index {0} of the certificate chain")]
    MalformedCertificate(usize),
    /// Header algorithm outside the six supported ones.
    #[error("signature algorithm not supported: {0}")]
    UnsupportedAlgorithm(String),
    /// RSA modulus or EC curve of a size notation does not accept.
    #[error("{key_type} key size {bits} bits is not supported")]
    UnsupportedKeySize {
        /// `rsa` or `ecdsa`.
        key_type: &'static str,
        /// Key size as notation computes it.
        bits: usize,
    },
    /// Leaf key is neither RSA nor a supported EC curve (Ed25519, DSA, …).
    #[error("unsupported public key type")]
    UnsupportedPublicKeyType,
    /// The header algorithm differs from the one derived from the leaf key.
    #[error(
        "mismatch between signature algorithm derived from signing certificate ({derived}) and signing algorithm specified ({specified})"
    )]
    AlgorithmMismatch {
        /// Derived from the leaf key.
        derived: Algorithm,
        /// Named by the header.
        specified: Algorithm,
    },
    /// Bad signature encoding or failed cryptographic check
    /// (notation-core-go `SignatureIntegrityError`).
    #[error("signature is invalid. Error: {0}")]
    SignatureInvalid(String),
    /// JWS without a `crit` header (or with an empty one).
    #[error("missing \"crit\" header")]
    MissingCrit,
    /// A `crit` entry that names no header it may name.
    #[error("\"{0}\" header is marked critical but not present")]
    CriticalNotPresent(String),
    /// Headers that must be critical but are not listed in `crit`.
    #[error("these required headers are not marked as critical: [{}]", .0.join(" "))]
    RequiredHeadersNotCritical(Vec<String>),
    /// Signing scheme other than the two spec values (empty when missing).
    #[error("unsupported SigningScheme: `{0}`")]
    UnsupportedSigningScheme(String),
    /// JWS time header forbidden for the scheme.
    #[error("\"{header}\" header must not be present for {scheme} signing scheme")]
    HeaderMustNotBePresent {
        /// Header name.
        header: &'static str,
        /// Scheme.
        scheme: SigningScheme,
    },
    /// JWS signing-authority envelope without `authenticSigningTime` (message sic, as Go).
    #[error("\"{0}\" header must be present for notary.x509 signing scheme")]
    HeaderMustBePresent(&'static str),
    /// COSE protected header without label 3.
    #[error("missing content type")]
    MissingContentType,
    /// COSE label 3 given as an integer (CoAP content format).
    #[error("content type should be of 'tstr' type")]
    ContentTypeNotText,
    /// COSE time header with a tag other than 1.
    #[error("only Tag `1` Datetime CBOR object is supported")]
    UnsupportedTimeTag,
    /// `cty` other than the notation payload v1 media type.
    #[error("payload content type \"{0}\" not supported")]
    UnsupportedPayloadContentType(String),
    /// Empty payload.
    #[error("content not present")]
    ContentNotPresent,
    /// Empty signature.
    #[error("signature not present or is empty")]
    SignatureNotPresent,
    /// No signing time for the scheme.
    #[error("signing-time not present")]
    SigningTimeNotPresent,
    /// `expiry <= signing time`.
    #[error("expiry cannot be equal or before the signing time")]
    ExpiryNotAfterSigningTime,
}

/// The verification-plugin gate (§3.2 step 2), run after integrity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributeGateError {
    /// The signature names a verification plugin; notation-go would run it (or be inconclusive
    /// without it). This auditor runs no plugins, so the result is inconclusive, treated as a
    /// failure.
    #[error(
        "inconclusive: plugin required: the signature requires verification plugin \"{plugin}\"{}",
        .min_version.as_ref().map(|v| format!(" with minimum version \"{v}\"")).unwrap_or_default()
    )]
    PluginRequired {
        /// Plugin name.
        plugin: String,
        /// `verificationPluginMinVersion`, if given.
        min_version: Option<String>,
    },
    /// A reserved plugin attribute that is not a non-empty critical string.
    #[error("invalid extended attribute \"{name}\": {reason}")]
    InvalidPluginAttribute {
        /// Attribute name.
        name: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// Critical extended attributes this verifier does not understand (spec: MUST fail;
    /// notation-go without a plugin ignores them).
    #[error("signature has unknown critical attributes: [{}]", .0.join(" "))]
    UnknownCriticalAttributes(Vec<String>),
}

/// Errors reading the signed payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The payload is not `{"targetArtifact": <descriptor>}` JSON.
    #[error("invalid signature payload: {0}")]
    Json(String),
    /// Two keys of the payload fold to one field (see [`sigaudit_gojson`]).
    #[error("invalid signature payload: {0}")]
    Ambiguous(String),
}

/// The OCI descriptor the signature covers (`targetArtifact`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Descriptor {
    /// Artifact manifest media type (defaults to empty, as Go's zero value).
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// `algorithm:hex` digest of the manifest (defaults to empty).
    #[serde(default)]
    pub digest: String,
    /// Manifest size in bytes (defaults to 0). Go's field is an `int64`: a larger number fails
    /// its decoding, and so it does here (a negative one too, which no manifest has).
    #[serde(default, deserialize_with = "go_int64_size")]
    pub size: u64,
    /// User metadata (`--user-metadata`); not part of descriptor equality.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Artifact type; not part of descriptor equality.
    #[serde(rename = "artifactType", default)]
    pub artifact_type: Option<String>,
    /// `urls`; not compared. It and `data` and `platform` are decoded so that a payload Go
    /// fails to decode (a non-base64 `data`, a wrongly typed `platform`) fails here too.
    #[serde(default)]
    pub urls: Option<Vec<String>>,
    /// `data` (standard base64 in JSON); not compared.
    #[serde(default, deserialize_with = "go_bytes")]
    pub data: Option<Vec<u8>>,
    /// `platform`; not compared.
    #[serde(default)]
    pub platform: Option<Platform>,
}

/// ocispec `Platform` (every field optional, as Go's zero values).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Platform {
    /// `architecture`.
    #[serde(default)]
    pub architecture: Option<String>,
    /// `os`.
    #[serde(default)]
    pub os: Option<String>,
    /// `os.version`.
    #[serde(rename = "os.version", default)]
    pub os_version: Option<String>,
    /// `os.features`.
    #[serde(rename = "os.features", default)]
    pub os_features: Option<Vec<String>>,
    /// `variant`.
    #[serde(default)]
    pub variant: Option<String>,
}

/// A JSON number Go decodes into a non-negative `int64`.
fn go_int64_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = i64::deserialize(d)?;
    u64::try_from(n).map_err(|_| serde::de::Error::custom(format!("size {n} is negative")))
}

/// Go's `[]byte` in JSON: a standard base64 string with padding.
fn go_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| decode_std(&s).map_err(serde::de::Error::custom))
        .transpose()
}

impl Descriptor {
    /// notation's descriptor equality (oras `content.Equal`): media type, digest and size, as
    /// exact strings; annotations and artifact type are ignored.
    pub fn same_content(&self, media_type: &str, digest: &str, size: u64) -> bool {
        self.media_type == media_type && self.digest == digest && self.size == size
    }
}

/// Parses an envelope blob according to the signature manifest layer's media type.
///
/// Only `application/jose+json` and `application/cose` are accepted (no sniffing). Parsing
/// checks structure, encodings, header value types and that every chain element is DER
/// X.509; the rules that notation applies after the crypto check are in [`verify_integrity`].
pub fn parse(media_type: &str, bytes: &[u8]) -> Result<Envelope, IntegrityError> {
    match media_type {
        MEDIA_TYPE_JWS => jws::parse(bytes),
        MEDIA_TYPE_COSE => cose::parse(bytes),
        other => Err(IntegrityError::UnsupportedMediaType(other.to_string())),
    }
}

/// [`parse`] followed by [`verify_integrity`].
pub fn parse_and_verify(media_type: &str, bytes: &[u8]) -> Result<Envelope, IntegrityError> {
    let env = parse(media_type, bytes)?;
    verify_integrity(&env)?;
    Ok(env)
}

/// The integrity checks after parsing, in notation-core-go's order: leaf key → algorithm
/// (must equal the header's), signature over [`Envelope::signed_bytes`], header rules, then the
/// content checks of §2.1. The chain rules of §3.3 are **not** run here (certificate module).
pub fn verify_integrity(env: &Envelope) -> Result<(), IntegrityError> {
    let leaf_der = env
        .cert_chain
        .first()
        .ok_or(IntegrityError::CertificateChainNotPresent)?;
    // The leaf as this crate's certificate type when it is one (shared across signatures, its
    // key parsed once); otherwise, as x509-cert reads it, like notation-core-go, and the
    // stricter certificate checks fail later with their own message.
    let shared = Cert::from_der_shared(leaf_der).0.ok();
    let fallback;
    let spki = match &shared {
        Some(cert) => &cert.parsed().tbs_certificate.subject_public_key_info,
        None => {
            fallback = Certificate::from_der(leaf_der)
                .map_err(|_| IntegrityError::MalformedLeafCertificate)?;
            &fallback.tbs_certificate.subject_public_key_info
        }
    };
    let derived = alg::derive_from_spki(spki)?;
    if derived != env.alg {
        return Err(IntegrityError::AlgorithmMismatch {
            derived,
            specified: env.alg,
        });
    }
    if env.signature.is_empty() {
        return Err(IntegrityError::SignatureNotPresent);
    }
    let salt = match env.format {
        EnvelopeFormat::Jws => alg::PssSalt::Any,
        EnvelopeFormat::Cose => alg::PssSalt::HashLength,
    };
    alg::verify_signature(
        derived,
        spki,
        shared.as_ref(),
        &env.signed_bytes,
        &env.signature,
        salt,
    )?;
    validate_headers(env)?;
    validate_content(env)
}

/// Header rules that notation-core-go applies after the crypto check.
fn validate_headers(env: &Envelope) -> Result<(), IntegrityError> {
    if env.format == EnvelopeFormat::Jws {
        match env.signing_scheme {
            SigningScheme::X509 => {
                if env.authentic_signing_time.is_some() {
                    return Err(IntegrityError::HeaderMustNotBePresent {
                        header: HEADER_AUTHENTIC_SIGNING_TIME,
                        scheme: SigningScheme::X509,
                    });
                }
            }
            SigningScheme::X509SigningAuthority => {
                if env.signing_time.is_some() {
                    return Err(IntegrityError::HeaderMustNotBePresent {
                        header: HEADER_SIGNING_TIME,
                        scheme: SigningScheme::X509SigningAuthority,
                    });
                }
                if env.authentic_signing_time.is_none() {
                    return Err(IntegrityError::HeaderMustBePresent(
                        HEADER_AUTHENTIC_SIGNING_TIME,
                    ));
                }
            }
        }
        if env.critical.is_empty() {
            return Err(IntegrityError::MissingCrit);
        }
    }
    // Headers that must be marked critical, in a fixed order for stable messages.
    let mut must: Vec<&str> = vec![HEADER_SIGNING_SCHEME];
    if env.expiry.is_some() {
        must.push(HEADER_EXPIRY);
    }
    if env.signing_scheme == SigningScheme::X509SigningAuthority {
        must.push(HEADER_AUTHENTIC_SIGNING_TIME);
    }
    for name in &env.critical {
        if let Some(pos) = must.iter().position(|m| m == name) {
            must.remove(pos);
        } else if env.format == EnvelopeFormat::Jws && env.extended_attribute(name).is_none() {
            // JWS: any other entry must name an extended attribute (so `alg`, `cty`, `crit`
            // or `signingTime`, and a repeated required name, fail). COSE presence was
            // checked at parse time, as go-cose does.
            return Err(IntegrityError::CriticalNotPresent(name.clone()));
        }
    }
    if !must.is_empty() {
        return Err(IntegrityError::RequiredHeadersNotCritical(
            must.into_iter().map(str::to_string).collect(),
        ));
    }
    Ok(())
}

/// notation-core-go `validateEnvelopeContent` (minus the chain rules).
fn validate_content(env: &Envelope) -> Result<(), IntegrityError> {
    if env.payload.is_empty() {
        return Err(IntegrityError::ContentNotPresent);
    }
    if env.payload_content_type != PAYLOAD_CONTENT_TYPE {
        return Err(IntegrityError::UnsupportedPayloadContentType(
            env.payload_content_type.clone(),
        ));
    }
    if env.signature.is_empty() {
        return Err(IntegrityError::SignatureNotPresent);
    }
    let signing_time = env
        .effective_signing_time()
        .ok_or(IntegrityError::SigningTimeNotPresent)?;
    if let Some(expiry) = env.expiry
        && expiry <= signing_time
    {
        return Err(IntegrityError::ExpiryNotAfterSigningTime);
    }
    Ok(())
}

/// The verification-plugin gate (§2.5, §3.2 step 2), to run after [`verify_integrity`].
///
/// * A signature naming `io.cncf.notary.verificationPlugin` fails as
///   [`AttributeGateError::PluginRequired`] (this auditor runs no plugins), after the
///   attribute's own checks (non-empty critical string), as notation-go does.
/// * Otherwise any critical extended attribute fails as
///   [`AttributeGateError::UnknownCriticalAttributes`]: the spec's rule. notation-go does not
///   check these without a plugin, so such a signature passes there.
pub fn check_extended_attributes(env: &Envelope) -> Result<(), AttributeGateError> {
    if let Some(attr) = env.extended_attribute(HEADER_VERIFICATION_PLUGIN) {
        if !attr.is_text {
            return Err(AttributeGateError::InvalidPluginAttribute {
                name: HEADER_VERIFICATION_PLUGIN,
                reason: "value is not a string",
            });
        }
        if attr.value.trim().is_empty() {
            return Err(AttributeGateError::InvalidPluginAttribute {
                name: HEADER_VERIFICATION_PLUGIN,
                reason: "value is an empty string",
            });
        }
        if !attr.critical {
            return Err(AttributeGateError::InvalidPluginAttribute {
                name: HEADER_VERIFICATION_PLUGIN,
                reason: "attribute is not marked critical",
            });
        }
        return Err(AttributeGateError::PluginRequired {
            plugin: attr.value.clone(),
            min_version: env.verification_plugin_min_version.clone(),
        });
    }
    let unknown: Vec<String> = env
        .extended_attributes
        .iter()
        .filter(|a| a.critical && a.name != HEADER_VERIFICATION_PLUGIN_MIN_VERSION)
        .map(|a| a.name.clone())
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(AttributeGateError::UnknownCriticalAttributes(unknown))
    }
}

/// Reads `{"targetArtifact": <descriptor>}` from the payload (§3.2 step 9).
///
/// Read as notation-go reads it (`json.Unmarshal` into `envelope.Payload`): keys match fields
/// under Go's folding (`TargetArtifact`, `mediaType`, `ſize`), unknown members are ignored and
/// missing descriptor fields default to empty/zero (the descriptor comparison then fails). A
/// payload in which two keys fold to one field is refused as ambiguous ([`sigaudit_gojson`]).
pub fn target_artifact(env: &Envelope) -> Result<Descriptor, PayloadError> {
    parse_payload(&env.payload)
}

/// [`target_artifact`] of payload bytes.
pub fn parse_payload(payload: &[u8]) -> Result<Descriptor, PayloadError> {
    #[derive(Deserialize)]
    struct Payload {
        #[serde(rename = "targetArtifact")]
        target_artifact: Descriptor,
    }
    sigaudit_gojson::from_slice::<Payload>(payload)
        .map(|p| p.target_artifact)
        .map_err(|e| match e {
            sigaudit_gojson::Error::Ambiguous { .. } => PayloadError::Ambiguous(e.to_string()),
            other => PayloadError::Json(other.to_string()),
        })
}

/// Parses every chain element as X.509 DER (a bad leaf is `malformed leaf certificate`).
pub(crate) fn check_chain_parses(chain: &[Vec<u8>]) -> Result<(), IntegrityError> {
    if chain.is_empty() {
        return Err(IntegrityError::CertificateChainNotPresent);
    }
    for (i, der) in chain.iter().enumerate() {
        if !Cert::from_der_shared(der).1 {
            return Err(if i == 0 {
                IntegrityError::MalformedLeafCertificate
            } else {
                IntegrityError::MalformedCertificate(i)
            });
        }
    }
    Ok(())
}

/// Go `base64.RawURLEncoding`: URL alphabet, no padding, trailing bits tolerated.
const RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Go `base64.StdEncoding` (JSON `[]byte`): standard alphabet, padding required.
const STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Invalid base64, reported as Go's `base64.CorruptInputError`: notation's messages quote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal base64 data at input byte {offset}")]
pub struct Base64Error {
    /// Where Go's decoder stops: the offending byte, or where the padding or length went wrong.
    pub offset: usize,
}

/// Decodes base64url without padding, failing as Go does.
pub(crate) fn decode_raw_url(input: &str) -> Result<Vec<u8>, Base64Error> {
    RAW_URL
        .decode(input)
        .map_err(|e| go_base64_error(input, &e))
}

/// Decodes standard padded base64, with Go's error text.
pub(crate) fn decode_std(input: &str) -> Result<Vec<u8>, Base64Error> {
    STD.decode(input).map_err(|e| go_base64_error(input, &e))
}

/// A base64 error as Go's `CorruptInputError`.
fn go_base64_error(input: &str, e: &base64::DecodeError) -> Base64Error {
    let offset = match e {
        base64::DecodeError::InvalidByte(off, _)
        | base64::DecodeError::InvalidLastSymbol(off, _) => *off,
        base64::DecodeError::InvalidLength(len) => len.saturating_sub(1),
        base64::DecodeError::InvalidPadding => input.find('=').unwrap_or(input.len()),
    };
    Base64Error { offset }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers to build envelopes with a throw-away key (aws-lc-rs) for the rule tests.
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use std::path::PathBuf;

    /// Vector directory (`shared/vectors/notation`), or `None` to skip.
    pub fn notation_dir() -> Option<PathBuf> {
        crate::test_vectors::dir().map(|d| d.join("notation"))
    }

    /// Reads a vector file relative to the notation vector directory.
    pub fn read(rel: &str) -> Option<Vec<u8>> {
        let p = notation_dir()?.join(rel);
        Some(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
    }

    /// A P-256 key pair.
    pub fn p256_key() -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap()
    }

    /// Signs with the P-256 key (raw R‖S).
    pub fn sign(key: &EcdsaKeyPair, msg: &[u8]) -> Vec<u8> {
        key.sign(&SystemRandom::new(), msg)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    /// A certificate carrying `key`: the synthetic ES256 leaf with its SPKI point replaced (its
    /// private key is not in the vectors). The certificate's own signature becomes invalid,
    /// which this module never checks (chain rules live in the certificate module).
    pub fn leaf_cert_for(key: &EcdsaKeyPair) -> Vec<u8> {
        let pem = super::test_support::read("synthetic/pki/leaf-ES256.pem")
            .expect("vectors needed for rule tests");
        let block = pem::parse(pem).unwrap();
        let mut der = block.contents().to_vec();
        let pt = key.public_key().as_ref();
        assert_eq!(pt.len(), 65);
        let pos = der
            .windows(3)
            .position(|w| w == [0x03, 0x42, 0x00])
            .expect("P-256 SPKI bit string");
        der[pos + 3..pos + 3 + 65].copy_from_slice(pt);
        der
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_env() -> Envelope {
        Envelope {
            format: EnvelopeFormat::Jws,
            payload: b"{}".to_vec(),
            payload_content_type: PAYLOAD_CONTENT_TYPE.to_string(),
            signing_scheme: SigningScheme::X509,
            signing_time: Some(DateTime::from_timestamp(1_700_000_000, 0).unwrap()),
            authentic_signing_time: None,
            expiry: None,
            critical: vec![HEADER_SIGNING_SCHEME.to_string()],
            extended_attributes: vec![],
            verification_plugin: None,
            verification_plugin_min_version: None,
            cert_chain: vec![],
            timestamp_token: None,
            signature: vec![1],
            signing_agent: None,
            alg: Algorithm::ES256,
            signed_bytes: vec![],
        }
    }

    #[test]
    fn media_type_dispatch() {
        let e = parse("application/vnd.oci.image.layer.v1.tar", b"x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "signature envelope format with media type \"application/vnd.oci.image.layer.v1.tar\" is not supported"
        );
    }

    #[test]
    fn header_rules_jws() {
        assert_eq!(validate_headers(&base_env()), Ok(()));
        let mut e = base_env();
        e.critical.clear();
        assert_eq!(validate_headers(&e), Err(IntegrityError::MissingCrit));
        let mut e = base_env();
        e.critical.push("alg".into());
        assert_eq!(
            validate_headers(&e).unwrap_err().to_string(),
            "\"alg\" header is marked critical but not present"
        );
        let mut e = base_env();
        e.critical.push(HEADER_SIGNING_SCHEME.into());
        assert!(matches!(
            validate_headers(&e),
            Err(IntegrityError::CriticalNotPresent(_))
        ));
        let mut e = base_env();
        e.expiry = Some(DateTime::from_timestamp(1_800_000_000, 0).unwrap());
        assert_eq!(
            validate_headers(&e).unwrap_err().to_string(),
            "these required headers are not marked as critical: [io.cncf.notary.expiry]"
        );
        let mut e = base_env();
        e.critical = vec![HEADER_SIGNING_TIME.into(), HEADER_SIGNING_SCHEME.into()];
        assert!(matches!(
            validate_headers(&e),
            Err(IntegrityError::CriticalNotPresent(_))
        ));
        // Critical extended attribute present: fine for integrity.
        let mut e = base_env();
        e.critical.push("x".into());
        e.extended_attributes.push(ExtendedAttribute {
            name: "x".into(),
            critical: true,
            value: "1".into(),
            is_text: false,
        });
        assert_eq!(validate_headers(&e), Ok(()));
        assert_eq!(
            check_extended_attributes(&e),
            Err(AttributeGateError::UnknownCriticalAttributes(vec![
                "x".into()
            ]))
        );
    }

    #[test]
    fn header_rules_scheme_times() {
        let mut e = base_env();
        e.authentic_signing_time = e.signing_time;
        assert_eq!(
            validate_headers(&e).unwrap_err().to_string(),
            "\"io.cncf.notary.authenticSigningTime\" header must not be present for notary.x509 signing scheme"
        );
        let mut e = base_env();
        e.signing_scheme = SigningScheme::X509SigningAuthority;
        assert_eq!(
            validate_headers(&e).unwrap_err().to_string(),
            "\"io.cncf.notary.signingTime\" header must not be present for notary.x509.signingAuthority signing scheme"
        );
        e.authentic_signing_time = e.signing_time.take();
        assert_eq!(
            validate_headers(&e).unwrap_err().to_string(),
            "these required headers are not marked as critical: [io.cncf.notary.authenticSigningTime]"
        );
        e.critical.push(HEADER_AUTHENTIC_SIGNING_TIME.into());
        assert_eq!(validate_headers(&e), Ok(()));
        e.authentic_signing_time = None;
        assert_eq!(
            validate_headers(&e).unwrap_err().to_string(),
            "\"io.cncf.notary.authenticSigningTime\" header must be present for notary.x509 signing scheme"
        );
        // COSE does not reject the "other" time label, and checks no JWS-only rules.
        let mut e = base_env();
        e.format = EnvelopeFormat::Cose;
        e.authentic_signing_time = e.signing_time;
        assert_eq!(validate_headers(&e), Ok(()));
    }

    #[test]
    fn content_rules() {
        assert_eq!(validate_content(&base_env()), Ok(()));
        let mut e = base_env();
        e.payload.clear();
        assert_eq!(
            validate_content(&e).unwrap_err().to_string(),
            "content not present"
        );
        let mut e = base_env();
        e.payload_content_type = "application/json".into();
        assert_eq!(
            validate_content(&e).unwrap_err().to_string(),
            "payload content type \"application/json\" not supported"
        );
        let mut e = base_env();
        e.signing_time = None;
        assert_eq!(
            validate_content(&e).unwrap_err().to_string(),
            "signing-time not present"
        );
        let mut e = base_env();
        e.expiry = e.signing_time;
        assert_eq!(
            validate_content(&e).unwrap_err().to_string(),
            "expiry cannot be equal or before the signing time"
        );
        e.expiry = e.signing_time.map(|t| t + chrono::Duration::seconds(1));
        assert_eq!(validate_content(&e), Ok(()));
        let mut e = base_env();
        e.signing_scheme = SigningScheme::X509SigningAuthority;
        assert_eq!(
            validate_content(&e),
            Err(IntegrityError::SigningTimeNotPresent)
        );
    }

    #[test]
    fn plugin_gate() {
        let mut e = base_env();
        assert_eq!(check_extended_attributes(&e), Ok(()));
        e.extended_attributes.push(ExtendedAttribute {
            name: HEADER_VERIFICATION_PLUGIN.into(),
            critical: false,
            value: "p".into(),
            is_text: true,
        });
        assert!(matches!(
            check_extended_attributes(&e),
            Err(AttributeGateError::InvalidPluginAttribute { .. })
        ));
        e.extended_attributes[0].critical = true;
        e.verification_plugin_min_version = Some("1.0.0".into());
        let err = check_extended_attributes(&e).unwrap_err();
        assert!(err.to_string().starts_with("inconclusive: plugin required"));
        assert!(err.to_string().contains("\"1.0.0\""));
        e.extended_attributes[0].value = " ".into();
        assert!(matches!(
            check_extended_attributes(&e),
            Err(AttributeGateError::InvalidPluginAttribute { .. })
        ));
    }

    #[test]
    fn base64_errors_like_go() {
        assert_eq!(decode_raw_url("AAAA").unwrap(), vec![0, 0, 0]);
        assert_eq!(
            decode_raw_url("AAA=").unwrap_err().to_string(),
            "illegal base64 data at input byte 3"
        );
        assert_eq!(
            decode_raw_url("AA*A").unwrap_err().to_string(),
            "illegal base64 data at input byte 2"
        );
        assert!(decode_raw_url("AAAAA").is_err());
        // Trailing bits are tolerated, as in Go's non-strict decoder.
        assert!(decode_raw_url("AB").is_ok());
        assert_eq!(decode_std("AA==").unwrap(), vec![0]);
        assert!(decode_std("AA").is_err());
    }

    #[test]
    fn target_artifact_parsing() {
        let mut e = base_env();
        e.payload = br#"{"targetArtifact":{"digest":"sha256:ab","mediaType":"m","size":5,"annotations":{"k":"v"},"x":1}}"#.to_vec();
        let d = target_artifact(&e).unwrap();
        assert!(d.same_content("m", "sha256:ab", 5));
        assert!(!d.same_content("m", "sha256:ab", 6));
        assert_eq!(d.annotations.get("k").map(String::as_str), Some("v"));
        e.payload = b"[]".to_vec();
        assert!(target_artifact(&e).is_err());
        e.payload = br#"{"targetArtifact":{"size":1,"size":2}}"#.to_vec();
        assert!(matches!(
            target_artifact(&e),
            Err(PayloadError::Ambiguous(_))
        ));
        // Go's folding: these spellings name the fields, once.
        e.payload = r#"{"TargetArtifact":{"DIGEST":"sha256:ab","mediatype":"m","ſize":5}}"#
            .as_bytes()
            .to_vec();
        assert!(
            target_artifact(&e)
                .unwrap()
                .same_content("m", "sha256:ab", 5)
        );
        for ambiguous in [
            r#"{"targetArtifact":{"digest":"sha256:ab"},"TargetArtifact":{"digest":"sha256:cd"}}"#,
            r#"{"targetArtifact":{"digest":"sha256:ab","Digest":"sha256:cd"}}"#,
            r#"{"targetArtifact":{"size":5,"\u017fize":6}}"#,
        ] {
            e.payload = ambiguous.as_bytes().to_vec();
            assert!(
                matches!(target_artifact(&e), Err(PayloadError::Ambiguous(_))),
                "{ambiguous}"
            );
        }
        // What Go fails to decode fails here too.
        for bad in [
            r#"{"targetArtifact":{"size":9223372036854775808}}"#,
            r#"{"targetArtifact":{"size":1.0}}"#,
            r#"{"targetArtifact":{"data":"!!"}}"#,
            r#"{"targetArtifact":{"platform":"linux"}}"#,
            r#"{"targetArtifact":{"urls":"u"}}"#,
            r#"{"targetArtifact":[]}"#,
        ] {
            e.payload = bad.as_bytes().to_vec();
            assert!(
                matches!(target_artifact(&e), Err(PayloadError::Json(_))),
                "{bad}"
            );
        }
    }
}

#[cfg(test)]
mod vector_tests {
    //! Conformance over the shared vectors (skipped when `test_vectors::dir()` is `None`).
    use super::test_support::notation_dir;
    use super::*;
    use serde_json::Value;
    use std::path::Path;

    fn load_json(p: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    }

    /// Integrity + plugin gate, as one outcome string for assertions.
    fn outcome(media_type: &str, bytes: &[u8]) -> Result<Envelope, String> {
        let env = parse_and_verify(media_type, bytes).map_err(|e| format!("integrity: {e}"))?;
        check_extended_attributes(&env).map_err(|e| format!("gate: {e}"))?;
        Ok(env)
    }

    fn same(d: &Descriptor, want: &Value) -> bool {
        d.same_content(
            want["mediaType"].as_str().unwrap(),
            want["digest"].as_str().unwrap(),
            want["size"].as_u64().unwrap(),
        )
    }

    #[test]
    fn expected_outcomes_envelope_cases() {
        let Some(dir) = notation_dir() else {
            return;
        };
        let doc = load_json(&dir.join("expected-outcomes.json"));
        let mut checked = 0;
        for case in doc["cases"].as_array().unwrap() {
            let input = &case["input"];
            let (Some(path), Some(mt)) = (
                input["envelope"].as_str(),
                input["envelope_media_type"].as_str(),
            ) else {
                continue;
            };
            let id = case["id"].as_str().unwrap();
            let expected = case["expected"].to_string();
            let want_integrity_fail = expected.contains("FAIL integrity");
            let want_gate_fail = expected.contains("inconclusive");
            let bytes = std::fs::read(dir.join(path)).unwrap();
            match outcome(mt, &bytes) {
                Ok(env) => {
                    assert!(
                        !want_integrity_fail && !want_gate_fail,
                        "{id}: passed, expected {expected}"
                    );
                    let d = target_artifact(&env).unwrap();
                    assert!(same(&d, &case["artifact_descriptor"]), "{id}: descriptor");
                }
                Err(e) if e.starts_with("integrity") => {
                    assert!(want_integrity_fail, "{id}: {e}; expected {expected}")
                }
                Err(e) => assert!(want_gate_fail, "{id}: {e}; expected {expected}"),
            }
            if id == "mock-ca-invalid" {
                let e = parse_and_verify(mt, &bytes).unwrap_err().to_string();
                assert_eq!(
                    e,
                    "signature is invalid. Error: illegal base64 data at input byte 242"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 31, "envelope cases (29 envelope + 2 detached)");
    }

    /// Every JWS envelope reachable from the notation-e2e OCI layouts.
    #[test]
    fn e2e_layout_envelopes() {
        let Some(dir) = notation_dir() else {
            return;
        };
        let root = dir.join("notation-e2e/oci_layout");
        let mut verified = 0;
        let mut unsupported = 0;
        for layout in std::fs::read_dir(&root).unwrap() {
            let layout = layout.unwrap().path();
            let blob = |digest: &str| {
                let hex = digest.strip_prefix("sha256:").unwrap();
                std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()
            };
            let index = load_json(&layout.join("index.json"));
            let mut seen = std::collections::BTreeSet::new();
            for m in index["manifests"].as_array().unwrap() {
                let digest = m["digest"].as_str().unwrap();
                let manifest: Value = serde_json::from_slice(&blob(digest)).unwrap();
                let config_mt = manifest["config"]["mediaType"].as_str().unwrap_or_default();
                let is_sig = manifest["artifactType"].as_str()
                    == Some("application/vnd.cncf.notary.signature")
                    || config_mt == "application/vnd.cncf.notary.signature";
                if !is_sig || !seen.insert(digest.to_string()) {
                    continue;
                }
                let subject = &manifest["subject"];
                let layers = manifest["layers"].as_array().unwrap();
                assert_eq!(layers.len(), 1);
                let mt = layers[0]["mediaType"].as_str().unwrap();
                let bytes = blob(layers[0]["digest"].as_str().unwrap());
                match parse_and_verify(mt, &bytes) {
                    Ok(env) => {
                        check_extended_attributes(&env).unwrap();
                        let d = target_artifact(&env).unwrap();
                        assert!(
                            same(&d, subject),
                            "{}: payload != subject",
                            layout.display()
                        );
                        assert_eq!(env.alg, Algorithm::PS256);
                        verified += 1;
                    }
                    Err(IntegrityError::UnsupportedMediaType(_)) => {
                        assert!(layout.ends_with("e2e-invalid-signature"));
                        unsupported += 1;
                    }
                    Err(e) => panic!("{}: {e}", layout.display()),
                }
            }
        }
        assert_eq!((verified, unsupported), (7, 1));
    }

    /// The synthetic ECDSA set. Chain-rule vectors (non-critical key usage, incomplete chain)
    /// pass here: those rules belong to the certificate module.
    #[test]
    fn synthetic_envelopes() {
        let Some(dir) = notation_dir() else {
            return;
        };
        let base = dir.join("synthetic");
        let doc = load_json(&base.join("manifest-of-vectors.json"));
        let subject = &doc["subject"];
        for v in doc["vectors"].as_array().unwrap() {
            let file = v["envelope"].as_str().unwrap();
            let mt = if file.ends_with(".cose") {
                MEDIA_TYPE_COSE
            } else {
                MEDIA_TYPE_JWS
            };
            let bytes = std::fs::read(base.join(file)).unwrap();
            let name = file.trim_start_matches("envelopes/");
            let res = outcome(mt, &bytes);
            match name {
                "jws-ES256-der-signature.json" | "jws-ES256-tampered-payload.json" => {
                    assert!(
                        matches!(
                            parse_and_verify(mt, &bytes),
                            Err(IntegrityError::SignatureInvalid(_))
                        ),
                        "{name}: {res:?}"
                    )
                }
                "jws-alg-mismatch.json" => assert!(
                    matches!(
                        parse_and_verify(mt, &bytes),
                        Err(IntegrityError::AlgorithmMismatch {
                            derived: Algorithm::ES256,
                            specified: Algorithm::ES384
                        })
                    ),
                    "{name}: {res:?}"
                ),
                "cose-ES256-x5chain-single-bstr.cose" => assert_eq!(
                    parse(mt, &bytes).unwrap_err(),
                    IntegrityError::CertificateChainNotPresent
                ),
                "jws-ES256-unknown-critical.json" => {
                    assert!(parse_and_verify(mt, &bytes).is_ok());
                    assert_eq!(
                        res.unwrap_err(),
                        "gate: signature has unknown critical attributes: [io.example.unknownCritical]"
                    );
                }
                _ => {
                    let env = res.unwrap_or_else(|e| panic!("{name}: {e}"));
                    let want = match name {
                        n if n.contains("ES384") => Algorithm::ES384,
                        n if n.contains("ES512") => Algorithm::ES512,
                        _ => Algorithm::ES256,
                    };
                    assert_eq!(env.alg, want, "{name}");
                    assert_eq!(
                        env.cert_chain.len(),
                        if name.contains("incomplete") { 2 } else { 3 },
                        "{name}"
                    );
                    let d = target_artifact(&env).unwrap();
                    assert_eq!(
                        same(&d, subject),
                        !name.contains("descriptor-mismatch"),
                        "{name}"
                    );
                }
            }
        }
    }

    /// The synthetic zot repo holds the same envelopes, under the same layer media types.
    #[test]
    fn synthetic_zot_rootdir_blobs() {
        let Some(dir) = notation_dir() else {
            return;
        };
        let base = dir.join("synthetic");
        let repo = base.join("zot-rootdir/synthetic/app");
        let doc = load_json(&base.join("manifest-of-vectors.json"));
        for v in doc["vectors"].as_array().unwrap() {
            let blob = |d: &str| {
                std::fs::read(
                    repo.join("blobs/sha256")
                        .join(d.strip_prefix("sha256:").unwrap()),
                )
                .unwrap()
            };
            let manifest: Value =
                serde_json::from_slice(&blob(v["signature_manifest"].as_str().unwrap())).unwrap();
            let layer = &manifest["layers"][0];
            assert_eq!(layer["digest"], v["envelope_blob"]);
            let file = std::fs::read(base.join(v["envelope"].as_str().unwrap())).unwrap();
            assert_eq!(blob(v["envelope_blob"].as_str().unwrap()), file);
            let mt = layer["mediaType"].as_str().unwrap();
            let direct = if v["envelope"].as_str().unwrap().ends_with(".cose") {
                MEDIA_TYPE_COSE
            } else {
                MEDIA_TYPE_JWS
            };
            assert_eq!(mt, direct);
        }
    }

    /// All mock envelopes parse; the plugin ones carry their plugin attributes.
    #[test]
    fn mock_envelope_attributes() {
        let Some(dir) = notation_dir() else {
            return;
        };
        let bytes =
            std::fs::read(dir.join("notation-go/mock-envelopes/ca_plugin_sig_env.json")).unwrap();
        let env = parse(MEDIA_TYPE_JWS, &bytes).unwrap();
        assert_eq!(env.verification_plugin.as_deref(), Some("plugin-name"));
        assert!(env.extended_attribute("SomeKey").unwrap().critical);
        assert_eq!(env.alg, Algorithm::PS384);
        // Go's encoding/json reads the old capital-S key into `signingAgent` (key folding).
        assert_eq!(env.signing_agent.as_deref(), Some("Notation/1.0.0"));
        let bytes = std::fs::read(
            dir.join("notation-go/mock-envelopes/ca_incompatible_pluginver_sig_env_1.2.3.json"),
        )
        .unwrap();
        let env = parse(MEDIA_TYPE_JWS, &bytes).unwrap();
        assert_eq!(
            env.verification_plugin_min_version.as_deref(),
            Some("1.2.3")
        );
        let bytes =
            std::fs::read(dir.join("notation-go/timestamp/sigEnv/coseWithTimestamp.sig")).unwrap();
        let env = parse(MEDIA_TYPE_COSE, &bytes).unwrap();
        assert!(env.timestamp_token.is_some());
        assert_eq!(env.alg, Algorithm::PS256);
        let bytes =
            std::fs::read(dir.join("notation-go/mock-envelopes/sa_valid_sig_env.json")).unwrap();
        let env = parse(MEDIA_TYPE_JWS, &bytes).unwrap();
        assert_eq!(env.signing_scheme, SigningScheme::X509SigningAuthority);
        assert!(env.signing_time.is_none() && env.authentic_signing_time.is_some());
    }

    /// The JWS conformance vector has no x5c: header parsing only.
    #[test]
    fn jws_conformance_header() {
        let Some(dir) = notation_dir() else {
            return;
        };
        let v = load_json(&dir.join("notation-core-go/conformance/jws-conformance.json"));
        let prot = decode_raw_url(v["protected"].as_str().unwrap()).unwrap();
        let h = jws::parse_protected(&prot).unwrap();
        assert_eq!(h.alg, Algorithm::ES256);
        assert_eq!(h.extended.len(), 5);
        assert!(
            h.extended
                .iter()
                .any(|a| a.name == "signedCritKey1" && a.critical)
        );
        assert!(h.expiry.is_some() && h.signing_time.is_some());
        assert_eq!(
            parse(MEDIA_TYPE_JWS, &serde_json::to_vec(&v).unwrap()).unwrap_err(),
            IntegrityError::CertificateChainNotPresent
        );
    }
}
