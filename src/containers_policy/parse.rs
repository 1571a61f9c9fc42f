//! Strict parsing of containers-policy.json(5), as c/image's `policy_config.go` and
//! `policy_config_sigstore.go` parse it: duplicate keys, unknown keys, a missing `default`,
//! empty requirement lists, unknown requirement or identity types and conflicting key
//! sources are all errors. Each error names the JSON path it is at.
//!
//! Key files are read here, relative to the policy file's folder when relative (c/image reads
//! them relative to the process's working directory; policies in practice use absolute
//! paths, and a relative path that depended on where sigaudit was started would make a report
//! depend on it too). A key file that cannot be read is not a parse error: c/image only reads
//! keys when a requirement is evaluated, so such a requirement rejects every image it applies
//! to, with the file and the reason as the rejection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{Map, Value};

use super::identity::{SignedIdentity, valid_remap_prefix};
use super::reference::DockerReference;
use super::{Fulcio, KeyMaterial, Pki, Requirement, SigstoreSigned};

/// Largest key file read.
const MAX_KEY_BYTES: u64 = 8 << 20;

/// A policy error at a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub path: String,
    pub message: String,
}

fn err<T>(path: &str, message: impl Into<String>) -> Result<T, At> {
    Err(At {
        path: path.into(),
        message: message.into(),
    })
}

fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", Value::String(key.into()))
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, At> {
    v.as_object()
        .map_or_else(|| err(path, "must be a JSON object"), Ok)
}

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, At> {
    v.as_str().map_or_else(|| err(path, "must be a string"), Ok)
}

/// Refuses keys of `m` not in `allowed` (c/image's "Unknown key").
fn only(m: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), At> {
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            return err(
                &key_path(path, k),
                format!("unknown key {k:?} (allowed here: {})", allowed.join(", ")),
            );
        }
    }
    Ok(())
}

/// What the policy parser needs from outside: where relative key paths start.
pub struct Parser<'a> {
    pub base: &'a Path,
}

/// The parsed document: `default`, and the scopes of `transports.docker`.
pub struct Parsed {
    pub default: Vec<Requirement>,
    pub docker: Option<BTreeMap<String, Vec<Requirement>>>,
    pub other_transports: Vec<String>,
}

