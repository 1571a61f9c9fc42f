//! cosign v3 sigstore bundles (v0.1-v0.3) signed with a key: a DSSE envelope over an in-toto
//! statement whose subject is the image (or, rarely, a message signature over the manifest).
//!
//! As with `cosign verify --key K --insecure-ignore-tlog`, transparency-log entries and
//! timestamps are not required; they are recorded as `not-checked`.

use serde_json::Value;

use super::{
    CheckResult, SignatureInput, Verdict, Verifier, VerifyContext, b64_std, check, no_key_verdict,
    trusted_verdict,
};
use crate::media;
use sigaudit_gojson as gojson;
use sigaudit_model::codes::ResultCode;

/// Bundle media types cosign accepts.
const BUNDLE_MEDIA_TYPES: &[&str] = &[
    media::SIGSTORE_BUNDLE_V03,
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
];
const IN_TOTO_PAYLOAD: &str = "application/vnd.in-toto+json";
const STATEMENT_TYPES: &[&str] = &[
    "https://in-toto.io/Statement/v1",
    "https://in-toto.io/Statement/v0.1",
];

pub struct SigstoreBundle;

/// DSSE pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn invalid(reason: impl Into<String>, checks: Vec<super::Check>) -> Verdict {
    refused(ResultCode::InvalidBundle, reason.into(), checks)
}

fn refused(code: ResultCode, reason: String, mut checks: Vec<super::Check>) -> Verdict {
    checks.push(check("bundle", CheckResult::Fail, reason.clone()));
    Verdict::fail(code, reason, checks)
}

/// The code for a document [`gojson`] refused: `ambiguous-json` when two keys name one field.
fn json_code(e: &gojson::Error) -> ResultCode {
    if e.is_ambiguous() {
        ResultCode::AmbiguousJson
    } else {
        ResultCode::InvalidBundle
    }
}

