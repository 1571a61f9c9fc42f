//! COSE envelope (`application/cose`), `COSE_Sign1_Tagged` only (reference §2.4).
//!
//! Parsed with `coset`, which keeps the original protected-header bytes: the `Sig_structure`
//! is built from them, never from a re-encoded map.

use chrono::{DateTime, Utc};
use ciborium::Value;
use coset::{
    CoseSign1, Header, Label, RegisteredLabel, RegisteredLabelWithPrivate,
    TaggedCborSerializable as _, iana, iana::EnumI64 as _,
};

use crate::envelope::{
    Algorithm, Envelope, EnvelopeFormat, ExtendedAttribute, HEADER_AUTHENTIC_SIGNING_TIME,
    HEADER_EXPIRY, HEADER_SIGNING_AGENT, HEADER_SIGNING_SCHEME, HEADER_SIGNING_TIME,
    HEADER_TIMESTAMP_SIGNATURE, HEADER_VERIFICATION_PLUGIN, HEADER_VERIFICATION_PLUGIN_MIN_VERSION,
    IntegrityError, SigningScheme, check_chain_parses,
};

/// COSE header label of `x5chain` (RFC 9360).
const LABEL_X5CHAIN: i64 = 33;
/// First byte of a CBOR tag 18 (`COSE_Sign1_Tagged`).
const TAG_18_BYTE: u8 = 0xD2;

/// Parses a `COSE_Sign1_Tagged` envelope into an [`Envelope`] (no crypto, no post-crypto
/// header rules).
///
/// Rejected here: a missing tag 18, duplicate header labels (coset), a label in both header
/// buckets, a detached payload, `x5chain` that is not a non-empty array of bstr in the
/// unprotected header (a single bstr, allowed by RFC 9360, is rejected as notation-core-go
/// does), a `crit` label absent from the protected header (go-cose), wrongly typed notation
/// headers. A wrongly typed timestamp or signing agent is ignored (treated as absent).
pub fn parse(bytes: &[u8]) -> Result<Envelope, IntegrityError> {
    if bytes.first() != Some(&TAG_18_BYTE) {
        return Err(malformed(String::new()));
    }
    let msg = CoseSign1::from_tagged_slice(bytes).map_err(|e| malformed(format!(": {e}")))?;
    reject_shared_labels(&msg.protected.header, &msg.unprotected)?;

    let cert_chain = x5chain(&msg.unprotected)?;
    check_chain_parses(&cert_chain)?;
    let timestamp_token = msg
        .unprotected
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Text(HEADER_TIMESTAMP_SIGNATURE.to_string()))
        .and_then(|(_, v)| v.as_bytes().cloned());
    let signing_agent = msg
        .unprotected
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Text(HEADER_SIGNING_AGENT.to_string()))
        .and_then(|(_, v)| v.as_text().map(str::to_string));

    let payload = msg
        .payload
        .clone()
        .ok_or(IntegrityError::ContentNotPresent)?;
    let signed_bytes = msg.tbs_data(b"");
    let header = &msg.protected.header;

    let alg = match &header.alg {
        None => {
            return Err(IntegrityError::InvalidHeader(
                "algorithm (label 1) not present in the protected header".to_string(),
            ));
        }
        Some(RegisteredLabelWithPrivate::Assigned(a)) => alg_from_id(a.to_i64())?,
        Some(RegisteredLabelWithPrivate::PrivateUse(i)) => alg_from_id(*i)?,
        Some(RegisteredLabelWithPrivate::Text(t)) => {
            return Err(IntegrityError::UnsupportedAlgorithm(t.clone()));
        }
    };

    let critical: Vec<String> = header.crit.iter().map(crit_name).collect();
    for (label, name) in header.crit.iter().zip(&critical) {
        if !crit_label_present(header, label) {
            return Err(IntegrityError::CriticalNotPresent(name.clone()));
        }
    }

    let payload_content_type = match &header.content_type {
        None => return Err(IntegrityError::MissingContentType),
        Some(RegisteredLabel::Text(t)) => t.clone(),
        Some(RegisteredLabel::Assigned(_)) => return Err(IntegrityError::ContentTypeNotText),
    };

    let mut scheme: Option<String> = None;
    let mut signing_time = None;
    let mut authentic_signing_time = None;
    let mut expiry = None;
    let mut extended = Vec::new();
    for (label, value) in &header.rest {
        let name = label_name(label);
        match label {
            Label::Text(t) if t == HEADER_SIGNING_SCHEME => match value.as_text() {
                Some(s) => scheme = Some(s.to_string()),
                None => {
                    return Err(IntegrityError::InvalidHeader(format!(
                        "\"{HEADER_SIGNING_SCHEME}\" must be a text string"
                    )));
                }
            },
            Label::Text(t) if t == HEADER_SIGNING_TIME => signing_time = Some(cbor_time(t, value)?),
            Label::Text(t) if t == HEADER_AUTHENTIC_SIGNING_TIME => {
                authentic_signing_time = Some(cbor_time(t, value)?)
            }
            Label::Text(t) if t == HEADER_EXPIRY => expiry = Some(cbor_time(t, value)?),
            _ => extended.push(ExtendedAttribute {
                critical: critical.contains(&name),
                is_text: value.is_text(),
                value: render(value),
                name,
            }),
        }
    }
    let signing_scheme = SigningScheme::from_header(scheme.as_deref().unwrap_or_default())?;
    let text_attr = |n: &str| {
        extended
            .iter()
            .find(|a: &&ExtendedAttribute| a.name == n && a.is_text)
            .map(|a| a.value.clone())
    };
    let verification_plugin = text_attr(HEADER_VERIFICATION_PLUGIN);
    let verification_plugin_min_version = text_attr(HEADER_VERIFICATION_PLUGIN_MIN_VERSION);

    Ok(Envelope {
        format: EnvelopeFormat::Cose,
        payload,
        payload_content_type,
        signing_scheme,
        signing_time,
        authentic_signing_time,
        expiry,
        critical,
        extended_attributes: extended,
        verification_plugin,
        verification_plugin_min_version,
        cert_chain,
        timestamp_token,
        signature: msg.signature.clone(),
        signing_agent,
        alg,
        signed_bytes,
    })
}