impl Parser<'_> {
    pub fn document(&self, v: &Value) -> Result<Parsed, At> {
        let root = "$";
        let m = object(v, root)?;
        only(m, &["default", "transports"], root)?;
        let Some(default) = m.get("default") else {
            return err(
                root,
                "the default policy is missing (`default` is required)",
            );
        };
        let default = self.requirements(default, "$.default")?;
        let mut docker = None;
        let mut other_transports = Vec::new();
        if let Some(t) = m.get("transports") {
            let tpath = "$.transports";
            for (name, scopes) in object(t, tpath)? {
                let spath = key_path(tpath, name);
                let mut out = BTreeMap::new();
                for (scope, reqs) in object(scopes, &spath)? {
                    let rpath = key_path(&spath, scope);
                    out.insert(scope.clone(), self.requirements(reqs, &rpath)?);
                }
                if name == "docker" {
                    docker = Some(out);
                } else {
                    other_transports.push(name.clone());
                }
            }
        }
        Ok(Parsed {
            default,
            docker,
            other_transports,
        })
    }

    fn requirements(&self, v: &Value, path: &str) -> Result<Vec<Requirement>, At> {
        let Some(list) = v.as_array() else {
            return err(path, "must be a list of requirements");
        };
        if list.is_empty() {
            return err(
                path,
                "the list of verification policy requirements must not be empty",
            );
        }
        list.iter()
            .enumerate()
            .map(|(i, r)| self.requirement(r, &format!("{path}[{i}]")))
            .collect()
    }

    fn requirement(&self, v: &Value, path: &str) -> Result<Requirement, At> {
        let m = object(v, path)?;
        let Some(t) = m.get("type") else {
            return err(path, "the requirement has no `type`");
        };
        let t = string(t, &key_path(path, "type"))?;
        match t {
            "insecureAcceptAnything" => {
                only(m, &["type"], path)?;
                Ok(Requirement::InsecureAcceptAnything)
            }
            "reject" => {
                only(m, &["type"], path)?;
                Ok(Requirement::Reject)
            }
            "signedBy" => self.signed_by(m, path),
            "signedBaseLayer" => {
                only(m, &["type", "baseLayerIdentity"], path)?;
                let Some(id) = m.get("baseLayerIdentity") else {
                    return err(path, "`baseLayerIdentity` is required");
                };
                identity(id, &key_path(path, "baseLayerIdentity"))?;
                Ok(Requirement::SignedBaseLayer)
            }
            "sigstoreSigned" => self.sigstore_signed(m, path),
            other => err(
                &key_path(path, "type"),
                format!("unknown policy requirement type {other:?}"),
            ),
        }
    }

    fn signed_by(&self, m: &Map<String, Value>, path: &str) -> Result<Requirement, At> {
        only(
            m,
            &[
                "type",
                "keyType",
                "keyPath",
                "keyPaths",
                "keyData",
                "signedIdentity",
            ],
            path,
        )?;
        let Some(kt) = m.get("keyType") else {
            return err(path, "`keyType` is required");
        };
        let kt = string(kt, &key_path(path, "keyType"))?;
        if ![
            "GPGKeys",
            "signedByGPGKeys",
            "X509Certificates",
            "signedByX509CAs",
        ]
        .contains(&kt)
        {
            return err(
                &key_path(path, "keyType"),
                format!("unrecognized keyType value {kt:?}"),
            );
        }
        let keys = self
            .key_source(m, path, ["keyPath", "keyPaths", "keyData", ""])?
            .map_or_else(
                || err(path, "exactly one of keyPath, keyPaths and keyData must be specified, none of them present"),
                Ok,
            )?;
        Ok(Requirement::SignedBy {
            key_type: kt.to_string(),
            keys,
            identity: signed_identity(m, path)?,
        })
    }

    fn sigstore_signed(&self, m: &Map<String, Value>, path: &str) -> Result<Requirement, At> {
        only(
            m,
            &[
                "type",
                "keyPath",
                "keyPaths",
                "keyData",
                "keyDatas",
                "fulcio",
                "pki",
                "rekorPublicKeyPath",
                "rekorPublicKeyPaths",
                "rekorPublicKeyData",
                "rekorPublicKeyDatas",
                "signedIdentity",
            ],
            path,
        )?;
        let keys = self.key_source(m, path, ["keyPath", "keyPaths", "keyData", "keyDatas"])?;
        let sources = usize::from(keys.is_some())
            + usize::from(m.contains_key("fulcio"))
            + usize::from(m.contains_key("pki"));
        if sources != 1 {
            return err(
                path,
                "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be specified",
            );
        }
        let rekor = self.key_source(
            m,
            path,
            [
                "rekorPublicKeyPath",
                "rekorPublicKeyPaths",
                "rekorPublicKeyData",
                "rekorPublicKeyDatas",
            ],
        )?;
        let fulcio = m
            .get("fulcio")
            .map(|f| self.fulcio(f, &key_path(path, "fulcio")))
            .transpose()?;
        let pki = m
            .get("pki")
            .map(|p| self.pki(p, &key_path(path, "pki")))
            .transpose()?;
        if fulcio.is_some() && rekor.is_none() {
            return err(
                path,
                "fulcio requires a Rekor public key (rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData or rekorPublicKeyDatas)",
            );
        }
        if pki.is_some() && rekor.is_some() {
            return err(path, "a Rekor public key is not supported with pki");
        }
        Ok(Requirement::SigstoreSigned(Box::new(SigstoreSigned {
            keys,
            fulcio,
            pki,
            rekor,
            identity: signed_identity(m, path)?,
        })))
    }

    fn fulcio(&self, v: &Value, path: &str) -> Result<Fulcio, At> {
        let m = object(v, path)?;
        only(m, &["caPath", "caData", "oidcIssuer", "subjectEmail"], path)?;
        let ca = self.one_file(m, path, "caPath", "caData")?.map_or_else(
            || err(path, "exactly one of caPath and caData must be specified"),
            Ok,
        )?;
        let field = |k: &str| -> Result<String, At> {
            match m.get(k) {
                Some(v) => {
                    let s = string(v, &key_path(path, k))?;
                    if s.is_empty() {
                        return err(&key_path(path, k), format!("`{k}` must not be empty"));
                    }
                    Ok(s.to_string())
                }
                None => err(path, format!("`{k}` is required")),
            }
        };
        Ok(Fulcio {
            ca,
            oidc_issuer: field("oidcIssuer")?,
            subject_email: field("subjectEmail")?,
        })
    }

    fn pki(&self, v: &Value, path: &str) -> Result<Pki, At> {
        let m = object(v, path)?;
        only(
            m,
            &[
                "caRootsPath",
                "caRootsData",
                "caIntermediatesPath",
                "caIntermediatesData",
                "subjectEmail",
                "subjectHostname",
            ],
            path,
        )?;
        let roots = self
            .one_file(m, path, "caRootsPath", "caRootsData")?
            .map_or_else(
                || {
                    err(
                        path,
                        "exactly one of caRootsPath and caRootsData must be specified",
                    )
                },
                Ok,
            )?;
        let intermediates = self.one_file(m, path, "caIntermediatesPath", "caIntermediatesData")?;
        let opt = |k: &str| -> Result<Option<String>, At> {
            m.get(k)
                .map(|v| string(v, &key_path(path, k)).map(str::to_string))
                .transpose()
        };
        let subject_email = opt("subjectEmail")?.filter(|s| !s.is_empty());
        let subject_hostname = opt("subjectHostname")?.filter(|s| !s.is_empty());
        if subject_email.is_none() && subject_hostname.is_none() {
            return err(
                path,
                "at least one of subjectEmail and subjectHostname must be specified",
            );
        }
        Ok(Pki {
            roots,
            intermediates,
            subject_email,
            subject_hostname,
        })
    }

    /// `<x>Path` or `<x>Data` (at most one): the file's bytes, or the decoded data.
    fn one_file(
        &self,
        m: &Map<String, Value>,
        path: &str,
        path_key: &str,
        data_key: &str,
    ) -> Result<Option<KeyMaterial>, At> {
        match (m.get(path_key), m.get(data_key)) {
            (Some(_), Some(_)) => err(
                path,
                format!("only one of {path_key} and {data_key} may be specified"),
            ),
            (Some(p), None) => Ok(Some(self.read(
                string(p, &key_path(path, path_key))?,
                &key_path(path, path_key),
            )?)),
            (None, Some(d)) => Ok(Some(data(d, &key_path(path, data_key))?)),
            (None, None) => Ok(None),
        }
    }

    /// The one key source of `names` (`[path, paths, data, datas]`, `""` when the form does
    /// not exist) present in `m`, read; `None` when none is.
    fn key_source(
        &self,
        m: &Map<String, Value>,
        path: &str,
        names: [&str; 4],
    ) -> Result<Option<Vec<KeyMaterial>>, At> {
        let present: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !n.is_empty() && m.contains_key(*n))
            .collect();
        if present.len() > 1 {
            return err(
                path,
                format!("only one of {} may be specified", present.join(", ")),
            );
        }
        let Some(&name) = present.first() else {
            return Ok(None);
        };
        let at = key_path(path, name);
        let v = &m[name];
        fn list<'v>(v: &'v Value, at: &str) -> Result<Vec<&'v Value>, At> {
            let a = v.as_array().map_or_else(|| err(at, "must be a list"), Ok)?;
            if a.is_empty() {
                return err(at, "must not be empty");
            }
            Ok(a.iter().collect())
        }
        let out = if name == names[0] {
            vec![self.read(string(v, &at)?, &at)?]
        } else if name == names[1] {
            list(v, &at)?
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    let at = format!("{at}[{i}]");
                    self.read(string(p, &at)?, &at)
                })
                .collect::<Result<_, _>>()?
        } else if name == names[2] {
            vec![data(v, &at)?]
        } else {
            list(v, &at)?
                .into_iter()
                .enumerate()
                .map(|(i, d)| data(d, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?
        };
        Ok(Some(out))
    }

    /// A key file named by the policy; unreadable files are kept as their error.
    fn read(&self, file: &str, at: &str) -> Result<KeyMaterial, At> {
        if file.is_empty() {
            return err(at, "must not be empty");
        }
        let p = Path::new(file);
        let full: PathBuf = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        };
        let bytes = read_limited(&full).map_err(|e| format!("cannot read {}: {e}", full.display()));
        Ok(KeyMaterial {
            label: full.display().to_string(),
            bytes,
        })
    }
}