impl Verifier for SigstoreBundle {
    /// A bundle attached to an image. One holding a `messageSignature` signs a blob, not an
    /// image: cosign signs images with DSSE statements and zot accepts no message signature on
    /// an image, while a message signature over payload P "verifies" for any subject whose
    /// digest is sha256(P), so any `.sig` payload could be replayed onto a blob pushed as an
    /// index child. It is listed with what its signature check found, never trusted.
    fn verify(&self, input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> Verdict {
        let (verdict, message) = verify_bundle(input, ctx);
        if !message {
            return verdict;
        }
        let mut listed = Verdict::new(
            super::SigStatus::Unsupported,
            ResultCode::MessageSignature,
            format!(
                "the bundle holds a messageSignature, which signs a blob, not an image; listed, never counted as an image signature (as a blob signature: {}: {})",
                verdict.code, verdict.reason
            ),
        );
        listed.checks = verdict.checks;
        listed.details = verdict.details;
        listed.checks.push(check(
            "content",
            CheckResult::Fail,
            "messageSignature: a blob signature, not an image signature",
        ));
        listed
    }
}

/// Verify a sigstore bundle as a signature over a blob whose digest is `input.subject`'s, as
/// `cosign verify-blob` does (the sigstore-conformance cases): a `messageSignature` is
/// accepted here. Never used for images in a registry (see [`SigstoreBundle`]).
pub fn verify_blob(input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> Verdict {
    verify_bundle(input, ctx).0
}

/// The bundle's verdict, and whether it holds a `messageSignature` (no DSSE envelope).
fn verify_bundle(input: &SignatureInput<'_>, ctx: &VerifyContext<'_>) -> (Verdict, bool) {
    let mut message = false;
    let verdict = verify_any(input, ctx, &mut message);
    (verdict, message)
}

/// Sets `message` once the bundle is known to hold a `messageSignature` and no DSSE envelope.
fn verify_any(input: &SignatureInput<'_>, ctx: &VerifyContext<'_>, message: &mut bool) -> Verdict {
    let mut checks = Vec::new();
    // Go cosign reads the bundle with protojson (a field under its JSON or its proto name),
    // zot and older tools with encoding/json: keys that either reads as one field are refused,
    // and the fields below are read by their exact JSON names.
    let bundle = match gojson::parse_proto(input.blob) {
        Ok(v) => v,
        Err(e) => return refused(json_code(&e), format!("bundle: {e}"), checks),
    };
    *message = bundle.get("dsseEnvelope").is_none() && bundle.get("messageSignature").is_some();
    let media_type = bundle
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !BUNDLE_MEDIA_TYPES.contains(&media_type) {
        return invalid(
            format!("unsupported bundle media type {media_type:?}"),
            checks,
        );
    }
    let Some(material) = bundle
        .get("verificationMaterial")
        .and_then(Value::as_object)
    else {
        return invalid("bundle has no verificationMaterial", checks);
    };
    let keyless =
        material.contains_key("certificate") || material.contains_key("x509CertificateChain");
    let hint = material
        .get("publicKey")
        .and_then(|k| k.get("hint"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if !keyless && !material.contains_key("publicKey") {
        return invalid(
            "verificationMaterial has neither a public key nor a certificate",
            checks,
        );
    }
    checks.push(check("bundle", CheckResult::Pass, media_type.to_string()));
    if keyless {
        // sigstore-verify reads the statement itself; one that Go could read otherwise is
        // refused first. Other faults are left to its own checks.
        let parts = bundle.get("dsseEnvelope").map(|env| dsse_parts(env, input));
        if let Some(Err((ResultCode::AmbiguousJson, reason))) = parts {
            return refused(ResultCode::AmbiguousJson, reason, checks);
        }
        let attestation = parts.and_then(Result::ok).and_then(|p| p.2);
        let mut v = keyless_bundle(input, ctx, checks);
        v.attestation = attestation;
        return v;
    }

    // What was signed, and the bytes the signature covers.
    let (message, signature, attestation, names_subject) =
        if let Some(env) = bundle.get("dsseEnvelope") {
            match dsse_parts(env, input) {
                Ok(p) => p,
                Err((code, e)) => return refused(code, e, checks),
            }
        } else if let Some(ms) = bundle.get("messageSignature") {
            return message_signature(ms, input, ctx, checks);
        } else {
            return invalid(
                "bundle has neither a dsseEnvelope nor a messageSignature",
                checks,
            );
        };

    let mut verdict = verify_key_signed(
        &message,
        &signature,
        names_subject,
        hint.as_deref(),
        input,
        ctx,
        checks,
    );
    verdict.attestation = attestation;
    record_log_material(material, &mut verdict);
    verdict
}

/// Parts of a DSSE envelope: (PAE, signature, attestation predicate type, subject matched).
type DsseParts = (Vec<u8>, Vec<u8>, Option<String>, Result<(), String>);

/// A refusal: the result code and the reason.
pub type Refusal = (ResultCode, String);

/// The members of a DSSE envelope sigaudit reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsseEnvelope {
    pub payload_type: String,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// Each signature's decoded `sig`.
    pub signatures: Vec<Vec<u8>>,
}

/// Reads a DSSE envelope (a bundle's `dsseEnvelope`, already through [`gojson::parse_proto`]).
/// Names are exact (protojson), and a key that Go's `encoding/json` (go-securesystemslib's
/// `dsse.Envelope`) would take for one of them is refused as ambiguous.
pub fn read_dsse_envelope(env: &Value) -> Result<DsseEnvelope, Refusal> {
    let invalid = |m: String| (ResultCode::InvalidBundle, m);
    let ambiguous = |e: gojson::Error| (ResultCode::AmbiguousJson, format!("DSSE envelope: {e}"));
    let obj = env
        .as_object()
        .ok_or_else(|| invalid("DSSE envelope is not an object".into()))?;
    gojson::exact_fields(
        obj,
        "$.dsseEnvelope",
        &["payloadType", "payload", "signatures"],
    )
    .map_err(ambiguous)?;
    let payload_type = obj
        .get("payloadType")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("DSSE envelope has no payloadType".into()))?
        .to_string();
    let payload = obj
        .get("payload")
        .and_then(Value::as_str)
        .and_then(b64_std)
        .ok_or_else(|| invalid("DSSE payload is missing or not base64".into()))?;
    let sigs = obj
        .get("signatures")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("DSSE envelope has no signatures".into()))?;
    let mut signatures = Vec::with_capacity(sigs.len());
    for (i, one) in sigs.iter().enumerate() {
        let one = one
            .as_object()
            .ok_or_else(|| invalid(format!("DSSE signature {i} is not an object")))?;
        gojson::exact_fields(
            one,
            &format!("$.dsseEnvelope.signatures[{i}]"),
            &["sig", "keyid"],
        )
        .map_err(ambiguous)?;
        signatures.push(
            one.get("sig")
                .and_then(Value::as_str)
                .and_then(b64_std)
                .ok_or_else(|| invalid("DSSE signature is missing or not base64".into()))?,
        );
    }
    Ok(DsseEnvelope {
        payload_type,
        payload,
        signatures,
    })
}

/// One subject of an in-toto statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSubject {
    /// `name` ("" when absent).
    pub name: String,
    /// `digest`: algorithm -> hex, keys exact (a map in Go).
    pub digest: std::collections::BTreeMap<String, String>,
}

