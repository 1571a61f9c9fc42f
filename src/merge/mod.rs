//! `sigaudit merge`: the shard reports of one registry (`scan --shard I/N`, see
//! [`crate::shard`]) joined into the report a full scan would have written.
//!
//! Each shard's images are read back into the report model ([`read`]) and the
//! registry-wide parts are computed again with a scan's own code: the counts
//! ([`crate::audit::tally`]), then the stages after aggregation, as a scan runs them
//! ([`crate::stages::conclude_merged`]: the containers-policy counts, the expiry list, the
//! compliance rules and the comparison with a baseline). What every shard holds alike (trust material,
//! unreadable places, findings about the trust material or the walk) is taken once.
//!
//! The shards must be of one audit: the same sigaudit, trust material, `asOf`, settings, shard
//! count and key, every index present once. Anything else is refused, naming the file and the
//! reason: a merged report must never pass for a registry-wide audit that did not happen.

pub mod read;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::audit::tally;
use crate::config::Policy;
use crate::stages::history::Baseline;
use read::Head;
use sigaudit_model::Format;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::finding::Finding;
use sigaudit_model::report::{
    ImageReport, MergedReport, MergedShard, Report, RepositorySummary, SCHEMA_VERSION, Settings,
    Tool, UnreadableRepository,
};
use sigaudit_model::text::Interner;

/// Why the shards cannot be merged. Each names the file (or files) and the reason.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: {reason}", .file.display())]
    Refused { file: PathBuf, reason: String },
    #[error("shard {index} of {count} is missing: the files given hold {present}")]
    Missing {
        index: u64,
        count: u64,
        /// Each file given and the shard it holds.
        present: String,
    },
    #[error("{} and {} are both shard {index}", .first.display(), .second.display())]
    Repeated {
        index: u64,
        first: PathBuf,
        second: PathBuf,
    },
}

/// What the merge writes besides what the shards say.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// The formats written (the report's `settings.formats`).
    pub formats: Vec<Format>,
    /// `--fail-on` (the report's `settings.failOn`).
    pub fail_on: String,
    /// The report `changes` compares with, if any.
    pub baseline: Option<Arc<Baseline>>,
}

/// The settings every shard must share: all but those the merge sets itself (`formats`,
/// `failOn`: how the merge writes and exits) and `config` (the compliance rules are applied
/// again, by the merge, from its own `--config`).
const OWN_SETTINGS: [&str; 3] = ["formats", "failOn", "config"];

/// A shard's header, checked.
struct ShardHead {
    file: PathBuf,
    sha256: String,
    index: u64,
    head: Head,
}

