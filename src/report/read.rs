//! Reading a `report.json` back into the report model, for `sigaudit merge`: each image of each
//! shard becomes the [`ImageReport`] a scan would have built, so that the merge runs the very
//! aggregation, compliance, expiry, comparison and rendering code a scan runs.
//!
//! The file is streamed: images are read one at a time (each as a small JSON value, turned into
//! the model at once), so reading costs the model's memory, as a scan's does, plus one image.
//! Repeated strings are shared through an [`Interner`], as in a scan. Names the model keeps as
//! `&'static str` (tools, formats, check names, detail keys) come from sigaudit's own code; read
//! back they are interned for the life of the process ([`static_word`]), a few dozen words.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::codes::{FindingCode, ResultCode};
use crate::digest::Digest;
use crate::finding::Finding;
use crate::report::model::{
    AppliedExemption, Check, Compliance, ContainersPolicyReport, Expiry, ImageReport, ImageStatus,
    PolicyFile, PolicyReferenceOutcome, PolicyVerdict, SignatureReport, UnreadableKind,
    UnreadableRepository, Violation, ZotSignatureInfo,
};
use crate::report::text::{Details, Interner, Text};
use crate::trust::{MaterialRecord, MaterialStatus};
use crate::verify::{CheckResult, SigStatus};

/// What a report holds besides its images, as JSON values: the merge compares and combines
/// them field by field.
#[derive(Debug, Default)]
pub struct Head {
    pub fields: serde_json::Map<String, Value>,
}

impl Head {
    pub fn get(&self, name: &str) -> &Value {
        self.fields.get(name).unwrap_or(&Value::Null)
    }
}

/// The `&'static str` equal to `s`, allocated once per distinct word for the life of the
/// process: the model names tools, formats, checks and detail keys with literals, which a
/// report read back must give again.
pub fn static_word(s: &str) -> &'static str {
    static WORDS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = WORDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(w) = set.get(s) {
        return w;
    }
    let w: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(w);
    w
}

/// Reads one report from `r`, handing each image to `image` as it is read, and returns the
/// other fields. `image` may refuse the image (an `Err` stops the read with that message).
pub fn read_report<R: std::io::Read>(
    r: R,
    text: &Interner,
    image: &mut dyn FnMut(ImageReport) -> Result<(), String>,
) -> Result<Head, String> {
    let mut de = serde_json::Deserializer::from_reader(r);
    let head = ReportSeed { text, image }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(head)
}

struct ReportSeed<'a, 'f> {
    text: &'a Interner,
    image: &'f mut dyn FnMut(ImageReport) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for ReportSeed<'_, '_> {
    type Value = Head;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Head, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ReportSeed<'_, '_> {
    type Value = Head;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sigaudit report (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
        let mut head = Head::default();
        while let Some(key) = map.next_key::<String>()? {
            if key == "images" {
                map.next_value_seed(ImagesSeed {
                    text: self.text,
                    image: &mut *self.image,
                })?;
                head.fields.insert(key, Value::Bool(true));
            } else if head.fields.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the field {key:?} appears twice"
                )));
            } else {
                let v: Value = map.next_value()?;
                head.fields.insert(key, v);
            }
        }
        Ok(head)
    }
}

struct ImagesSeed<'a, 'f> {
    text: &'a Interner,
    image: &'f mut dyn FnMut(ImageReport) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for ImagesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ImagesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the images array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0usize;
        while let Some(v) = seq.next_element::<Value>()? {
            let img =
                image(&v, self.text).map_err(|e| de::Error::custom(format!("images[{n}]: {e}")))?;
            (self.image)(img).map_err(de::Error::custom)?;
            n += 1;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Field readers: each names the field it refuses.

type R<T> = Result<T, String>;

fn field<'v>(v: &'v Value, name: &str) -> R<&'v Value> {
    v.get(name).ok_or_else(|| format!("{name} is missing"))
}

fn string(v: &Value, name: &str) -> R<String> {
    Ok(str_of(v, name)?.to_string())
}

fn str_of<'v>(v: &'v Value, name: &str) -> R<&'v str> {
    field(v, name)?
        .as_str()
        .ok_or_else(|| format!("{name} is not a string"))
}

fn opt_str<'v>(v: &'v Value, name: &str) -> R<Option<&'v str>> {
    match field(v, name)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(format!("{name} is neither a string nor null")),
    }
}

fn text(v: &Value, name: &str, t: &Interner) -> R<Text> {
    Ok(t.text(str_of(v, name)?))
}

fn opt_text(v: &Value, name: &str, t: &Interner) -> R<Option<Text>> {
    Ok(opt_str(v, name)?.map(|s| t.text(s)))
}

fn boolean(v: &Value, name: &str) -> R<bool> {
    field(v, name)?
        .as_bool()
        .ok_or_else(|| format!("{name} is not a boolean"))
}

fn number(v: &Value, name: &str) -> R<u64> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| format!("{name} is not a whole number"))
}

fn digest(v: &Value, name: &str) -> R<Digest> {
    Digest::parse(str_of(v, name)?).map_err(|e| format!("{name}: {e}"))
}

