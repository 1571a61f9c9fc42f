//! zot's own configuration file (`--zot-config`): where a registry really keeps its images.
//!
//! Many registries split their storage into substores (`storage.subPaths`) and keep images in
//! object storage (`storageDriver`). Reading zot's config instead of asking the operator for
//! each folder means the audit covers exactly the stores zot serves, with the trust material
//! zot itself uses: the default store's local `storage.rootDirectory`, which applies to every
//! substore (`SetupImageTrustExtension` reads `conf.Storage.RootDirectory` only).
//!
//! zot reads its config with viper, which matches keys case-insensitively (`rootDirectory`,
//! `rootdirectory`); so does this reader. A key spelled twice with different case is refused,
//! since which one viper keeps depends on map order. Relative paths are taken as zot takes
//! them: relative to the working folder of the process.
//!
//! Credentials of object stores are never read from this file by sigaudit and never written to
//! a report or a log: they come from each cloud's standard environment and files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use sigaudit_model::digest::Digest;

/// Largest zot config file read (zot's own examples are a few kilobytes).
pub const MAX_ZOT_CONFIG_BYTES: u64 = 4 << 20;

/// Why a zot config cannot be used. Each names the file; `Invalid` also the JSON path.
#[derive(Debug, thiserror::Error)]
pub enum ZotConfigError {
    #[error("cannot read zot config {}: {source}", .file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("zot config {} is not JSON: {message}", .file.display())]
    NotJson { file: PathBuf, message: String },
    /// `path` is a JSON path (`$.storage.subPaths["/a"].rootDirectory`).
    #[error("zot config {}: {path}: {message}", .file.display())]
    Invalid {
        file: PathBuf,
        path: String,
        message: String,
        help: &'static str,
    },
}

impl ZotConfigError {
    /// What the operator can do about it, for the `help:` line.
    pub fn help(&self) -> &'static str {
        match self {
            ZotConfigError::Read { .. } => {
                "pass --zot-config the config.json zot is started with (zot serve FILE)"
            }
            ZotConfigError::NotJson { .. } => {
                "sigaudit reads zot's JSON config; convert a YAML or TOML config with zot verify-compatible tools, or pass the JSON file zot serves with"
            }
            ZotConfigError::Invalid { help, .. } => help,
        }
    }
}

/// A zot config, as far as the audit needs it.
#[derive(Debug, Clone)]
pub struct ZotConfig {
    /// The file, as given.
    pub file: PathBuf,
    /// `sha256:<hex>` of its bytes: the report records which config an audit followed.
    pub sha256: String,
    /// `storage.rootDirectory`: the default store's local folder, where zot keeps the trust
    /// material (`_cosign`, `_notation`) even when its images are in object storage.
    pub trust_root: PathBuf,
    /// The default store first (route `/`), then the substores by route.
    pub stores: Vec<StoreConfig>,
    /// `extensions.trust`: whether zot itself verifies signatures, and of which tools.
    pub trust: TrustFlags,
}

/// `extensions.trust` (zot's `ImageTrustConfig`), a record of the report model.
pub use sigaudit_model::report::TrustFlags;

/// One store zot serves repositories from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `/` for the default store; `/a` for the substore serving repositories named `a/...`.
    pub route: String,
    /// Where the store is in the config (`$.storage`, `$.storage.subPaths["/a"]`).
    pub json_path: String,
    /// The store's `rootDirectory`: a local folder, or for object storage the local folder zot
    /// keeps its cache database in.
    pub root_directory: PathBuf,
    /// `dedupe` (zot's default: true).
    pub dedupe: bool,
    pub driver: Driver,
}

impl StoreConfig {
    /// The first path component of the repositories this store serves (`a` for `/a`); `None`
    /// for the default store, which serves every name no substore route claims.
    pub fn route_component(&self) -> Option<&str> {
        self.route.strip_prefix('/').filter(|r| !r.is_empty())
    }

