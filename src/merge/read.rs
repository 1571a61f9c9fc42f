//! Reading a `report.json` back into the report model, for `sigaudit merge`: each image of each
//! shard becomes the [`ImageReport`] a scan would have built, so that the merge runs the very
//! aggregation, compliance, expiry, comparison and rendering code a scan runs.
//!
//! The file is streamed: images are read one at a time (each as a small JSON value, turned into
//! the model at once), so reading costs the model's memory, as a scan's does, plus one image.
//! Repeated strings are shared through an [`Interner`], as in a scan. Names the model keeps as
//! `&'static str` (tools, formats, check names, detail keys) come from sigaudit's own code; read
//! back they are interned for the life of the process ([`static_word`]), a few dozen words.
//!
//! Reports of schema version 2 are read (the version this sigaudit writes; see
//! [`crate::report::json`]): `shared` comes before `images` in the file, so its entries are read once,
//! into the model's types, and each image's positions are resolved as the image is read. A
//! report of another version is refused ([`ReadError::Version`]): shards merged together are
//! made by one sigaudit, so a version-1 report is an old file, not a shard of this audit.

use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use sigaudit_model::codes::{FindingCode, ResultCode};
use sigaudit_model::digest::{Digest, bare_hex};
use sigaudit_model::finding::Finding;
use sigaudit_model::material::{MaterialRecord, MaterialStatus};
use sigaudit_model::report::{
    AppliedExemption, Check, Compliance, ContainersPolicyReport, Expiry, ImageReport, ImageStatus,
    PolicyFile, PolicyReferenceOutcome, PolicyVerdict, SCHEMA_VERSION, SignatureReport,
    UnreadableKind, UnreadableRepository, Violation, ZotSignatureInfo,
};
use sigaudit_model::text::{Details, Interner, Text};
use sigaudit_model::verdict::{CheckResult, SigStatus};

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

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A report of another schema version (its `schemaVersion` as written).
    #[error(
        "schemaVersion {found}, but this sigaudit reads reports of schemaVersion {SCHEMA_VERSION}"
    )]
    Version { found: String },
    /// Not JSON, not a report, or a field that is not what sigaudit writes (named).
    #[error("{0}")]
    Invalid(String),
}

/// Reads one report of schema version 2 from `r`, handing each image to `image` as it is
/// read, and returns the other fields. `image` may refuse the image (an `Err` stops the read
/// with that message). `schemaVersion` and `shared` must come before `images`, as sigaudit
/// writes them: the images are read as they stream by (a report is not held whole), and
/// refer to `shared` by position.
pub fn read_report<R: std::io::Read>(
    r: R,
    text: &Interner,
    image: &mut dyn FnMut(ImageReport) -> Result<(), String>,
) -> Result<Head, ReadError> {
    let mut de = serde_json::Deserializer::from_reader(r);
    let refused = Cell::new(None);
    let head = ReportSeed {
        text,
        image,
        refused_version: &refused,
    }
    .deserialize(&mut de);
    if let Some(found) = refused.take() {
        return Err(ReadError::Version { found });
    }
    let head = head.map_err(|e| ReadError::Invalid(e.to_string()))?;
    de.end().map_err(|e| ReadError::Invalid(e.to_string()))?;
    Ok(head)
}

struct ReportSeed<'a, 'f> {
    text: &'a Interner,
    image: &'f mut dyn FnMut(ImageReport) -> Result<(), String>,
    /// Set to the `schemaVersion` found when it is not the one this reader reads.
    refused_version: &'a Cell<Option<String>>,
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
        let mut shared: Option<Shared> = None;
        while let Some(key) = map.next_key::<String>()? {
            if head.fields.contains_key(&key) || (key == "shared" && shared.is_some()) {
                return Err(de::Error::custom(format!(
                    "the field {key:?} appears twice"
                )));
            }
            match key.as_str() {
                "schemaVersion" => {
                    let v: Value = map.next_value()?;
                    if v.as_u64() != Some(u64::from(SCHEMA_VERSION)) {
                        self.refused_version.set(Some(v.to_string()));
                        return Err(de::Error::custom("another schema version"));
                    }
                    head.fields.insert(key, v);
                }
                "shared" => {
                    let v: Value = map.next_value()?;
                    shared = Some(
                        Shared::read(&v, self.text)
                            .map_err(|e| de::Error::custom(format!("shared.{e}")))?,
                    );
                }
                "images" => {
                    let version = head.fields.contains_key("schemaVersion");
                    let (Some(shared), true) = (&shared, version) else {
                        let missing = match (shared.is_some(), version) {
                            (false, false) => "schemaVersion and shared",
                            (false, true) => "shared",
                            _ => "schemaVersion",
                        };
                        return Err(de::Error::custom(format!(
                            "images comes before {missing}: the images are read as they \
                             stream by and refer to shared by position, so both come first, \
                             as sigaudit writes them (was the file rewritten with its keys \
                             sorted?)"
                        )));
                    };
                    map.next_value_seed(ImagesSeed {
                        text: self.text,
                        shared,
                        image: &mut *self.image,
                    })?;
                    head.fields.insert(key, Value::Bool(true));
                }
                _ => {
                    let v: Value = map.next_value()?;
                    head.fields.insert(key, v);
                }
            }
        }
        if !head.fields.contains_key("schemaVersion") {
            return Err(de::Error::custom("schemaVersion is missing"));
        }
        Ok(head)
    }
}

