//! Where the GPG signatures of an image live: the lookaside store
//! `<base>/<repository path>@<algorithm>=<hex>/signature-N` (containers-registries.d(5)),
//! whose base is given directly (`--lookaside DIR`) or read from a registries.d folder
//! (`--registries-d DIR`). sigaudit only reads the store, and only `file://` bases: any other
//! URL would need the network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use sigaudit_model::digest::Digest;

/// containers/image reads `signature-1`, `signature-2`, ... up to this many.
pub const MAX_SIGNATURES: usize = 128;
/// A registries.d file larger than this is refused.
const MAX_YAML_BYTES: u64 = 1 << 20;

/// A registries.d problem, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct RegistriesDError {
    pub file: PathBuf,
    pub message: String,
}

/// The lookaside settings of one `default-docker` or `docker.<scope>` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookasideEntry {
    /// `lookaside`, else the deprecated `sigstore`: the URL signatures are read from.
    pub read_url: Option<String>,
    /// The file that defined the entry.
    pub file: PathBuf,
}

/// Where an image's signatures are to be read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookasideBase {
    /// A local folder (`file://` URL or `--lookaside`).
    Dir(PathBuf),
    /// A URL sigaudit cannot read offline (`https://...`).
    Remote { url: String, file: PathBuf },
    /// No entry applies.
    Unconfigured,
}

/// The merged `*.yaml` files of a registries.d folder.
#[derive(Debug, Clone, Default)]
pub struct RegistriesD {
    default_docker: Option<LookasideEntry>,
    docker: BTreeMap<String, LookasideEntry>,
}

impl RegistriesD {
    /// Read every `*.yaml` file of `dir`, in name order. A scope defined in two files, or
    /// `default-docker` in two files, is an error, as in containers/image.
    pub fn load_dir(dir: &Path) -> Result<RegistriesD, RegistriesDError> {
        let err = |file: &Path, message: String| RegistriesDError {
            file: file.to_path_buf(),
            message,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| err(dir, format!("cannot read the folder: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml") && p.is_file())
            .collect();
        files.sort();
        let mut out = RegistriesD::default();
        for f in &files {
            // Links followed; a file swapped for a named pipe is refused, never opened blocking.
            let bytes = crate::layout::read_regular_following_links(f, MAX_YAML_BYTES)
                .map_err(|e| err(f, crate::layout::describe_read_error(&e)))?;
            let text = String::from_utf8(bytes).map_err(|e| err(f, format!("not UTF-8: {e}")))?;
            out.merge(RegistriesD::parse(&text, f)?, f)?;
        }
        Ok(out)
    }

    /// Parse one registries.d file's text (`file` names it in messages).
    pub fn parse(text: &str, file: &Path) -> Result<RegistriesD, RegistriesDError> {
        let err = |message: String| RegistriesDError {
            file: file.to_path_buf(),
            message,
        };
        let docs = YamlLoader::load_from_str(text).map_err(|e| err(format!("not YAML: {e}")))?;
        let mut out = RegistriesD::default();
        let Some(doc) = docs.first() else {
            return Ok(out);
        };
        let top = match doc {
            Yaml::Hash(h) => h,
            Yaml::Null => return Ok(out),
            _ => return Err(err("the top level is not a mapping".into())),
        };
        for (k, v) in top {
            match k.as_str() {
                Some("default-docker") => {
                    out.default_docker = Some(entry(v, file, "default-docker")?);
                }
                Some("docker") => {
                    let Yaml::Hash(scopes) = v else {
                        if v.is_null() {
                            continue;
                        }
                        return Err(err("`docker` is not a mapping".into()));
                    };
                    for (scope, e) in scopes {
                        let scope = scope
                            .as_str()
                            .ok_or_else(|| err("a `docker` key is not a string".into()))?;
                        let what = format!("docker.{scope}");
                        out.docker.insert(scope.to_string(), entry(e, file, &what)?);
                    }
                }
                Some(other) => return Err(err(format!("unknown key `{other}`"))),
                None => return Err(err("a top-level key is not a string".into())),
            }
        }
        Ok(out)
    }

    fn merge(&mut self, other: RegistriesD, file: &Path) -> Result<(), RegistriesDError> {
        let err = |message: String| RegistriesDError {
            file: file.to_path_buf(),
            message,
        };
        if let Some(d) = other.default_docker {
            if let Some(prev) = &self.default_docker {
                return Err(err(format!(
                    "`default-docker` is also defined in {}",
                    prev.file.display()
                )));
            }
            self.default_docker = Some(d);
        }
        for (scope, e) in other.docker {
            if let Some(prev) = self.docker.get(&scope) {
                return Err(err(format!(
                    "`docker.{scope}` is also defined in {}",
                    prev.file.display()
                )));
            }
            self.docker.insert(scope, e);
        }
        Ok(())
    }

    /// The lookaside base for an image named `scope_path` (`host[:port]/ns/repo`, or the
    /// repository path alone when no registry name is known): the most specific `docker`
    /// scope that is the name or a `/`-separated prefix of it, else `default-docker`.
    pub fn base_for(&self, scope_path: &str) -> LookasideBase {
        let mut candidate = scope_path;
        let found = loop {
            if let Some(e) = self.docker.get(candidate) {
                break Some(e);
            }
            match candidate.rfind('/') {
                Some(i) => candidate = &candidate[..i],
                None => break None,
            }
        };
        let entry = found.or(self.default_docker.as_ref());
        match entry.and_then(|e| e.read_url.as_ref().map(|u| (u, &e.file))) {
            None => LookasideBase::Unconfigured,
            Some((url, file)) => match url.strip_prefix("file://") {
                Some(path) => LookasideBase::Dir(PathBuf::from(path)),
                None => LookasideBase::Remote {
                    url: url.clone(),
                    file: file.clone(),
                },
            },
        }
    }

    /// Every local folder an entry names (`file://` URLs), in entry order.
    pub fn local_dirs(&self) -> Vec<PathBuf> {
        self.default_docker
            .iter()
            .chain(self.docker.values())
            .filter_map(|e| e.read_url.as_deref()?.strip_prefix("file://"))
            .map(PathBuf::from)
            .collect()
    }

    /// Whether any `docker` scope exists (they need a registry name to apply).
    pub fn has_scopes(&self) -> bool {
        !self.docker.is_empty()
    }
}

fn entry(v: &Yaml, file: &Path, what: &str) -> Result<LookasideEntry, RegistriesDError> {
    let err = |message: String| RegistriesDError {
        file: file.to_path_buf(),
        message: format!("`{what}`: {message}"),
    };
    let mut lookaside = None;
    let mut sigstore = None;
    match v {
        Yaml::Null => {}
        Yaml::Hash(h) => {
            for (k, val) in h {
                let key = k
                    .as_str()
                    .ok_or_else(|| err("a key is not a string".into()))?;
                let string = || {
                    val.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| err(format!("`{key}` is not a string")))
                };
                match key {
                    "lookaside" => lookaside = Some(string()?),
                    "sigstore" => sigstore = Some(string()?),
                    // Where signatures are written: sigaudit only reads.
                    "lookaside-staging" | "sigstore-staging" => {
                        string()?;
                    }
                    "use-sigstore-attachments" => {
                        if val.as_bool().is_none() {
                            return Err(err("`use-sigstore-attachments` is not a boolean".into()));
                        }
                    }
                    other => return Err(err(format!("unknown key `{other}`"))),
                }
            }
        }
        _ => return Err(err("not a mapping".into())),
    }
    Ok(LookasideEntry {
        read_url: lookaside.or(sigstore),
        file: file.to_path_buf(),
    })
}