/// A key file: links followed (as c/image's `os.ReadFile`), but only to a regular file, so a
/// named pipe cannot block the evaluation (c/image would block on it).
fn read_limited(p: &Path) -> Result<Vec<u8>, String> {
    crate::layout::read_regular_following_links(p, MAX_KEY_BYTES)
        .map_err(|e| crate::layout::describe_read_error(&e))
}

/// A `*Data` value: base64 (std), as Go's `[]byte` JSON encoding.
fn data(v: &Value, at: &str) -> Result<KeyMaterial, At> {
    let s = string(v, at)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| At {
            path: at.into(),
            message: format!("not valid base64: {e}"),
        })?;
    Ok(KeyMaterial {
        label: at.trim_start_matches("$.").to_string(),
        bytes: Ok(bytes),
    })
}

fn signed_identity(m: &Map<String, Value>, path: &str) -> Result<SignedIdentity, At> {
    match m.get("signedIdentity") {
        None => Ok(SignedIdentity::MatchRepoDigestOrExact),
        Some(v) => identity(v, &key_path(path, "signedIdentity")),
    }
}

fn identity(v: &Value, path: &str) -> Result<SignedIdentity, At> {
    let m = object(v, path)?;
    let Some(t) = m.get("type") else {
        return err(path, "the identity has no `type`");
    };
    let t = string(t, &key_path(path, "type"))?;
    let field = |k: &str| -> Result<&str, At> {
        match m.get(k) {
            Some(v) => string(v, &key_path(path, k)),
            None => err(path, format!("`{k}` is required for {t}")),
        }
    };
    Ok(match t {
        "matchExact" | "matchRepoDigestOrExact" | "matchRepository" => {
            only(m, &["type"], path)?;
            match t {
                "matchExact" => SignedIdentity::MatchExact,
                "matchRepoDigestOrExact" => SignedIdentity::MatchRepoDigestOrExact,
                _ => SignedIdentity::MatchRepository,
            }
        }
        "exactReference" => {
            only(m, &["type", "dockerReference"], path)?;
            let r = field("dockerReference")?;
            let at = key_path(path, "dockerReference");
            match DockerReference::parse_normalized(r) {
                Err(e) => return err(&at, format!("invalid dockerReference {r:?}: {e}")),
                Ok(p) if p.is_name_only() => {
                    return err(
                        &at,
                        format!("dockerReference {r:?} contains neither a tag nor a digest"),
                    );
                }
                Ok(_) => SignedIdentity::ExactReference(r.into()),
            }
        }
        "exactRepository" => {
            only(m, &["type", "dockerRepository"], path)?;
            let r = field("dockerRepository")?;
            if let Err(e) = DockerReference::parse_normalized(r) {
                return err(
                    &key_path(path, "dockerRepository"),
                    format!("invalid dockerRepository {r:?}: {e}"),
                );
            }
            SignedIdentity::ExactRepository(r.into())
        }
        "remapIdentity" => {
            only(m, &["type", "prefix", "signedPrefix"], path)?;
            let prefix = field("prefix")?;
            let signed_prefix = field("signedPrefix")?;
            for (k, v) in [("prefix", prefix), ("signedPrefix", signed_prefix)] {
                if !valid_remap_prefix(v) {
                    return err(&key_path(path, k), format!("prefix {v:?} is not valid"));
                }
            }
            SignedIdentity::RemapIdentity {
                prefix: prefix.into(),
                signed_prefix: signed_prefix.into(),
            }
        }
        other => {
            return err(
                &key_path(path, "type"),
                format!("unknown policy reference match type {other:?}"),
            );
        }
    })
}
