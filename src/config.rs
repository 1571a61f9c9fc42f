//! `sigaudit.toml`: the compliance rules, parsed and then validated. Unknown keys are refused;
//! every error names the file and, where the parser or a key's span knows it, the line and
//! column. The rules are applied by the compliance stage, after the audit.
//!
//! Which file is read, first match wins: `--no-config` (none: the built-in default rule),
//! `--config FILE`, the `SIGAUDIT_CONFIG` environment variable, `./sigaudit.toml` when it
//! exists, else the built-in default rule. The report records which one applied.

use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use crate::keyless::{IdentityRule, Matcher};
use crate::verify::RepositoryIdentities;
use sigaudit_model::glob::Glob;

/// The file looked for in the current folder.
pub const DEFAULT_FILE: &str = "sigaudit.toml";

/// The environment variable naming a config file.
pub const ENV_VAR: &str = "SIGAUDIT_CONFIG";

/// Signature tools a rule can name.
pub const TOOLS: &[&str] = &["cosign", "notation", "gpg"];

/// The name of the built-in rule, and of the rule `sigaudit init` writes.
pub const DEFAULT_RULE: &str = "signed";

/// The name `require-matching-rule` gives an image's violation when no rule matches it
/// (reserved: no rule may take it; an exemption may name it).
pub const NO_MATCHING_RULE: &str = "no-matching-rule";

/// `sigaudit.toml`, as written.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "sigaudit.toml",
    description = "Compliance rules for sigaudit scan and watch"
)]
pub struct ConfigFile {
    /// Every image must be matched by at least one rule: an image no rule matches fails
    /// compliance (violation `no-matching-rule`) instead of passing. Default false. A top-level
    /// key, so it goes before the first `[[rule]]`.
    #[serde(default, rename = "require-matching-rule")]
    pub require_matching_rule: bool,
    /// The rules (`[[rule]]`); each image must meet every rule that matches it.
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
    /// Exemptions (`[[exemption]]`) from failed rules, each with a reason and an expiry date.
    #[serde(default)]
    pub exemption: Vec<ExemptionSpec>,
    /// Keyless (Fulcio certificate) signatures, verified with `--trusted-root`: which
    /// certificate identities are trusted (`[[keyless.identities]]`).
    #[serde(default)]
    pub keyless: KeylessSpec,
}

/// `[keyless]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeylessSpec {
    /// Trusted identities; a keyless signature whose identity no entry for its repository
    /// matches is untrusted (`keyless-identity-not-allowed`), however valid its chain.
    #[serde(default)]
    pub identities: Vec<KeylessIdentitySpec>,
}

/// One `[[keyless.identities]]`: like `cosign verify --certificate-identity[-regexp]
/// --certificate-oidc-issuer[-regexp]`, for the repositories a glob matches. Exactly one of
/// `identity`/`identity-regexp` and one of `issuer`/`issuer-regexp`. A regular expression
/// must match the whole value (it is anchored, unlike cosign's).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeylessIdentitySpec {
    /// Repository glob, as in a rule (`team/*`, `prod/**`, `**`).
    #[schemars(with = "String")]
    pub repositories: Spanned<String>,
    /// The certificate's SAN identity (email or URI), exactly.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub identity: Option<Spanned<String>>,
    /// A regular expression over the SAN identity.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub identity_regexp: Option<Spanned<String>>,
    /// The OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8 or .1.1), exactly.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub issuer: Option<Spanned<String>>,
    /// A regular expression over the OIDC issuer.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub issuer_regexp: Option<Spanned<String>>,
}

/// One `[[rule]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSpec {
    /// Unique name, used in reports and by exemptions.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Repository glob: `*` matches within one path segment, `**` across segments
    /// (`prod/**`, `team/*`, `**`).
    #[schemars(with = "String")]
    pub repository: Spanned<String>,
    /// Tag glob: the rule then matches only images with a matching tag (an index child takes
    /// its index's tags). Absent: every image of the repositories, tagged or not.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub tag: Option<Spanned<String>>,
    /// At least this many trusted signatures that meet the other conditions (default 1).
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(min = 1))]
    pub min_signatures: Option<Spanned<i64>>,
    /// Only signatures made with these tools count: `cosign`, `notation`, `gpg`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub tools: Vec<Spanned<String>>,
    /// Only signatures by these identities count: globs over the certificate subject (the
    /// signature's `signer`, or its `author`), e.g. `CN=release signer,O=Example,*`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub identities: Vec<Spanned<String>>,
    /// Only signatures by these keys count: `sha256:<hex>` fingerprints (a signature's
    /// `keyFingerprint`), or key or certificate files, as the rootDir-relative path of the
    /// trusting file (`_cosign/sha256:...`) or a PEM public key file (relative to this config
    /// file) whose fingerprint is then compared.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub keys: Vec<Spanned<String>>,
    /// A counted signature, or a certificate of its chain, that expires within this many days
    /// after the audit's time fails the rule.
    #[serde(default)]
    pub min_validity_days: Option<u32>,
}