fn malformed(detail: String) -> IntegrityError {
    IntegrityError::MalformedEnvelope(format!("cbor: invalid COSE_Sign1_Tagged object{detail}"))
}

fn alg_from_id(id: i64) -> Result<Algorithm, IntegrityError> {
    Algorithm::from_cose_id(id).ok_or_else(|| IntegrityError::UnsupportedAlgorithm(id.to_string()))
}

/// Reads `x5chain` (label 33) from the unprotected header: a non-empty array of bstr.
fn x5chain(unprotected: &Header) -> Result<Vec<Vec<u8>>, IntegrityError> {
    let value = unprotected
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(LABEL_X5CHAIN))
        .map(|(_, v)| v)
        .ok_or(IntegrityError::CertificateChainNotPresent)?;
    let items = value
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or(IntegrityError::CertificateChainNotPresent)?;
    items
        .iter()
        .map(|v| v.as_bytes().cloned())
        .collect::<Option<Vec<_>>>()
        .ok_or(IntegrityError::CertificateChainNotPresent)
}

/// The header labels present in a header map (coset splits the well-known ones out).
fn labels(h: &Header) -> Vec<Label> {
    let mut out: Vec<Label> = h.rest.iter().map(|(l, _)| l.clone()).collect();
    let mut int = |present: bool, p: iana::HeaderParameter| {
        if present {
            out.push(Label::Int(p.to_i64()));
        }
    };
    int(h.alg.is_some(), iana::HeaderParameter::Alg);
    int(!h.crit.is_empty(), iana::HeaderParameter::Crit);
    int(h.content_type.is_some(), iana::HeaderParameter::ContentType);
    int(!h.key_id.is_empty(), iana::HeaderParameter::Kid);
    int(!h.iv.is_empty(), iana::HeaderParameter::Iv);
    int(!h.partial_iv.is_empty(), iana::HeaderParameter::PartialIv);
    int(
        !h.counter_signatures.is_empty(),
        iana::HeaderParameter::CounterSignature,
    );
    out
}

/// RFC 9052 §3: a label must not appear in both buckets (avoids split-brain headers).
fn reject_shared_labels(protected: &Header, unprotected: &Header) -> Result<(), IntegrityError> {
    let p = labels(protected);
    if let Some(l) = labels(unprotected).into_iter().find(|l| p.contains(l)) {
        return Err(malformed(format!(
            ": label {} is in both the protected and the unprotected header",
            label_name(&l)
        )));
    }
    Ok(())
}