/// The five fields of a signature a `shared.identities` entry gives (all `None` for a
/// signature whose `identity` is null).
#[derive(Debug, Clone, Default)]
struct Identity {
    author: Option<Text>,
    key_file: Option<Text>,
    key_fingerprint: Option<Text>,
    signer: Option<Text>,
    trust_store: Option<Text>,
}

/// A report's `shared` section as the model's types: what the images' positions name.
#[derive(Debug, Default)]
struct Shared {
    identities: Vec<Identity>,
    checks: Vec<Check>,
    details: Vec<Details>,
    signature_info: Vec<Vec<ZotSignatureInfo>>,
}

impl Shared {
    fn read(v: &Value, t: &Interner) -> R<Shared> {
        Ok(Shared {
            identities: entries(v, "identities", |e| {
                Ok(Identity {
                    author: opt_text(e, "author", t)?,
                    key_file: opt_text(e, "keyFile", t)?,
                    key_fingerprint: opt_text(e, "keyFingerprint", t)?,
                    signer: opt_text(e, "signer", t)?,
                    trust_store: opt_text(e, "trustStore", t)?,
                })
            })?,
            checks: entries(v, "checks", |e| check(e, t))?,
            details: entries(v, "details", |e| details_of(e, t))?,
            signature_info: entries(v, "signatureInfo", |list| {
                list.as_array()
                    .ok_or("it is not an array")?
                    .iter()
                    .map(|s| {
                        Ok(ZotSignatureInfo {
                            Tool: static_word(str_of(s, "Tool")?),
                            IsTrusted: boolean(s, "IsTrusted")?,
                            Author: text(s, "Author", t)?,
                        })
                    })
                    .collect()
            })?,
        })
    }
}

/// Each entry of the array `name` of `v`, read by `f`; a refusal names the entry.
fn entries<T>(v: &Value, name: &str, f: impl Fn(&Value) -> R<T>) -> R<Vec<T>> {
    array(v, name)?
        .iter()
        .enumerate()
        .map(|(i, e)| f(e).map_err(|e| format!("{name}[{i}]: {e}")))
        .collect()
}

/// The entry of `list` (`shared.<name>`) at the position `v` holds.
fn at<'s, T>(list: &'s [T], v: &Value, name: &str) -> R<&'s T> {
    let i = v
        .as_u64()
        .ok_or_else(|| format!("{name} is not a position (a whole number)"))?;
    usize::try_from(i)
        .ok()
        .and_then(|i| list.get(i))
        .ok_or_else(|| {
            format!(
                "{name} {i} is past the end of shared.{name} ({} entries)",
                list.len()
            )
        })
}

struct ImagesSeed<'a, 'f> {
    text: &'a Interner,
    shared: &'a Shared,
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
            let img = image(&v, self.text, self.shared)
                .map_err(|e| de::Error::custom(format!("images[{n}]: {e}")))?;
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
        // `sha256:<hex>`, null when the file could not be read; the model holds bare hex,
        // empty when unreadable.
        sha256: opt_str(v, "sha256")?
            .map(|h| bare_hex(h).to_string())
            .unwrap_or_default(),
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
        sha256: bare_hex(str_of(v, "sha256")?).to_string(),
        key_problems: strings(v, "keyProblems")?,
    }))
}

/// A `shared.checks` entry.
fn check(c: &Value, t: &Interner) -> R<Check> {
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
}

/// A `shared.details` entry: an object of strings.
fn details_of(v: &Value, t: &Interner) -> R<Details> {
    Ok(v.as_object()
        .ok_or("it is not an object")?
        .iter()
        .map(|(k, d)| {
            d.as_str()
                .map(|d| (static_word(k), t.text(d)))
                .ok_or_else(|| format!("{k} is not a string"))
        })
        .collect::<R<Vec<_>>>()?
        .into_iter()
        .collect())
}

