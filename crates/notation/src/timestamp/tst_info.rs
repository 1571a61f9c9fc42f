//! RFC 3161 `TSTInfo`, decoded by hand (reference §6.1: `x509-tsp` and `der`'s
//! GeneralizedTime refuse fractional seconds such as `20250121091746.641Z`, which Go accepts
//! and Microsoft's TSA emits), and tspclient-go's `TSTInfo.Validate` (§3.6 step 4).

use chrono::{DateTime, Duration, Utc};

use super::asn1::{self, Asn1Error, Reader, Tlv, tag};
use crate::x509::{HashAlg, oids};

/// The baseline time-stamp policy of ETSI EN 319 421 (`0.4.0.2023.1.1`); a token under it
/// that states no accuracy is taken to be accurate to one second (RFC 3628 §5.1).
pub const BASELINE_TIMESTAMP_POLICY: &str = "0.4.0.2023.1.1";

/// `Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER OPTIONAL,
/// micros [1] INTEGER OPTIONAL }`; absent fields (or an absent Accuracy) are 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accuracy {
    /// Whole seconds.
    pub seconds: i64,
    /// Milliseconds (RFC 3161: 1..999, not enforced, as in Go).
    pub millis: i64,
    /// Microseconds (RFC 3161: 1..999, not enforced, as in Go).
    pub micros: i64,
}

/// A decoded `TSTInfo` (RFC 3161 §2.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TstInfo {
    /// Syntax version; [`TstInfo::validate`] requires 1.
    pub version: i64,
    /// TSA policy, dotted OID.
    pub policy: String,
    /// messageImprint hashAlgorithm, dotted OID.
    pub hash_algorithm: String,
    /// messageImprint hashedMessage.
    pub hashed_message: Vec<u8>,
    /// serialNumber INTEGER content (big-endian two's complement).
    pub serial_number: Vec<u8>,
    /// genTime, fractional seconds kept.
    pub gen_time: DateTime<Utc>,
    /// accuracy (all zero when absent).
    pub accuracy: Accuracy,
    /// ordering (DEFAULT FALSE).
    pub ordering: bool,
    /// nonce INTEGER content, if present.
    pub nonce: Option<Vec<u8>>,
    /// tsa `[0]` GeneralName, raw, if present.
    pub tsa: Option<Vec<u8>>,
    /// extensions `[1]`, raw, if present.
    pub extensions: Option<Vec<u8>>,
}

/// A `TSTInfo.Validate` failure; `Display` follows tspclient-go's `TSTInfoError` detail
/// (notation prefixes `invalid TSTInfo: `).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TstInfoError {
    /// version != 1.
    #[error("timestamp token info version must be 1, but got {0}")]
    Version(i64),
    /// messageImprint hash other than SHA-256/384/512.
    #[error("unrecognized hash algorithm: {0}")]
    UnrecognizedHash(String),
    /// hashedMessage != H(message).
    #[error("mismatched message")]
    MismatchedMessage,
    /// A negative accuracy field, or one so large the range cannot be computed (our rule;
    /// Go would silently overflow).
    #[error("accuracy out of range")]
    AccuracyOutOfRange,
}

impl TstInfo {
    /// Decodes DER `TSTInfo` (the eContent octets). Trailing data, inside or after the
    /// SEQUENCE, is rejected.
    pub fn decode(der: &[u8]) -> Result<TstInfo, Asn1Error> {
        let seq = asn1::single(der, tag::SEQUENCE, "TSTInfo")?;
        let mut r = Reader::new(seq.content);
        let version = asn1::int_i64(&r.expect(tag::INTEGER, "version")?, "version")?;
        let policy = asn1::oid_string(r.expect(tag::OID, "policy")?.content)
            .map_err(|e| e.within("policy"))?;
        let (hash_algorithm, hashed_message) =
            message_imprint(&r.expect(tag::SEQUENCE, "messageImprint")?)?;
        let serial = r.expect(tag::INTEGER, "serialNumber")?;
        asn1::check_integer(serial.content).map_err(|e| e.within("serialNumber"))?;
        let gen_time = asn1::generalized_time(
            r.expect(tag::GENERALIZED_TIME, "genTime")?.content,
            "genTime",
        )?;
        let accuracy = match r.optional(tag::SEQUENCE, "accuracy")? {
            Some(a) => accuracy(&a)?,
            None => Accuracy::default(),
        };
        let ordering = match r.optional(tag::BOOLEAN, "ordering")? {
            Some(b) => asn1::boolean(&b, "ordering")?,
            None => false,
        };
        let nonce = match r.optional(tag::INTEGER, "nonce")? {
            Some(n) => {
                asn1::check_integer(n.content).map_err(|e| e.within("nonce"))?;
                Some(n.content.to_vec())
            }
            None => None,
        };
        let tsa = r.optional(tag::ctx(0), "tsa")?.map(|t| t.full.to_vec());
        let extensions = match r.optional(tag::ctx(1), "extensions")? {
            Some(e) => {
                check_extensions(e.content)?;
                Some(e.full.to_vec())
            }
            None => None,
        };
        r.finish("TSTInfo")?;
        Ok(TstInfo {
            version,
            policy,
            hash_algorithm,
            hashed_message,
            serial_number: serial.content.to_vec(),
            gen_time,
            accuracy,
            ordering,
            nonce,
            tsa,
            extensions,
        })
    }