/// Reads every shard in `files`, checks they are the whole of one sharded audit, and builds
/// the merged report, compliance judged under `policy`.
pub fn merge(
    files: &[PathBuf],
    policy: &Policy,
    opts: &MergeOptions,
) -> Result<Report, MergeError> {
    let text = Interner::default();
    let mut images: Vec<ImageReport> = Vec::new();
    let mut heads: Vec<ShardHead> = Vec::with_capacity(files.len());
    // Which file each repository came from: a repository in two shards is two audits of it.
    let mut owner: HashMap<Arc<str>, usize> = HashMap::new();
    for (n, file) in files.iter().enumerate() {
        let refuse = |reason: String| MergeError::Refused {
            file: file.clone(),
            reason,
        };
        let mut repos: Vec<Arc<str>> = Vec::new();
        let (head, sha256) = read_shard(file, &text, &mut |img| {
            if repos.last() != Some(&img.repository) {
                repos.push(img.repository.clone());
            }
            images.push(img);
            Ok(())
        })
        .map_err(refuse)?;
        let index = check_head(&head, heads.first().map(|h| (&h.head, h.file.as_path())))
            .map_err(refuse)?;
        if let Some(first) = heads.iter().find(|h| h.index == index) {
            return Err(MergeError::Repeated {
                index,
                first: first.file.clone(),
                second: file.clone(),
            });
        }
        // A repository in two shards would be counted twice: the files were not split by one
        // rule (or one was edited).
        for r in repos {
            match owner.get(&r) {
                Some(&other) if other != n => {
                    return Err(refuse(format!(
                        "repository {:?} is also in {}: the shards were not split by one rule",
                        &*r,
                        files[other].display()
                    )));
                }
                Some(_) => {}
                None => {
                    owner.insert(r, n);
                }
            }
        }
        heads.push(ShardHead {
            file: file.clone(),
            sha256,
            index,
            head,
        });
    }
    heads.sort_by_key(|h| h.index);
    let Some(first) = heads.first() else {
        return Err(MergeError::Missing {
            index: 0,
            count: 0,
            present: "no shard".into(),
        });
    };
    let count = first.head.get("shard")["count"].as_u64().unwrap_or(0);
    let present: Vec<u64> = heads.iter().map(|h| h.index).collect();
    if let Some(index) = (0..count).find(|i| present.binary_search(i).is_err()) {
        return Err(MergeError::Missing {
            index,
            count,
            present: heads
                .iter()
                .map(|h| format!("shard {} ({})", h.index, h.file.display()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    assemble(heads, images, policy, opts)
}

/// Reads one shard file, streaming its images to `image`; returns its header and the hex
/// SHA-256 of its bytes.
fn read_shard(
    file: &Path,
    text: &Interner,
    image: &mut dyn FnMut(ImageReport) -> Result<(), String>,
) -> Result<(Head, String), String> {
    // A named pipe or a device would block or never end: only a regular file (links followed).
    let md = std::fs::metadata(file).map_err(|e| format!("cannot read it: {e}"))?;
    if !md.is_file() {
        return Err("not a regular file; pass the report.json a shard wrote".into());
    }
    let f = std::fs::File::open(file).map_err(|e| format!("cannot read it: {e}"))?;
    let mut hashing = HashingReader::new(std::io::BufReader::with_capacity(1 << 16, f));
    let head = read::read_report(&mut hashing, text, image).map_err(|e| match e {
        read::ReadError::Version { .. } => format!(
            "{e}: shards are merged by the sigaudit that made them; make every shard again with this one"
        ),
        read::ReadError::Invalid(e) => format!("not a sigaudit report that can be read: {e}"),
    })?;
    Ok((head, hashing.finish()))
}

/// Checks one shard's header on its own and against the first shard's (`first`); returns its
/// index.
fn check_head(head: &Head, first: Option<(&Head, &Path)>) -> Result<u64, String> {
    if head.get("tool")["name"] != "sigaudit" {
        return Err("not a sigaudit report (tool.name is not sigaudit)".into());
    }
    let version = head.get("schemaVersion").as_u64();
    if version != Some(u64::from(SCHEMA_VERSION)) {
        return Err(format!(
            "schemaVersion {}, but this sigaudit merges reports of schemaVersion {SCHEMA_VERSION}",
            head.get("schemaVersion")
        ));
    }
    let shard = head.get("shard");
    if !shard.is_object() {
        return Err(
            "not a shard report: it has no shard object (written by scan without --shard)".into(),
        );
    }
    let (Some(index), Some(count)) = (shard["index"].as_u64(), shard["count"].as_u64()) else {
        return Err("its shard object has no index or count".into());
    };
    if index >= count {
        return Err(format!("shard {index} of {count} cannot exist"));
    }
    if !head.fields.contains_key("images") {
        return Err("it has no images array".into());
    }
    let Some((first, first_file)) = first else {
        return Ok(index);
    };
    let same = |name: &str, what: &str, a: &Value, b: &Value| {
        if a == b {
            Ok(())
        } else {
            Err(format!(
                "{what} differs from {}'s ({name}: {a} here, {b} there); shards of one audit share it",
                first_file.display()
            ))
        }
    };
    same(
        "tool.version",
        "the sigaudit version",
        &head.get("tool")["version"],
        &first.get("tool")["version"],
    )?;
    same(
        "shard.count",
        "the shard count",
        &shard["count"],
        &first.get("shard")["count"],
    )?;
    same(
        "shard.keySha256",
        "the shard key",
        &shard["keySha256"],
        &first.get("shard")["keySha256"],
    )?;
    same(
        "shard.rule",
        "the assignment rule",
        &shard["rule"],
        &first.get("shard")["rule"],
    )?;
    same(
        "shard.registryRepositories",
        "the registry's repository count",
        &shard["registryRepositories"],
        &first.get("shard")["registryRepositories"],
    )?;
    same(
        "asOf",
        "the audit's instant",
        head.get("asOf"),
        first.get("asOf"),
    )?;
    same(
        "trustFingerprint",
        "the trust material",
        head.get("trustFingerprint"),
        first.get("trustFingerprint"),
    )?;
    same(
        "trustMaterial",
        "the trust material",
        head.get("trustMaterial"),
        first.get("trustMaterial"),
    )?;
    same(
        "rootDir",
        "the rootDir",
        head.get("rootDir"),
        first.get("rootDir"),
    )?;
    same(
        "zotConfig",
        "the zot config",
        head.get("zotConfig"),
        first.get("zotConfig"),
    )?;
    same(
        "stores",
        "the stores audited",
        head.get("stores"),
        first.get("stores"),
    )?;
    let settings = |h: &Head| -> Value {
        let mut s = h.get("settings").clone();
        if let Some(o) = s.as_object_mut() {
            for k in OWN_SETTINGS {
                o.remove(k);
            }
        }
        s
    };
    same(
        "settings",
        "the settings",
        &settings(head),
        &settings(first),
    )?;
    Ok(index)
}

/// The merged report from checked shards (sorted by index) and all their images.
fn assemble(
    heads: Vec<ShardHead>,
    mut images: Vec<ImageReport>,
    policy: &Policy,
    opts: &MergeOptions,
) -> Result<Report, MergeError> {
    let first = &heads[0];
    let refuse = |h: &ShardHead, reason: String| MergeError::Refused {
        file: h.file.clone(),
        reason,
    };
    // A scan lists repositories, and their images, by name: each shard's images are already
    // in that order, and a repository is in one shard only.
    images.sort_by(|a, b| a.repository.cmp(&b.repository));
    let mut repositories: Vec<RepositorySummary> = Vec::new();
    let mut unreadable: BTreeMap<String, UnreadableRepository> = BTreeMap::new();
    let mut findings: Vec<Finding> = Vec::new();
    for h in &heads {
        let list = |name: &str| -> Result<&Vec<Value>, MergeError> {
            h.head
                .get(name)
                .as_array()
                .ok_or_else(|| refuse(h, format!("{name} is not an array")))
        };
        for r in list("repositories")? {
            let name = r["name"]
                .as_str()
                .ok_or_else(|| refuse(h, "repositories[].name is not a string".into()))?;
            repositories.push(RepositorySummary {
                name: name.to_string(),
                ..Default::default()
            });
        }
        for u in list("unreadableRepositories")? {
            let u = read::unreadable(u)
                .map_err(|e| refuse(h, format!("unreadableRepositories[]: {e}")))?;
            unreadable.entry(u.path.clone()).or_insert(u);
        }
        for f in list("findings")? {
            let f = read::finding(f).map_err(|e| refuse(h, format!("findings[]: {e}")))?;
            // The compliance stage's findings are made again over the whole registry.
            if f.code != FindingCode::RuleUnmatched {
                findings.push(f);
            }
        }
    }
    repositories.sort_by(|a, b| a.name.cmp(&b.name));
    let head = &first.head;
    let field = |name: &str| -> Result<&Value, MergeError> {
        let v = head.get(name);
        if v.is_null() {
            Err(refuse(first, format!("{name} is missing")))
        } else {
            Ok(v)
        }
    };
    let str_field = |name: &str| -> Result<String, MergeError> {
        field(name)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| refuse(first, format!("{name} is not a string")))
    };
    let as_of: DateTime<Utc> = DateTime::parse_from_rfc3339(&str_field("asOf")?)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| refuse(first, format!("asOf: {e}")))?;
    let trust_material = field("trustMaterial")?
        .as_array()
        .ok_or_else(|| refuse(first, "trustMaterial is not an array".into()))?
        .iter()
        .map(read::material)
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| refuse(first, format!("trustMaterial[]: {e}")))?;
    // The trust stores' entries are alike in every shard; the signatures' are the images'.
    let trust_expiring = field("expiring")?
        .as_array()
        .ok_or_else(|| refuse(first, "expiring is not an array".into()))?
        .iter()
        .filter(|e| e["kind"] == sigaudit_model::report::TRUST_CERTIFICATE)
        .map(read::expiry)
        .collect::<Result<Vec<_>, String>>()
        .map_err(|e| refuse(first, format!("expiring[]: {e}")))?;
    let settings = settings(field("settings")?, opts).map_err(|e| refuse(first, e))?;
    let shard = head.get("shard");
    let merged = MergedReport {
        count: shard["count"].as_u64().unwrap_or(0),
        rule: shard["rule"].as_str().unwrap_or_default().to_string(),
        key: shard["key"].as_str().unwrap_or_default().to_string(),
        key_sha256: sigaudit_model::digest::bare_hex(
            shard["keySha256"].as_str().unwrap_or_default(),
        )
        .to_string(),
        shards: heads
            .iter()
            .map(|h| MergedShard {
                index: h.index,
                file: h.file.display().to_string(),
                sha256: h.sha256.clone(),
                host: h.head.get("host").as_str().unwrap_or_default().to_string(),
                generated_at: h
                    .head
                    .get("generatedAt")
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            })
            .collect(),
    };
    let mut summary = tally(&images, &mut repositories);
    summary.unreadable_repositories = unreadable.len();
    findings.sort_by(|a, b| (&a.path, a.code, &a.message).cmp(&(&b.path, b.code, &b.message)));
    findings.dedup();
    summary.findings = findings.len();
    // Every shard walked every store (a shard's store counts are the registry's), and the
    // shards agree on both: the first one's are the registry's.
    let zot_config = serde_json::from_value(head.get("zotConfig").clone())
        .map_err(|e| refuse(first, format!("zotConfig: {e}")))?;
    let stores = serde_json::from_value(head.get("stores").clone())
        .map_err(|e| refuse(first, format!("stores: {e}")))?;
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "sigaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: Utc::now(),
        as_of,
        root_dir: str_field("rootDir")?,
        root_dir_absolute: str_field("rootDirAbsolute")?,
        host: str_field("host")?,
        settings,
        zot_config,
        stores,
        shard: None,
        merged: Some(merged),
        trust_fingerprint: str_field("trustFingerprint")?,
        trust_material,
        summary,
        repositories,
        unreadable_repositories: unreadable.into_values().collect(),
        compliance: Default::default(),
        // Completed with the signatures by the expiry stage.
        expiring: trust_expiring,
        images,
        findings,
        changes: None,
        duration: None,
    };
    crate::stages::conclude_merged(
        &mut report,
        &crate::stages::Inputs {
            rules: policy,
            baseline: opts.baseline.as_deref(),
        },
    );
    Ok(report)
}

/// The merged report's settings: the shards' (which agree), with the merge's formats and
/// `--fail-on`; `config` is set by the compliance stage.
fn settings(v: &Value, opts: &MergeOptions) -> Result<Settings, String> {
    let strs = |name: &str| -> Result<Vec<&'static str>, String> {
        v[name]
            .as_array()
            .ok_or_else(|| format!("settings.{name} is not an array"))?
            .iter()
            .map(|x| {
                x.as_str()
                    .map(read::static_word)
                    .ok_or_else(|| format!("settings.{name} holds a non-string"))
            })
            .collect()
    };
    let opt = |name: &str| -> Result<Option<String>, String> {
        match &v[name] {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(format!("settings.{name} is neither a string nor null")),
        }
    };
    let flag = |name: &str| -> Result<bool, String> {
        v[name]
            .as_bool()
            .ok_or_else(|| format!("settings.{name} is not a boolean"))
    };
    Ok(Settings {
        formats: opts.formats.clone(),
        fail_on: opts.fail_on.clone(),
        registry: opt("registry")?,
        require_revocation: flag("requireRevocation")?,
        crl_dirs: strs("crlDirs")?.into_iter().map(str::to_string).collect(),
        verified_formats: strs("verifiedFormats")?,
        listed_formats: strs("listedFormats")?,
        gpg_lookaside: opt("gpgLookaside")?,
        config: None,
        containers_policy: read::policy_file(&v["containersPolicy"])
            .map_err(|e| format!("settings.containersPolicy: {e}"))?,
        allow_empty: flag("allowEmpty")?,
    })
}

/// A reader that hashes what it reads, so a shard's SHA-256 costs no second read.
struct HashingReader<R> {
    inner: R,
    hasher: sha2::Sha256,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        use sha2::Digest as _;
        HashingReader {
            inner,
            hasher: sha2::Sha256::new(),
        }
    }

    fn finish(self) -> String {
        use sha2::Digest as _;
        let out = self.hasher.finalize();
        out.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest as _;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigaudit_model::digest::sha256_hex;

    #[test]
    fn the_hashing_reader_hashes_what_it_read() {
        let data = b"{\"a\": 1}".repeat(10_000);
        let mut r = HashingReader::new(&data[..]);
        let mut sink = Vec::new();
        r.read_to_end(&mut sink).expect("read");
        assert_eq!(sink, data);
        assert_eq!(r.finish(), sha256_hex(&data));
    }
}