fn signature(v: &Value, t: &Interner, shared: &Shared) -> R<SignatureReport> {
    let checks = array(v, "checks")?
        .iter()
        .map(|c| at(&shared.checks, c, "checks").cloned())
        .collect::<R<Vec<Check>>>()?;
    let details = match field(v, "details")? {
        Value::Null => Details::default(),
        d => at(&shared.details, d, "details")?.clone(),
    };
    let identity = match field(v, "identity")? {
        Value::Null => Identity::default(),
        i => at(&shared.identities, i, "identities")?.clone(),
    };
    let trusted = boolean(v, "trusted")?;
    // Written null when the model's reason is empty (a trusted signature without warnings).
    let reason = opt_text(v, "reason", t)?.unwrap_or_else(|| t.text(""));
    Ok(SignatureReport {
        tool: static_word(str_of(v, "tool")?),
        format: static_word(str_of(v, "format")?),
        attachment: static_word(str_of(v, "attachment")?),
        signature_digest: opt_digest(v, "signatureDigest")?,
        manifest_digest: digest(v, "manifestDigest")?,
        tag: opt_str(v, "tag")?.map(str::to_string),
        layer: usize::try_from(number(v, "layer")?).map_err(|e| e.to_string())?,
        trusted,
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
        author: identity.author,
        key_file: identity.key_file,
        key_fingerprint: identity.key_fingerprint,
        signer: identity.signer,
        trust_store: identity.trust_store,
        reason,
        signed_at: opt_time(v, "signedAt")?,
        expires_at: opt_time(v, "expiresAt")?,
        cert_expires_at: opt_time(v, "certExpiresAt")?,
        predicate_type: opt_text(v, "predicateType", t)?,
        checks,
        details,
    })
}