/// The members of an in-toto statement sigaudit reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InTotoStatement {
    /// `_type`.
    pub statement_type: String,
    /// `predicateType` ("" when absent).
    pub predicate_type: String,
    pub subjects: Vec<StatementSubject>,
}

/// Reads an in-toto statement (a DSSE payload). cosign v3 reads it with protojson (exact JSON
/// or proto names: `_type` or `type`), in-toto-golang's structs with `encoding/json` (keys
/// folded): a statement with keys that either reads as one field, or that one of them takes for
/// a field and the other does not (`Subject`), is refused as ambiguous; names are then exact.
/// Wrongly typed members, which Go fails to decode, are refused.
pub fn read_statement(payload: &[u8]) -> Result<InTotoStatement, Refusal> {
    let invalid = |m: String| (ResultCode::InvalidBundle, m);
    let ambiguous =
        |e: gojson::Error| (ResultCode::AmbiguousJson, format!("in-toto statement: {e}"));
    let statement = gojson::parse_proto(payload)
        .map_err(|e| (json_code(&e), format!("in-toto statement: {e}")))?;
    let obj = statement
        .as_object()
        .ok_or_else(|| invalid("in-toto statement is not an object".into()))?;
    gojson::exact_fields(
        obj,
        "$",
        &["_type", "subject", "predicateType", "predicate"],
    )
    .map_err(ambiguous)?;
    let text = |v: Option<&Value>, what: &str| match v {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(invalid(format!(
            "in-toto statement: {what} is not a string"
        ))),
    };
    let statement_type = text(obj.get("_type"), "_type")?;
    let predicate_type = text(obj.get("predicateType"), "predicateType")?;
    let items = match obj.get("subject") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => return Err(invalid("in-toto statement: subject is not an array".into())),
    };
    let mut subjects = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("$.subject[{i}]");
        let s = item
            .as_object()
            .ok_or_else(|| invalid(format!("in-toto statement: {at} is not an object")))?;
        gojson::exact_fields(s, &at, &["name", "digest"]).map_err(ambiguous)?;
        let mut digest = std::collections::BTreeMap::new();
        match s.get("digest") {
            None | Some(Value::Null) => {}
            Some(Value::Object(d)) => {
                for (alg, hex) in d {
                    let Value::String(hex) = hex else {
                        return Err(invalid(format!(
                            "in-toto statement: {at}.digest.{alg} is not a string"
                        )));
                    };
                    digest.insert(alg.clone(), hex.clone());
                }
            }
            Some(_) => {
                return Err(invalid(format!(
                    "in-toto statement: {at}.digest is not an object"
                )));
            }
        }
        subjects.push(StatementSubject {
            name: text(s.get("name"), &format!("{at}.name"))?,
            digest,
        });
    }
    Ok(InTotoStatement {
        statement_type,
        predicate_type,
        subjects,
    })
}