/// One `[[exemption]]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExemptionSpec {
    /// Repository glob, as in a rule.
    #[schemars(with = "String")]
    pub repository: Spanned<String>,
    /// Tag glob; absent: any image of the repositories.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub tag: Option<Spanned<String>>,
    /// An image digest (`sha256:<hex>`); absent: any digest.
    #[serde(default)]
    pub digest: Option<String>,
    /// The rule exempted from; absent: every rule.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub rule: Option<Spanned<String>>,
    // `reason` and `expires` are `Option`s without `serde(default)`: absent is `None` (so
    // validation can say which exemption lacks one), and the schema lists them as required.
    /// Why the exemption exists (required, not empty).
    #[schemars(with = "String", required, length(min = 1))]
    pub reason: Option<Spanned<String>>,
    /// The last day the exemption applies (a TOML date such as `2027-01-31`, or the same
    /// quoted, `"2027-01-31"`, as JSON-Schema-driven editors write it); required. From the next
    /// day on it exempts nothing and the report lists it as expired.
    #[schemars(with = "ExpiresSchema", required)]
    pub expires: Option<Spanned<toml::Value>>,
}

/// The JSON Schema of `expires`: a date. Never built, only described.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
#[schemars(transparent)]
struct ExpiresSchema(#[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))] String);

/// A rule, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub repository: Glob,
    pub tag: Option<Glob>,
    pub min_signatures: u32,
    pub tools: Vec<String>,
    pub identities: Vec<Glob>,
    /// `sha256:<hex>` fingerprints or rootDir-relative trust file paths.
    pub keys: Vec<String>,
    pub min_validity_days: Option<u32>,
    /// The line of the config its `[[rule]]` name is on (from 1); `None` for the built-in
    /// rule. Findings about the rule name it.
    pub line: Option<usize>,
}

impl Rule {
    /// The built-in rule: every repository, at least one trusted signature.
    pub fn builtin() -> Self {
        Rule {
            name: DEFAULT_RULE.into(),
            repository: Glob::new("**").unwrap_or_else(|_| unreachable!("** is a valid glob")),
            tag: None,
            min_signatures: 1,
            tools: Vec::new(),
            identities: Vec::new(),
            keys: Vec::new(),
            min_validity_days: None,
            line: None,
        }
    }
}

/// An exemption, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemption {
    pub repository: Glob,
    pub tag: Option<Glob>,
    pub digest: Option<String>,
    pub rule: Option<String>,
    pub reason: String,
    pub expires: NaiveDate,
}

/// How the config was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    CurrentDir,
    NoConfig,
    None,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Flag => "--config",
            Source::Env => ENV_VAR,
            Source::CurrentDir => "./sigaudit.toml",
            Source::NoConfig => "--no-config",
            Source::None => "none",
        }
    }
}

/// The rules in force for a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub source: Source,
    /// The file read; `None` for the built-in rule.
    pub path: Option<PathBuf>,
    /// SHA-256 (hex) of the file's bytes.
    pub sha256: Option<String>,
    pub rules: Vec<Rule>,
    pub exemptions: Vec<Exemption>,
    /// `[[keyless.identities]]`, validated.
    pub keyless_identities: Vec<RepositoryIdentities>,
    /// `require-matching-rule`: an image no rule matches fails compliance.
    pub require_matching_rule: bool,
}

impl Policy {
    /// The built-in default: one rule, [`Rule::builtin`].
    pub fn builtin(source: Source) -> Self {
        Policy {
            source,
            path: None,
            sha256: None,
            rules: vec![Rule::builtin()],
            exemptions: Vec::new(),
            keyless_identities: Vec::new(),
            require_matching_rule: false,
        }
    }