    /// Where the store's objects are, when it is in object storage (`None`: a local folder).
    pub fn object_location(&self) -> Option<crate::layout::ObjectLocation> {
        use crate::layout::{Cloud, ObjectLocation};
        match &self.driver {
            Driver::Local => None,
            Driver::S3(s3) => Some(ObjectLocation {
                cloud: Cloud::S3 {
                    bucket: s3.bucket.clone(),
                    region: s3.region.clone(),
                    endpoint: s3.endpoint.clone(),
                    force_path_style: s3.force_path_style,
                    secure: s3.secure,
                },
                prefix: s3.key_prefix(),
            }),
            Driver::Gcs { bucket, prefix } => Some(ObjectLocation {
                cloud: Cloud::Gcs {
                    bucket: bucket.clone(),
                },
                prefix: prefix.clone(),
            }),
            Driver::Azure {
                container,
                account,
                prefix,
            } => Some(ObjectLocation {
                cloud: Cloud::Azure {
                    container: container.clone(),
                    account: account.clone(),
                },
                prefix: prefix.clone(),
            }),
        }
    }

    /// How the report names this store: route, driver and where its content is.
    pub fn describe(&self) -> String {
        let which = match self.route_component() {
            None => "default store".to_string(),
            Some(_) => format!("substore {}", self.route),
        };
        format!("{which}: {}", self.driver.describe(&self.root_directory))
    }
}

/// `storageDriver`: where a store's repositories are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driver {
    /// No `storageDriver`: the store's `rootDirectory` on local disk.
    Local,
    /// `name: s3`.
    S3(S3Driver),
    /// `name: gcs` or `azure`: `bucket` or `container`, and `rootdirectory` (zot defaults it
    /// to `/zot`).
    Gcs { bucket: String, prefix: String },
    Azure {
        container: String,
        account: Option<String>,
        prefix: String,
    },
}

impl Driver {
    fn describe(&self, root: &Path) -> String {
        match self {
            Driver::Local => format!("local folder {}", root.display()),
            Driver::S3(s) => format!(
                "s3 bucket {} (region {}{}), keys under {:?}",
                s.bucket,
                s.region,
                s.endpoint
                    .as_deref()
                    .map(|e| format!(", endpoint {e}"))
                    .unwrap_or_default(),
                s.key_prefix()
            ),
            Driver::Gcs { bucket, prefix } => format!("gcs bucket {bucket}, keys under {prefix:?}"),
            Driver::Azure {
                container, prefix, ..
            } => format!("azure container {container}, keys under {prefix:?}"),
        }
    }
}

/// zot's S3 driver settings (distribution's `s3-aws` parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Driver {
    pub bucket: String,
    pub region: String,
    /// `regionendpoint`: an S3-compatible server's URL (MinIO, Ceph, a local test server).
    pub endpoint: Option<String>,
    /// `forcepathstyle`: `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    pub force_path_style: bool,
    /// `secure` (default true): HTTPS to the endpoint when it names no scheme.
    pub secure: bool,
    /// `rootdirectory`, as written (`/zot`); `None` when absent.
    pub root_directory: Option<String>,
}

impl S3Driver {
    /// The key prefix of repository `r` is `<key_prefix()><r>/`. zot's S3 image store joins
    /// its rootDir (the driver's `rootdirectory`, `RootDir()` in pkg/storage/storage.go) to
    /// every path with Go's `path.Join`, and distribution's driver then prefixes its own
    /// `rootdirectory` again (`s3Path`: `TrimLeft(TrimRight(root, "/") + path, "/")`): with
    /// `rootdirectory: /zot`, `index.json` of `app` is the key `zot/zot/app/index.json`, and
    /// with `zot` (no slash) it is `zotzot/app/index.json`. Reproduced exactly, since that is
    /// where the objects are.
    pub fn key_prefix(&self) -> String {
        let Some(root) = self.root_directory.as_deref() else {
            return String::new();
        };
        // path.Join(root, r) = Clean(root + "/" + r); r is a clean relative name.
        let joined_root = match go_clean(root).as_str() {
            "." => String::new(),
            "/" => "/".to_string(),
            c => format!("{c}/"),
        };
        format!("{}{joined_root}", root.trim_end_matches('/'))
            .trim_start_matches('/')
            .to_string()
    }
}

