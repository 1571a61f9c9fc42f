//! JWS envelope (`application/jose+json`), flattened JSON serialization only (reference §2.3).
//!
//! The envelope is parsed by hand (no JOSE library) so that the signing input is exactly
//! `ASCII(protected "." payload)` as received, and so that the header rules are ours.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use sigaudit_gojson as gojson;

use crate::envelope::{
    Algorithm, Envelope, EnvelopeFormat, ExtendedAttribute, HEADER_AUTHENTIC_SIGNING_TIME,
    HEADER_EXPIRY, HEADER_SIGNING_SCHEME, HEADER_SIGNING_TIME, HEADER_VERIFICATION_PLUGIN,
    HEADER_VERIFICATION_PLUGIN_MIN_VERSION, IntegrityError, SigningScheme, check_chain_parses,
    decode_raw_url, decode_std,
};

/// Protected header names that notation itself interprets; anything else is an extended
/// attribute (notation-core-go `headerKeys`).
const KNOWN_KEYS: [&str; 7] = [
    "alg",
    "cty",
    "crit",
    HEADER_EXPIRY,
    HEADER_SIGNING_TIME,
    HEADER_SIGNING_SCHEME,
    HEADER_AUTHENTIC_SIGNING_TIME,
];

/// The flattened JWS object (notation-core-go `jwsEnvelope`), decoded with Go's field matching
/// ([`gojson::from_slice`]). Missing members default to empty (Go zero values); unknown
/// members are ignored, as Go does; keys that fold to one field are refused as ambiguous.
#[derive(Deserialize)]
struct RawJws {
    #[serde(default)]
    payload: String,
    #[serde(default)]
    protected: String,
    #[serde(default)]
    header: RawUnprotected,
    #[serde(default)]
    signature: String,
}

/// Unprotected header: only these three keys are read; others are ignored. The legacy
/// `io.cncf.notary.SigningAgent` folds to `signingAgent`, as Go reads it.
#[derive(Deserialize, Default)]
struct RawUnprotected {
    #[serde(default)]
    x5c: Option<Vec<String>>,
    #[serde(rename = "io.cncf.notary.timestampSignature", default)]
    timestamp: Option<String>,
    #[serde(rename = "io.cncf.notary.signingAgent", default)]
    signing_agent: Option<String>,
}

/// Parses a JWS envelope into an [`Envelope`] (no crypto, no post-crypto header rules).
///
/// Order follows notation-core-go / golang-jwt: envelope JSON and unprotected header, chain
/// DER, protected header (base64url, JSON object, `alg`), payload (base64url, JSON object),
/// signature (base64url).
pub fn parse(bytes: &[u8]) -> Result<Envelope, IntegrityError> {
    let raw: RawJws = gojson::from_slice(bytes).map_err(|e| match e {
        gojson::Error::Ambiguous { .. } => IntegrityError::AmbiguousJson(format!("envelope: {e}")),
        other => IntegrityError::MalformedEnvelope(other.to_string()),
    })?;

    let x5c = raw.header.x5c.unwrap_or_default();
    let mut cert_chain = Vec::with_capacity(x5c.len());
    for c in &x5c {
        cert_chain.push(
            decode_std(c).map_err(|e| IntegrityError::MalformedEnvelope(format!("x5c: {e}")))?,
        );
    }
    check_chain_parses(&cert_chain)?;
    let timestamp_token = raw
        .header
        .timestamp
        .as_deref()
        .map(decode_std)
        .transpose()
        .map_err(|e| {
            IntegrityError::MalformedEnvelope(format!("{}: {e}", super::HEADER_TIMESTAMP_SIGNATURE))
        })?;

    let protected_bytes = decode_raw_url(&raw.protected)
        .map_err(|e| IntegrityError::SignatureInvalid(e.to_string()))?;
    let header = parse_protected(&protected_bytes)?;

    let payload = decode_raw_url(&raw.payload)
        .map_err(|e| IntegrityError::SignatureInvalid(e.to_string()))?;
    // golang-jwt decodes the payload as JWT claims: it must be a JSON object.
    if !matches!(
        serde_json::from_slice::<Value>(&payload),
        Ok(Value::Object(_))
    ) {
        return Err(IntegrityError::SignatureInvalid(
            "token is malformed: could not JSON decode claim".to_string(),
        ));
    }
    let signature = decode_raw_url(&raw.signature)
        .map_err(|e| IntegrityError::SignatureInvalid(e.to_string()))?;

    let mut signed_bytes = Vec::with_capacity(raw.protected.len() + 1 + raw.payload.len());
    signed_bytes.extend_from_slice(raw.protected.as_bytes());
    signed_bytes.push(b'.');
    signed_bytes.extend_from_slice(raw.payload.as_bytes());

    Ok(Envelope {
        format: EnvelopeFormat::Jws,
        payload,
        payload_content_type: header.cty,
        signing_scheme: header.signing_scheme,
        signing_time: header.signing_time,
        authentic_signing_time: header.authentic_signing_time,
        expiry: header.expiry,
        critical: header.crit,
        verification_plugin: text_attr(&header.extended, HEADER_VERIFICATION_PLUGIN),
        verification_plugin_min_version: text_attr(
            &header.extended,
            HEADER_VERIFICATION_PLUGIN_MIN_VERSION,
        ),
        extended_attributes: header.extended,
        cert_chain,
        timestamp_token,
        signature,
        signing_agent: raw.header.signing_agent,
        alg: header.alg,
        signed_bytes,
    })
}

