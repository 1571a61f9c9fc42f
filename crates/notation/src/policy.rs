//! Notary Project OCI trust policy (`trustpolicy.oci.json` / `trustpolicy.json`, version "1.0").
//!
//! The goal is to accept and reject exactly what notation-go (v1.3.x) accepts and rejects, with
//! its error messages, so that an audit report can be compared with `notation verify`. Where we
//! choose to differ, it is said here and at the item concerned:
//!
//! * **JSON decoding.** notation-go uses Go `encoding/json`: object keys of the document and of
//!   each statement match field names case-insensitively (`"Version"` works), unknown fields are
//!   ignored, `null` means "absent", and data after the first JSON value is ignored. We do the
//!   same for key case (Go's Unicode folding: `truſtedIdentities` with U+017F names
//!   `trustedIdentities`), unknown fields and `null`, but we **reject**: a document in which two
//!   keys of one object fold to the same name, at any depth ([`sigaudit_gojson`]'s rule; Go
//!   silently keeps the last one, so the document is ambiguous; this includes exact duplicates,
//!   two spellings such as `"version"` and `"Version"`, and keys inside `override`), trailing
//!   data after the document, and strings that are not valid UTF-8.
//! * **Duplicate registry scopes.** notation-go counts scopes in a Go map and reports one
//!   duplicate picked by random map order; we report the first duplicate in document order.
//! * **`override` with several invalid keys.** Go iterates the map randomly; we check entries in
//!   document order, so the reported error is deterministic.
//! * **`skip` with the global scope `*`.** The specification forbids it, notation-go allows it;
//!   we follow notation-go (the e2e `skip_trustpolicy.json` relies on it).
//! * **Policy selection** takes the artifact *path* (`<registry>/<repository>`, no `@digest`), so
//!   the "no applicable statement" error names that path instead of the full reference.

use std::collections::HashSet;
use std::fs;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex_lite::Regex;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use thiserror::Error;

use crate::dn::{Dn, DnError, go_quote, is_subset, parse_dn};
use crate::file::{open_nonblocking, same_file};
use crate::truststore::StoreType;

/// Preferred policy file name (notation-go ≥ 1.2), read first.
pub const OCI_POLICY_FILE: &str = "trustpolicy.oci.json";
/// Legacy policy file name, read only when [`OCI_POLICY_FILE`] does not exist (zot writes this one).
pub const LEGACY_POLICY_FILE: &str = "trustpolicy.json";
/// The help link notation appends to file-level errors.
const POLICY_LINK: &str = "https://notaryproject.dev/docs/quickstart/#create-a-trust-policy";
/// The only supported document version.
const SUPPORTED_VERSION: &str = "1.0";
/// Wildcard registry scope / trusted identity.
const WILDCARD: &str = "*";
/// The only identity prefix notation evaluates itself; others are for plugins.
const X509_SUBJECT: &str = "x509.subject";
/// Go `%q` rendering of the supported validation types, used verbatim in an error message.
const SUPPORTED_TYPES: &str =
    r#"["integrity" "authenticity" "authenticTimestamp" "expiry" "revocation"]"#;
/// Go `%q` rendering of the supported actions, used verbatim in an error message.
const SUPPORTED_ACTIONS: &str = r#"["enforce" "log" "skip"]"#;
/// Tail of notation's registry-scope format errors.
const SCOPE_HINT: &str = "make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout";

/// Errors from loading, validating or applying a trust policy.
///
/// Messages are notation-go's where notation has one; the caller adds the file path.
#[derive(Debug, Error)]
pub enum PolicyError {
    /// Neither policy file exists.
    #[error("trust policy is not present. To create a trust policy, see: {POLICY_LINK}")]
    NotPresent,
    /// The policy path is a directory, a symlink or another non-regular file.
    #[error(
        "trust policy is not a regular file (symlinks are not supported). To create a trust policy, see: {POLICY_LINK}"
    )]
    NotRegularFile,
    /// The file exists but we lack permission to read it.
    #[error(
        "unable to read trust policy due to file permissions, please verify the permissions of {}",
        path.display()
    )]
    PermissionDenied {
        /// The policy file.
        path: PathBuf,
    },
    /// Any other I/O error while reading the policy file.
    #[error("unable to read trust policy {}: {source}", path.display())]
    Read {
        /// The policy file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON, or a field of the wrong JSON type (notation: "malformed trust policy").
    #[error("malformed trust policy. To create a trust policy, see: {POLICY_LINK} ({detail})")]
    Malformed {
        /// What exactly was wrong (our addition).
        detail: String,
    },
    /// Two keys of one object that Go reads as one (the same key, or two that fold to one name
    /// under Go's rules: our stricter rule, see the module docs).
    #[error(
        "malformed trust policy: duplicate key {key} in {location}; notation would silently keep the last one, so the document is ambiguous"
    )]
    DuplicateKey {
        /// The repeated key (Go-quoted).
        key: String,
        /// Where: `document`, `trustPolicies[0]`, `trustPolicies[0].signatureVerification.override`...
        location: String,
    },
    /// A validation rule failed; the message is notation-go's, word for word.
    #[error("{0}")]
    Invalid(String),
    /// A statement failed notation-go's `validatePolicyCore` ([`TrustPolicyDocument::validate`]).
    #[error("oci trust policy: {0}")]
    Statement(StatementError),
    /// A statement's `signatureVerification` is invalid (when its level or `verifyTimestamp` is
    /// asked for).
    #[error(transparent)]
    Verification(StatementError),
    /// No statement's scope matches the artifact and there is no `*` statement.
    #[error(
        "artifact {} has no applicable oci trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: {POLICY_LINK}",
        go_quote(artifact)
    )]
    NoApplicable {
        /// The artifact path that was looked up.
        artifact: String,
    },
    /// No registry host was given and the document has no `*` statement.
    #[error(
        "no trust policy statement uses the wildcard registry scope '*', and the other statements apply to artifact paths <registry>/<repository>: give --registry HOST[:PORT] to select scoped statements"
    )]
    RegistryNeeded,
}

