//! Audit history: an earlier `report.json` (`--baseline`) compared with a new report, giving
//! the report's `changes` section ([`sigaudit_model::changes`]).
//!
//! The baseline is read as JSON values, field by field, never into the model: a report written
//! by a newer sigaudit (with fields this one does not know) or by an older one (without fields
//! added since) is read all the same, as long as its `schemaVersion` is one this version
//! knows. Fields that only some versions write (an image's `compliance`) are compared when both
//! reports have them, and skipped otherwise.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use sigaudit_model::Report;
use sigaudit_model::changes::{BaselineInfo, Change, ChangeCounts, ChangeKind, Changes};
use sigaudit_model::digest::{Digest, sha256_hex};
use sigaudit_model::report::{Compliance, ImageReport, ImageStatus, SCHEMA_VERSION};

/// A baseline larger than this is refused rather than read into memory (a report of a million
/// images is about 2 GiB less than that).
pub const MAX_BASELINE_BYTES: u64 = 1 << 30;

/// Why a baseline cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline {} is larger than {} bytes (1 GiB), the most sigaudit reads", .path.display(), MAX_BASELINE_BYTES)]
    TooLarge { path: PathBuf },
    #[error("baseline {} is not JSON: {source}", .path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("baseline {} is not a sigaudit report: {reason}", .path.display())]
    Foreign { path: PathBuf, reason: String },
    #[error("baseline {} has schemaVersion {version}, which this sigaudit does not know (it reads up to {SCHEMA_VERSION})", .path.display())]
    UnknownSchema { path: PathBuf, version: u64 },
}

/// An image of the baseline.
#[derive(Debug)]
struct BaselineImage {
    tags: Vec<String>,
    status: String,
    compliance: Option<String>,
}

/// A trust-material file of the baseline.
#[derive(Debug)]
struct BaselineMaterial {
    sha256: String,
    kind: String,
}

/// What the first pass reads: is this a sigaudit report, and of which version. Every other
/// field is skipped; a field of an unexpected type is a value the checks below refuse.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    tool: Option<Value>,
    schema_version: Option<Value>,
}

/// What the second pass reads. Fields are read as JSON values and checked one by one, so a
/// report from another version (fields added, or of another type where this one does not
/// look) is read as far as it can be.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    generated_at: Option<Value>,
    as_of: Option<Value>,
    trust_fingerprint: Option<Value>,
    images: Option<Vec<BodyImage>>,
    trust_material: Option<Vec<BodyMaterial>>,
}

/// An image of the baseline as written; its signatures are skipped.
#[derive(serde::Deserialize)]
struct BodyImage {
    repository: Option<Value>,
    digest: Option<Value>,
    parent: Option<Value>,
    status: Option<Value>,
    tags: Option<Value>,
    /// Written by versions that judge compliance; compared when both reports have it.
    compliance: Option<Value>,
}

#[derive(serde::Deserialize)]
struct BodyMaterial {
    path: Option<Value>,
    sha256: Option<Value>,
    kind: Option<Value>,
}

/// (repository, digest, parent digest): what identifies an image across reports.
type ImageKey = (String, String, Option<String>);

/// An earlier report, reduced to what a comparison needs.
#[derive(Debug)]
pub struct Baseline {
    info: BaselineInfo,
    images: HashMap<ImageKey, BaselineImage>,
    material: BTreeMap<String, BaselineMaterial>,
}