/// The text value of an extended attribute, if present as text.
fn text_attr(attrs: &[ExtendedAttribute], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.name == name && a.is_text)
        .map(|a| a.value.clone())
}

/// Decoded protected header.
#[derive(Debug)]
pub(crate) struct ProtectedHeader {
    pub alg: Algorithm,
    pub cty: String,
    pub crit: Vec<String>,
    pub signing_scheme: SigningScheme,
    pub signing_time: Option<DateTime<Utc>>,
    pub authentic_signing_time: Option<DateTime<Utc>>,
    pub expiry: Option<DateTime<Utc>>,
    pub extended: Vec<ExtendedAttribute>,
}

/// Decodes the protected header JSON (already base64url-decoded).
///
/// A JSON `null` for a known key counts as absent (Go leaves the zero value). Keys that fold to
/// one name ([`gojson`]) are refused as ambiguous, and so is a key that Go's struct decoding
/// reads as a known name but golang-jwt's map does not (`CTY`, `io.cncf.notary.ſigningScheme`).
/// Extended attributes come in key order (Go's map has none).
pub(crate) fn parse_protected(bytes: &[u8]) -> Result<ProtectedHeader, IntegrityError> {
    let obj = match gojson::parse(bytes) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(invalid(
                "failed to unmarshal JWS protected header: not a JSON object".to_string(),
            ));
        }
        Err(e @ gojson::Error::Ambiguous { .. }) => {
            return Err(IntegrityError::AmbiguousJson(format!(
                "JWS protected header: {e}"
            )));
        }
        Err(e) => {
            return Err(invalid(format!(
                "failed to unmarshal JWS protected header: {e}"
            )));
        }
    };

    let mut alg: Option<String> = None;
    let mut cty = String::new();
    let mut crit: Vec<String> = Vec::new();
    let mut scheme = String::new();
    let mut signing_time = None;
    let mut authentic_signing_time = None;
    let mut expiry = None;
    let mut others: Vec<(String, Value)> = Vec::new();

    for (k, v) in obj {
        if !KNOWN_KEYS.contains(&k.as_str())
            && let Some(known) = KNOWN_KEYS.iter().find(|n| gojson::same_field(&k, n))
        {
            return Err(IntegrityError::AmbiguousJson(format!(
                "JWS protected header key {} is read as \"{known}\" by Go's encoding/json but not by golang-jwt; refused as ambiguous",
                gojson::quote_key(&k)
            )));
        }
        if v.is_null() && KNOWN_KEYS.contains(&k.as_str()) {
            continue;
        }
        match k.as_str() {
            "alg" => alg = Some(string_value(&k, v)?),
            "cty" => cty = string_value(&k, v)?,
            "crit" => {
                let Value::Array(items) = v else {
                    return Err(type_error(&k, "an array of strings"));
                };
                for item in items {
                    crit.push(string_value(&k, item)?);
                }
            }
            HEADER_SIGNING_SCHEME => scheme = string_value(&k, v)?,
            HEADER_SIGNING_TIME => signing_time = Some(time_value(&k, v)?),
            HEADER_AUTHENTIC_SIGNING_TIME => authentic_signing_time = Some(time_value(&k, v)?),
            HEADER_EXPIRY => expiry = Some(time_value(&k, v)?),
            _ => others.push((k, v)),
        }
    }

    let alg = match alg {
        None => return Err(invalid("signing method (alg) is unavailable".to_string())),
        Some(name) => {
            Algorithm::from_jws_name(&name).ok_or(IntegrityError::UnsupportedAlgorithm(name))?
        }
    };
    let signing_scheme = SigningScheme::from_header(&scheme)?;
    let extended = others
        .into_iter()
        .map(|(name, value)| {
            let (value, is_text) = match value {
                Value::String(s) => (s, true),
                other => (other.to_string(), false),
            };
            ExtendedAttribute {
                critical: crit.contains(&name),
                name,
                value,
                is_text,
            }
        })
        .collect();
    Ok(ProtectedHeader {
        alg,
        cty,
        crit,
        signing_scheme,
        signing_time,
        authentic_signing_time,
        expiry,
        extended,
    })
}