/// Go's `path.Clean`: the shortest path equal to `p` lexically (`.` for an empty one).
fn go_clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// Reads and validates the zot config at `file`.
pub fn load(file: &Path) -> Result<ZotConfig, ZotConfigError> {
    let bytes =
        crate::layout::read_operator_file(file, MAX_ZOT_CONFIG_BYTES).map_err(|source| {
            ZotConfigError::Read {
                file: file.to_path_buf(),
                source,
            }
        })?;
    parse(file, &bytes)
}

/// Validates the config `bytes` read from `file`.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<ZotConfig, ZotConfigError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ZotConfigError::NotJson {
        file: file.to_path_buf(),
        message: e.to_string(),
    })?;
    let r = Reader { file };
    let top = r.object(&value, "$")?;
    let storage_value = r.required(top, "$", "storage", HELP_STORAGE)?;
    let storage = r.object(storage_value, "$.storage")?;
    let default = r.store(storage, "$.storage", "/")?;
    let trust_root = default.root_directory.clone();
    let mut stores = vec![default];
    if let Some(sub) = r.get(storage, "$.storage", "subPaths")? {
        let sub = r.object(sub, "$.storage.subPaths")?;
        let mut routes: BTreeMap<String, StoreConfig> = BTreeMap::new();
        for (route, v) in sub {
            let path = format!("$.storage.subPaths[{}]", quote(route));
            let component = route.strip_prefix('/').unwrap_or("");
            if component.is_empty() || component.contains('/') {
                return Err(r.invalid(
                    &path,
                    format!(
                        "route {} is not one path segment such as \"/a\"; zot picks a substore by the first component of a repository's name only, so this store would never be used",
                        quote(route)
                    ),
                    "write each subPaths key as \"/<first component of the repository names it serves>\"",
                ));
            }
            let store_obj = r.object(v, &path)?;
            let store = r.store(store_obj, &path, route)?;
            if store.driver == Driver::Local && store.root_directory == trust_root {
                return Err(r.invalid(
                    &format!("{path}.rootDirectory"),
                    "the substore's rootDirectory is the default store's; zot refuses to start with it".into(),
                    "give the substore a folder of its own",
                ));
            }
            routes.insert(route.clone(), store);
        }
        stores.extend(routes.into_values());
    }
    let trust = match r.get(top, "$", "extensions")? {
        None => TrustFlags::default(),
        Some(ext) => {
            let ext = r.object(ext, "$.extensions")?;
            match r.get(ext, "$.extensions", "trust")? {
                None => TrustFlags::default(),
                Some(t) => {
                    let t = r.object(t, "$.extensions.trust")?;
                    let p = "$.extensions.trust";
                    TrustFlags {
                        enable: r.bool_or(t, p, "enable", false)?,
                        cosign: r.bool_or(t, p, "cosign", false)?,
                        notation: r.bool_or(t, p, "notation", false)?,
                    }
                }
            }
        }
    };
    Ok(ZotConfig {
        file: file.to_path_buf(),
        sha256: format!("sha256:{}", Digest::sha256_of(bytes).hex()),
        trust_root,
        stores,
        trust,
    })
}

const HELP_STORAGE: &str = "zot needs storage.rootDirectory (see zot's examples/config-minimal.json); pass --zot-config the file zot is started with";

/// `key` as a JSON string, for paths and messages.
fn quote(key: &str) -> String {
    serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"))
}

/// Looks values up as viper does (keys case-insensitive), with errors that name the file and
/// the JSON path.
struct Reader<'a> {
    file: &'a Path,
}