    /// True when the built-in rule applies (no file was read).
    pub fn is_default(&self) -> bool {
        self.path.is_none()
    }
}

/// Why a config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `location` is `file:line:col` or `file`.
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

/// Picks and loads the config: `no_config`, then `flag`, then `env`, then `./sigaudit.toml`
/// (relative to `cwd`), else the built-in rule.
pub fn resolve(
    no_config: bool,
    flag: Option<&Path>,
    env: Option<&Path>,
    cwd: &Path,
) -> Result<Policy, ConfigError> {
    if no_config {
        return Ok(Policy::builtin(Source::NoConfig));
    }
    if let Some(p) = flag {
        return load(p, Source::Flag);
    }
    if let Some(p) = env.filter(|p| !p.as_os_str().is_empty()) {
        return load(p, Source::Env);
    }
    let here = cwd.join(DEFAULT_FILE);
    if here.is_file() {
        return load(Path::new(DEFAULT_FILE), Source::CurrentDir).or_else(|e| match e {
            // The file seen a moment ago is relative to the process's current folder, which is
            // `cwd` in every real run; tests pass another `cwd`.
            ConfigError::Read { .. } => load(&here, Source::CurrentDir),
            e => Err(e),
        });
    }
    Ok(Policy::builtin(Source::None))
}

/// The most sigaudit reads of a config file or a key file it names.
const MAX_CONFIG_BYTES: u64 = 8 << 20;