/// The folder of one image's signatures: `<base>/<repository>@<alg>=<hex>`. The repository is
/// the path inside the registry, without the host.
pub fn signature_dir(base: &Path, repository: &str, digest: &Digest) -> PathBuf {
    base.join(format!(
        "{repository}@{}={}",
        digest.algorithm().name(),
        digest.hex()
    ))
}

/// The `signature-N` files of a folder, from 1 until the first missing one (at most
/// [`MAX_SIGNATURES`]).
pub fn signature_files(dir: &Path) -> Vec<PathBuf> {
    (1..=MAX_SIGNATURES)
        .map(|n| dir.join(format!("signature-{n}")))
        .take_while(|p| p.exists())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "default-docker:\n  lookaside: file:///var/lib/sigs\ndocker:\n  registry.example.com/team:\n    lookaside: file:///srv/team\n    lookaside-staging: file:///srv/staging\n  registry.example.com/team/app:\n    sigstore: https://sigs.example.com\n  other.example.com:\n    use-sigstore-attachments: true\n";

    #[test]
    fn most_specific_scope_wins() {
        let r = RegistriesD::parse(YAML, Path::new("a.yaml")).expect("parse");
        assert_eq!(
            r.base_for("registry.example.com/team/web"),
            LookasideBase::Dir("/srv/team".into())
        );
        assert!(matches!(
            r.base_for("registry.example.com/team/app"),
            LookasideBase::Remote { .. }
        ));
        assert_eq!(
            r.base_for("registry.example.com/teamx/app"),
            LookasideBase::Dir("/var/lib/sigs".into())
        );
        // A scope without a lookaside URL does not fall back to default-docker's.
        assert_eq!(
            r.base_for("other.example.com/x"),
            LookasideBase::Unconfigured
        );
    }

    #[test]
    fn refuses_unknown_keys_and_duplicates() {
        assert!(RegistriesD::parse("default-docker:\n  lookasid: x\n", Path::new("a")).is_err());
        assert!(RegistriesD::parse("dockers: {}\n", Path::new("a")).is_err());
        assert!(RegistriesD::parse("- a\n", Path::new("a")).is_err());
        let mut a = RegistriesD::parse(YAML, Path::new("a.yaml")).expect("parse");
        let b = RegistriesD::parse(YAML, Path::new("b.yaml")).expect("parse");
        let e = a.merge(b, Path::new("b.yaml")).expect_err("duplicate");
        assert!(e.to_string().contains("also defined in a.yaml"), "{e}");
    }

    #[test]
    fn signature_paths_follow_the_lookaside_layout() {
        let d = Digest::sha256_of(b"x");
        assert_eq!(
            signature_dir(Path::new("/base"), "library/busybox", &d),
            PathBuf::from(format!("/base/library/busybox@sha256={}", d.hex()))
        );
    }
}