impl Reader<'_> {
    fn invalid(&self, path: &str, message: String, help: &'static str) -> ZotConfigError {
        ZotConfigError::Invalid {
            file: self.file.to_path_buf(),
            path: path.to_string(),
            message,
            help,
        }
    }

    fn object<'v>(
        &self,
        v: &'v Value,
        path: &str,
    ) -> Result<&'v Map<String, Value>, ZotConfigError> {
        v.as_object().ok_or_else(|| {
            self.invalid(
                path,
                format!("expected an object, found {}", kind(v)),
                "compare the file with zot's documented configuration (zot verify FILE checks it too)",
            )
        })
    }

    /// The value of `key` in `obj` matched case-insensitively; two spellings are refused.
    fn get<'v>(
        &self,
        obj: &'v Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<Option<&'v Value>, ZotConfigError> {
        let mut found: Option<(&String, &Value)> = None;
        for (k, v) in obj {
            if k.eq_ignore_ascii_case(key) {
                if let Some((first, _)) = found {
                    return Err(self.invalid(
                        path,
                        format!(
                            "{} and {} are the same setting to zot (keys are case-insensitive); which one it uses is not defined",
                            quote(first),
                            quote(k)
                        ),
                        "keep one of the two keys",
                    ));
                }
                found = Some((k, v));
            }
        }
        Ok(found.map(|(_, v)| v))
    }

    fn required<'v>(
        &self,
        obj: &'v Map<String, Value>,
        path: &str,
        key: &str,
        help: &'static str,
    ) -> Result<&'v Value, ZotConfigError> {
        self.get(obj, path, key)?
            .ok_or_else(|| self.invalid(&format!("{path}.{key}"), "missing".into(), help))
    }

    fn string(&self, v: &Value, path: &str) -> Result<String, ZotConfigError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.invalid(
                path,
                format!("expected a string, found {}", kind(other)),
                "write the value as a JSON string",
            )),
        }
    }

    fn opt_string(
        &self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<Option<String>, ZotConfigError> {
        match self.get(obj, path, key)? {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.string(v, &format!("{path}.{key}")).map(Some),
        }
    }

    fn bool_or(
        &self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        default: bool,
    ) -> Result<bool, ZotConfigError> {
        match self.get(obj, path, key)? {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            // viper (through mapstructure's weak decoding) also takes "true"/"false".
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
            Some(other) => Err(self.invalid(
                &format!("{path}.{key}"),
                format!("expected true or false, found {}", kind(other)),
                "write the value as true or false",
            )),
        }
    }

    /// One store: its `rootDirectory`, `dedupe` and `storageDriver`.
    fn store(
        &self,
        obj: &Map<String, Value>,
        path: &str,
        route: &str,
    ) -> Result<StoreConfig, ZotConfigError> {
        let root = self.required(
            obj,
            path,
            "rootDirectory",
            if route == "/" {
                HELP_STORAGE
            } else {
                "give every subPaths entry its own rootDirectory, as zot requires"
            },
        )?;
        let root = self.string(root, &format!("{path}.rootDirectory"))?;
        if root.is_empty() {
            return Err(self.invalid(
                &format!("{path}.rootDirectory"),
                "empty".into(),
                "write the folder zot keeps this store in",
            ));
        }
        let dedupe = self.bool_or(obj, path, "dedupe", true)?;
        let driver = match self.get(obj, path, "storageDriver")? {
            None | Some(Value::Null) => Driver::Local,
            Some(d) => {
                let dpath = format!("{path}.storageDriver");
                let d = self.object(d, &dpath)?;
                self.driver(d, &dpath)?
            }
        };
        Ok(StoreConfig {
            route: route.to_string(),
            json_path: path.to_string(),
            root_directory: PathBuf::from(root),
            dedupe,
            driver,
        })
    }

    fn driver(&self, d: &Map<String, Value>, path: &str) -> Result<Driver, ZotConfigError> {
        const HELP_DRIVER: &str = "storageDriver.name is s3, gcs or azure (the drivers zot has); remove storageDriver for a local folder";
        let name = self.required(d, path, "name", HELP_DRIVER)?;
        let name = self.string(name, &format!("{path}.name"))?;
        let need = |key: &str, help: &'static str| -> Result<String, ZotConfigError> {
            let v = self.required(d, path, key, help)?;
            let s = self.string(v, &format!("{path}.{key}"))?;
            if s.is_empty() {
                return Err(self.invalid(&format!("{path}.{key}"), "empty".into(), help));
            }
            Ok(s)
        };
        // GCS and Azure: zot defaults an unset, empty or "/" rootdirectory to "/zot", and the
        // driver prefixes it once (zot's own rootDir is "/" for them).
        let modern_prefix = |rd: Option<String>| -> String {
            let rd = rd
                .filter(|r| !r.is_empty() && r != "/")
                .unwrap_or("/zot".into());
            format!("{}/", rd.trim_matches('/'))
        };
        match name.as_str() {
            "s3" => Ok(Driver::S3(S3Driver {
                bucket: need("bucket", "name the bucket zot's S3 driver uses")?,
                region: need(
                    "region",
                    "name the bucket's region (any value for most S3-compatible servers, e.g. us-east-1)",
                )?,
                endpoint: self
                    .opt_string(d, path, "regionendpoint")?
                    .filter(|e| !e.is_empty()),
                force_path_style: self.bool_or(d, path, "forcepathstyle", false)?,
                secure: self.bool_or(d, path, "secure", true)?,
                root_directory: self.opt_string(d, path, "rootdirectory")?,
            })),
            "gcs" => Ok(Driver::Gcs {
                bucket: need("bucket", "name the bucket zot's GCS driver uses")?,
                prefix: modern_prefix(self.opt_string(d, path, "rootdirectory")?),
            }),
            "azure" => Ok(Driver::Azure {
                container: need("container", "name the container zot's Azure driver uses")?,
                account: self.opt_string(d, path, "accountname")?,
                prefix: modern_prefix(self.opt_string(d, path, "rootdirectory")?),
            }),
            other => Err(self.invalid(
                &format!("{path}.name"),
                format!("unknown storage driver {}", quote(other)),
                HELP_DRIVER,
            )),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<ZotConfig, ZotConfigError> {
        parse(Path::new("config.json"), s.as_bytes())
    }

    #[test]
    fn reads_stores_routes_and_trust_flags() {
        let c = parse_str(
            r#"{"distSpecVersion":"1.1.0","storage":{"rootdirectory":"/var/lib/zot","dedupe":false,
                "subPaths":{"/b":{"rootDirectory":"/srv/b"},"/a":{"rootDirectory":"/srv/a","dedupe":true}}},
                "extensions":{"trust":{"enable":true,"cosign":true}}}"#,
        )
        .expect("valid");
        assert_eq!(c.trust_root, PathBuf::from("/var/lib/zot"));
        let routes: Vec<_> = c.stores.iter().map(|s| s.route.as_str()).collect();
        assert_eq!(routes, ["/", "/a", "/b"]);
        assert!(!c.stores[0].dedupe);
        assert!(
            c.stores[1].dedupe && c.stores[2].dedupe,
            "zot's default is dedupe"
        );
        assert_eq!(c.stores[1].route_component(), Some("a"));
        assert_eq!(c.stores[0].route_component(), None);
        assert_eq!(
            c.trust,
            TrustFlags {
                enable: true,
                cosign: true,
                notation: false
            }
        );
        assert!(c.sha256.starts_with("sha256:") && c.sha256.len() == 71);
    }

    #[test]
    fn s3_key_prefix_doubles_the_root_directory_as_zot_does() {
        let s3 = |rd: Option<&str>| S3Driver {
            bucket: "b".into(),
            region: "us-east-1".into(),
            endpoint: None,
            force_path_style: true,
            secure: false,
            root_directory: rd.map(str::to_string),
        };
        assert_eq!(s3(None).key_prefix(), "");
        assert_eq!(s3(Some("/zot")).key_prefix(), "zot/zot/");
        assert_eq!(s3(Some("/zot/")).key_prefix(), "zot/zot/");
        assert_eq!(s3(Some("/a/b")).key_prefix(), "a/b/a/b/");
        // Computed by hand from zot's path.Join and the driver's s3Path.
        assert_eq!(s3(Some("zot")).key_prefix(), "zotzot/");
        assert_eq!(s3(Some("/")).key_prefix(), "");
        assert_eq!(s3(Some("")).key_prefix(), "");
        assert_eq!(s3(Some("//zot//")).key_prefix(), "zot/zot/");
        assert_eq!(s3(Some("/zot/./")).key_prefix(), "zot/./zot/");
    }

    #[test]
    fn errors_name_the_json_path() {
        let cases = [
            (r#"{}"#, "$.storage", "missing"),
            (r#"{"storage":[]}"#, "$.storage", "expected an object"),
            (
                r#"{"storage":{"rootDirectory":7}}"#,
                "$.storage.rootDirectory",
                "a number",
            ),
            (
                r#"{"storage":{"rootDirectory":"/z","rootdirectory":"/y"}}"#,
                "$.storage",
                "case-insensitive",
            ),
            (
                r#"{"storage":{"rootDirectory":"/z","subPaths":{"/a/b":{"rootDirectory":"/y"}}}}"#,
                "$.storage.subPaths[\"/a/b\"]",
                "one path segment",
            ),
            (
                r#"{"storage":{"rootDirectory":"/z","subPaths":{"/a":{"dedupe":true}}}}"#,
                "$.storage.subPaths[\"/a\"].rootDirectory",
                "missing",
            ),
            (
                r#"{"storage":{"rootDirectory":"/z","subPaths":{"/a":{"rootDirectory":"/z"}}}}"#,
                "$.storage.subPaths[\"/a\"].rootDirectory",
                "default store's",
            ),
            (
                r#"{"storage":{"rootDirectory":"/z","storageDriver":{"name":"ftp"}}}"#,
                "$.storage.storageDriver.name",
                "unknown storage driver",
            ),
            (
                r#"{"storage":{"rootDirectory":"/z","storageDriver":{"name":"s3","region":"x"}}}"#,
                "$.storage.storageDriver.bucket",
                "missing",
            ),
            (
                r#"{"storage":{"rootDirectory":"/z","dedupe":"maybe"}}"#,
                "$.storage.dedupe",
                "true or false",
            ),
        ];
        for (text, path, words) in cases {
            match parse_str(text) {
                Err(ZotConfigError::Invalid {
                    path: p, message, ..
                }) => {
                    assert_eq!(p, path, "{text}");
                    assert!(message.contains(words), "{text}: {message}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_str("{not json"),
            Err(ZotConfigError::NotJson { .. })
        ));
    }

    #[test]
    fn reads_object_store_drivers() {
        let c = parse_str(
            r#"{"storage":{"rootDirectory":"/var/lib/zot","storageDriver":{"name":"s3","bucket":"zot",
                "region":"us-east-2","regionendpoint":"http://127.0.0.1:9000","forcepathstyle":true,
                "secure":false,"rootdirectory":"/zot","accesskey":"never-read"},
                "subPaths":{"/g":{"rootDirectory":"/tmp/g","storageDriver":{"name":"gcs","bucket":"gb"}},
                "/z":{"rootDirectory":"/tmp/z","storageDriver":{"name":"azure","container":"c","rootdirectory":"/reg"}}}}}"#,
        )
        .expect("valid");
        let Driver::S3(s3) = &c.stores[0].driver else {
            panic!("{:?}", c.stores[0].driver)
        };
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(s3.force_path_style && !s3.secure);
        assert_eq!(s3.key_prefix(), "zot/zot/");
        assert!(!c.stores[0].describe().contains("never-read"));
        assert_eq!(
            c.stores[1].driver,
            Driver::Gcs {
                bucket: "gb".into(),
                prefix: "zot/".into()
            }
        );
        assert!(matches!(&c.stores[2].driver, Driver::Azure { prefix, .. } if prefix == "reg/"));
    }
}