/// Why a statement's `signatureVerification` is invalid (notation-go `GetVerificationLevel`
/// and the `verifyTimestamp` check). `Display` gives notation's message.
#[derive(Debug, Error)]
pub enum VerificationError {
    /// `level` is empty or missing.
    #[error("signature verification level is empty or missing in the trust policy statement")]
    EmptyLevel,
    /// `level` is not one of notation's levels.
    #[error("invalid signature verification level {}", go_quote(.0))]
    UnknownLevel(String),
    /// `override` was given with the `skip` level.
    #[error("signature verification level {} can't be used to customize signature verification", go_quote(.0))]
    SkipCustomized(&'static str),
    /// `verifyTimestamp` is neither `always` nor `afterCertExpiry`.
    #[error(r#"verifyTimestamp must be "always" or "afterCertExpiry", but got {}"#, go_quote(.0))]
    UnknownVerifyTimestamp(String),
    /// An `override` key that is not a verification type.
    #[error("verification type {} in custom signature verification is not supported, supported values are {SUPPORTED_TYPES}", go_quote(.0))]
    UnsupportedCheck(String),
    /// An `override` value that is not a verification action.
    #[error("verification action {} in custom signature verification is not supported, supported values are {SUPPORTED_ACTIONS}", go_quote(.0))]
    UnsupportedAction(String),
    /// `integrity` cannot be overridden.
    #[error("{} verification can not be overridden in custom signature verification", go_quote(.0))]
    IntegrityOverridden(String),
    /// Only `revocation` may be skipped.
    #[error("{} verification can not be skipped in custom signature verification", go_quote(.0))]
    SkipNotAllowed(String),
}

/// Why one trust policy statement is invalid (notation-go `validatePolicyCore`,
/// `validateTrustStore`, `validateTrustedIdentities`). `Display` gives notation's message,
/// without the `oci trust policy: ` prefix that [`PolicyError::Statement`] adds.
#[derive(Debug, Error)]
pub enum StatementError {
    /// A statement without a name.
    #[error("a trust policy statement is missing a name, every statement requires a name")]
    MissingName,
    /// Its `signatureVerification` is invalid.
    #[error("trust policy statement {} has invalid signatureVerification: {source}", go_quote(.statement))]
    Verification {
        /// The statement's name.
        statement: String,
        /// What is invalid.
        source: VerificationError,
    },
    /// `skip` with trust stores or trusted identities.
    #[error("trust policy statement {} is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped", go_quote(.0))]
    SkipWithTrust(String),
    /// Trust stores or trusted identities missing.
    #[error("trust policy statement {} is either missing trust stores or trusted identities, both must be specified", go_quote(.0))]
    MissingStoresOrIdentities(String),
    /// A `trustStores` value without `:`.
    #[error("trust policy statement {} has malformed trust store value {}. The required format is <TrustStoreType>:<TrustStoreName>", go_quote(.statement), go_quote(.value))]
    MalformedStore {
        /// The statement's name.
        statement: String,
        /// The `trustStores` value.
        value: String,
    },
    /// A `trustStores` value of an unknown type.
    #[error("trust policy statement {} uses an unsupported trust store type {} in trust store value {}", go_quote(.statement), go_quote(.store_type), go_quote(.value))]
    UnsupportedStoreType {
        /// The statement's name.
        statement: String,
        /// The type part.
        store_type: String,
        /// The `trustStores` value.
        value: String,
    },
    /// A `trustStores` value whose name is not `[a-zA-Z0-9_.-]+`.
    #[error("trust policy statement {} uses an unsupported trust store name {} in trust store value {}. Named store name needs to follow [a-zA-Z0-9_.-]+ format", go_quote(.statement), go_quote(.store), go_quote(.value))]
    UnsupportedStoreName {
        /// The statement's name.
        statement: String,
        /// The name part.
        store: String,
        /// The `trustStores` value.
        value: String,
    },
    /// `*` beside other trusted identities.
    #[error("trust policy statement {} uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values", go_quote(.0))]
    WildcardIdentityWithOthers(String),
    /// An empty trusted identity.
    #[error("trust policy statement {} has an empty trusted identity", go_quote(.0))]
    EmptyIdentity(String),
    /// A trusted identity without `:`.
    #[error("trust policy statement {} has trusted identity {} missing separator", go_quote(.statement), go_quote(.identity))]
    IdentityMissingSeparator {
        /// The statement's name.
        statement: String,
        /// The trusted identity.
        identity: String,
    },
    /// `x509.subject:` with nothing after it.
    #[error("trust policy statement {} has trusted identity {} without an identity value", go_quote(.statement), go_quote(.identity))]
    IdentityWithoutValue {
        /// The statement's name.
        statement: String,
        /// The trusted identity.
        identity: String,
    },
    /// An `x509.subject` identity that is not a DN notation accepts.
    #[error("trust policy statement {} has trusted identity {} with invalid identity value: {source}", go_quote(.statement), go_quote(.identity))]
    InvalidIdentityValue {
        /// The statement's name.
        statement: String,
        /// The trusted identity.
        identity: String,
        /// Why its DN is refused.
        source: DnError,
    },
    /// Two x509 identities of which one is a subset of the other.
    #[error("trust policy statement {} has overlapping x509 trustedIdentities, {} overlaps with {}", go_quote(.statement), go_quote(.first), go_quote(.second))]
    OverlappingIdentities {
        /// The statement's name.
        statement: String,
        /// The identity that is a subset...
        first: String,
        /// ...of this one.
        second: String,
    },
}

/// Why a signing certificate does not satisfy a statement's trusted identities (notation-go
/// `verifyX509TrustedIdentities`): an **authenticity** failure. `Display` gives notation's
/// message.
#[derive(Debug, Error)]
pub enum IdentityError {
    /// The statement lists no `x509.subject` identity (and no `*`).
    #[error("no x509 trusted identities are configured in the trust policy {}", go_quote(.0))]
    NoX509Identities(String),
    /// A trusted identity without `:`.
    #[error("trust policy statement {} has trusted identity {} missing separator", go_quote(.statement), go_quote(.identity))]
    MissingSeparator {
        /// The statement's name.
        statement: String,
        /// The trusted identity.
        identity: String,
    },
    /// An `x509.subject` identity that is not a DN notation accepts.
    #[error(transparent)]
    InvalidIdentity(DnError),
    /// The leaf certificate's subject could not be read as a DN.
    #[error("error while parsing the certificate subject from the digital signature. error : {}", go_quote(&.0.to_string()))]
    LeafSubject(DnError),
    /// No identity is a subset of the leaf's subject.
    #[error("signing certificate from the digital signature does not match the X.509 trusted identities [{}] defined in the trust policy {}", .identities.join(" "), go_quote(.statement))]
    NotMatched {
        /// The statement's `x509.subject` identities, rendered as Go prints its DN maps.
        identities: Vec<String>,
        /// The statement's name.
        statement: String,
    },
}

/// Loads the OCI trust policy from notation configuration directory `dir`.
///
/// Reads `trustpolicy.oci.json`; only if that path does not exist at all (a dangling symlink
/// *does* exist), falls back to `trustpolicy.json`. The chosen path must be a regular file:
/// symlinks are refused and never followed. Returns the path used and the parsed, **not yet
/// validated** document (call [`TrustPolicyDocument::validate`]).
pub fn load(dir: &Path) -> Result<(PathBuf, TrustPolicyDocument), PolicyError> {
    let oci = dir.join(OCI_POLICY_FILE);
    let path = match fs::symlink_metadata(&oci) {
        Err(e) if e.kind() == ErrorKind::NotFound => dir.join(LEGACY_POLICY_FILE),
        _ => oci,
    };
    let bytes = read_regular_file(&path)?;
    let doc = TrustPolicyDocument::from_json(&bytes)?;
    Ok((path, doc))
}

/// Reads `path` if it is a regular file, refusing symlinks (checked before and after opening).
fn read_regular_file(path: &Path) -> Result<Vec<u8>, PolicyError> {
    let io_err = |source: std::io::Error| match source.kind() {
        ErrorKind::PermissionDenied => PolicyError::PermissionDenied {
            path: path.to_owned(),
        },
        _ => PolicyError::Read {
            path: path.to_owned(),
            source,
        },
    };
    let before = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(PolicyError::NotPresent),
        other => other.map_err(io_err)?,
    };
    if !before.file_type().is_file() {
        return Err(PolicyError::NotRegularFile);
    }
    let mut file = open_nonblocking(path).map_err(io_err)?;
    let after = file.metadata().map_err(io_err)?;
    if !after.file_type().is_file() || !same_file(&before, &after) {
        // Replaced by a symlink or another file between the check and the open.
        return Err(PolicyError::NotRegularFile);
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io_err)?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------
// Document model and JSON decoding
// ---------------------------------------------------------------------------------------------

/// An OCI trust policy document, as written (strings are kept raw until [`Self::validate`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustPolicyDocument {
    /// `version`; must be "1.0". Empty when absent.
    pub version: String,
    /// `trustPolicies`, in document order.
    pub trust_policies: Vec<TrustPolicyStatement>,
}

/// One entry of `trustPolicies`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustPolicyStatement {
    /// `name`; non-empty and unique.
    pub name: String,
    /// `registryScopes`: `["*"]` or `<registry>/<repository>` values.
    pub registry_scopes: Vec<String>,
    /// `signatureVerification`.
    pub signature_verification: SignatureVerification,
    /// `trustStores`: `type:name` values.
    pub trust_stores: Vec<String>,
    /// `trustedIdentities`: `*` or `prefix:value` values.
    pub trusted_identities: Vec<String>,
}

/// The `signatureVerification` object of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignatureVerification {
    /// `level`: strict, permissive, audit or skip (case-sensitive). Empty when absent.
    pub level: String,
    /// `override`: validation type -> action, in document order (keys are case-sensitive).
    pub overrides: Vec<(String, String)>,
    /// `verifyTimestamp`: "always", "afterCertExpiry" or empty (= "always").
    pub verify_timestamp: String,
}

/// A JSON value that keeps object member order and duplicates, so we can reject duplicates.
#[derive(Debug)]
enum Json {
    Null,
    /// A boolean or number: never valid in a trust policy, kept only to name it in errors.
    Scalar(&'static str),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// serde visitor building [`Json`].
struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Scalar("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Scalar("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
        Ok(Json::Scalar("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Scalar("a number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            members.push((k, v));
        }
        Ok(Json::Obj(members))
    }
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Scalar(k) => k,
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }
}

/// A wrong JSON type at `location`.
fn type_error(location: &str, expected: &str, got: &Json) -> PolicyError {
    PolicyError::Malformed {
        detail: format!("{location} must be {expected}, got {}", got.kind()),
    }
}

/// Picks the struct fields `names` out of object `value` the way Go does: a key matches a field
/// name under Go's folding ([`sigaudit_gojson::same_field`]), unknown keys are ignored, `null` is
/// "absent". Two keys that match the same field are rejected (the document-wide rule of
/// [`TrustPolicyDocument::from_json`] already refuses them; kept for `from_raw`'s callers).
fn fields<'a, const N: usize>(
    value: &'a Json,
    names: [&str; N],
    location: &str,
) -> Result<[Option<&'a Json>; N], PolicyError> {
    let mut found: [Option<&Json>; N] = [None; N];
    let members = match value {
        Json::Null => return Ok(found),
        Json::Obj(m) => m,
        other => return Err(type_error(location, "an object", other)),
    };
    let mut seen: [Option<&str>; N] = [None; N];
    for (key, val) in members {
        let Some(idx) = names
            .iter()
            .position(|n| sigaudit_gojson::same_field(key, n))
        else {
            continue;
        };
        if let Some(first) = seen[idx] {
            let key = if first == key {
                go_quote(key)
            } else {
                format!("{} (also spelt {})", go_quote(key), go_quote(first))
            };
            return Err(PolicyError::DuplicateKey {
                key,
                location: location.to_owned(),
            });
        }
        seen[idx] = Some(key);
        found[idx] = Some(val).filter(|v| !matches!(v, Json::Null));
    }
    Ok(found)
}

/// A string field; absent or `null` gives "" (Go zero value).
fn string_field(value: Option<&Json>, location: &str) -> Result<String, PolicyError> {
    match value {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::Str(s)) => Ok(s.clone()),
        Some(other) => Err(type_error(location, "a string", other)),
    }
}

/// A string-array field; absent or `null` gives an empty list, a `null` element gives "".
fn string_list(value: Option<&Json>, location: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        None => Ok(Vec::new()),
        Some(Json::Arr(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| string_field(Some(item), &format!("{location}[{i}]")))
            .collect(),
        Some(other) => Err(type_error(location, "an array of strings", other)),
    }
}

/// The `override` map: keys are exact (Go map keys do not fold), duplicates rejected.
fn override_map(
    value: Option<&Json>,
    location: &str,
) -> Result<Vec<(String, String)>, PolicyError> {
    let members = match value {
        None => return Ok(Vec::new()),
        Some(Json::Obj(m)) => m,
        Some(other) => return Err(type_error(location, "an object", other)),
    };
    let mut out: Vec<(String, String)> = Vec::with_capacity(members.len());
    for (key, val) in members {
        if out.iter().any(|(k, _)| k == key) {
            return Err(PolicyError::DuplicateKey {
                key: go_quote(key),
                location: location.to_owned(),
            });
        }
        let action = string_field(Some(val), &format!("{location}.{key}"))?;
        out.push((key.clone(), action));
    }
    Ok(out)
}

impl TrustPolicyDocument {
    /// Parses a policy document from JSON bytes (see the module docs for the decoding rules).
    /// Does not validate it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, PolicyError> {
        let malformed = |e: serde_json::Error| PolicyError::Malformed {
            detail: e.to_string(),
        };
        // The shared rule first: no two keys of one object that Go reads as one field.
        if let Err(sigaudit_gojson::Error::Ambiguous {
            path,
            first,
            second,
            ..
        }) = sigaudit_gojson::parse(bytes)
        {
            return Err(PolicyError::DuplicateKey {
                key: if first == second {
                    second
                } else {
                    format!("{second} (also spelt {first})")
                },
                location: match path.strip_prefix("$.") {
                    Some(p) => p.to_owned(),
                    None if path == "$" => "document".to_owned(),
                    None => path,
                },
            });
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let raw = Json::deserialize(&mut de).map_err(malformed)?;
        de.end().map_err(malformed)?;
        Self::from_raw(&raw)
    }