/// Reads, parses and validates `path`.
pub fn load(path: &Path, source: Source) -> Result<Policy, ConfigError> {
    let bytes = crate::layout::read_operator_file(path, MAX_CONFIG_BYTES).map_err(|e| {
        ConfigError::Read {
            path: path.to_path_buf(),
            source: e,
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ConfigError::Invalid {
        location: path.display().to_string(),
        message: format!("not UTF-8: {e}"),
    })?;
    let mut policy = parse(&text, path)?;
    policy.source = source;
    policy.path = Some(path.to_path_buf());
    policy.sha256 = Some(sigaudit_model::digest::sha256_hex(text.as_bytes()));
    Ok(policy)
}

/// Parses and validates config text; `path` names it in errors and anchors relative key files.
pub fn parse(text: &str, path: &Path) -> Result<Policy, ConfigError> {
    let err = |span: Option<Range<usize>>, message: String| ConfigError::Invalid {
        location: locate(path, text, span),
        message,
    };
    let file: ConfigFile = toml::from_str(text).map_err(|e| err(e.span(), e.message().into()))?;
    let base = path.parent().unwrap_or(Path::new(""));
    let mut rules: Vec<Rule> = Vec::new();
    for r in &file.rule {
        let name = r.name.get_ref().trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(err(
                Some(r.name.span()),
                "a rule name must be non-empty and have no spaces".into(),
            ));
        }
        if name == NO_MATCHING_RULE {
            return Err(err(
                Some(r.name.span()),
                format!(
                    "the rule name {NO_MATCHING_RULE:?} is reserved: it names the violation of an image no rule matches (require-matching-rule)"
                ),
            ));
        }
        if rules.iter().any(|x| x.name == name) {
            return Err(err(
                Some(r.name.span()),
                format!("duplicate rule name {name:?}"),
            ));
        }
        let glob = |s: &Spanned<String>| {
            Glob::new(s.get_ref()).map_err(|m| err(Some(s.span()), m.to_string()))
        };
        let min_signatures = match &r.min_signatures {
            None => 1,
            Some(n) => match u32::try_from(*n.get_ref()) {
                Ok(v) if v >= 1 => v,
                _ => {
                    return Err(err(
                        Some(n.span()),
                        format!("min-signatures must be at least 1, not {}", n.get_ref()),
                    ));
                }
            },
        };
        let mut tools = Vec::new();
        for t in &r.tools {
            if !TOOLS.contains(&t.get_ref().as_str()) {
                return Err(err(
                    Some(t.span()),
                    format!(
                        "unknown tool {:?}: the tools are {}",
                        t.get_ref(),
                        TOOLS.join(", ")
                    ),
                ));
            }
            tools.push(t.get_ref().clone());
        }
        let identities = r
            .identities
            .iter()
            .map(|i| {
                Glob::new(i.get_ref())
                    .map_err(|m| err(Some(i.span()), format!("identity {:?}: {m}", i.get_ref())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut keys = Vec::new();
        for k in &r.keys {
            keys.push(key_ref(k.get_ref(), base).map_err(|m| err(Some(k.span()), m))?);
        }
        rules.push(Rule {
            name: name.to_string(),
            repository: glob(&r.repository)?,
            tag: r.tag.as_ref().map(glob).transpose()?,
            min_signatures,
            tools,
            identities,
            keys,
            min_validity_days: r.min_validity_days,
            line: Some(line_of(text, r.name.span().start)),
        });
    }
    let mut exemptions = Vec::new();
    for (i, x) in file.exemption.iter().enumerate() {
        let glob = |s: &Spanned<String>| {
            Glob::new(s.get_ref()).map_err(|m| err(Some(s.span()), m.to_string()))
        };
        let at = Some(x.repository.span());
        let reason = match &x.reason {
            Some(r) if !r.get_ref().trim().is_empty() => r.get_ref().trim().to_string(),
            Some(r) => return Err(err(Some(r.span()), "an exemption's reason is empty".into())),
            None => {
                return Err(err(
                    at,
                    format!("exemption {} has no reason: say why it is granted", i + 1),
                ));
            }
        };
        let expires = match &x.expires {
            None => {
                return Err(err(
                    at,
                    format!(
                        "exemption {} has no expires date: every exemption must end",
                        i + 1
                    ),
                ));
            }
            Some(d) => date_of(d.get_ref()).map_err(|m| err(Some(d.span()), m))?,
        };
        let rule = match &x.rule {
            Some(r) if r.get_ref() == NO_MATCHING_RULE && !file.require_matching_rule => {
                return Err(err(
                    Some(r.span()),
                    format!(
                        "exemption names {NO_MATCHING_RULE:?}, which only exists with require-matching-rule = true"
                    ),
                ));
            }
            Some(r)
                if r.get_ref() != NO_MATCHING_RULE
                    && !rules.iter().any(|x| x.name == *r.get_ref()) =>
            {
                return Err(err(
                    Some(r.span()),
                    format!(
                        "exemption names rule {:?}, which is not defined",
                        r.get_ref()
                    ),
                ));
            }
            r => r.as_ref().map(|r| r.get_ref().clone()),
        };
        if let Some(d) = &x.digest
            && sigaudit_model::digest::Digest::parse(d).is_err()
        {
            return Err(err(at, format!("exemption digest {d:?} is not a digest")));
        }
        exemptions.push(Exemption {
            repository: glob(&x.repository)?,
            tag: x.tag.as_ref().map(glob).transpose()?,
            digest: x.digest.clone(),
            rule,
            reason,
            expires,
        });
    }
    if rules.is_empty() {
        return Err(err(
            None,
            "no [[rule]]: a config must state at least one rule (sigaudit init writes the default one)".into(),
        ));
    }
    let mut keyless_identities = Vec::new();
    for (i, k) in file.keyless.identities.iter().enumerate() {
        let n = i + 1;
        let repositories = Glob::new(k.repositories.get_ref())
            .map_err(|m| err(Some(k.repositories.span()), m.to_string()))?;
        let matcher = |exact: &Option<Spanned<String>>,
                       re: &Option<Spanned<String>>,
                       what: &str|
         -> Result<Matcher, ConfigError> {
            match (exact, re) {
                (Some(e), None) if !e.get_ref().is_empty() => {
                    Ok(Matcher::Exact(e.get_ref().clone()))
                }
                (Some(e), None) => Err(err(Some(e.span()), format!("{what} is empty"))),
                (None, Some(r)) => Matcher::regex(r.get_ref()).map_err(|m| {
                    err(
                        Some(r.span()),
                        format!("{what}-regexp {:?}: {m}", r.get_ref()),
                    )
                }),
                (Some(e), Some(_)) => Err(err(
                    Some(e.span()),
                    format!("give {what} or {what}-regexp, not both"),
                )),
                (None, None) => Err(err(
                    Some(k.repositories.span()),
                    format!(
                        "keyless identity {n} has no {what} (or {what}-regexp): both the identity and the OIDC issuer must be stated"
                    ),
                )),
            }
        };
        let identity = matcher(&k.identity, &k.identity_regexp, "identity")?;
        let issuer = matcher(&k.issuer, &k.issuer_regexp, "issuer")?;
        keyless_identities.push(RepositoryIdentities {
            repositories,
            rule: IdentityRule { identity, issuer },
        });
    }
    Ok(Policy {
        source: Source::Flag,
        path: Some(path.to_path_buf()),
        sha256: None,
        rules,
        exemptions,
        keyless_identities,
        require_matching_rule: file.require_matching_rule,
    })
}

/// A key reference: a fingerprint, a rootDir-relative trust file, or a PEM public key file
/// (relative to the config's folder), turned into its fingerprint.
fn key_ref(k: &str, base: &Path) -> Result<String, String> {
    if let Some(hex) = k.strip_prefix("sha256:") {
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(k.to_ascii_lowercase());
        }
        return Err(format!("key {k:?} is not sha256:<64 hex digits>"));
    }
    if k.starts_with("_cosign/") || k.starts_with("_notation/") {
        return Ok(k.to_string());
    }
    let file = base.join(k);
    let bytes = crate::layout::read_operator_file(&file, MAX_CONFIG_BYTES)
        .map_err(|e| format!("key file {}: {e}", file.display()))?;
    crate::trust::CosignKey::parse(k, &bytes)
        .map(|key| key.fingerprint)
        .map_err(|e| format!("key file {}: {e}", file.display()))
}

/// `expires`: a TOML date, or a string holding exactly `YYYY-MM-DD` (the schema describes the
/// value as such a string, so editors that validate against it suggest the quoted form; both
/// mean the same day). A time, a zone or any other string is refused with the form to write.
fn date_of(v: &toml::Value) -> Result<NaiveDate, String> {
    const FIX: &str =
        "write a date such as expires = 2027-01-31 (the last day the exemption applies)";
    match v {
        toml::Value::Datetime(d) => match (&d.date, &d.time, &d.offset) {
            (Some(date), None, None) => {
                NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
                    .ok_or_else(|| format!("{d} is not a date; {FIX}"))
            }
            _ => Err(format!("expires must be a date, not {d}; {FIX}")),
        },
        toml::Value::String(t) => {
            let ok = t.len() == 10
                && t.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            match ok
                .then(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
                .flatten()
            {
                Some(d) => Ok(d),
                None => Err(format!(
                    "expires must be a date, not the string {t:?}; {FIX}"
                )),
            }
        }
        other => Err(format!(
            "expires must be a date, not a TOML {}; {FIX}",
            other.type_str()
        )),
    }
}

/// The line (from 1) of byte offset `at` of `text`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// `file:line:col` of a byte offset (1-based), or `file` without one.
fn locate(path: &Path, text: &str, span: Option<Range<usize>>) -> String {
    match span {
        Some(span) => {
            let start = span.start.min(text.len());
            let before = &text[..start];
            let line = line_of(text, start);
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{}:{line}:{col}", path.display())
        }
        None => path.display().to_string(),
    }
}

/// The JSON Schema of `sigaudit.toml` (checked in as `docs/sigaudit.schema.json`).
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ConfigFile);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// What `sigaudit init` writes: the built-in rule, explicitly, and every rule kind as a
/// commented example.
pub const TEMPLATE: &str = r#"# sigaudit.toml: the compliance rules `sigaudit scan` and `sigaudit watch` apply.
# Read from --config FILE, else $SIGAUDIT_CONFIG, else ./sigaudit.toml; --no-config ignores it.
# Schema: docs/sigaudit.schema.json (`sigaudit schema config`). Unknown keys are errors.
#
# Each image must meet every rule whose `repository` (and `tag`, if given) matches it.
# Globs: `*` matches within one path segment (`team/*` is not `team/a/b`), `**` across them.
# A rule that matches no image is reported (a `rule-unmatched` warning): check its globs.

# Uncomment to make every image need a rule: an image no rule matches then fails compliance
# (violation "no-matching-rule") instead of passing. A top-level key: keep it above [[rule]].
# require-matching-rule = true

# The built-in default: every image of every repository has at least one trusted signature.
[[rule]]
name = "signed"
repository = "**"
min-signatures = 1

# Production images: two trusted signatures, from notation, by release identities.
# [[rule]]
# name = "prod-release"
# repository = "prod/**"
# tag = "v*"                        # only images tagged v...; index children take the index's tags
# min-signatures = 2                # at least 2 trusted signatures meeting the conditions below
# tools = ["notation"]              # cosign, notation, gpg
# identities = ["CN=release signer,O=Example,*"]  # globs over the certificate subject
# min-validity-days = 30            # no counted signature or certificate expiring within 30 days

# Team images: signed with one of these cosign keys.
# [[rule]]
# name = "team-keys"
# repository = "team/*"
# keys = [
#   "sha256:a1e1f24705a5ffcdd11da12c389221fa7c0313ef402ea1280df582691b55d108",  # a keyFingerprint
#   "_cosign/sha256:92c1b7c11cc270d70b91ef0a31d6f9437b0c43b7ad5934d8ad2b20abe913e77e",  # a trust file
#   "keys/release.pub",             # a PEM public key, relative to this file
# ]

# An exemption: a reason and a last day are required; once expired it exempts nothing and
# the report lists it as expired.
# [[exemption]]
# repository = "library/alpine"
# tag = "3.19"                      # optional; or digest = "sha256:..."
# rule = "signed"                   # optional: absent exempts from every rule
# reason = "upstream image, re-signed by the mirror job (TICKET-123)"
# expires = 2027-01-31

# Keyless (Fulcio certificate) signatures, verified offline with --trusted-root FILE (a sigstore
# trusted_root.json): the certificate identities trusted, per repository glob. A valid keyless
# signature by an identity no entry lists is untrusted (keyless-identity-not-allowed).
# One of identity / identity-regexp and one of issuer / issuer-regexp; a regexp must match
# the whole value.
# [[keyless.identities]]
# repositories = "team/*"
# identity = "release@example.com"
# issuer = "https://accounts.google.com"
# [[keyless.identities]]
# repositories = "prod/**"
# identity-regexp = 'https://github\.com/example/[^/]+/\.github/workflows/release\.yml@refs/tags/v.*'
# issuer = "https://token.actions.githubusercontent.com"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Policy, ConfigError> {
        parse(text, Path::new("sigaudit.toml"))
    }

    #[test]
    fn keyless_identities_are_validated() {
        let ok = p(r#"
[[rule]]
name = "signed"
repository = "**"
[[keyless.identities]]
repositories = "team/*"
identity = "a@example.com"
issuer-regexp = 'https://accounts\.google\.com'
"#)
        .unwrap();
        let [k] = ok.keyless_identities.as_slice() else {
            panic!("one identity")
        };
        assert!(k.repositories.matches("team/app"));
        assert!(
            k.rule
                .matches("a@example.com", Some("https://accounts.google.com"))
        );
        assert!(
            !k.rule
                .matches("a@example.com", Some("https://accounts.google.com.evil"))
        );
        let head = "[[rule]]\nname = \"s\"\nrepository = \"**\"\n[[keyless.identities]]\nrepositories = \"**\"\n";
        for (body, want) in [
            ("identity = \"a\"\n", "no issuer"),
            ("issuer = \"i\"\n", "no identity"),
            (
                "identity = \"a\"\nidentity-regexp = \"a\"\nissuer = \"i\"\n",
                "not both",
            ),
            (
                "identity-regexp = \"(\"\nissuer = \"i\"\n",
                "identity-regexp",
            ),
            (
                "identity = \"a\"\nissuer = \"i\"\nsubject = \"x\"\n",
                "unknown field",
            ),
        ] {
            let e = p(&format!("{head}{body}")).unwrap_err().to_string();
            assert!(e.contains(want), "{body:?}: {e}");
            assert!(e.starts_with("sigaudit.toml:"), "{e}");
        }
    }

    #[test]
    fn template_is_the_builtin_rule() {
        let policy = p(TEMPLATE).unwrap();
        let rules: Vec<Rule> = policy
            .rules
            .iter()
            .map(|r| Rule {
                line: None,
                ..r.clone()
            })
            .collect();
        assert_eq!(rules, vec![Rule::builtin()]);
        assert!(!policy.require_matching_rule);
        assert!(policy.exemptions.is_empty());
    }

    #[test]
    fn unknown_key_is_named_with_file_and_line() {
        let e = p("[[rule]]\nname = \"a\"\nrepository = \"**\"\nmin-signature = 2\n").unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("sigaudit.toml:4:1: unknown field `min-signature`"),
            "{s}"
        );
        let e = p("colour = 1\n").unwrap_err().to_string();
        assert!(
            e.starts_with("sigaudit.toml:1:1: unknown field `colour`"),
            "{e}"
        );
    }

    #[test]
    fn validation_errors_name_the_line() {
        let cases = [
            (
                "[[rule]]\nname = \"a\"\nrepository = \"**\"\nmin-signatures = 0\n",
                "sigaudit.toml:4:18: min-signatures must be at least 1",
            ),
            (
                "[[rule]]\nname = \"a\"\nrepository = \"**\"\ntools = [\"sequoia\"]\n",
                "sigaudit.toml:4:10: unknown tool \"sequoia\"",
            ),
            (
                "[[rule]]\nname = \"a\"\nrepository = \"prod/***\"\n",
                "sigaudit.toml:3:14: ",
            ),
            (
                "[[rule]]\nname = \"a\"\nrepository = \"**\"\n[[exemption]]\nrepository = \"x\"\nexpires = 2027-01-01\n",
                "sigaudit.toml:5:14: exemption 1 has no reason",
            ),
            (
                "[[rule]]\nname = \"a\"\nrepository = \"**\"\n[[exemption]]\nrepository = \"x\"\nreason = \"r\"\n",
                "sigaudit.toml:5:14: exemption 1 has no expires date",
            ),
            (
                "[[rule]]\nname = \"a\"\nrepository = \"**\"\n[[exemption]]\nrepository = \"x\"\nreason = \"r\"\nexpires = 2027-01-01\nrule = \"b\"\n",
                "sigaudit.toml:8:8: exemption names rule \"b\"",
            ),
            (
                "[[rule]]\nname = \"a\"\nrepository = \"**\"\n[[rule]]\nname = \"a\"\nrepository = \"x\"\n",
                "sigaudit.toml:5:8: duplicate rule name",
            ),
            ("", "sigaudit.toml: no [[rule]]"),
            (
                "[[rule]]\nname = \"a\"\nrepository = \"**\"\nkeys = [\"sha256:12\"]\n",
                "sigaudit.toml:4:9: key \"sha256:12\"",
            ),
        ];
        for (text, want) in cases {
            let got = p(text).unwrap_err().to_string();
            assert!(got.starts_with(want), "{text:?}: {got}");
        }
    }

    #[test]
    fn exemption_dates_are_dates() {
        let base = "[[rule]]\nname = \"a\"\nrepository = \"**\"\n[[exemption]]\nrepository = \"x\"\nreason = \"r\"\n";
        let ok = p(&format!("{base}expires = 2027-01-31\n")).unwrap();
        assert_eq!(
            ok.exemptions[0].expires,
            NaiveDate::from_ymd_opt(2027, 1, 31).unwrap()
        );
        let e = p(&format!("{base}expires = 2027-01-31T00:00:00Z\n")).unwrap_err();
        assert!(e.to_string().contains("must be a date"), "{e}");
        // The quoted form the schema describes is the same day.
        let quoted = p(&format!("{base}expires = \"2027-01-31\"\n")).unwrap();
        assert_eq!(quoted.exemptions, ok.exemptions);
        // Anything else quoted is refused with the form to write, at its place.
        for bad in [
            "\"2027-1-31\"",
            "\"2027-02-30\"",
            "\"31/01/2027\"",
            "\"next year\"",
            "\"2027-01-31T00:00:00Z\"",
            "\" 2027-01-31\"",
            "20270131",
            "2027-01-31T00:00:00",
        ] {
            let e = p(&format!("{base}expires = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("sigaudit.toml:7:11: expires must be a date"),
                "{bad}: {e}"
            );
            assert!(e.contains("expires = 2027-01-31"), "{bad}: {e}");
        }
    }

    #[test]
    fn resolve_order() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            resolve(false, None, None, dir.path()).unwrap().source,
            Source::None
        );
        std::fs::write(dir.path().join(DEFAULT_FILE), TEMPLATE).unwrap();
        let here = resolve(false, None, None, dir.path()).unwrap();
        assert_eq!(here.source, Source::CurrentDir);
        assert!(here.sha256.is_some());
        assert_eq!(
            resolve(true, None, None, dir.path()).unwrap().source,
            Source::NoConfig
        );
        let other = dir.path().join("other.toml");
        std::fs::write(&other, "bad = 1\n").unwrap();
        assert!(resolve(false, None, Some(&other), dir.path()).is_err());
        assert_eq!(
            resolve(
                false,
                Some(&dir.path().join(DEFAULT_FILE)),
                Some(&other),
                dir.path()
            )
            .unwrap()
            .source,
            Source::Flag
        );
    }
}
