//! Legacy `.sig` keyless signatures: the simple-signing payload (the layer blob), its base64
//! signature and the layer annotations `dev.sigstore.cosign/certificate` (PEM leaf),
//! `dev.sigstore.cosign/chain` (PEM intermediates and root), `dev.sigstore.cosign/bundle`
//! (the Rekor SET: `{"SignedEntryTimestamp", "Payload": {body, integratedTime, logIndex,
//! logID}}`) and `dev.sigstore.cosign/rfc3161timestamp` (`{"SignedRFC3161TimestampBlob"}`).
//!
//! These carry exactly what a sigstore v0.1 bundle with a message signature carries, which is
//! what cosign itself converts between (`RekorBundleFromProtoTlogEntry`); so they are turned
//! into that bundle and verified by the same code as a v3 bundle, artifact = the payload.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use sigstore_verify::types::Bundle;

use super::{Artifact, Failure, FailureKind, Requirements, TrustRoot, Verified, verify_parsed};

/// A legacy `.sig` layer's keyless material, as found in its annotations.
#[derive(Debug, Clone, Copy)]
pub struct LegacySignature<'a> {
    /// The layer blob: the simple-signing payload the signature covers.
    pub payload: &'a [u8],
    /// `dev.cosignproject.cosign/signature`.
    pub signature_b64: &'a str,
    /// `dev.sigstore.cosign/certificate`.
    pub certificate_pem: &'a str,
    /// `dev.sigstore.cosign/chain`.
    pub chain_pem: Option<&'a str>,
    /// `dev.sigstore.cosign/bundle`.
    pub rekor_bundle: Option<&'a str>,
    /// `dev.sigstore.cosign/rfc3161timestamp`.
    pub rfc3161_timestamp: Option<&'a str>,
}

fn malformed(detail: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Malformed, detail)
}

/// DER certificates of a PEM annotation, in order.
fn pem_certs(what: &str, text: &str) -> Result<Vec<Vec<u8>>, Failure> {
    let blocks = pem::parse_many(text).map_err(|e| malformed(format!("{what}: {e}")))?;
    let certs: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.into_contents())
        .collect();
    if certs.is_empty() {
        return Err(malformed(format!("{what}: no PEM CERTIFICATE block")));
    }
    Ok(certs)
}

/// The transparency-log entry of a `dev.sigstore.cosign/bundle` annotation, as a bundle's
/// `tlogEntries[]` element.
fn tlog_entry(annotation: &str) -> Result<Value, Failure> {
    // cosign reads this annotation with encoding/json (`bundle.RekorBundle`).
    let doc = sigaudit_gojson::parse(annotation.as_bytes())
        .map_err(|e| malformed(format!("Rekor bundle annotation: {e}")))?;
    let set = doc
        .get("SignedEntryTimestamp")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("Rekor bundle annotation has no SignedEntryTimestamp"))?;
    let p = doc
        .get("Payload")
        .ok_or_else(|| malformed("Rekor bundle annotation has no Payload"))?;
    let body = p
        .get("body")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("Rekor bundle Payload has no body"))?;
    let (Some(time), Some(index), Some(log_id)) = (
        p.get("integratedTime").and_then(Value::as_i64),
        p.get("logIndex").and_then(Value::as_u64),
        p.get("logID").and_then(Value::as_str),
    ) else {
        return Err(malformed(
            "Rekor bundle Payload lacks integratedTime, logIndex or logID",
        ));
    };
    let log_id = hex_decode(log_id)
        .ok_or_else(|| malformed(format!("Rekor logID {log_id:?} is not hex")))?;
    let body_doc = STANDARD
        .decode(body)
        .ok()
        .and_then(|b| sigaudit_gojson::parse(&b).ok())
        .ok_or_else(|| malformed("Rekor entry body is not base64 JSON"))?;
    let kind = body_doc.get("kind").and_then(Value::as_str).unwrap_or("");
    let version = body_doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if (kind, version) != ("hashedrekord", "0.0.1") {
        return Err(Failure::new(
            FailureKind::Unsupported,
            format!(
                "Rekor entry kind {kind} {version}: only hashedrekord 0.0.1 binds a legacy signature"
            ),
        ));
    }
    Ok(json!({
        "logIndex": index.to_string(),
        "logId": {"keyId": STANDARD.encode(log_id)},
        "kindVersion": {"kind": kind, "version": version},
        "integratedTime": time.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": set},
        "canonicalizedBody": body,
    }))
}