    fn from_raw(raw: &Json) -> Result<Self, PolicyError> {
        let [version, policies] = fields(raw, ["version", "trustPolicies"], "document")?;
        let policies = match policies {
            None => Vec::new(),
            Some(Json::Arr(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    TrustPolicyStatement::from_raw(item, &format!("trustPolicies[{i}]"))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(type_error("trustPolicies", "an array", other)),
        };
        Ok(Self {
            version: string_field(version, "version")?,
            trust_policies: policies,
        })
    }
}

impl TrustPolicyStatement {
    fn from_raw(raw: &Json, loc: &str) -> Result<Self, PolicyError> {
        let names = [
            "name",
            "registryScopes",
            "signatureVerification",
            "trustStores",
            "trustedIdentities",
        ];
        let [name, scopes, sv, stores, identities] = fields(raw, names, loc)?;
        Ok(Self {
            name: string_field(name, &format!("{loc}.name"))?,
            registry_scopes: string_list(scopes, &format!("{loc}.registryScopes"))?,
            signature_verification: SignatureVerification::from_raw(sv, loc)?,
            trust_stores: string_list(stores, &format!("{loc}.trustStores"))?,
            trusted_identities: string_list(identities, &format!("{loc}.trustedIdentities"))?,
        })
    }
}

impl SignatureVerification {
    fn from_raw(raw: Option<&Json>, statement_loc: &str) -> Result<Self, PolicyError> {
        let loc = format!("{statement_loc}.signatureVerification");
        let Some(raw) = raw else {
            return Ok(Self::default());
        };
        let [level, overrides, verify_ts] =
            fields(raw, ["level", "override", "verifyTimestamp"], &loc)?;
        Ok(Self {
            level: string_field(level, &format!("{loc}.level"))?,
            overrides: override_map(overrides, &format!("{loc}.override"))?,
            verify_timestamp: string_field(verify_ts, &format!("{loc}.verifyTimestamp"))?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Verification levels
// ---------------------------------------------------------------------------------------------

/// The five checks a verification level configures, in notation's order (the discriminants
/// index [`VerificationLevel`]'s actions, in the order of [`Check::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// Envelope parsing and signature maths. Always enforced (cannot be overridden).
    Integrity,
    /// Trust store and trusted identity.
    Authenticity,
    /// Signing time inside the certificates' validity (timestamp or signing authority).
    AuthenticTimestamp,
    /// `io.cncf.notary.expiry`.
    Expiry,
    /// Certificate revocation.
    Revocation,
}

impl Check {
    /// All checks, in notation's order.
    pub const ALL: [Check; 5] = [
        Check::Integrity,
        Check::Authenticity,
        Check::AuthenticTimestamp,
        Check::Expiry,
        Check::Revocation,
    ];

    /// The name used in policies and by notation (`authenticTimestamp`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Integrity => "integrity",
            Check::Authenticity => "authenticity",
            Check::AuthenticTimestamp => "authenticTimestamp",
            Check::Expiry => "expiry",
            Check::Revocation => "revocation",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What a failed check does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The failure ends verification of the signature.
    Enforce,
    /// The failure is recorded as a warning and verification continues.
    Log,
    /// The check is not run.
    Skip,
}

impl Action {
    /// The policy spelling: `enforce`, `log`, `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Enforce => "enforce",
            Action::Log => "log",
            Action::Skip => "skip",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Action::Enforce, Action::Log, Action::Skip]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// A verification level: a name and an action per check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerificationLevel {
    /// `strict`, `permissive`, `audit`, `skip`, or `custom` when `override` was applied.
    pub name: &'static str,
    /// Indexed like [`Check::ALL`].
    actions: [Action; 5],
}

impl VerificationLevel {
    /// The action for `check`.
    pub fn action(&self, check: Check) -> Action {
        self.actions[check as usize]
    }

    /// The `strict` level: every check enforced.
    pub fn strict() -> Self {
        Self {
            name: "strict",
            actions: [Action::Enforce; 5],
        }
    }

    /// True for the `skip` level: no signature is looked up and the artifact "passes".
    pub fn is_skip(&self) -> bool {
        self.name == "skip"
    }

    /// One of the four predefined levels (case-sensitive name).
    fn base(name: &str) -> Option<Self> {
        use Action::{Enforce as E, Log as L, Skip as S};
        let (name, actions) = match name {
            "strict" => ("strict", [E, E, E, E, E]),
            "permissive" => ("permissive", [E, E, L, L, L]),
            "audit" => ("audit", [E, L, L, L, L]),
            "skip" => ("skip", [S, S, S, S, S]),
            _ => return None,
        };
        Some(Self { name, actions })
    }

    fn set(&mut self, check: Check, action: Action) {
        self.actions[check as usize] = action;
    }
}

/// `verifyTimestamp`: when a `notary.x509` signature's timestamp countersignature is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyTimestamp {
    /// Always (the default when the field is absent or empty).
    #[default]
    Always,
    /// Only when some certificate of the signing chain has expired.
    AfterCertExpiry,
}

impl SignatureVerification {
    /// notation-go `GetVerificationLevel`.
    fn level_inner(&self) -> Result<VerificationLevel, VerificationError> {
        if self.level.is_empty() {
            return Err(VerificationError::EmptyLevel);
        }
        let Some(mut level) = VerificationLevel::base(&self.level) else {
            return Err(VerificationError::UnknownLevel(self.level.clone()));
        };
        if self.overrides.is_empty() {
            return Ok(level);
        }
        if level.is_skip() {
            return Err(VerificationError::SkipCustomized(level.name));
        }
        level.name = "custom";
        for (key, value) in &self.overrides {
            let (check, action) = parse_override(key, value)?;
            level.set(check, action);
        }
        Ok(level)
    }

    /// `verifyTimestamp`.
    fn verify_timestamp_inner(&self) -> Result<VerifyTimestamp, VerificationError> {
        match self.verify_timestamp.as_str() {
            "" | "always" => Ok(VerifyTimestamp::Always),
            "afterCertExpiry" => Ok(VerifyTimestamp::AfterCertExpiry),
            other => Err(VerificationError::UnknownVerifyTimestamp(other.to_owned())),
        }
    }
}

/// Checks one `override` entry with notation-go's rules, in its order.
fn parse_override(key: &str, value: &str) -> Result<(Check, Action), VerificationError> {
    let check =
        Check::parse(key).ok_or_else(|| VerificationError::UnsupportedCheck(key.to_owned()))?;
    let action = Action::parse(value)
        .ok_or_else(|| VerificationError::UnsupportedAction(value.to_owned()))?;
    if check == Check::Integrity {
        return Err(VerificationError::IntegrityOverridden(key.to_owned()));
    }
    if check != Check::Revocation && action == Action::Skip {
        return Err(VerificationError::SkipNotAllowed(key.to_owned()));
    }
    Ok((check, action))
}

// ---------------------------------------------------------------------------------------------
// Trust stores
// ---------------------------------------------------------------------------------------------

/// Named-store names: `[a-zA-Z0-9_.-]+`. (`.` and `..` pass, as in notation-go; loading them
/// then fails because those directories hold sub-directories, not certificates.)
fn is_valid_store_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// notation-go `validateTrustStore` for one statement.
fn validate_trust_stores(statement: &str, stores: &[String]) -> Result<(), StatementError> {
    for value in stores {
        let Some((ty, store)) = value.split_once(':') else {
            return Err(StatementError::MalformedStore {
                statement: statement.to_owned(),
                value: value.clone(),
            });
        };
        if ty.parse::<StoreType>().is_err() {
            return Err(StatementError::UnsupportedStoreType {
                statement: statement.to_owned(),
                store_type: ty.to_owned(),
                value: value.clone(),
            });
        }
        if !is_valid_store_name(store) {
            return Err(StatementError::UnsupportedStoreName {
                statement: statement.to_owned(),
                store: store.to_owned(),
                value: value.clone(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Trusted identities
// ---------------------------------------------------------------------------------------------

/// notation-go `validateTrustedIdentities` (format, DN parsing and overlap).
fn validate_trusted_identities(
    statement: &str,
    identities: &[String],
) -> Result<(), StatementError> {
    if identities.len() > 1 && identities.iter().any(|i| i == WILDCARD) {
        return Err(StatementError::WildcardIdentityWithOthers(
            statement.to_owned(),
        ));
    }
    let mut parsed: Vec<(&str, Dn)> = Vec::new();
    for identity in identities {
        if identity.is_empty() {
            return Err(StatementError::EmptyIdentity(statement.to_owned()));
        }
        if identity == WILDCARD {
            continue;
        }
        let Some((prefix, value)) = identity.split_once(':') else {
            return Err(StatementError::IdentityMissingSeparator {
                statement: statement.to_owned(),
                identity: identity.clone(),
            });
        };
        if prefix != X509_SUBJECT {
            continue;
        }
        if value.is_empty() {
            return Err(StatementError::IdentityWithoutValue {
                statement: statement.to_owned(),
                identity: identity.clone(),
            });
        }
        let dn = parse_dn(value).map_err(|source| StatementError::InvalidIdentityValue {
            statement: statement.to_owned(),
            identity: identity.clone(),
            source,
        })?;
        parsed.push((identity, dn));
    }
    check_overlap(statement, &parsed)
}

/// Rejects two x509 identities where one is a subset of the other (identical ones included).
fn check_overlap(statement: &str, parsed: &[(&str, Dn)]) -> Result<(), StatementError> {
    for (i, (raw_i, dn_i)) in parsed.iter().enumerate() {
        for (j, (raw_j, dn_j)) in parsed.iter().enumerate() {
            if i != j && is_subset(dn_i, dn_j) {
                return Err(StatementError::OverlappingIdentities {
                    statement: statement.to_owned(),
                    first: (*raw_i).to_owned(),
                    second: (*raw_j).to_owned(),
                });
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Registry scopes
// ---------------------------------------------------------------------------------------------

/// Registry host part of a scope (notation-go `domainRegexp`).
static DOMAIN_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$",
    )
    .expect("constant regex is valid")
});

/// Repository part of a scope (notation-go `repositoryRegexp`): lower case, no tag.
static REPOSITORY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$",
    )
    .expect("constant regex is valid")
});

/// notation-go `validateRegistryScopeFormat`: `scope` must be `<domain>/<repository>` (split at
/// the first `/`), without wildcards, scheme or tag. `*` alone is *not* accepted here: callers
/// treat the wildcard separately, as notation does.
pub fn validate_scope_format(scope: &str) -> Result<(), PolicyError> {
    let quoted = go_quote(scope);
    if scope.len() > 1 && scope.contains('*') {
        return Err(PolicyError::Invalid(format!(
            "registry scope {quoted} with wild card(s) is not valid, {SCOPE_HINT}"
        )));
    }
    let valid = scope.split_once('/').is_some_and(|(domain, repository)| {
        !domain.is_empty()
            && !repository.is_empty()
            && DOMAIN_RE.is_match(domain)
            && REPOSITORY_RE.is_match(repository)
    });
    if valid {
        Ok(())
    } else {
        Err(PolicyError::Invalid(format!(
            "registry scope {quoted} is not valid, {SCOPE_HINT}"
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// Document validation and selection
// ---------------------------------------------------------------------------------------------

impl TrustPolicyDocument {
    /// notation-go `OCIDocument.Validate`: the same rules in the same order, the first failure
    /// wins, with notation's message in [`PolicyError::Invalid`].
    ///
    /// Not checked (as in notation-go): that the named trust stores exist (verify time) and
    /// repeated trust-store entries (loaded once).
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.validate_header()?;
        let mut names = HashSet::new();
        for statement in &self.trust_policies {
            if names.contains(statement.name.as_str()) {
                return Err(PolicyError::Invalid(format!(
                    "multiple oci trust policy statements use the same name {}, statement names must be unique",
                    go_quote(&statement.name)
                )));
            }
            statement.validate_core().map_err(PolicyError::Statement)?;
            names.insert(statement.name.as_str());
        }
        self.validate_registry_scopes()
    }

    fn validate_header(&self) -> Result<(), PolicyError> {
        if self.version.is_empty() {
            return Err(PolicyError::Invalid(
                "oci trust policy document has empty version, version must be specified".to_owned(),
            ));
        }
        if self.version != SUPPORTED_VERSION {
            return Err(PolicyError::Invalid(format!(
                "oci trust policy document uses unsupported version {}",
                go_quote(&self.version)
            )));
        }
        if self.trust_policies.is_empty() {
            return Err(PolicyError::Invalid(
                "oci trust policy document can not have zero trust policy statements".to_owned(),
            ));
        }
        Ok(())
    }

    /// notation-go `validateRegistryScopes`. A value repeated anywhere, even inside one
    /// statement, is an error; we report the first repeat in document order.
    fn validate_registry_scopes(&self) -> Result<(), PolicyError> {
        let mut seen = HashSet::new();
        let mut first_repeat: Option<&str> = None;
        for statement in &self.trust_policies {
            let name = go_quote(&statement.name);
            let scopes = &statement.registry_scopes;
            if scopes.is_empty() {
                return Err(PolicyError::Invalid(format!(
                    "oci trust policy statement {name} has zero registry scopes, it must specify registry scopes with at least one value"
                )));
            }
            if scopes.len() > 1 && scopes.iter().any(|s| s == WILDCARD) {
                return Err(PolicyError::Invalid(format!(
                    "oci trust policy statement {name} uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values"
                )));
            }
            for scope in scopes {
                if scope != WILDCARD {
                    validate_scope_format(scope)?;
                }
                if !seen.insert(scope.as_str()) && first_repeat.is_none() {
                    first_repeat = Some(scope);
                }
            }
        }
        match first_repeat {
            Some(scope) => Err(PolicyError::Invalid(format!(
                "registry scope {} is present in multiple oci trust policy statements, one registry scope value can only be associated with one statement",
                go_quote(scope)
            ))),
            None => Ok(()),
        }
    }

    /// The statement that applies to `artifact_path` (`<registry>/<repository>`, no tag or
    /// digest), like notation-go `GetApplicableTrustPolicy`: the path must pass
    /// [`validate_scope_format`]; then a statement listing exactly that path (case-sensitive, no
    /// normalisation) wins over the `*` statement; otherwise [`PolicyError::NoApplicable`].
    /// Meant for a validated document, where each scope belongs to one statement.
    pub fn applicable(&self, artifact_path: &str) -> Result<&TrustPolicyStatement, PolicyError> {
        validate_scope_format(artifact_path)?;
        self.statement_with_scope(artifact_path)
            .or_else(|| self.statement_with_scope(WILDCARD))
            .ok_or_else(|| PolicyError::NoApplicable {
                artifact: artifact_path.to_owned(),
            })
    }

    /// The `*` statement, for when the user named no registry host: scoped statements cannot be
    /// matched then, so without a `*` statement this is [`PolicyError::RegistryNeeded`].
    pub fn applicable_without_registry(&self) -> Result<&TrustPolicyStatement, PolicyError> {
        self.statement_with_scope(WILDCARD)
            .ok_or(PolicyError::RegistryNeeded)
    }

    fn statement_with_scope(&self, scope: &str) -> Option<&TrustPolicyStatement> {
        self.trust_policies
            .iter()
            .find(|s| s.registry_scopes.iter().any(|x| x == scope))
    }
}

impl TrustPolicyStatement {
    /// notation-go `validatePolicyCore` (without the `oci trust policy: ` prefix).
    fn validate_core(&self) -> Result<(), StatementError> {
        if self.name.is_empty() {
            return Err(StatementError::MissingName);
        }
        let invalid_sv = |source| StatementError::Verification {
            statement: self.name.clone(),
            source,
        };
        let level = self
            .signature_verification
            .level_inner()
            .map_err(invalid_sv)?;
        self.signature_verification
            .verify_timestamp_inner()
            .map_err(invalid_sv)?;
        let empty = self.trust_stores.is_empty() || self.trusted_identities.is_empty();
        if level.is_skip() {
            if !self.trust_stores.is_empty() || !self.trusted_identities.is_empty() {
                return Err(StatementError::SkipWithTrust(self.name.clone()));
            }
            return Ok(());
        }
        if empty {
            return Err(StatementError::MissingStoresOrIdentities(self.name.clone()));
        }
        validate_trust_stores(&self.name, &self.trust_stores)?;
        validate_trusted_identities(&self.name, &self.trusted_identities)
    }

    /// The effective level (`override` applied, then named `custom`). Default: none, `level`
    /// is required. Error: notation's `... has invalid signatureVerification: ...`.
    pub fn verification_level(&self) -> Result<VerificationLevel, PolicyError> {
        self.signature_verification
            .level_inner()
            .map_err(|source| self.invalid_verification(source))
    }

    /// `verifyTimestamp`; [`VerifyTimestamp::Always`] when absent.
    pub fn verify_timestamp(&self) -> Result<VerifyTimestamp, PolicyError> {
        self.signature_verification
            .verify_timestamp_inner()
            .map_err(|source| self.invalid_verification(source))
    }

    fn invalid_verification(&self, source: VerificationError) -> PolicyError {
        PolicyError::Verification(StatementError::Verification {
            statement: self.name.clone(),
            source,
        })
    }

    /// Names of the stores of type `ty` listed in `trustStores`, in order, each once (notation
    /// loads a repeated entry once). Malformed entries are skipped; validate first.
    pub fn trust_store_names(&self, ty: StoreType) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for value in &self.trust_stores {
            if let Some((t, name)) = value.split_once(':')
                && t.parse::<StoreType>().ok() == Some(ty)
                && is_valid_store_name(name)
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
        names
    }

    /// notation-go `verifyX509TrustedIdentities` for the leaf certificate whose subject, rendered
    /// by Go's `pkix.Name.String()` (`crate::x509::go_name_string`), is
    /// `leaf_subject_go_string`. `*` matches anything. Otherwise some `x509.subject` identity
    /// must be a subset of the leaf's DN (exact, case-sensitive). The error is notation's
    /// message, to be reported as an **authenticity** failure.
    pub fn matches_identity(&self, leaf_subject_go_string: &str) -> Result<(), IdentityError> {
        if self.trusted_identities.iter().any(|i| i == WILDCARD) {
            return Ok(());
        }
        let identities = self.x509_identities()?;
        if identities.is_empty() {
            return Err(IdentityError::NoX509Identities(self.name.clone()));
        }
        let leaf = parse_dn(leaf_subject_go_string).map_err(IdentityError::LeafSubject)?;
        if identities.iter().any(|id| is_subset(id, &leaf)) {
            return Ok(());
        }
        Err(IdentityError::NotMatched {
            identities: identities.iter().map(Dn::to_string).collect(),
            statement: self.name.clone(),
        })
    }

    /// The parsed `x509.subject` identities (other prefixes ignored), with notation's errors.
    fn x509_identities(&self) -> Result<Vec<Dn>, IdentityError> {
        let mut out = Vec::new();
        for identity in &self.trusted_identities {
            let Some((prefix, value)) = identity.split_once(':') else {
                return Err(IdentityError::MissingSeparator {
                    statement: self.name.clone(),
                    identity: identity.clone(),
                });
            };
            if prefix == X509_SUBJECT {
                out.push(parse_dn(value).map_err(IdentityError::InvalidIdentity)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid one-statement document with `statement` (JSON object text) as its statement.
    fn doc_with(statement: &str) -> String {
        format!(r#"{{"version":"1.0","trustPolicies":[{statement}]}}"#)
    }

    /// A statement with the given parts (JSON fragments).
    fn stmt(name: &str, scopes: &str, sv: &str, stores: &str, ids: &str) -> String {
        format!(
            r#"{{"name":"{name}","registryScopes":{scopes},"signatureVerification":{sv},"trustStores":{stores},"trustedIdentities":{ids}}}"#
        )
    }

    fn good(name: &str, scopes: &str) -> String {
        stmt(
            name,
            scopes,
            r#"{"level":"strict"}"#,
            r#"["ca:e2e"]"#,
            r#"["*"]"#,
        )
    }

    fn parse(json: &str) -> TrustPolicyDocument {
        TrustPolicyDocument::from_json(json.as_bytes())
            .unwrap_or_else(|e| panic!("should parse: {e}\n{json}"))
    }

    fn validation_error(json: &str) -> String {
        match parse(json).validate() {
            Ok(()) => panic!("should be invalid:\n{json}"),
            Err(e) => e.to_string(),
        }
    }

    fn assert_valid(json: &str) {
        if let Err(e) = parse(json).validate() {
            panic!("should be valid: {e}\n{json}");
        }
    }

    fn sv_error(sv: &str) -> String {
        validation_error(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            sv,
            r#"["ca:e2e"]"#,
            r#"["*"]"#,
        )))
    }

    fn identity_error(ids: &str) -> String {
        validation_error(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"strict"}"#,
            r#"["ca:e2e"]"#,
            ids,
        )))
    }

    fn store_error(stores: &str) -> String {
        validation_error(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"strict"}"#,
            stores,
            r#"["*"]"#,
        )))
    }

    // ----- JSON decoding -----

    #[test]
    fn keys_match_case_insensitively_and_unknown_fields_are_ignored() {
        let d = parse(
            r#"{"VERSION":"1.0","extra":{"x":[1,true]},"TrustPolicies":[{"NAME":"a","registryscopes":["*"],
            "SignatureVerification":{"Level":"audit","VerifyTimestamp":"afterCertExpiry","Override":{"expiry":"enforce"}},
            "truststores":["ca:x"],"TRUSTEDIDENTITIES":["*"],"globalPolicy":true}]}"#,
        );
        assert_eq!(d.version, "1.0");
        let s = &d.trust_policies[0];
        assert_eq!(s.name, "a");
        assert_eq!(s.signature_verification.level, "audit");
        assert_eq!(
            s.signature_verification.overrides,
            vec![("expiry".to_owned(), "enforce".to_owned())]
        );
        assert_eq!(
            s.verify_timestamp().expect("valid"),
            VerifyTimestamp::AfterCertExpiry
        );
        assert!(d.validate().is_ok());
    }

    #[test]
    fn null_means_absent() {
        let d = parse(
            r#"{"version":"1.0","trustPolicies":[{"name":"a","registryScopes":["*"],"signatureVerification":{"level":"skip","override":null},"trustStores":null,"trustedIdentities":null}]}"#,
        );
        assert!(d.trust_policies[0].trust_stores.is_empty());
        assert!(d.validate().is_ok());
        assert_eq!(parse("null"), TrustPolicyDocument::default());
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        for json in [
            r#"{"version":"1.0","version":"1.0","trustPolicies":[]}"#,
            r#"{"version":"1.0","Version":"1.0","trustPolicies":[]}"#,
            r#"{"version":"1.0","trustPolicies":[{"name":"a","name":"b"}]}"#,
            r#"{"version":"1.0","trustPolicies":[{"signatureVerification":{"level":"strict","LEVEL":"audit"}}]}"#,
            r#"{"version":"1.0","trustPolicies":[{"signatureVerification":{"level":"strict","override":{"expiry":"log","expiry":"enforce"}}}]}"#,
            r#"{"version":"1.0","trustPolicies":[{"trustedIdentities":["*"],"truſtedIdentities":["x509.subject: CN=evil"]}]}"#,
            r#"{"version":"1.0","trustPolicies":[{"trustStores":["ca:a"],"truſtStores":["ca:b"]}]}"#,
            r#"{"version":"1.0","trustPolicies":[{"signatureVerification":{"level":"strict","override":{"expiry":"log","Expiry":"enforce"}}}]}"#,
            r#"{"version":"1.0","trustPolicies":[{"name":"a","x":{"k":1,"\u212a":2}}]}"#,
        ] {
            let err = TrustPolicyDocument::from_json(json.as_bytes()).expect_err(json);
            assert!(
                matches!(err, PolicyError::DuplicateKey { .. }),
                "{json}: {err}"
            );
        }
        let err =
            TrustPolicyDocument::from_json(br#"{"version":"1.0","Version":"2"}"#).expect_err("dup");
        assert_eq!(
            err.to_string(),
            r#"malformed trust policy: duplicate key "Version" (also spelt "version") in document; notation would silently keep the last one, so the document is ambiguous"#
        );
        let err = TrustPolicyDocument::from_json(
            r#"{"version":"1.0","trustPolicies":[{"trustedIdentities":["*"],"truſtedIdentities":[]}]}"#
                .as_bytes(),
        )
        .expect_err("folded");
        assert!(
            err.to_string().contains(
                r#"duplicate key "tru\u{17f}tedIdentities" (also spelt "trustedIdentities") in trustPolicies[0]"#
            ),
            "{err}"
        );
    }

    #[test]
    fn keys_match_fields_under_go_folding() {
        // Go reads U+017F as `s` and U+212A as `k` when matching field names; so does sigaudit.
        let d = parse(
            r#"{"verſion":"1.0","trustPolicies":[{"name":"a","registryScopes":["*"],"signatureVerification":{"level":"strict"},"truſtStores":["ca:s"],"trustedIdentities":["*"]}]}"#,
        );
        assert_eq!(d.version, "1.0");
        assert_eq!(d.trust_policies[0].trust_stores, vec!["ca:s".to_string()]);
    }

    #[test]
    fn override_keys_are_case_sensitive() {
        // A map in Go: keys are not folded, so `Expiry` is an invalid validation type.
        let d = parse(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"strict","override":{"Expiry":"log"}}"#,
            r#"["ca:e2e"]"#,
            r#"["*"]"#,
        )));
        assert!(d.validate().is_err());
        // Two keys that fold together are refused by the document-wide rule, before validation.
        let both = doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"strict","override":{"Expiry":"log","expiry":"log"}}"#,
            r#"["ca:e2e"]"#,
            r#"["*"]"#,
        ));
        assert!(matches!(
            TrustPolicyDocument::from_json(both.as_bytes()),
            Err(PolicyError::DuplicateKey { .. })
        ));
    }