fn opt_digest(v: &Value, name: &str) -> R<Option<Digest>> {
    opt_str(v, name)?
        .map(|s| Digest::parse(s).map_err(|e| format!("{name}: {e}")))
        .transpose()
}

fn time(s: &str, name: &str) -> R<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{name} {s:?}: {e}"))
}

fn opt_time(v: &Value, name: &str) -> R<Option<DateTime<Utc>>> {
    opt_str(v, name)?.map(|s| time(s, name)).transpose()
}

fn array<'v>(v: &'v Value, name: &str) -> R<&'v Vec<Value>> {
    field(v, name)?
        .as_array()
        .ok_or_else(|| format!("{name} is not an array"))
}

fn strings(v: &Value, name: &str) -> R<Vec<String>> {
    array(v, name)?
        .iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{name} holds a non-string"))
        })
        .collect()
}

/// The variant of `all` whose serialised form is `word`: the model's enums are read back by
/// their own serialisation, so the two cannot drift.
fn word_of<T: Serialize + Copy>(all: &[T], v: &Value, name: &str) -> R<T> {
    let w = str_of(v, name)?;
    all.iter()
        .copied()
        .find(|x| serde_json::to_value(x).is_ok_and(|s| s == w))
        .ok_or_else(|| format!("{name} {w:?} is not a known value"))
}

fn result_code(v: &Value, name: &str) -> R<ResultCode> {
    let w = str_of(v, name)?;
    ResultCode::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == w)
        .ok_or_else(|| format!("{name} {w:?} is not a result code"))
}

/// A finding as `findings[]` holds it.
pub fn finding(v: &Value) -> R<Finding> {
    let w = str_of(v, "code")?;
    let code = FindingCode::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == w)
        .ok_or_else(|| format!("code {w:?} is not a finding code"))?;
    let f = Finding::new(code, string(v, "path")?, string(v, "message")?);
    if field(v, "severity")? != &serde_json::to_value(f.severity).map_err(|e| e.to_string())? {
        return Err(format!("the severity of {w} is not its code's"));
    }
    Ok(f)
}

/// A `trustMaterial[]` entry.
pub fn material(v: &Value) -> R<MaterialRecord> {
    Ok(MaterialRecord {
        path: string(v, "path")?,
        kind: static_word(str_of(v, "kind")?),
        sha256: string(v, "sha256")?,
        status: word_of(
            &[
                MaterialStatus::Ok,
                MaterialStatus::Invalid,
                MaterialStatus::NotEvaluated,
            ],
            v,
            "status",
        )?,
        detail: string(v, "detail")?,
    })
}

/// An `unreadableRepositories[]` entry.
pub fn unreadable(v: &Value) -> R<UnreadableRepository> {
    Ok(UnreadableRepository {
        path: string(v, "path")?,
        kind: word_of(
            &[UnreadableKind::Folder, UnreadableKind::Repository],
            v,
            "kind",
        )?,
        reason: string(v, "reason")?,
    })
}

/// An `expiring[]` entry.
pub fn expiry(v: &Value) -> R<Expiry> {
    Ok(Expiry {
        kind: static_word(str_of(v, "kind")?),
        what: string(v, "what")?,
        location: string(v, "where")?,
        expires_at: time(str_of(v, "expiresAt")?, "expiresAt")?,
        days_left: field(v, "daysLeft")?
            .as_i64()
            .ok_or("daysLeft is not a whole number")?,
    })
}

/// `settings.containersPolicy`.
pub fn policy_file(v: &Value) -> R<Option<PolicyFile>> {
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(PolicyFile {
        path: string(v, "path")?,
        sha256: string(v, "sha256")?,
        key_problems: strings(v, "keyProblems")?,
    }))
}

fn signature(v: &Value, t: &Interner) -> R<SignatureReport> {
    let checks = array(v, "checks")?
        .iter()
        .map(|c| {
            Ok(Check {
                name: static_word(str_of(c, "name")?),
                result: word_of(
                    &[
                        CheckResult::Pass,
                        CheckResult::Fail,
                        CheckResult::Logged,
                        CheckResult::Skipped,
                        CheckResult::NotChecked,
                    ],
                    c,
                    "result",
                )?,
                detail: text(c, "detail", t)?,
            })
        })
        .collect::<R<Vec<Check>>>()?;
    let details: Details = field(v, "details")?
        .as_object()
        .ok_or("details is not an object")?
        .iter()
        .map(|(k, d)| {
            d.as_str()
                .map(|d| (static_word(k), t.text(d)))
                .ok_or_else(|| format!("details.{k} is not a string"))
        })
        .collect::<R<Vec<_>>>()?
        .into_iter()
        .collect();
    Ok(SignatureReport {
        tool: static_word(str_of(v, "tool")?),
        format: static_word(str_of(v, "format")?),
        attachment: static_word(str_of(v, "attachment")?),
        signature_digest: opt_digest(v, "signatureDigest")?,
        manifest_digest: digest(v, "manifestDigest")?,
        tag: opt_str(v, "tag")?.map(str::to_string),
        layer: usize::try_from(number(v, "layer")?).map_err(|e| e.to_string())?,
        trusted: boolean(v, "trusted")?,
        status: word_of(
            &[
                SigStatus::Trusted,
                SigStatus::Untrusted,
                SigStatus::Unsupported,
                SigStatus::Error,
            ],
            v,
            "status",
        )?,
        code: result_code(v, "code")?,
        author: opt_text(v, "author", t)?,
        key_file: opt_text(v, "keyFile", t)?,
        key_fingerprint: opt_text(v, "keyFingerprint", t)?,
        signer: opt_text(v, "signer", t)?,
        trust_store: opt_text(v, "trustStore", t)?,
        reason: text(v, "reason", t)?,
        signed_at: opt_time(v, "signedAt")?,
        expires_at: opt_time(v, "expiresAt")?,
        cert_expires_at: opt_time(v, "certExpiresAt")?,
        predicate_type: opt_text(v, "predicateType", t)?,
        checks,
        details,
    })
}