impl Baseline {
    /// Reads the report at `path` (at most [`MAX_BASELINE_BYTES`]).
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let unreadable = |source| BaselineError::Unreadable {
            path: path.to_path_buf(),
            source,
        };
        // The size is checked before reading (a huge file costs nothing) and again after, for a
        // file that grows while it is read; a named pipe is refused without being opened.
        let bytes = crate::layout::read_operator_file(path, MAX_BASELINE_BYTES).map_err(|e| {
            if e.kind() == std::io::ErrorKind::FileTooLarge {
                BaselineError::TooLarge {
                    path: path.to_path_buf(),
                }
            } else {
                unreadable(e)
            }
        })?;
        Self::from_slice(path, &bytes, sha256_hex(&bytes))
    }

    /// Reads a report from its bytes; `sha256` is the file's. Only the fields a comparison
    /// needs are kept (the rest is skipped while parsing, so a baseline costs far less memory
    /// than the report it was).
    pub(crate) fn from_slice(
        path: &Path,
        bytes: &[u8],
        sha256: String,
    ) -> Result<Self, BaselineError> {
        let foreign = |reason: &str| BaselineError::Foreign {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let parse_error = |source: serde_json::Error| match source.classify() {
            serde_json::error::Category::Data => foreign(&source.to_string()),
            _ => BaselineError::NotJson {
                path: path.to_path_buf(),
                source,
            },
        };
        // First pass: what the document is (this also checks the whole text is JSON).
        let head: Head = serde_json::from_slice(bytes).map_err(parse_error)?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(foreign("the document is not a JSON object"));
        }
        if head
            .tool
            .as_ref()
            .and_then(|t| t.get("name"))
            .and_then(Value::as_str)
            != Some("sigaudit")
        {
            return Err(foreign("it has no tool.name \"sigaudit\""));
        }
        let version = head
            .schema_version
            .as_ref()
            .and_then(Value::as_u64)
            .ok_or_else(|| foreign("it has no numeric schemaVersion"))?;
        if version == 0 || version > u64::from(SCHEMA_VERSION) {
            return Err(BaselineError::UnknownSchema {
                path: path.to_path_buf(),
                version,
            });
        }
        // Second pass, now that the version is known: the fields compared.
        let body: Body = serde_json::from_slice(bytes).map_err(parse_error)?;
        let text = |v: &Option<Value>, key: &str| -> Result<String, BaselineError> {
            v.as_ref()
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| foreign(&format!("it has no string {key}")))
        };
        let info = BaselineInfo {
            path: path.display().to_string(),
            sha256,
            // A version this sigaudit knows is at most SCHEMA_VERSION, a u32.
            schema_version: u32::try_from(version).unwrap_or(SCHEMA_VERSION),
            generated_at: text(&body.generated_at, "generatedAt")?,
            as_of: text(&body.as_of, "asOf")?,
            trust_fingerprint: text(&body.trust_fingerprint, "trustFingerprint")?,
        };
        let str_of = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_string);
        let mut images = HashMap::new();
        let baseline_images = body
            .images
            .ok_or_else(|| foreign("it has no array images"))?;
        for (i, img) in baseline_images.into_iter().enumerate() {
            let bad = || {
                foreign(&format!(
                    "images[{i}] has no string repository, digest and status"
                ))
            };
            let repository = str_of(&img.repository).ok_or_else(bad)?;
            let digest = str_of(&img.digest).ok_or_else(bad)?;
            let status = str_of(&img.status).ok_or_else(bad)?;
            let tags = match img.tags {
                Some(Value::Array(t)) => t
                    .into_iter()
                    .filter_map(|t| match t {
                        Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            images.insert(
                (repository, digest, str_of(&img.parent)),
                BaselineImage {
                    tags,
                    status,
                    compliance: str_of(&img.compliance),
                },
            );
        }
        let mut material = BTreeMap::new();
        let baseline_material = body
            .trust_material
            .ok_or_else(|| foreign("it has no array trustMaterial"))?;
        for (i, m) in baseline_material.into_iter().enumerate() {
            let path = str_of(&m.path)
                .ok_or_else(|| foreign(&format!("trustMaterial[{i}] has no string path")))?;
            material.insert(
                path,
                BaselineMaterial {
                    // Version 1 wrote bare hex (empty when unreadable), version 2 writes
                    // `sha256:<hex>` (null): held as bare hex, as the new report's records are.
                    sha256: str_of(&m.sha256)
                        .map(|h| sigaudit_model::digest::bare_hex(&h).to_string())
                        .unwrap_or_default(),
                    kind: str_of(&m.kind).unwrap_or_default(),
                },
            );
        }
        Ok(Baseline {
            info,
            images,
            material,
        })
    }

    /// Where the baseline came from.
    pub fn info(&self) -> &BaselineInfo {
        &self.info
    }

    /// What changed from the baseline to `report`.
    pub fn compare(&self, report: &Report) -> Changes {
        let mut entries = self.material_changes(report);
        let mut images = self.image_changes(report);
        images.sort_by(|a, b| {
            (&a.repository, &a.digest, &a.parent, a.kind).cmp(&(
                &b.repository,
                &b.digest,
                &b.parent,
                b.kind,
            ))
        });
        entries.extend(images);
        Changes {
            baseline: self.info.clone(),
            trust_material_changed: self.info.trust_fingerprint != report.trust_fingerprint,
            counts: ChangeCounts::of(&entries),
            entries,
        }
    }

    fn material_changes(&self, report: &Report) -> Vec<Change> {
        let now: BTreeMap<&str, &sigaudit_model::material::MaterialRecord> = report
            .trust_material
            .iter()
            .map(|m| (m.path.as_str(), m))
            .collect();
        let file = |kind, path: &str, before: Option<&str>, after: Option<&str>, detail| Change {
            kind,
            repository: None,
            digest: None,
            parent: None,
            tags: Vec::new(),
            path: Some(path.to_string()),
            // A hash as the reports write it (`sha256:<hex>`); none when it could not be read.
            before: before
                .filter(|h| !h.is_empty())
                .map(sigaudit_model::digest::prefixed),
            after: after
                .filter(|h| !h.is_empty())
                .map(sigaudit_model::digest::prefixed),
            detail,
        };
        let mut out = Vec::new();
        for (path, old) in &self.material {
            match now.get(path.as_str()) {
                None => {
                    let moved = report
                        .trust_material
                        .iter()
                        .find(|m| !old.sha256.is_empty() && m.sha256 == old.sha256);
                    let detail = match moved {
                        Some(m) => format!("{}; the same content is now at {}", old.kind, m.path),
                        None => old.kind.clone(),
                    };
                    out.push(file(
                        ChangeKind::TrustMaterialRemoved,
                        path,
                        Some(&old.sha256),
                        None,
                        detail,
                    ));
                }
                Some(new) if new.sha256 != old.sha256 => out.push(file(
                    ChangeKind::TrustMaterialChanged,
                    path,
                    Some(&old.sha256),
                    Some(&new.sha256),
                    new.kind.to_string(),
                )),
                Some(_) => {}
            }
        }
        for m in &report.trust_material {
            if !self.material.contains_key(&m.path) {
                let copied = self
                    .material
                    .iter()
                    .find(|(_, old)| !m.sha256.is_empty() && old.sha256 == m.sha256);
                let detail = match copied {
                    Some((p, _)) => format!("{}; the same content was at {p}", m.kind),
                    None => m.kind.to_string(),
                };
                out.push(file(
                    ChangeKind::TrustMaterialAdded,
                    &m.path,
                    None,
                    Some(&m.sha256),
                    detail,
                ));
            }
        }
        out.sort_by(|a, b| (&a.path, a.kind).cmp(&(&b.path, b.kind)));
        out
    }

    fn image_changes(&self, report: &Report) -> Vec<Change> {
        let mut out = Vec::new();
        let mut seen: std::collections::HashSet<ImageKey> = std::collections::HashSet::new();
        // Compliance is compared only when the baseline records it (sigaudit versions before
        // the compliance rules did not).
        let compare_compliance = self.images.values().any(|i| i.compliance.is_some());
        for img in &report.images {
            let key = image_key(img);
            let change = |kind, before: Option<&str>, after: Option<&str>, detail: String| Change {
                kind,
                repository: Some(img.repository.to_string()),
                digest: Some(img.digest.clone()),
                parent: img.parent.clone(),
                tags: img.tags.clone(),
                path: None,
                before: before.map(str::to_string),
                after: after.map(str::to_string),
                detail,
            };
            let after = img.status.as_str();
            match self.images.get(&key) {
                None => {
                    let kind = if img.status == ImageStatus::Unsigned {
                        ChangeKind::NewUnsigned
                    } else {
                        ChangeKind::NewImage
                    };
                    out.push(change(kind, None, Some(after), status_detail(img)));
                }
                Some(old) => {
                    let kind = match (old.status == "trusted", img.status == ImageStatus::Trusted) {
                        (true, false) => Some(ChangeKind::NewlyUntrusted),
                        (false, true) => Some(ChangeKind::NewlyTrusted),
                        _ if old.status != after => Some(ChangeKind::StatusChanged),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        out.push(change(
                            kind,
                            Some(&old.status),
                            Some(after),
                            status_detail(img),
                        ));
                    }
                    if compare_compliance
                        && let Some(before) = &old.compliance
                        && let now = img.compliance.as_str()
                        && let Some(kind) = compliance_change(before, now)
                    {
                        let detail = img
                            .violations
                            .iter()
                            .map(|v| format!("{}: {}", v.rule, v.detail))
                            .collect::<Vec<_>>()
                            .join("; ");
                        out.push(change(kind, Some(before), Some(now), detail));
                    }
                }
            }
            seen.insert(key);
        }
        for (key, old) in &self.images {
            if seen.contains(key) {
                continue;
            }
            // The baseline's digests were written by sigaudit; one that does not parse (a
            // hand-edited file) still names the image in `detail`.
            let (repository, digest, parent) = key;
            let digest_parsed = Digest::parse(digest).ok();
            let detail = match &digest_parsed {
                Some(_) => format!("was {}", old.status),
                None => format!("was {} (digest {digest:?})", old.status),
            };
            out.push(Change {
                kind: ChangeKind::ImageGone,
                repository: Some(repository.clone()),
                digest: digest_parsed,
                parent: parent.as_deref().and_then(|p| Digest::parse(p).ok()),
                tags: old.tags.clone(),
                path: None,
                before: Some(old.status.clone()),
                after: None,
                detail,
            });
        }
        out
    }
}

/// The change from one image-level compliance verdict (`pass`, `fail`, `exempt`) to another,
/// if they differ: to `pass` is newly compliant, to `fail` newly non-compliant, and a move to
/// or from `exempt` otherwise is a compliance change.
fn compliance_change(before: &str, after: &str) -> Option<ChangeKind> {
    if before == after {
        None
    } else if after == Compliance::Pass.as_str() {
        Some(ChangeKind::NewlyCompliant)
    } else if after == Compliance::Fail.as_str() {
        Some(ChangeKind::NewlyNonCompliant)
    } else {
        Some(ChangeKind::ComplianceChanged)
    }
}

fn image_key(img: &ImageReport) -> ImageKey {
    (
        img.repository.to_string(),
        img.digest.to_string(),
        img.parent.as_ref().map(Digest::to_string),
    )
}

/// Says which signatures trust the image, or why none does.
fn status_detail(img: &ImageReport) -> String {
    if let Some(e) = &img.error {
        return e.clone();
    }
    let trusted: Vec<String> = img
        .signatures
        .iter()
        .filter(|s| s.trusted)
        .map(|s| {
            format!("{} {}", s.format, s.key_file.as_deref().unwrap_or(""))
                .trim_end()
                .to_string()
        })
        .collect();
    if !trusted.is_empty() {
        return format!("trusted by {}", trusted.join(", "));
    }
    let codes: Vec<&str> = img.signatures.iter().map(|s| s.code.as_str()).collect();
    if codes.is_empty() {
        "no signature".to_string()
    } else {
        format!(
            "{} signature(s), none trusted: {}",
            codes.len(),
            codes.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Report {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let opts = crate::audit::AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
                .unwrap()
                .to_utc(),
        );
        crate::audit::Auditor::new(&root, opts).unwrap().audit()
    }

    /// A baseline of schema version 1 (bare hex trust-material hashes, an unreadable file's
    /// hash empty) is read as the same material as a version-2 report of the same files: no
    /// trust-material change. A changed hash in either form is a change, written `sha256:<hex>`.
    #[test]
    fn a_version_1_baseline_compares_with_version_2_hashes() {
        let report = demo();
        assert!(
            report.trust_material.iter().any(|m| m.sha256.is_empty()),
            "an unreadable file"
        );
        let v2: Value =
            serde_json::from_slice(&crate::report::json::to_vec(&report).unwrap()).unwrap();
        let mut v1 = v2.clone();
        v1["schemaVersion"] = Value::from(1);
        for m in v1["trustMaterial"].as_array_mut().unwrap() {
            let bare = m["sha256"]
                .as_str()
                .map(|h| h.strip_prefix("sha256:").unwrap().to_string())
                .unwrap_or_default();
            m["sha256"] = Value::from(bare);
        }
        for (v, version) in [(&v1, 1), (&v2, 2)] {
            let b = Baseline::from_slice(
                Path::new("b.json"),
                &serde_json::to_vec(v).unwrap(),
                "00".into(),
            )
            .unwrap();
            assert_eq!(b.info.schema_version, version);
            assert_eq!(b.compare(&report).entries, Vec::new(), "version {version}");
        }
        // The control: one hash changed in the version-1 form is a change.
        let first = v1["trustMaterial"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|m| m["sha256"] != "")
            .unwrap();
        first["sha256"] = Value::from("0".repeat(64));
        let path = first["path"].as_str().unwrap().to_string();
        let b = Baseline::from_slice(
            Path::new("b.json"),
            &serde_json::to_vec(&v1).unwrap(),
            "00".into(),
        )
        .unwrap();
        let entries = b.compare(&report).entries;
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].kind, ChangeKind::TrustMaterialChanged);
        assert_eq!(entries[0].path.as_deref(), Some(path.as_str()));
        assert_eq!(
            entries[0].before,
            Some(format!("sha256:{}", "0".repeat(64)))
        );
        assert!(entries[0].after.as_deref().unwrap().starts_with("sha256:"));
    }

    #[test]
    fn compliance_transitions() {
        assert_eq!(compliance_change("pass", "pass"), None);
        assert_eq!(
            compliance_change("fail", "pass"),
            Some(ChangeKind::NewlyCompliant)
        );
        assert_eq!(
            compliance_change("exempt", "pass"),
            Some(ChangeKind::NewlyCompliant)
        );
        assert_eq!(
            compliance_change("pass", "fail"),
            Some(ChangeKind::NewlyNonCompliant)
        );
        assert_eq!(
            compliance_change("exempt", "fail"),
            Some(ChangeKind::NewlyNonCompliant)
        );
        assert_eq!(
            compliance_change("fail", "exempt"),
            Some(ChangeKind::ComplianceChanged)
        );
    }

    /// A baseline written before the compliance rules existed (no image-level `compliance`):
    /// compliance is not compared, the rest is as usual.
    #[test]
    fn compliance_is_compared_only_when_the_baseline_has_it() {
        let mut report = demo();
        crate::compliance::apply(
            &mut report,
            &crate::config::Policy::builtin(crate::config::Source::None),
        );
        assert!(
            report
                .images
                .iter()
                .any(|i| i.compliance == Compliance::Fail)
        );
        let mut value =
            serde_json::from_slice::<Value>(&crate::report::json::to_vec(&report).unwrap())
                .unwrap();
        for img in value["images"].as_array_mut().unwrap() {
            img.as_object_mut().unwrap().remove("compliance");
        }
        let old = Baseline::from_slice(
            Path::new("b.json"),
            &serde_json::to_vec(&value).unwrap(),
            "00".into(),
        )
        .unwrap();
        let changes = old.compare(&report);
        assert_eq!(changes.entries, Vec::new());
        // The same baseline with every image failing: each image that passes now is newly
        // compliant, with the verdicts before and after.
        for img in value["images"].as_array_mut().unwrap() {
            img["compliance"] = Value::from("fail");
        }
        let old = Baseline::from_slice(
            Path::new("b.json"),
            &serde_json::to_vec(&value).unwrap(),
            "00".into(),
        )
        .unwrap();
        let changes = old.compare(&report);
        let passing = report
            .images
            .iter()
            .filter(|i| i.compliance == Compliance::Pass)
            .count();
        assert!(passing > 0);
        assert_eq!(changes.entries.len(), passing);
        assert!(
            changes
                .entries
                .iter()
                .all(|c| c.kind == ChangeKind::NewlyCompliant
                    && c.before.as_deref() == Some("fail")
                    && c.after.as_deref() == Some("pass"))
        );
    }

    #[test]
    fn a_changed_status_between_untrusted_kinds_is_status_changed() {
        let report = demo();
        let mut value =
            serde_json::from_slice::<Value>(&crate::report::json::to_vec(&report).unwrap())
                .unwrap();
        let img = value["images"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|i| i["status"] == "untrusted")
            .unwrap();
        img["status"] = Value::from("unsigned");
        let digest = img["digest"].clone();
        let b = Baseline::from_slice(
            Path::new("b.json"),
            &serde_json::to_vec(&value).unwrap(),
            "00".into(),
        )
        .unwrap();
        let changes = b.compare(&report);
        assert_eq!(changes.entries.len(), 1, "{:?}", changes.entries);
        let e = &changes.entries[0];
        assert_eq!(e.kind, ChangeKind::StatusChanged);
        assert_eq!(
            e.digest.as_ref().unwrap().to_string(),
            digest.as_str().unwrap()
        );
        assert_eq!(
            (e.before.as_deref(), e.after.as_deref()),
            (Some("unsigned"), Some("untrusted"))
        );
        assert_eq!(changes.counts.status_changed, 1);
    }
}