/// Whether a `crit` label exists in the protected header (go-cose `ensureCritical`).
fn crit_label_present(h: &Header, label: &RegisteredLabel<iana::HeaderParameter>) -> bool {
    let l = match label {
        RegisteredLabel::Assigned(p) => Label::Int(p.to_i64()),
        RegisteredLabel::Text(t) => Label::Text(t.clone()),
    };
    labels(h).contains(&l)
}

fn crit_name(label: &RegisteredLabel<iana::HeaderParameter>) -> String {
    match label {
        RegisteredLabel::Assigned(p) => p.to_i64().to_string(),
        RegisteredLabel::Text(t) => t.clone(),
    }
}

fn label_name(label: &Label) -> String {
    match label {
        Label::Int(i) => i.to_string(),
        Label::Text(t) => t.clone(),
    }
}

/// A tag-1 epoch time (integer or float seconds).
fn cbor_time(label: &str, value: &Value) -> Result<DateTime<Utc>, IntegrityError> {
    let Value::Tag(tag, inner) = value else {
        return Err(IntegrityError::InvalidHeader(format!(
            "\"{label}\" must be a tag 1 date/time"
        )));
    };
    if *tag != 1 {
        return Err(IntegrityError::UnsupportedTimeTag);
    }
    let bad = || IntegrityError::InvalidHeader(format!("\"{label}\" has an invalid epoch time"));
    match inner.as_ref() {
        Value::Integer(i) => {
            let secs = i64::try_from(i128::from(*i)).map_err(|_| bad())?;
            DateTime::from_timestamp(secs, 0).ok_or_else(bad)
        }
        Value::Float(f) if f.is_finite() => {
            let secs = f.floor();
            let nanos = ((f - secs) * 1e9).round().min(999_999_999.0);
            if secs < i64::MIN as f64 || secs > i64::MAX as f64 {
                return Err(bad());
            }
            // Both casts are range-checked above.
            DateTime::from_timestamp(secs as i64, nanos as u32).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

/// Renders a CBOR value: text as is, everything else in a diagnostic-like notation.
fn render(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        other => diag(other),
    }
}

fn diag(v: &Value) -> String {
    match v {
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            format!("h'{hex}'")
        }
        Value::Float(f) => f.to_string(),
        Value::Text(t) => format!("{t:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        Value::Tag(t, inner) => format!("{t}({})", diag(inner)),
        Value::Array(a) => format!("[{}]", a.iter().map(diag).collect::<Vec<_>>().join(", ")),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", diag(k), diag(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "undefined".to_string(),
    }
}

/// Decodes a CBOR header map from bytes (used by the conformance tests).
#[cfg(test)]
fn header_from_bytes(b: &[u8]) -> Header {
    use coset::CborSerializable as _;
    Header::from_slice(b).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::test_support::{leaf_cert_for, p256_key, sign};
    use crate::envelope::{PAYLOAD_CONTENT_TYPE, verify_integrity};
    use coset::{CoseSign1Builder, HeaderBuilder};

    fn protected(extra: impl FnOnce(HeaderBuilder) -> HeaderBuilder) -> Header {
        let b = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .add_critical_label(RegisteredLabel::Text(HEADER_SIGNING_SCHEME.into()))
            .content_type(PAYLOAD_CONTENT_TYPE.into())
            .text_value(
                HEADER_SIGNING_SCHEME.into(),
                Value::Text("notary.x509".into()),
            )
            .text_value(
                HEADER_SIGNING_TIME.into(),
                Value::Tag(1, Box::new(Value::Integer(1_748_736_000.into()))),
            );
        extra(b).build()
    }

    /// Builds a signed COSE envelope with a fresh P-256 key (None if no vectors).
    fn build(p: Header, chain_as_array: bool) -> Option<Vec<u8>> {
        crate::test_vectors::dir()?;
        let key = p256_key();
        let cert = leaf_cert_for(&key);
        let chain = if chain_as_array {
            Value::Array(vec![Value::Bytes(cert)])
        } else {
            Value::Bytes(cert)
        };
        let u = HeaderBuilder::new().value(LABEL_X5CHAIN, chain).build();
        let msg = CoseSign1Builder::new()
            .protected(p)
            .unprotected(u)
            .payload(b"{\"targetArtifact\":{}}".to_vec())
            .create_signature(b"", |m| sign(&key, m))
            .build();
        Some(msg.to_tagged_vec().unwrap())
    }

    #[test]
    fn valid_self_built() {
        let Some(bytes) = build(protected(|b| b), true) else {
            return;
        };
        let env = parse(&bytes).unwrap();
        verify_integrity(&env).unwrap();
        assert_eq!(env.signing_time.unwrap().timestamp(), 1_748_736_000);
    }

    #[test]
    fn x5chain_single_bstr_rejected() {
        let Some(bytes) = build(protected(|b| b), false) else {
            return;
        };
        assert_eq!(
            parse(&bytes).unwrap_err(),
            IntegrityError::CertificateChainNotPresent
        );
    }

    #[test]
    fn header_rules() {
        let Some(bytes) = build(
            protected(|b| {
                b.text_value(
                    HEADER_EXPIRY.into(),
                    Value::Tag(1, Box::new(Value::Integer(1_848_736_000.into()))),
                )
            }),
            true,
        ) else {
            return;
        };
        let env = parse(&bytes).unwrap();
        assert_eq!(
            verify_integrity(&env).unwrap_err().to_string(),
            "these required headers are not marked as critical: [io.cncf.notary.expiry]"
        );
        // Wrong tag on a time.
        let Some(bytes) = build(
            protected(|b| {
                b.text_value(
                    HEADER_EXPIRY.into(),
                    Value::Tag(0, Box::new(Value::Text("2025".into()))),
                )
            }),
            true,
        ) else {
            return;
        };
        assert_eq!(
            parse(&bytes).unwrap_err().to_string(),
            "only Tag `1` Datetime CBOR object is supported"
        );
        // crit naming an absent label.
        let Some(bytes) = build(
            protected(|b| b.add_critical_label(RegisteredLabel::Text("nope".into()))),
            true,
        ) else {
            return;
        };
        assert_eq!(
            parse(&bytes).unwrap_err(),
            IntegrityError::CriticalNotPresent("nope".into())
        );
        // Integer content type.
        let Some(bytes) = build(
            protected(|b| b.content_format(iana::CoapContentFormat::Cbor)),
            true,
        ) else {
            return;
        };
        assert_eq!(
            parse(&bytes).unwrap_err(),
            IntegrityError::ContentTypeNotText
        );
    }

    #[test]
    fn untagged_rejected() {
        assert_eq!(
            parse(&[0x84, 0x40, 0xa0, 0xf6, 0x40])
                .unwrap_err()
                .to_string(),
            "malformed signature envelope: cbor: invalid COSE_Sign1_Tagged object"
        );
    }

    #[test]
    fn cbor_times() {
        let t = |v: Value| cbor_time("t", &Value::Tag(1, Box::new(v)));
        assert_eq!(t(Value::Integer(10.into())).unwrap().timestamp(), 10);
        assert_eq!(
            t(Value::Float(10.5)).unwrap().timestamp_subsec_millis(),
            500
        );
        assert!(t(Value::Float(f64::NAN)).is_err());
        assert!(cbor_time("t", &Value::Integer(1.into())).is_err());
    }

    #[test]
    fn conformance_protected_header() {
        let Some(bytes) = crate::envelope::test_support::read(
            "notation-core-go/conformance/cose-conformance.json",
        ) else {
            return;
        };
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let hex = v["protectedHeaders"]["cborHex"].as_str().unwrap();
        let raw: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let h = header_from_bytes(&raw);
        let crit: Vec<String> = h.crit.iter().map(crit_name).collect();
        assert!(crit.contains(&"signedCritKey1".to_string()));
        for l in &h.crit {
            assert!(crit_label_present(&h, l));
        }
        // The full expected output parses as an envelope structure up to the (absent) chain.
        let out = v["expectedOutput"]["cborHex"].as_str().unwrap();
        let raw: Vec<u8> = (0..out.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&out[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(
            parse(&raw).unwrap_err(),
            IntegrityError::CertificateChainNotPresent
        );
        let msg = CoseSign1::from_tagged_slice(&raw).unwrap();
        let st = h
            .rest
            .iter()
            .find(|(l, _)| *l == Label::Text(HEADER_SIGNING_TIME.into()))
            .unwrap();
        assert_eq!(
            cbor_time(HEADER_SIGNING_TIME, &st.1).unwrap().timestamp(),
            v["signingTime"].as_i64().unwrap()
        );
        assert_eq!(
            msg.protected.original_data.as_deref(),
            Some(&raw[5..5 + 0x117])
        );
    }
}