fn signatures(v: &Value, name: &str, t: &Interner) -> R<Vec<Arc<SignatureReport>>> {
    array(v, name)?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            signature(s, t)
                .map(Arc::new)
                .map_err(|e| format!("{name}[{i}].{e}"))
        })
        .collect()
}

const VERDICTS: [PolicyVerdict; 2] = [PolicyVerdict::Accept, PolicyVerdict::Reject];

fn containers_policy(v: &Value) -> R<Option<ContainersPolicyReport>> {
    let v = field(v, "containersPolicy")?;
    if v.is_null() {
        return Ok(None);
    }
    let references = array(v, "references")?
        .iter()
        .map(|r| {
            Ok(PolicyReferenceOutcome {
                reference: string(r, "reference")?,
                verdict: word_of(&VERDICTS, r, "verdict")?,
                scope: string(r, "scope")?,
                reasons: strings(r, "reasons")?,
            })
        })
        .collect::<R<Vec<_>>>()?;
    Ok(Some(ContainersPolicyReport {
        verdict: word_of(&VERDICTS, v, "verdict")?,
        scope: string(v, "scope")?,
        reasons: strings(v, "reasons")?,
        references,
    }))
}

/// One `images[]` entry as the model. Its compliance verdict, violations and exemptions are
/// read too, though the merge judges them again under its own config.
pub fn image(v: &Value, t: &Interner) -> R<ImageReport> {
    let signature_info = array(v, "SignatureInfo")?
        .iter()
        .map(|s| {
            Ok(ZotSignatureInfo {
                Tool: static_word(str_of(s, "Tool")?),
                IsTrusted: boolean(s, "IsTrusted")?,
                Author: text(s, "Author", t)?,
            })
        })
        .collect::<R<Vec<_>>>()?;
    let violations = array(v, "violations")?
        .iter()
        .map(|x| {
            Ok(Violation {
                rule: string(x, "rule")?,
                detail: string(x, "detail")?,
            })
        })
        .collect::<R<Vec<_>>>()?;
    let exemptions = array(v, "exemptions")?
        .iter()
        .map(|x| {
            Ok(AppliedExemption {
                rule: string(x, "rule")?,
                reason: string(x, "reason")?,
                expires: string(x, "expires")?,
            })
        })
        .collect::<R<Vec<_>>>()?;
    Ok(ImageReport {
        repository: text(v, "repository", t)?,
        digest: digest(v, "digest")?,
        media_type: text(v, "mediaType", t)?,
        size: number(v, "size")?,
        tags: strings(v, "tags")?,
        platform: opt_str(v, "platform")?.map(str::to_string),
        parent: opt_digest(v, "parent")?,
        status: word_of(
            &[
                ImageStatus::Trusted,
                ImageStatus::Untrusted,
                ImageStatus::Unsigned,
                ImageStatus::Error,
            ],
            v,
            "status",
        )?,
        error: opt_str(v, "error")?.map(str::to_string),
        signatures: signatures(v, "signatures", t)?,
        attestations: signatures(v, "attestations", t)?,
        signature_info,
        compliance: word_of(
            &[Compliance::Pass, Compliance::Fail, Compliance::Exempt],
            v,
            "compliance",
        )?,
        violations,
        exemptions,
        containers_policy: containers_policy(v)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_words_are_allocated_once() {
        let a = static_word("notation-jws");
        let b = static_word(&String::from("notation-jws"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(static_word("cosign"), "cosign");
    }

    #[test]
    fn a_refused_field_is_named() {
        let t = Interner::default();
        let v: Value = serde_json::json!({
            "SignatureInfo": [], "violations": [], "exemptions": [],
            "repository": "app", "digest": "sha256:zz"
        });
        let e = image(&v, &t).expect_err("bad digest");
        assert!(e.contains("digest"), "{e}");
        let head = read_report(&b"[]"[..], &t, &mut |_| Ok(())).expect_err("not an object");
        assert!(head.contains("sigaudit report"), "{head}");
        let twice = read_report(&br#"{"asOf":1,"asOf":2}"#[..], &t, &mut |_| Ok(()))
            .expect_err("repeated field");
        assert!(twice.contains("twice"), "{twice}");
    }
}