fn dsse_parts(env: &Value, input: &SignatureInput<'_>) -> Result<DsseParts, Refusal> {
    let invalid = |m: String| (ResultCode::InvalidBundle, m);
    let envelope = read_dsse_envelope(env)?;
    if envelope.payload_type != IN_TOTO_PAYLOAD {
        return Err(invalid(format!(
            "DSSE payloadType is {:?}, not {IN_TOTO_PAYLOAD}",
            envelope.payload_type
        )));
    }
    let [signature] = envelope.signatures.as_slice() else {
        return Err(invalid(format!(
            "DSSE envelope has {} signatures; a bundle carries exactly one",
            envelope.signatures.len()
        )));
    };
    let statement = read_statement(&envelope.payload)?;
    if !STATEMENT_TYPES.contains(&statement.statement_type.as_str()) {
        return Err(invalid(format!(
            "statement _type {:?} is not an in-toto Statement",
            statement.statement_type
        )));
    }
    let predicate = statement.predicate_type;
    let attestation = (predicate != media::COSIGN_SIGN_PREDICATE).then_some(predicate);
    let alg = input.subject.digest.algorithm().name();
    let want = input.subject.digest.hex();
    let names_subject = if statement
        .subjects
        .iter()
        .any(|s| s.digest.get(alg).map(String::as_str) == Some(want))
    {
        Ok(())
    } else {
        let named: Vec<String> = statement
            .subjects
            .iter()
            .filter_map(|s| s.digest.get(alg))
            .map(|h| format!("{alg}:{h}"))
            .collect();
        Err(format!(
            "statement subjects [{}] do not include {} (a transplanted signature)",
            named.join(", "),
            input.subject.digest
        ))
    };
    Ok((
        pae(&envelope.payload_type, &envelope.payload),
        signature.clone(),
        attestation,
        names_subject,
    ))
}

fn verify_key_signed(
    message: &[u8],
    signature: &[u8],
    names_subject: Result<(), String>,
    hint: Option<&str>,
    input: &SignatureInput<'_>,
    ctx: &VerifyContext<'_>,
    mut checks: Vec<super::Check>,
) -> Verdict {
    let matched = if ctx.trust.cosign_keys.is_empty() {
        None
    } else {
        ctx.cache.verify(ctx.trust, message, signature)
    };
    let Some(km) = matched else {
        let what = match hint {
            Some(h) => format!("DSSE signature (bundle key hint {h})"),
            None => "DSSE signature".to_string(),
        };
        return no_key_verdict(ctx.trust, &what, checks);
    };
    let key = &ctx.trust.cosign_keys[km.key];
    checks.push(check(
        "signature",
        CheckResult::Pass,
        format!(
            "DSSE signature verified with {} ({}) using {}",
            key.file, key.fingerprint, km.scheme
        ),
    ));
    if let Some(h) = hint
        && h != key.hint
    {
        checks.push(check(
            "key-hint",
            CheckResult::Logged,
            format!(
                "bundle key hint {h} differs from the verifying key's {}",
                key.hint
            ),
        ));
    }
    if let Err(reason) = names_subject {
        checks.push(check("digest-binding", CheckResult::Fail, reason.clone()));
        return Verdict::fail(ResultCode::DigestMismatch, reason, checks);
    }
    checks.push(check(
        "digest-binding",
        CheckResult::Pass,
        format!("statement subject is {}", input.subject.digest),
    ));
    trusted_verdict(km, checks)
}