/// The v0.1 (with a SET) or v0.2 bundle equivalent to a legacy signature's annotations.
pub(super) fn to_bundle(sig: &LegacySignature<'_>) -> Result<Bundle, Failure> {
    let mut certs = pem_certs("certificate annotation", sig.certificate_pem)?;
    certs.truncate(1);
    if let Some(chain) = sig.chain_pem {
        certs.extend(pem_certs("chain annotation", chain)?);
    }
    let signature: String = sig
        .signature_b64
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if STANDARD.decode(&signature).is_err() {
        return Err(malformed("the signature annotation is not base64"));
    }
    let entries = match sig.rekor_bundle {
        Some(b) => vec![tlog_entry(b)?],
        None => Vec::new(),
    };
    let timestamps = match sig.rfc3161_timestamp {
        Some(t) => {
            let doc = sigaudit_gojson::parse(t.as_bytes())
                .map_err(|e| malformed(format!("RFC 3161 annotation: {e}")))?;
            let blob = doc
                .get("SignedRFC3161TimestampBlob")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    malformed("RFC 3161 annotation has no SignedRFC3161TimestampBlob")
                })?;
            vec![json!({"signedTimestamp": blob})]
        }
        None => Vec::new(),
    };
    let media_type = if entries.is_empty() {
        "application/vnd.dev.sigstore.bundle+json;version=0.2"
    } else {
        "application/vnd.dev.sigstore.bundle+json;version=0.1"
    };
    let doc = json!({
        "mediaType": media_type,
        "verificationMaterial": {
            "x509CertificateChain": {
                "certificates": certs.iter().map(|c| json!({"rawBytes": STANDARD.encode(c)})).collect::<Vec<_>>(),
            },
            "tlogEntries": entries,
            "timestampVerificationData": {"rfc3161Timestamps": timestamps},
        },
        "messageSignature": {
            "messageDigest": {
                "algorithm": "SHA2_256",
                "digest": STANDARD.encode(Sha256::digest(sig.payload)),
            },
            "signature": signature,
        },
    });
    Bundle::from_json(&doc.to_string()).map_err(|e| malformed(format!("annotations: {e}")))
}

/// Verify a legacy `.sig` keyless signature over its payload.
pub fn verify_legacy(
    root: &TrustRoot,
    sig: &LegacySignature<'_>,
    req: Requirements,
) -> Result<Verified, Failure> {
    let bundle = to_bundle(sig)?;
    verify_parsed(root, &bundle, Artifact::Bytes(sig.payload), req)
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str =
        "-----BEGIN CERTIFICATE-----\nMIIBfTCCASOgAwIBAgIUAQ==\n-----END CERTIFICATE-----\n";

    fn sig<'a>(bundle: Option<&'a str>) -> LegacySignature<'a> {
        LegacySignature {
            payload: b"{}",
            signature_b64: "AAAA",
            certificate_pem: CERT,
            chain_pem: None,
            rekor_bundle: bundle,
            rfc3161_timestamp: None,
        }
    }

    #[test]
    fn hex_decoding_is_strict() {
        assert_eq!(hex_decode("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(hex_decode("0"), None);
        assert_eq!(hex_decode("zz"), None);
    }

    #[test]
    fn malformed_annotations_are_named() {
        let no_pem = LegacySignature {
            certificate_pem: "not pem",
            ..sig(None)
        };
        let e = to_bundle(&no_pem).expect_err("no PEM");
        assert_eq!(e.kind, FailureKind::Malformed);
        assert!(e.detail.contains("certificate annotation"), "{e}");
        let e = to_bundle(&sig(Some("{"))).expect_err("bad JSON");
        assert!(e.detail.contains("Rekor bundle annotation"), "{e}");
        let e =
            to_bundle(&sig(Some(r#"{"SignedEntryTimestamp":"AA=="}"#))).expect_err("no Payload");
        assert!(e.detail.contains("Payload"), "{e}");
        let body = STANDARD.encode(br#"{"apiVersion":"0.0.1","kind":"rekord","spec":{}}"#);
        let rekord = format!(
            r#"{{"SignedEntryTimestamp":"AA==","Payload":{{"body":"{body}","integratedTime":1,"logIndex":2,"logID":"00ff"}}}}"#
        );
        let e = to_bundle(&sig(Some(&rekord))).expect_err("rekord");
        assert_eq!(e.kind, FailureKind::Unsupported, "{e}");
        let bad_sig = LegacySignature {
            signature_b64: "***",
            ..sig(None)
        };
        assert!(
            to_bundle(&bad_sig)
                .expect_err("b64")
                .detail
                .contains("base64")
        );
    }
}