    /// tspclient-go `TSTInfo.Validate(message)`: version 1, a SHA-2 imprint equal to
    /// `H(message)`; returns the imprint hash and the accuracy. The accuracy is 1 s for the
    /// baseline policy with no (or an all-zero) accuracy, otherwise
    /// `seconds + millis + micros` (0 when absent).
    pub fn validate(&self, message: &[u8]) -> Result<(HashAlg, Duration), TstInfoError> {
        if self.version != 1 {
            return Err(TstInfoError::Version(self.version));
        }
        let hash = [
            (oids::SHA256, HashAlg::Sha256),
            (oids::SHA384, HashAlg::Sha384),
            (oids::SHA512, HashAlg::Sha512),
        ]
        .into_iter()
        .find(|(oid, _)| oid.to_string() == self.hash_algorithm)
        .map(|(_, h)| h)
        .ok_or_else(|| TstInfoError::UnrecognizedHash(self.hash_algorithm.clone()))?;
        if hash.digest(message) != self.hashed_message {
            return Err(TstInfoError::MismatchedMessage);
        }
        let a = self.accuracy;
        if a.seconds < 0 || a.millis < 0 || a.micros < 0 {
            return Err(TstInfoError::AccuracyOutOfRange);
        }
        let accuracy = if a == Accuracy::default() && self.policy == BASELINE_TIMESTAMP_POLICY {
            Duration::seconds(1)
        } else {
            Duration::try_seconds(a.seconds)
                .zip(Duration::try_milliseconds(a.millis))
                .and_then(|(s, m)| s.checked_add(&m))
                .and_then(|d| d.checked_add(&Duration::microseconds(a.micros)))
                .ok_or(TstInfoError::AccuracyOutOfRange)?
        };
        // The range must be representable.
        self.gen_time
            .checked_sub_signed(accuracy)
            .zip(self.gen_time.checked_add_signed(accuracy))
            .ok_or(TstInfoError::AccuracyOutOfRange)?;
        Ok((hash, accuracy))
    }
}

fn message_imprint(t: &Tlv<'_>) -> Result<(String, Vec<u8>), Asn1Error> {
    let mut r = Reader::new(t.content);
    let alg = asn1::algorithm_oid(&r.expect(tag::SEQUENCE, "hashAlgorithm")?, "hashAlgorithm")?;
    let hashed = r.expect(tag::OCTET_STRING, "hashedMessage")?;
    r.finish("messageImprint")?;
    Ok((asn1::oid_string(alg)?, hashed.content.to_vec()))
}

fn accuracy(t: &Tlv<'_>) -> Result<Accuracy, Asn1Error> {
    let mut r = Reader::new(t.content);
    let mut a = Accuracy::default();
    if let Some(s) = r.optional(tag::INTEGER, "accuracy seconds")? {
        a.seconds = asn1::int_i64(&s, "accuracy seconds")?;
    }
    if let Some(m) = r.optional(tag::ctx_prim(0), "accuracy millis")? {
        a.millis = asn1::int_i64(&m, "accuracy millis")?;
    }
    if let Some(u) = r.optional(tag::ctx_prim(1), "accuracy micros")? {
        a.micros = asn1::int_i64(&u, "accuracy micros")?;
    }
    r.finish("accuracy")?;
    Ok(a)
}

/// `Extensions ::= SEQUENCE OF Extension` (IMPLICIT `[1]`), each
/// `SEQUENCE { OID, BOOLEAN DEFAULT FALSE, OCTET STRING }`.
fn check_extensions(content: &[u8]) -> Result<(), Asn1Error> {
    for ext in asn1::elements(content, "extension")? {
        if ext.tag != tag::SEQUENCE {
            return Err(Asn1Error::ExpectedSequence.within("extension"));
        }
        let mut r = Reader::new(ext.content);
        asn1::oid_string(r.expect(tag::OID, "extnID")?.content)?;
        if let Some(b) = r.optional(tag::BOOLEAN, "critical")? {
            asn1::boolean(&b, "critical")?;
        }
        r.expect(tag::OCTET_STRING, "extnValue")?;
        r.finish("extension")?;
    }
    Ok(())
}