/// A message-signature bundle: the signed artifact must be the image manifest itself.
fn message_signature(
    ms: &Value,
    input: &SignatureInput<'_>,
    ctx: &VerifyContext<'_>,
    mut checks: Vec<super::Check>,
) -> Verdict {
    let alg = ms
        .get("messageDigest")
        .and_then(|d| d.get("algorithm"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(digest) = ms
        .get("messageDigest")
        .and_then(|d| d.get("digest"))
        .and_then(Value::as_str)
        .and_then(b64_std)
    else {
        return invalid("messageSignature has no messageDigest", checks);
    };
    let Some(signature) = ms
        .get("signature")
        .and_then(Value::as_str)
        .and_then(b64_std)
    else {
        return invalid("messageSignature has no base64 signature", checks);
    };
    if alg != "SHA2_256"
        || input.subject.digest.algorithm() != sigaudit_model::digest::Algorithm::Sha256
    {
        return invalid(
            format!("message digest algorithm {alg:?} is not supported (SHA2_256 is)"),
            checks,
        );
    }
    let matched = ctx.trust.cosign_keys.iter().enumerate().find_map(|(i, k)| {
        k.verify_sha256_prehashed(&digest, &signature)
            .map(|s| crate::trust::KeyMatch { key: i, scheme: s })
    });
    let Some(km) = matched else {
        return no_key_verdict(ctx.trust, "message signature", checks);
    };
    let key = &ctx.trust.cosign_keys[km.key];
    checks.push(check(
        "signature",
        CheckResult::Pass,
        format!(
            "message signature verified with {} using {}",
            key.file, km.scheme
        ),
    ));
    if sigaudit_model::digest::to_hex(&digest) != input.subject.digest.hex() {
        let reason = format!(
            "the signed message digest sha256:{} is not {}",
            sigaudit_model::digest::to_hex(&digest),
            input.subject.digest
        );
        checks.push(check("digest-binding", CheckResult::Fail, reason.clone()));
        return Verdict::fail(ResultCode::DigestMismatch, reason, checks);
    }
    checks.push(check(
        "digest-binding",
        CheckResult::Pass,
        format!("message digest is {}", input.subject.digest),
    ));
    trusted_verdict(km, checks)
}

/// A bundle signed with a Fulcio certificate: verified against `--trusted-root` (chain at the
/// signing time, SCT, log entries, timestamps, the signature and its binding to the image
/// digest: the DSSE statement's subject or the message digest), then the identity policy.
fn keyless_bundle(
    input: &SignatureInput<'_>,
    ctx: &VerifyContext<'_>,
    checks: Vec<super::Check>,
) -> Verdict {
    let Some(kc) = ctx.keyless else {
        return super::keyless::no_trusted_root(checks);
    };
    if input.subject.digest.algorithm() != sigaudit_model::digest::Algorithm::Sha256 {
        return invalid(
            format!(
                "the image digest {} is not SHA-256, which sigstore bundles bind",
                input.subject.digest
            ),
            checks,
        );
    }
    let Ok(text) = std::str::from_utf8(input.blob) else {
        return invalid("bundle is not UTF-8", checks);
    };
    let result = crate::keyless::verify_bundle(
        &kc.root,
        text,
        super::keyless::Artifact::Sha256Hex(input.subject.digest.hex()),
        super::keyless::requirements(),
    );
    super::keyless::verdict(result, ctx.as_of, kc, input.repository, checks)
}

/// Record transparency-log entries and timestamps, which are not verified with a key.
fn record_log_material(material: &serde_json::Map<String, Value>, v: &mut Verdict) {
    let entries = material
        .get("tlogEntries")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    if entries > 0 {
        let first = &material["tlogEntries"][0];
        let idx = first
            .get("logIndex")
            .map(|i| i.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        let at = first
            .get("integratedTime")
            .map(|i| i.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        v.details.insert("tlogLogIndex", idx.clone());
        v.checks.push(check(
            "transparency-log",
            CheckResult::NotChecked,
            format!("{entries} log entr{} (first: logIndex {idx}, integratedTime {at}); not required with a key", if entries == 1 { "y" } else { "ies" }),
        ));
    }
    let ts = material
        .get("timestampVerificationData")
        .and_then(|t| t.get("rfc3161Timestamps"))
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    if ts > 0 {
        v.checks.push(check(
            "timestamp",
            CheckResult::NotChecked,
            format!("{ts} RFC 3161 timestamp(s); not required with a key"),
        ));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE specification's protocol description.
        assert_eq!(
            super::pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