fn signatures(
    v: &Value,
    name: &str,
    t: &Interner,
    shared: &Shared,
) -> R<Vec<Arc<SignatureReport>>> {
    array(v, name)?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            signature(s, t, shared)
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

/// One `images[]` entry as the model, its positions resolved in `shared`. Its compliance
/// verdict, violations and exemptions are read too, though the merge judges them again under
/// its own config.
fn image(v: &Value, t: &Interner, shared: &Shared) -> R<ImageReport> {
    let signature_info = at(
        &shared.signature_info,
        field(v, "signatureInfo")?,
        "signatureInfo",
    )?
    .clone();
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
        signatures: signatures(v, "signatures", t, shared)?,
        attestations: signatures(v, "attestations", t, shared)?,
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
        let shared = Shared {
            signature_info: vec![Vec::new()],
            ..Default::default()
        };
        let v: Value = serde_json::json!({
            "signatureInfo": 0, "violations": [], "exemptions": [],
            "repository": "app", "digest": "sha256:zz"
        });
        let e = image(&v, &t, &shared).expect_err("bad digest");
        assert!(e.contains("digest"), "{e}");
        let invalid = |text: &[u8]| match read_report(text, &t, &mut |_| Ok(())) {
            Err(ReadError::Invalid(e)) => e,
            other => panic!("{other:?}"),
        };
        let head = invalid(b"[]");
        assert!(head.contains("sigaudit report"), "{head}");
        let twice = invalid(br#"{"schemaVersion":2,"asOf":1,"asOf":2}"#);
        assert!(twice.contains("twice"), "{twice}");
    }

    /// The demo's report as `report.json` holds it, and its audit.
    fn demo() -> (sigaudit_model::Report, Vec<u8>) {
        fixture("demo")
    }

    /// A fixture's report as `report.json` holds it, and its audit.
    fn fixture(name: &str) -> (sigaudit_model::Report, Vec<u8>) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        let opts = crate::audit::AuditOptions::at(
            DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
                .unwrap()
                .to_utc(),
        );
        let report = crate::audit::Auditor::new(&root, opts).unwrap().audit();
        let json = crate::report::json::to_vec(&report).unwrap();
        (report, json)
    }

    fn read_all(json: &[u8]) -> Result<(Head, Vec<ImageReport>), ReadError> {
        let t = Interner::default();
        let mut images = Vec::new();
        let head = read_report(json, &t, &mut |img| {
            images.push(img);
            Ok(())
        })?;
        Ok((head, images))
    }

    /// Every image read back from a version-2 report is the model's image it was written
    /// from: each position resolved to its entry, a null reason empty (and the reason of a
    /// signature trusted with warnings kept), and the trust material's `sha256:<hex>` (null
    /// when unreadable) bare hex (empty) again.
    #[test]
    fn a_written_report_reads_back_as_its_model() {
        let (report, json) = fixture("notation-policy");
        let (_, images) = read_all(&json).unwrap();
        assert!(report.images.iter().any(|i| {
            i.signatures
                .iter()
                .any(|s| s.trusted && !s.reason.is_empty())
        }));
        assert_eq!(images, report.images);
        let (report, json) = demo();
        let (head, images) = read_all(&json).unwrap();
        assert_eq!(images.len(), report.images.len());
        assert!(
            report
                .images
                .iter()
                .any(|i| i.signatures.iter().any(|s| s.trusted && s.author.is_some()))
        );
        assert!(report.images.iter().any(|i| !i.signature_info.is_empty()));
        for (got, want) in images.iter().zip(&report.images) {
            assert_eq!(got, want, "{}", want.reference());
        }
        let material: Vec<MaterialRecord> = head
            .get("trustMaterial")
            .as_array()
            .unwrap()
            .iter()
            .map(|m| material(m).unwrap())
            .collect();
        assert!(
            material.iter().any(|m| m.sha256.is_empty()),
            "an unreadable file"
        );
        for (got, want) in material.iter().zip(&report.trust_material) {
            assert_eq!(got.sha256, want.sha256, "{}", want.path);
        }
        assert_eq!(material.len(), report.trust_material.len());
    }

    /// A check or identity position past the end of its shared list, `images` before `shared`
    /// and a version-1 report are refused, each saying which; the
    /// control (the report as written) reads.
    #[test]
    fn positions_and_versions_are_checked() {
        let (_, json) = demo();
        let v: Value = serde_json::from_slice(&json).unwrap();
        assert!(read_all(&json).is_ok(), "the control");
        // `v` as text with `schemaVersion` and `shared` first, as sigaudit writes them
        // (serde_json's `Value` sorts its keys).
        let ordered = |v: &Value| -> Vec<u8> {
            let o = v.as_object().unwrap();
            let mut text = format!(
                "{{\"schemaVersion\":{},\"shared\":{}",
                o["schemaVersion"], o["shared"]
            );
            for (k, x) in o {
                if k != "schemaVersion" && k != "shared" {
                    text.push_str(&format!(",{}:{x}", Value::from(k.as_str())));
                }
            }
            text.push('}');
            text.into_bytes()
        };
        assert!(
            read_all(&ordered(&v)).is_ok(),
            "the control, rewritten in order"
        );
        let refused = |v: &Value| match read_all(&ordered(v)) {
            Err(ReadError::Invalid(e)) => e,
            other => panic!("{:?}", other.map(|(_, i)| i.len())),
        };

        let mut past = v.clone();
        let n = past["shared"]["checks"].as_array().unwrap().len();
        let img = past["images"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|i| !i["signatures"].as_array().unwrap().is_empty())
            .unwrap();
        img["signatures"][0]["checks"][0] = Value::from(n);
        let e = refused(&past);
        assert!(
            e.contains(&format!("checks {n} is past the end of shared.checks")),
            "{e}"
        );

        let mut no_identity = v.clone();
        let n = no_identity["shared"]["identities"]
            .as_array()
            .unwrap()
            .len();
        let s = no_identity["images"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .flat_map(|i| i["signatures"].as_array_mut().unwrap().iter_mut())
            .find(|s| !s["identity"].is_null())
            .unwrap();
        s["identity"] = Value::from(n);
        let e = refused(&no_identity);
        assert!(
            e.contains(&format!("identities {n} is past the end")),
            "{e}"
        );

        // Keys sorted (serde_json's `Value` sorts them): `images` before `schemaVersion` and
        // `shared`.
        match read_all(&serde_json::to_vec(&v).unwrap()) {
            Err(ReadError::Invalid(e)) => {
                assert!(
                    e.contains("images comes before schemaVersion and shared"),
                    "{e}"
                )
            }
            other => panic!("{:?}", other.map(|(_, i)| i.len())),
        }

        let mut v1 = v.clone();
        v1["schemaVersion"] = Value::from(1);
        match read_all(&ordered(&v1)) {
            Err(e @ ReadError::Version { .. }) => {
                assert!(e.to_string().contains("schemaVersion 1"), "{e}")
            }
            other => panic!("{:?}", other.map(|(_, i)| i.len())),
        }
    }
}