    #[test]
    fn malformed_json_and_wrong_types_are_malformed() {
        for json in [
            "",
            "{",
            r#"{"version":"1.0"} trailing"#,
            r#"{"version":1}"#,
            r#"{"trustPolicies":{}}"#,
            r#"{"trustPolicies":[{"registryScopes":"*"}]}"#,
            r#"{"trustPolicies":[{"trustStores":[1]}]}"#,
            r#"{"trustPolicies":[{"signatureVerification":{"override":{"expiry":true}}}]}"#,
            "[]",
        ] {
            let err = TrustPolicyDocument::from_json(json.as_bytes()).expect_err(json);
            assert!(
                matches!(err, PolicyError::Malformed { .. }),
                "{json}: {err}"
            );
            assert!(err.to_string().starts_with(
                "malformed trust policy. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy"
            ));
        }
    }

    // ----- document-level rules, in order -----

    #[test]
    fn version_rules() {
        assert_eq!(
            validation_error(r#"{"trustPolicies":[]}"#),
            "oci trust policy document has empty version, version must be specified"
        );
        assert_eq!(
            validation_error(r#"{"version":"1.1","trustPolicies":[]}"#),
            r#"oci trust policy document uses unsupported version "1.1""#
        );
        assert_eq!(
            validation_error(r#"{"version":"1.0","trustPolicies":[]}"#),
            "oci trust policy document can not have zero trust policy statements"
        );
    }

    #[test]
    fn duplicate_name_is_checked_before_the_statement_itself() {
        let bad = stmt("a", "[]", r#"{"level":"nope"}"#, "[]", "[]");
        let json = format!(
            r#"{{"version":"1.0","trustPolicies":[{},{bad}]}}"#,
            good("a", r#"["x.io/a"]"#)
        );
        assert_eq!(
            validation_error(&json),
            r#"multiple oci trust policy statements use the same name "a", statement names must be unique"#
        );
    }

    #[test]
    fn statement_errors_come_before_scope_errors() {
        // Statement 2 has a bad level, statement 1 has zero scopes: the level error wins.
        let json = format!(
            r#"{{"version":"1.0","trustPolicies":[{},{}]}}"#,
            good("a", "[]"),
            stmt("b", r#"["*"]"#, r#"{"level":"nope"}"#, "[]", "[]")
        );
        assert!(validation_error(&json).contains(r#"invalid signature verification level "nope""#));
    }

    #[test]
    fn missing_name() {
        assert_eq!(
            validation_error(&doc_with(&good("", r#"["*"]"#))),
            "oci trust policy: a trust policy statement is missing a name, every statement requires a name"
        );
    }

    // ----- levels and overrides -----

    #[test]
    fn level_rules() {
        assert_eq!(
            sv_error("{}"),
            r#"oci trust policy: trust policy statement "p" has invalid signatureVerification: signature verification level is empty or missing in the trust policy statement"#
        );
        assert!(
            sv_error(r#"{"level":"Strict"}"#)
                .ends_with(r#"invalid signature verification level "Strict""#)
        );
        assert!(
            sv_error(r#"{"level":"skip","override":{"revocation":"skip"}}"#).ends_with(
                r#"signature verification level "skip" can't be used to customize signature verification"#
            )
        );
    }

    #[test]
    fn override_rules_in_notation_order() {
        assert!(sv_error(r#"{"level":"strict","override":{"foo":"log"}}"#).ends_with(
            r#"verification type "foo" in custom signature verification is not supported, supported values are ["integrity" "authenticity" "authenticTimestamp" "expiry" "revocation"]"#
        ));
        assert!(sv_error(r#"{"level":"strict","override":{"expiry":"warn"}}"#).ends_with(
            r#"verification action "warn" in custom signature verification is not supported, supported values are ["enforce" "log" "skip"]"#
        ));
        // The action is checked before the integrity rule.
        assert!(
            sv_error(r#"{"level":"strict","override":{"integrity":"bad"}}"#)
                .contains(r#"verification action "bad""#)
        );
        assert!(
            sv_error(r#"{"level":"audit","override":{"integrity":"enforce"}}"#).ends_with(
                r#""integrity" verification can not be overridden in custom signature verification"#
            )
        );
        for check in ["authenticity", "authenticTimestamp", "expiry"] {
            let sv = format!(r#"{{"level":"strict","override":{{"{check}":"skip"}}}}"#);
            assert!(sv_error(&sv).ends_with(&format!(
                r#""{check}" verification can not be skipped in custom signature verification"#
            )));
        }
        // With several bad entries, the first in document order is reported.
        assert!(
            sv_error(r#"{"level":"strict","override":{"b":"log","a":"log"}}"#)
                .contains(r#"verification type "b""#)
        );
    }

    #[test]
    fn predefined_levels_match_the_table() {
        use Action::{Enforce as E, Log as L, Skip as S};
        let table = [
            ("strict", [E, E, E, E, E]),
            ("permissive", [E, E, L, L, L]),
            ("audit", [E, L, L, L, L]),
            ("skip", [S, S, S, S, S]),
        ];
        for (name, actions) in table {
            let level = VerificationLevel::base(name).expect("known level");
            assert_eq!(level.name, name);
            for (check, action) in Check::ALL.into_iter().zip(actions) {
                assert_eq!(level.action(check), action, "{name} {}", check.as_str());
            }
            assert_eq!(level.is_skip(), name == "skip");
        }
    }

    #[test]
    fn override_gives_a_custom_level() {
        let d = parse(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"permissive","override":{"revocation":"skip","authenticity":"log","expiry":"enforce"}}"#,
            r#"["ca:e2e"]"#,
            r#"["*"]"#,
        )));
        d.validate().expect("valid");
        let level = d.trust_policies[0].verification_level().expect("valid");
        assert_eq!(level.name, "custom");
        assert_eq!(level.action(Check::Integrity), Action::Enforce);
        assert_eq!(level.action(Check::Authenticity), Action::Log);
        assert_eq!(level.action(Check::AuthenticTimestamp), Action::Log);
        assert_eq!(level.action(Check::Expiry), Action::Enforce);
        assert_eq!(level.action(Check::Revocation), Action::Skip);
        // An empty override keeps the base level and its name.
        let d = parse(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"audit","override":{}}"#,
            r#"["ca:e2e"]"#,
            r#"["*"]"#,
        )));
        assert_eq!(
            d.trust_policies[0]
                .verification_level()
                .expect("valid")
                .name,
            "audit"
        );
    }

    #[test]
    fn verify_timestamp_rules() {
        assert_eq!(
            sv_error(r#"{"level":"strict","verifyTimestamp":"never"}"#),
            r#"oci trust policy: trust policy statement "p" has invalid signatureVerification: verifyTimestamp must be "always" or "afterCertExpiry", but got "never""#
        );
        assert!(sv_error(r#"{"level":"strict","verifyTimestamp":"Always"}"#).contains("Always"));
        let d = parse(&doc_with(&good("p", r#"["*"]"#)));
        assert_eq!(
            d.trust_policies[0].verify_timestamp().expect("valid"),
            VerifyTimestamp::Always
        );
    }

    // ----- skip / stores / identities presence -----

    #[test]
    fn skip_must_not_have_stores_or_identities() {
        let json = doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"skip"}"#,
            r#"["ca:e2e"]"#,
            "[]",
        ));
        assert_eq!(
            validation_error(&json),
            r#"oci trust policy: trust policy statement "p" is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped"#
        );
        assert_valid(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"skip"}"#,
            "[]",
            "[]",
        )));
    }

    #[test]
    fn non_skip_needs_stores_and_identities() {
        let msg = r#"oci trust policy: trust policy statement "p" is either missing trust stores or trusted identities, both must be specified"#;
        assert_eq!(store_error("[]"), msg);
        assert_eq!(identity_error("[]"), msg);
    }

    // ----- trust stores -----

    #[test]
    fn trust_store_format_rules() {
        assert!(store_error(r#"["*"]"#).ends_with(
            r#"trust policy statement "p" has malformed trust store value "*". The required format is <TrustStoreType>:<TrustStoreName>"#
        ));
        assert!(store_error(r#"["CA:x"]"#).ends_with(
            r#"trust policy statement "p" uses an unsupported trust store type "CA" in trust store value "CA:x""#
        ));
        assert!(store_error(r#"["ca:"]"#).ends_with(
            r#"trust policy statement "p" uses an unsupported trust store name "" in trust store value "ca:". Named store name needs to follow [a-zA-Z0-9_.-]+ format"#
        ));
        assert!(store_error(r#"["ca:a/b"]"#).contains(r#"unsupported trust store name "a/b""#));
        assert!(store_error(r#"["tsa:a:b"]"#).contains(r#"unsupported trust store name "a:b""#));
    }

    #[test]
    fn trust_store_names_filter_by_type_and_dedup() {
        let d = parse(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"strict"}"#,
            r#"["ca:b","tsa:t","ca:a","signingAuthority:s","ca:b"]"#,
            r#"["*"]"#,
        )));
        d.validate().expect("valid");
        let s = &d.trust_policies[0];
        assert_eq!(s.trust_store_names(StoreType::Ca), vec!["b", "a"]);
        assert_eq!(s.trust_store_names(StoreType::Tsa), vec!["t"]);
        assert_eq!(s.trust_store_names(StoreType::SigningAuthority), vec!["s"]);
        assert_eq!(StoreType::SigningAuthority.as_str(), "signingAuthority");
    }

    // ----- trusted identities -----

    #[test]
    fn trusted_identity_format_rules() {
        assert!(identity_error(r#"["*","x509.subject: C=US,ST=WA,O=x"]"#).ends_with(
            r#"trust policy statement "p" uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values"#
        ));
        assert!(
            identity_error(r#"[""]"#)
                .ends_with(r#"trust policy statement "p" has an empty trusted identity"#)
        );
        assert!(identity_error(r#"["x509.subject C=US"]"#).ends_with(
            r#"trust policy statement "p" has trusted identity "x509.subject C=US" missing separator"#
        ));
        assert!(identity_error(r#"["x509.subject:"]"#).ends_with(
            r#"trust policy statement "p" has trusted identity "x509.subject:" without an identity value"#
        ));
        assert_eq!(
            identity_error(r#"["x509.subject: C=US,O=x"]"#),
            r#"oci trust policy: trust policy statement "p" has trusted identity "x509.subject: C=US,O=x" with invalid identity value: distinguished name (DN) " C=US,O=x" has no mandatory RDN attribute for "ST", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum"#
        );
        // The prefix is compared exactly; other prefixes are accepted and ignored.
        assert_valid(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"strict"}"#,
            r#"["ca:e2e"]"#,
            r#"["X509.Subject: nonsense","plugin:anything"]"#,
        )));
    }

    #[test]
    fn overlapping_identities_are_rejected() {
        assert!(identity_error(
            r#"["x509.subject: C=US,ST=WA,O=x,CN=a","x509.subject: C=US,ST=WA,O=x"]"#
        )
        .ends_with(
            r#"trust policy statement "p" has overlapping x509 trustedIdentities, "x509.subject: C=US,ST=WA,O=x" overlaps with "x509.subject: C=US,ST=WA,O=x,CN=a""#
        ));
        assert!(
            identity_error(r#"["x509.subject:C=US,ST=WA,O=x","x509.subject: C=US, ST=WA, O=x"]"#)
                .contains("overlapping")
        );
        assert_valid(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"strict"}"#,
            r#"["ca:e2e"]"#,
            r#"["x509.subject: C=US,ST=WA,O=x,CN=a","x509.subject: C=US,ST=WA,O=x,CN=b"]"#,
        )));
    }

    fn identity_statement(ids: &str) -> TrustPolicyStatement {
        let d = parse(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"strict"}"#,
            r#"["ca:e2e"]"#,
            ids,
        )));
        d.trust_policies.into_iter().next().expect("one statement")
    }

    #[test]
    fn identity_matching() {
        let leaf = "CN=SomeCN,OU=SomeOU,O=SomeOrg,L=Seattle,ST=WA,C=US";
        assert!(
            identity_statement(r#"["*"]"#)
                .matches_identity("garbage")
                .is_ok()
        );
        let s = identity_statement(r#"["x509.subject:C=US,O=SomeOrg,ST=WA"]"#);
        assert!(s.matches_identity(leaf).is_ok());
        assert_eq!(
            s.matches_identity("CN=x,O=someorg,ST=WA,C=US")
                .expect_err("case differs")
                .to_string(),
            r#"signing certificate from the digital signature does not match the X.509 trusted identities [map["C":"US" "O":"SomeOrg" "ST":"WA"]] defined in the trust policy "p""#
        );
        assert_eq!(
            s.matches_identity("CN=x,O=SomeOrg,C=US")
                .expect_err("no ST")
                .to_string(),
            r#"error while parsing the certificate subject from the digital signature. error : "distinguished name (DN) \"CN=x,O=SomeOrg,C=US\" has no mandatory RDN attribute for \"ST\", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum""#
        );
        assert!(
            s.matches_identity("1.2.840.113549.1.9.1=#0c01,O=SomeOrg,ST=WA,C=US")
                .expect_err("=#")
                .to_string()
                .contains("=#")
        );
        assert!(
            s.matches_identity("OU=a+OU=b,O=SomeOrg,ST=WA,C=US")
                .is_err()
        );
        let two = identity_statement(
            r#"["plugin:x","x509.subject:C=US,O=A,ST=WA","x509.subject:C=US,O=SomeOrg,ST=WA,CN=SomeCN"]"#,
        );
        assert!(two.matches_identity(leaf).is_ok());
        assert_eq!(
            identity_statement(r#"["plugin:x"]"#)
                .matches_identity(leaf)
                .expect_err("none")
                .to_string(),
            r#"no x509 trusted identities are configured in the trust policy "p""#
        );
    }

    // ----- registry scopes -----

    #[test]
    fn scope_format_examples_from_notation() {
        for ok in [
            "example.com/rep",
            "example.com:8080/rep/rep2",
            "example.com/rep/subrep/subsub",
            "10.10.10.10:8080/rep/rep2",
            "domain/rep",
            "domain:1234/rep",
            "local/myocilayout",
            "localhost:5000/a__b/c-d--e/f.g",
        ] {
            assert!(validate_scope_format(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "*",
            "1:1",
            "a,b",
            "abcd",
            "1111",
            "1,2",
            "example.com/rep:tag",
            "example.com/rep/subrep/sub:latest",
            "example.com",
            "rep/rep2:latest",
            "repository",
            "10.10.10.10",
            "10.10.10.10:8080/rep/rep2:latest",
            "local/myOCILayout",
            "/rep",
            "example.com/",
            "example.com/rep/",
            "-a.com/rep",
            "https://example.com/rep",
        ] {
            assert!(validate_scope_format(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_scope_format("example.com/*")
                .expect_err("wildcard")
                .to_string(),
            r#"registry scope "example.com/*" with wild card(s) is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout"#
        );
        assert_eq!(
            validate_scope_format("abcd")
                .expect_err("no slash")
                .to_string(),
            r#"registry scope "abcd" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout"#
        );
    }

    #[test]
    fn scope_rules() {
        assert_eq!(
            validation_error(&doc_with(&good("p", "[]"))),
            r#"oci trust policy statement "p" has zero registry scopes, it must specify registry scopes with at least one value"#
        );
        assert_eq!(
            validation_error(&doc_with(&good("p", r#"["x.io/a","*"]"#))),
            r#"oci trust policy statement "p" uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values"#
        );
        assert!(
            validation_error(&doc_with(&good("p", r#"["x.io/A"]"#)))
                .starts_with(r#"registry scope "x.io/A" is not valid"#)
        );
        assert_eq!(
            validation_error(&doc_with(&good("p", r#"["x.io/a","x.io/a"]"#))),
            r#"registry scope "x.io/a" is present in multiple oci trust policy statements, one registry scope value can only be associated with one statement"#
        );
        let two_wild = format!(
            r#"{{"version":"1.0","trustPolicies":[{},{}]}}"#,
            good("a", r#"["*"]"#),
            good("b", r#"["*"]"#)
        );
        assert!(
            validation_error(&two_wild).starts_with(r#"registry scope "*" is present in multiple"#)
        );
        // A format error in a later statement wins over a duplicate seen earlier.
        let json = format!(
            r#"{{"version":"1.0","trustPolicies":[{},{},{}]}}"#,
            good("a", r#"["x.io/a"]"#),
            good("b", r#"["x.io/a"]"#),
            good("c", r#"["bad"]"#)
        );
        assert!(validation_error(&json).starts_with(r#"registry scope "bad" is not valid"#));
    }

    #[test]
    fn skip_with_global_scope_is_allowed_like_notation_go() {
        assert_valid(&doc_with(&stmt(
            "p",
            r#"["*"]"#,
            r#"{"level":"skip"}"#,
            "[]",
            "[]",
        )));
    }

    // ----- selection -----

    fn selection_doc() -> TrustPolicyDocument {
        let json = format!(
            r#"{{"version":"1.0","trustPolicies":[{},{},{}]}}"#,
            good("wild", r#"["*"]"#),
            good("exact", r#"["reg.io:5000/team/app","reg.io/other"]"#),
            good("second", r#"["reg.io/team/app2"]"#)
        );
        let d = parse(&json);
        d.validate().expect("valid");
        d
    }

    #[test]
    fn exact_scope_beats_wildcard() {
        let d = selection_doc();
        let name = |p: &str| d.applicable(p).map(|s| s.name.as_str()).expect(p);
        assert_eq!(name("reg.io:5000/team/app"), "exact");
        assert_eq!(name("reg.io/other"), "exact");
        assert_eq!(name("reg.io/team/app2"), "second");
        // No normalisation: another port or host spelling falls back to `*`.
        assert_eq!(name("reg.io/team/app"), "wild");
        assert_eq!(name("REG.io:5000/team/app"), "wild");
        assert_eq!(d.applicable_without_registry().expect("has *").name, "wild");
    }

    #[test]
    fn no_applicable_statement() {
        let json = doc_with(&good("only", r#"["reg.io/a"]"#));
        let d = parse(&json);
        assert_eq!(
            d.applicable("reg.io/b").expect_err("no match").to_string(),
            r#"artifact "reg.io/b" has no applicable oci trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy"#
        );
        assert!(matches!(
            d.applicable("Reg/B"),
            Err(PolicyError::Invalid(_))
        ));
        let err = d.applicable_without_registry().expect_err("no *");
        assert!(matches!(err, PolicyError::RegistryNeeded));
        assert!(err.to_string().contains("--registry HOST[:PORT]"));
    }

    // ----- loading -----

    const GOOD_DOC: &str = r#"{"version":"1.0","trustPolicies":[{"name":"d","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:default"],"trustedIdentities":["*"]}]}"#;

    #[test]
    fn load_prefers_oci_file_and_falls_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(load(dir.path()), Err(PolicyError::NotPresent)));
        assert_eq!(
            PolicyError::NotPresent.to_string(),
            "trust policy is not present. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy"
        );
        fs::write(dir.path().join(LEGACY_POLICY_FILE), GOOD_DOC).expect("write");
        let (path, doc) = load(dir.path()).expect("legacy");
        assert_eq!(path, dir.path().join(LEGACY_POLICY_FILE));
        doc.validate().expect("valid");
        fs::write(dir.path().join(OCI_POLICY_FILE), "{bad").expect("write");
        let err = load(dir.path()).expect_err("oci file wins even when malformed");
        assert!(matches!(err, PolicyError::Malformed { .. }));
    }

    #[test]
    fn load_refuses_directories() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir(dir.path().join(OCI_POLICY_FILE)).expect("mkdir");
        fs::write(dir.path().join(LEGACY_POLICY_FILE), GOOD_DOC).expect("write");
        let err = load(dir.path()).expect_err("directory");
        assert_eq!(
            err.to_string(),
            "trust policy is not a regular file (symlinks are not supported). To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy"
        );
    }

    #[cfg(unix)]
    #[test]
    fn load_refuses_symlinks_even_dangling_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("real.json");
        fs::write(&target, GOOD_DOC).expect("write");
        fs::write(dir.path().join(LEGACY_POLICY_FILE), GOOD_DOC).expect("write");
        std::os::unix::fs::symlink(&target, dir.path().join(OCI_POLICY_FILE)).expect("symlink");
        assert!(matches!(load(dir.path()), Err(PolicyError::NotRegularFile)));
        fs::remove_file(&target).expect("rm");
        // Dangling: the OCI path exists as a link, so there is no fallback.
        assert!(matches!(load(dir.path()), Err(PolicyError::NotRegularFile)));
        fs::remove_file(dir.path().join(OCI_POLICY_FILE)).expect("rm");
        fs::remove_file(dir.path().join(LEGACY_POLICY_FILE)).expect("rm");
        std::os::unix::fs::symlink("nowhere", dir.path().join(LEGACY_POLICY_FILE))
            .expect("symlink");
        assert!(matches!(load(dir.path()), Err(PolicyError::NotRegularFile)));
    }

    // ----- conformance over the shared vectors -----

    /// Expected outcome of each e2e trust policy file (README "policy-validation vectors").
    /// `None` = valid, `Some("")` = malformed JSON, `Some(text)` = error containing `text`.
    const E2E_POLICIES: &[(&str, Option<&str>)] = &[
        ("any_registry_scope_trust_policy.json", None),
        ("audit_trustpolicy.json", None),
        (
            "blob_trust_policy.json",
            Some(
                r#"oci trust policy statement "wabbit-networks-policy" has zero registry scopes, it must specify registry scopes with at least one value"#,
            ),
        ),
        (
            "empty_registry_scope_trustpolicy.json",
            Some(
                r#"oci trust policy statement "e2e" has zero registry scopes, it must specify registry scopes with at least one value"#,
            ),
        ),
        (
            "empty_trusted_identity_trustpolicy.json",
            Some(r#"trust policy statement "e2e" has an empty trusted identity"#),
        ),
        ("generate_test_trustpolicy.json", None),
        ("invalid_format_trustpolicy.json", Some("")),
        ("invalid_registry_scope_trustpolicy.json", None),
        ("invalid_trust_store_trustpolicy.json", None),
        ("invalid_trusted_identity_trustpolicy.json", None),
        (
            "malformed_registry_scope_trustpolicy.json",
            Some(
                r#"registry scope "localhost:5000\\test-repo" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout"#,
            ),
        ),
        (
            "malformed_trust_store_trustpolicy.json",
            Some(
                r#"trust policy statement "e2e" uses an unsupported trust store name "" in trust store value "ca:". Named store name needs to follow [a-zA-Z0-9_.-]+ format"#,
            ),
        ),
        (
            "malformed_trusted_identity_trustpolicy.json",
            Some(
                r#"trust policy statement "e2e" has trusted identity "x509.subject CN=e2e,O=Notary,L=Seattle,ST=WA,C=US" missing separator"#,
            ),
        ),
        (
            "missing_country_trusted_identity_trustpolicy.json",
            Some(
                r#"distinguished name (DN) " CN=e2e,O=Notary,L=Seattle,ST=WA" has no mandatory RDN attribute for "C", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum"#,
            ),
        ),
        (
            "missing_organization_trusted_identity_trustpolicy.json",
            Some(
                r#"distinguished name (DN) " CN=e2e,L=Seattle,ST=WA,C=US" has no mandatory RDN attribute for "O", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum"#,
            ),
        ),
        (
            "missing_state_trusted_identity_trustpolicy.json",
            Some(
                r#"distinguished name (DN) " CN=e2e,O=Notary,L=Seattle,C=US" has no mandatory RDN attribute for "ST", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum"#,
            ),
        ),
        (
            "multi_statements_with_multi_wildcard_registry_scope_trustpolicy.json",
            Some(
                r#"registry scope "*" is present in multiple oci trust policy statements, one registry scope value can only be associated with one statement"#,
            ),
        ),
        (
            "multi_statements_with_the_same_name_trustpolicy.json",
            Some(
                r#"multiple oci trust policy statements use the same name "e2e", statement names must be unique"#,
            ),
        ),
        (
            "multi_statements_with_the_same_registry_scope_trustpolicy.json",
            Some(
                r#"registry scope "localhost:5000/test-repo8" is present in multiple oci trust policy statements, one registry scope value can only be associated with one statement"#,
            ),
        ),
        (
            "multi_statements_with_wildcard_registry_scope_trustpolicy.json",
            None,
        ),
        ("multiple_registry_scope_trustpolicy.json", None),
        ("multiple_trust_store_trustpolicy.json", None),
        ("multiple_trusted_identity_trustpolicy.json", None),
        (
            "overlapped_registry_scope_trustpolicy.json",
            Some(
                r#"registry scope "localhost:5000/test-repo6" is present in multiple oci trust policy statements, one registry scope value can only be associated with one statement"#,
            ),
        ),
        ("overlapped_trust_store_trustpolicy.json", None),
        (
            "overlapped_trusted_identity_trustpolicy.json",
            Some(r#"trust policy statement "e2e" has overlapping x509 trustedIdentities, "#),
        ),
        ("override_audit_trustpolicy.json", None),
        (
            "override_integrity_for_permissive_trustpolicy.json",
            Some(
                r#""integrity" verification can not be overridden in custom signature verification"#,
            ),
        ),
        ("override_permissive_trustpolicy.json", None),
        ("override_strict_trustpolicy.json", None),
        ("permissive_trustpolicy.json", None),
        ("quickstart_trustpolicy.json", None),
        ("registry_scope_trustpolicy.json", None),
        ("skip_trustpolicy.json", None),
        ("timestamp_after_cert_expiry_trustpolicy.json", None),
        ("timestamp_trustpolicy.json", None),
        ("trustpolicy.json", None),
        (
            "unset_trust_store_trustpolicy.json",
            Some(
                r#"trust policy statement "e2e" is either missing trust stores or trusted identities, both must be specified"#,
            ),
        ),
        (
            "unset_trusted_identity_trustpolicy.json",
            Some(
                r#"trust policy statement "e2e" is either missing trust stores or trusted identities, both must be specified"#,
            ),
        ),
        ("valid_trusted_identity_trustpolicy.json", None),
        (
            "wildcard_plus_other_registry_scope_trustpolicy.json",
            Some(
                r#"oci trust policy statement "e2e" uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values"#,
            ),
        ),
        (
            "wildcard_plus_other_trusted_identity_trustpolicy.json",
            Some(
                r#"trust policy statement "e2e" uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values"#,
            ),
        ),
        (
            "wildcard_trust_store_trustpolicy.json",
            Some(
                r#"trust policy statement "e2e" has malformed trust store value "*". The required format is <TrustStoreType>:<TrustStoreName>"#,
            ),
        ),
    ];

    #[test]
    fn e2e_trust_policy_vectors() {
        let Some(root) = crate::test_vectors::dir() else {
            return;
        };
        let dir = root.join("notation/notation-e2e/trustpolicies");
        let mut on_disk: Vec<String> = fs::read_dir(&dir)
            .expect("trustpolicies dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let listed: Vec<String> = E2E_POLICIES.iter().map(|(f, _)| (*f).to_owned()).collect();
        assert_eq!(on_disk, listed, "every vector file has an expectation");
        for (file, expected) in E2E_POLICIES {
            let bytes = fs::read(dir.join(file)).expect("read vector");
            let result = TrustPolicyDocument::from_json(&bytes).and_then(|d| d.validate());
            match (expected, result) {
                (None, Ok(())) => {}
                (None, Err(e)) => panic!("{file}: expected valid, got {e}"),
                (Some(""), Err(PolicyError::Malformed { .. })) => {}
                (Some(text), Err(e)) if !text.is_empty() => {
                    assert!(
                        e.to_string().contains(text),
                        "{file}:\n got {e}\nwant {text}"
                    );
                }
                (Some(text), other) => panic!("{file}: expected error {text:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn e2e_invalid_registry_scope_vector_selects_nothing_for_other_repos() {
        let Some(root) = crate::test_vectors::dir() else {
            return;
        };
        let path = root
            .join("notation/notation-e2e/trustpolicies/invalid_registry_scope_trustpolicy.json");
        let doc = TrustPolicyDocument::from_json(&fs::read(path).expect("read")).expect("parse");
        doc.validate().expect("valid");
        assert!(doc.applicable("localhost:5000/invalid-test-repo").is_ok());
        assert!(matches!(
            doc.applicable("localhost:5000/e2e-valid-signature"),
            Err(PolicyError::NoApplicable { .. })
        ));
    }

    /// Leaf subjects (Go `pkix.Name.String()` form, as listed in CERTIFICATES.md).
    const E2E_LEAF: &str = "CN=e2e,O=Notary,L=Seattle,ST=WA,C=US";
    const MOCK_LEAF: &str = "CN=Notation Test Root,O=Notary,L=Seattle,ST=WA,C=US";

    #[test]
    fn expected_outcomes_policies() {
        let Some(root) = crate::test_vectors::dir() else {
            return;
        };
        let base = root.join("notation");
        let certs = fs::read_to_string(base.join("CERTIFICATES.md")).expect("CERTIFICATES.md");
        assert!(certs.contains(E2E_LEAF) && certs.contains(MOCK_LEAF));
        let text = fs::read(base.join("expected-outcomes.json")).expect("expected-outcomes.json");
        let outcomes: serde_json::Value = serde_json::from_slice(&text).expect("json");
        let cases = outcomes["cases"].as_array().expect("cases");
        assert!(!cases.is_empty());
        for case in cases {
            let id = case["id"].as_str().expect("id");
            let policy = serde_json::to_vec(&case["trust_policy"]).expect("serialize");
            let doc = TrustPolicyDocument::from_json(&policy).expect(id);
            let validation = doc.validate();
            if id == "e2e-timestamped-with-ms-root" {
                // The vector holds a placeholder store name for the tester to replace.
                let err = validation.expect_err(id).to_string();
                assert!(
                    err.contains("uses an unsupported trust store name"),
                    "{id}: {err}"
                );
                continue;
            }
            validation.unwrap_or_else(|e| panic!("{id}: {e}"));
            let reference = case["artifact_reference"].as_str().unwrap_or("");
            let statement = match reference.rsplit_once('@') {
                Some((path, _)) => doc.applicable(path).unwrap_or_else(|e| panic!("{id}: {e}")),
                None => doc.applicable_without_registry().expect(id),
            };
            let leaf = if id.starts_with("e2e-valid") {
                E2E_LEAF
            } else {
                MOCK_LEAF
            };
            let identity = statement.matches_identity(leaf);
            match id {
                "e2e-valid-identity" | "mock-ca-valid" | "mock-sa-valid" => {
                    identity.unwrap_or_else(|e| panic!("{id}: {e}"));
                }
                "e2e-valid-wrong-identity" | "mock-ca-wrong-identity" => {
                    let err = identity.expect_err(id).to_string();
                    assert!(
                        err.starts_with("signing certificate from the digital signature does not match the X.509 trusted identities"),
                        "{id}: {err}"
                    );
                }
                _ => {}
            }
        }
    }

    #[test]
    fn synthetic_policy() {
        let Some(root) = crate::test_vectors::dir() else {
            return;
        };
        let (path, doc) = load(&root.join("notation/synthetic/notation-config")).expect("load");
        assert!(path.ends_with(LEGACY_POLICY_FILE));
        doc.validate().expect("valid");
        let leaf = "CN=Synthetic Signer ES256,OU=Build,O=Notary Synthetic,L=Seattle,ST=WA,C=US";
        let app = doc
            .applicable("registry.example/synthetic/app")
            .expect("app");
        assert_eq!(app.name, "synthetic-strict");
        assert!(app.matches_identity(leaf).is_ok());
        let wrong = doc
            .applicable("registry.example/synthetic/wrong-identity")
            .expect("wrong");
        assert!(wrong.matches_identity(leaf).is_err());
        let permissive = doc
            .applicable("registry.example/synthetic/permissive")
            .expect("perm");
        assert_eq!(
            permissive.verification_level().expect("level").name,
            "permissive"
        );
        assert!(matches!(
            doc.applicable("registry.example/synthetic/other"),
            Err(PolicyError::NoApplicable { .. })
        ));
        assert!(matches!(
            doc.applicable_without_registry(),
            Err(PolicyError::RegistryNeeded)
        ));
    }

    #[test]
    fn verifier_cert_identity_vectors() {
        let s = identity_statement(r#"["x509.subject:C=US,O=SomeOrg,ST=WA"]"#);
        assert!(
            s.matches_identity("CN=SomeCN,OU=SomeOU,O=SomeOrg,L=Seattle,ST=WA,C=US")
                .is_ok()
        );
        let err = s
            .matches_identity("O=SomeOrg,OU=SomeOU,CN=Bad=#CN,L=Seattle,ST=WA,C=US")
            .expect_err("bad-cert")
            .to_string();
        assert!(
            err.contains(r#"notation does not support x509.subject identities containing \"=#\""#),
            "{err}"
        );
    }

    #[test]
    fn zot_default_policy_is_valid() {
        let d = parse(
            r#"{"version":"1.0","trustPolicies":[{"name":"default-config","registryScopes":["*"],
            "signatureVerification":{"level":"strict","verifyTimestamp":"afterCertExpiry"},
            "trustStores":["ca:default","signingAuthority:default","tsa:default"],
            "trustedIdentities":["*"]}]}"#,
        );
        d.validate().expect("valid");
        let s = d.applicable("domain:80/repo").expect("wildcard");
        assert_eq!(
            s.verify_timestamp().expect("valid"),
            VerifyTimestamp::AfterCertExpiry
        );
        assert_eq!(s.trust_store_names(StoreType::Tsa), vec!["default"]);
    }
}