fn invalid(msg: String) -> IntegrityError {
    IntegrityError::InvalidHeader(msg)
}

fn type_error(key: &str, expected: &str) -> IntegrityError {
    invalid(format!(
        "failed to unmarshal JWS protected header: \"{key}\" must be {expected}"
    ))
}

fn string_value(key: &str, v: Value) -> Result<String, IntegrityError> {
    match v {
        Value::String(s) => Ok(s),
        _ => Err(type_error(key, "a string")),
    }
}

/// RFC 3339 as Go's `time.Time.UnmarshalJSON` accepts it: `T` separator, optional fraction,
/// `Z` or a numeric offset; compared later as instants.
fn time_value(key: &str, v: Value) -> Result<DateTime<Utc>, IntegrityError> {
    let s = string_value(key, v)?;
    parse_rfc3339(&s).ok_or_else(|| type_error(key, "an RFC 3339 time"))
}

/// Parses an RFC 3339 timestamp in the strict form Go accepts.
pub(crate) fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let shape_ok = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape_ok {
        return None;
    }
    let mut i = 19;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let zone_ok = match &b[i..] {
        [b'Z'] => true,
        [sign, h1, h2, b':', m1, m2] => {
            (*sign == b'+' || *sign == b'-') && [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
        }
        _ => false,
    };
    if !zone_ok {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::test_support::{leaf_cert_for, p256_key, sign};
    use crate::envelope::{
        IntegrityError, PAYLOAD_CONTENT_TYPE, parse_and_verify, verify_integrity,
    };
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    const PAYLOAD: &str = r#"{"targetArtifact":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","size":1}}"#;

    fn header_json(extra: &str) -> String {
        format!(
            r#"{{"alg":"ES256","crit":["io.cncf.notary.signingScheme"{extra_crit}],"cty":"{PAYLOAD_CONTENT_TYPE}","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2025-06-01T00:00:00+08:00"{extra}}}"#,
            extra_crit = "",
        )
    }

    /// Builds a signed JWS over `protected_json` with a fresh P-256 key (None if no vectors).
    fn build(protected_json: &str, payload: &str) -> Option<Vec<u8>> {
        crate::test_vectors::dir()?;
        let key = p256_key();
        let cert = leaf_cert_for(&key);
        let p = URL_SAFE_NO_PAD.encode(protected_json);
        let pl = URL_SAFE_NO_PAD.encode(payload);
        let sig = sign(&key, format!("{p}.{pl}").as_bytes());
        let env = serde_json::json!({
            "payload": pl,
            "protected": p,
            "header": {"x5c": [STANDARD.encode(&cert)], "io.cncf.notary.signingAgent": "t/1"},
            "signature": URL_SAFE_NO_PAD.encode(sig),
        });
        Some(serde_json::to_vec(&env).unwrap())
    }

    #[test]
    fn valid_self_built_envelope() {
        let Some(bytes) = build(&header_json(""), PAYLOAD) else {
            return;
        };
        let env = parse_and_verify(crate::envelope::MEDIA_TYPE_JWS, &bytes).unwrap();
        assert_eq!(env.alg, Algorithm::ES256);
        assert_eq!(env.signing_agent.as_deref(), Some("t/1"));
        assert_eq!(
            env.signing_time.unwrap().to_rfc3339(),
            "2025-05-31T16:00:00+00:00"
        );
        assert!(env.extended_attributes.is_empty());
    }

    #[test]
    fn rules_on_signed_envelopes() {
        let cases: [(&str, &str); 4] = [
            (
                r#"{"alg":"ES256","cty":"application/vnd.cncf.notary.payload.v1+json","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2025-06-01T00:00:00Z"}"#,
                "missing \"crit\" header",
            ),
            (
                r#"{"alg":"ES256","crit":["io.cncf.notary.signingScheme"],"cty":"text/plain","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2025-06-01T00:00:00Z"}"#,
                "payload content type \"text/plain\" not supported",
            ),
            (
                r#"{"alg":"ES256","crit":["io.cncf.notary.signingScheme","io.cncf.notary.expiry"],"cty":"application/vnd.cncf.notary.payload.v1+json","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2025-06-01T00:00:00Z","io.cncf.notary.expiry":"2025-06-01T08:00:00+08:00"}"#,
                "expiry cannot be equal or before the signing time",
            ),
            (
                r#"{"alg":"ES256","crit":["io.cncf.notary.signingScheme"],"cty":"application/vnd.cncf.notary.payload.v1+json","io.cncf.notary.signingScheme":"notary.x509"}"#,
                "signing-time not present",
            ),
        ];
        for (hdr, msg) in cases {
            let Some(bytes) = build(hdr, PAYLOAD) else {
                return;
            };
            let env = parse(&bytes).unwrap();
            assert_eq!(
                verify_integrity(&env).unwrap_err().to_string(),
                msg,
                "{hdr}"
            );
        }
    }

    #[test]
    fn tampering_fails() {
        let Some(bytes) = build(&header_json(""), PAYLOAD) else {
            return;
        };
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        v["payload"] = URL_SAFE_NO_PAD
            .encode(PAYLOAD.replace("\"size\":1", "\"size\":2"))
            .into();
        let env = parse(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert!(matches!(
            verify_integrity(&env),
            Err(IntegrityError::SignatureInvalid(_))
        ));
        // Header alg changed to ES384: caught by the alg-vs-key check first.
        let Some(bytes) = build(&header_json("").replace("ES256", "ES384"), PAYLOAD) else {
            return;
        };
        let env = parse(&bytes).unwrap();
        assert_eq!(
            verify_integrity(&env).unwrap_err().to_string(),
            "mismatch between signature algorithm derived from signing certificate (ES256) and signing algorithm specified (ES384)"
        );
    }

    #[test]
    fn protected_header_parsing() {
        let h = parse_protected(header_json(r#","x":{"a":1},"y":"s""#).as_bytes()).unwrap();
        assert_eq!(h.extended.len(), 2);
        assert_eq!(h.extended[0].value, r#"{"a":1}"#);
        assert!(!h.extended[0].is_text && h.extended[1].is_text);
        for ambiguous in [
            r#"{"alg":"ES256","alg":"ES384"}"#.to_string(),
            r#"{"alg":"ES256","ALG":"ES384"}"#.to_string(),
            header_json(r#","CTY":"x""#),
            header_json(r#","io.cncf.notary.ſigningScheme":"notary.x509.signingAuthority""#),
            header_json(r#","x":1,"X":2"#),
        ] {
            assert!(
                matches!(
                    parse_protected(ambiguous.as_bytes()),
                    Err(IntegrityError::AmbiguousJson(_))
                ),
                "{ambiguous}"
            );
        }
        let bad_alg = header_json("").replace("ES256", "HS256");
        assert_eq!(
            parse_protected(bad_alg.as_bytes()).unwrap_err().to_string(),
            "signature algorithm not supported: HS256"
        );
        let bad_scheme = header_json("").replace("\"notary.x509\"", "\"notary.x509.other\"");
        assert_eq!(
            parse_protected(bad_scheme.as_bytes())
                .unwrap_err()
                .to_string(),
            "unsupported SigningScheme: `notary.x509.other`"
        );
        let bad_time = header_json("").replace("2025-06-01T00:00:00+08:00", "2025-06-01 00:00:00Z");
        assert!(parse_protected(bad_time.as_bytes()).is_err());
        assert!(parse_protected(b"[]").is_err());
        // null counts as absent for known keys.
        let h =
            parse_protected(header_json(r#","io.cncf.notary.expiry":null"#).as_bytes()).unwrap();
        assert!(h.expiry.is_none());
    }

    #[test]
    fn rfc3339_forms() {
        assert!(parse_rfc3339("2023-06-27T13:30:33+08:00").is_some());
        assert!(parse_rfc3339("2023-06-27T13:30:33.123456789Z").is_some());
        assert!(parse_rfc3339("2023-06-27t13:30:33Z").is_none());
        assert!(parse_rfc3339("2023-06-27T13:30:33").is_none());
        assert!(parse_rfc3339("2023-06-27T13:30:33.Z").is_none());
        assert!(parse_rfc3339("2023-06-27T13:30:33+0800").is_none());
    }

    #[test]
    fn structural_errors() {
        assert!(matches!(
            parse(b"not json"),
            Err(IntegrityError::MalformedEnvelope(_))
        ));
        assert_eq!(
            parse(br#"{"payload":"","protected":"","header":{},"signature":""}"#).unwrap_err(),
            IntegrityError::CertificateChainNotPresent
        );
        assert_eq!(
            parse(br#"{"header":{"x5c":["AAAA"]}}"#).unwrap_err(),
            IntegrityError::MalformedLeafCertificate
        );
        assert!(matches!(
            parse(br#"{"header":{"x5c":["A"]}}"#),
            Err(IntegrityError::MalformedEnvelope(_))
        ));
    }

    #[test]
    fn payload_must_be_object() {
        let Some(bytes) = build(&header_json(""), "[1]") else {
            return;
        };
        assert!(matches!(
            parse(&bytes),
            Err(IntegrityError::SignatureInvalid(_))
        ));
    }
}
