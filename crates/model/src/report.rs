//! The report model: the hub every rendering is made from.
//!
//! Field names are the JSON names. A field documented as "null when ..." is always present.
//! `report.json` writes the images' repeated parts once and refers to them (schema version 2,
//! see sigaudit's `report/json.rs`); the other renderings read the model as it is here.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use crate::changes::Changes;
use crate::codes::ResultCode;
use crate::digest::Digest;
use crate::finding::Finding;
use crate::format::Format;
use crate::material::MaterialRecord;
use crate::text::{Details, Text};
use crate::verdict::{CheckResult, SigStatus};

/// Version of this JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

/// An instant as every report writes it: RFC 3339, whole seconds, `Z`.
pub fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// [`rfc3339`], or null.
pub fn rfc3339_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// Written by sigaudit's JSON renderer (whose types give `report.json`'s schema), not
/// serialised as is.
#[derive(Debug)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// Wall-clock time the report was produced.
    pub generated_at: DateTime<Utc>,
    /// The instant every time-dependent decision was taken at (`--as-of`, default: now).
    pub as_of: DateTime<Utc>,
    /// The audited rootDir, as given on the command line.
    pub root_dir: String,
    /// The audited rootDir as an absolute path with every symbolic link resolved (as given,
    /// made absolute, if it cannot be resolved): `rootDir` alone does not say which folder a
    /// relative path or a link meant when the report was made.
    pub root_dir_absolute: String,
    /// The name of the host that made the report (uname(2)'s node name; empty where the
    /// system does not give one): with `rootDirAbsolute`, which machine's storage was audited.
    pub host: String,
    /// `--zot-config`: the zot config file that named the stores audited, with the SHA-256 of
    /// its bytes and its `extensions.trust` flags; null when a rootDir was given instead.
    pub zot_config: Option<ZotConfigRecord>,
    /// Every store audited (the rootDir alone, or zot's default store and each substore), with
    /// how many repositories it served: which storage the verdicts are about.
    pub stores: Vec<StoreRecord>,
    pub settings: Settings,
    /// Which shard of the registry this report covers (`scan --shard I/N`); null when the
    /// audit covered every repository.
    pub shard: Option<ShardReport>,
    /// The shard reports `sigaudit merge` joined into this one; null in a scan's report.
    pub merged: Option<MergedReport>,
    /// SHA-256 over every trust-material file's path and content hash: two reports with the same
    /// value were checked against the same trust material.
    pub trust_fingerprint: String,
    pub trust_material: Vec<MaterialRecord>,
    pub summary: Summary,
    pub repositories: Vec<RepositorySummary>,
    /// Where repositories could not be read, so their images are unknown: a folder of the
    /// walk that could not be listed, or a repository whose `index.json` could not be read or
    /// parsed; by path.
    pub unreadable_repositories: Vec<UnreadableRepository>,
    /// The compliance rules applied to every image (see sigaudit's compliance stage) and their
    /// outcome.
    pub compliance: ComplianceSummary,
    /// Every trust-store certificate, signature and signature certificate that expires within
    /// [`EXPIRY_WINDOW_DAYS`] days after `asOf`, soonest first.
    pub expiring: Vec<Expiry>,
    /// `report.json` renders these itself, in parallel (see sigaudit's JSON renderer).
    pub images: Vec<ImageReport>,
    pub findings: Vec<Finding>,
    /// What changed since the `--baseline` report; null without `--baseline`.
    pub changes: Option<Changes>,
    /// Wall-clock time the audit took (`scan`: from reading the rootDir to the verdicts; a
    /// `watch` cycle: its verification and aggregation); `None` when not measured. Not written
    /// to report.json, which stays the same for the same storage, trust material and `--as-of`
    /// apart from `generatedAt`; report.prom exposes it for dashboards.
    pub duration: Option<std::time::Duration>,
}

impl Report {
    /// Adds findings made after aggregation (by the compliance stage, or about what could not
    /// be read), keeping `findings` in the audit's order (path, code, message) without
    /// duplicates and `summary.findings` equal to their number.
    pub fn add_findings(&mut self, new: impl IntoIterator<Item = Finding>) {
        self.findings.extend(new);
        self.findings
            .sort_by(|a, b| (&a.path, a.code, &a.message).cmp(&(&b.path, b.code, &b.message)));
        self.findings.dedup();
        self.summary.findings = self.findings.len();
    }
}

/// `extensions.trust` (zot's `ImageTrustConfig`); all false when absent.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct TrustFlags {
    pub enable: bool,
    pub cosign: bool,
    pub notation: bool,
}

/// The zot config an audit followed, as evidence (read back by `merge`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ZotConfigRecord {
    /// The file, as given to `--zot-config`.
    pub path: String,
    /// `sha256:<hex>` of its bytes.
    pub sha256: String,
    /// Its `extensions.trust`: whether zot itself verifies signatures, and of which tools.
    pub trust: TrustFlags,
}

/// One store audited (read back by `merge`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreRecord {
    /// The routes it serves (`/a`: repositories named `a/...`); empty for the default store,
    /// which serves every other name.
    pub routes: Vec<String>,
    /// Its driver and where its content is (`default store: local folder /var/lib/zot`).
    pub description: String,
    /// How many repositories it served.
    pub repositories: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// The settings that shaped the verdicts.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub formats: Vec<Format>,
    pub fail_on: String,
    /// `--registry`: the host[:port] that forms `<registry>/<repository>` for notation's
    /// `registryScopes`; null when not given (then only `*` statements apply).
    pub registry: Option<String>,
    /// `--require-revocation`: unknown revocation status fails a notation signature.
    pub require_revocation: bool,
    /// CRL folders read besides `_notation/crl` (`--crl-dir`).
    pub crl_dirs: Vec<String>,
    /// Signature checks performed: which formats are verified and which are only listed.
    pub verified_formats: Vec<&'static str>,
    pub listed_formats: Vec<&'static str>,
    /// Where GPG lookaside signatures were read from: `--lookaside DIR`, or `registries.d DIR`
    /// (`--registries-d`); null when neither was given.
    pub gpg_lookaside: Option<String>,
    /// The `sigaudit.toml` whose rules were applied; null when the built-in default rule was.
    pub config: Option<String>,
    /// The containers-policy.json(5) every image was evaluated against (`--policy`); null
    /// without `--policy`.
    pub containers_policy: Option<PolicyFile>,
    /// `--allow-empty`: a rootDir holding no repository is expected (`scan` exits 0 rather
    /// than 3 when nothing else fails, and `report.junit.xml` has no failing test case for it).
    pub allow_empty: bool,
}

/// The shard a report covers: its repositories are those zot's cluster rule assigns to
/// member `index` of `count` (see [`crate::shard`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShardReport {
    /// From 0, like zot's member index and Kubernetes' `JOB_COMPLETION_INDEX`.
    pub index: u64,
    pub count: u64,
    /// The assignment rule: SipHash-2-4 of the repository name keyed with the hashKey, modulo
    /// `count` (zot's `pkg/cluster`).
    pub rule: &'static str,
    /// Where the key came from: `default` (sigaudit's documented key, matching no zot
    /// cluster) or `--shard-key` (the cluster's hashKey). The key itself is never written.
    pub key: &'static str,
    /// `sha256:<hex>` of the key's 16 bytes: shards that agree on it split the registry alike.
    #[serde(serialize_with = "crate::digest::serialize_sha256")]
    #[schemars(with = "String", extend("pattern" = "^sha256:[0-9a-f]{64}$"))]
    pub key_sha256: String,
    /// Repositories in the whole rootDir, every shard's: an empty shard of a registry that
    /// has repositories is not an empty registry.
    pub registry_repositories: usize,
}

/// The shard reports a merged report was made from (`sigaudit merge`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MergedReport {
    /// How many shards the registry was split into; every one is among `shards`.
    pub count: u64,
    /// The assignment rule the shards used (their `shard.rule`).
    pub rule: String,
    /// `default` or `--shard-key`, as the shards say.
    pub key: String,
    /// `sha256:<hex>` of the shards' key.
    #[serde(serialize_with = "crate::digest::serialize_sha256")]
    #[schemars(with = "String", extend("pattern" = "^sha256:[0-9a-f]{64}$"))]
    pub key_sha256: String,
    /// Each shard report read, by index.
    pub shards: Vec<MergedShard>,
}

/// One shard report `merge` read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MergedShard {
    pub index: u64,
    /// As given on the command line.
    pub file: String,
    /// `sha256:<hex>` of the file's bytes.
    #[serde(serialize_with = "crate::digest::serialize_sha256")]
    #[schemars(with = "String", extend("pattern" = "^sha256:[0-9a-f]{64}$"))]
    pub sha256: String,
    /// The shard's own `host` and `generatedAt`: which worker audited it, and when.
    pub host: String,
    pub generated_at: String,
}

/// A policy file read, as evidence: its path and the SHA-256 of its bytes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyFile {
    /// As given on the command line.
    pub path: String,
    /// `sha256:<hex>` of the file's bytes.
    #[serde(serialize_with = "crate::digest::serialize_sha256")]
    #[schemars(with = "String", extend("pattern" = "^sha256:[0-9a-f]{64}$"))]
    pub sha256: String,
    /// Key files it names that could not be read or used (each rejects the images its
    /// requirement applies to).
    pub key_problems: Vec<String>,
}

/// Whether podman or skopeo with the `--policy` would pull the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PolicyVerdict {
    Accept,
    Reject,
}

impl PolicyVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVerdict::Accept => "accept",
            PolicyVerdict::Reject => "reject",
        }
    }
}

/// The containers-policy.json verdict of an image: every `docker://` reference it can be
/// pulled as (one per tag, or by digest when untagged) was evaluated; the image is accepted
/// only when every one of them is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainersPolicyReport {
    pub verdict: PolicyVerdict,
    /// The scope whose requirements applied (a `transports.docker` key, `docker:""` for the
    /// transport default, or `default`): that of the first rejected reference, else of the
    /// first reference.
    pub scope: String,
    /// Why it is rejected, one line per failing requirement (prefixed with the reference when
    /// the image has several); empty when accepted.
    pub reasons: Vec<String>,
    /// Each reference evaluated.
    pub references: Vec<PolicyReferenceOutcome>,
}

/// The verdict for one `docker://` reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyReferenceOutcome {
    /// The normalised reference, e.g. `registry.example.com/team/app:1.0`.
    pub reference: String,
    pub verdict: PolicyVerdict,
    pub scope: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub repositories: usize,
    pub images: usize,
    /// Images with at least one signature, trusted or not (zot's `IsSigned`).
    pub signed_images: usize,
    pub trusted_images: usize,
    pub untrusted_images: usize,
    pub unsigned_images: usize,
    pub error_images: usize,
    pub signatures: usize,
    pub trusted_signatures: usize,
    pub attestations: usize,
    pub findings: usize,
    /// Images the containers policy accepts (0 without `--policy`).
    pub containers_policy_accept: usize,
    /// Images the containers policy rejects (0 without `--policy`).
    pub containers_policy_reject: usize,
    /// Places whose repositories could not be read (listed in `unreadableRepositories`): each
    /// repository whose `index.json` could not be read or parsed, and each folder that could
    /// not be listed, counted once although it may hide any number of repositories. Any of
    /// them fails `--fail-on` (except `never`): its images are unknown.
    pub unreadable_repositories: usize,
}

/// Why a place of the rootDir could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UnreadableKind {
    /// A folder of the repository walk that could not be listed: it may hide any number of
    /// repositories.
    Folder,
    /// A repository whose `index.json` could not be read or parsed: its images are unknown.
    Repository,
}

/// A place of the rootDir whose repositories could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UnreadableRepository {
    /// Relative to the rootDir: the folder, or the repository.
    pub path: String,
    pub kind: UnreadableKind,
    /// Why, as the finding at that place says.
    pub reason: String,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositorySummary {
    pub name: String,
    pub images: usize,
    pub trusted: usize,
    pub untrusted: usize,
    pub unsigned: usize,
    pub error: usize,
    /// Images whose compliance is `pass`.
    pub compliant: usize,
    /// Images whose compliance is `fail`.
    pub failing: usize,
    /// Images whose compliance is `exempt`.
    pub exempt: usize,
}

/// An image's overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImageStatus {
    /// At least one signature is trusted.
    Trusted,
    /// Signed, but no signature is trusted.
    Untrusted,
    /// No signature at all.
    Unsigned,
    /// The image itself could not be read.
    Error,
}

impl ImageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Trusted => "trusted",
            ImageStatus::Untrusted => "untrusted",
            ImageStatus::Unsigned => "unsigned",
            ImageStatus::Error => "error",
        }
    }
}

/// One image: a manifest or index of a repository, identified by (repository, digest, parent).
///
/// Equality is what lets a `watch` reuse an image's rendered rows: an image equal to one
/// already rendered renders the same. Serialised as is for the HTML templates only.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReport {
    pub repository: Text,
    pub digest: Digest,
    pub media_type: Text,
    pub size: u64,
    pub tags: Vec<String>,
    /// `os/architecture[/variant]` of an index child; null otherwise.
    pub platform: Option<String>,
    /// Digest of the index this manifest belongs to; null otherwise.
    pub parent: Option<Digest>,
    pub status: ImageStatus,
    /// Why the image could not be read; null unless `status` is `error`.
    pub error: Option<String>,
    /// The signatures attached to the image, in a deterministic order. Shared with the
    /// audit's verdict memo: an unchanged verdict is not copied.
    pub signatures: Vec<Arc<SignatureReport>>,
    /// Attestations attached to the image: listed, never counted as signatures.
    pub attestations: Vec<Arc<SignatureReport>>,
    /// What zot's GraphQL API shows for this image, in a deterministic order.
    #[serde(rename = "SignatureInfo")]
    pub signature_info: Vec<ZotSignatureInfo>,
    /// The verdict of the compliance rules that match this image.
    pub compliance: Compliance,
    /// Every rule this image fails, exempted or not.
    pub violations: Vec<Violation>,
    /// The active exemptions that cover some of `violations`.
    pub exemptions: Vec<AppliedExemption>,
    /// The containers-policy.json verdict (`--policy`); null without `--policy`.
    pub containers_policy: Option<ContainersPolicyReport>,
}

impl ImageReport {
    /// How logs name the image: `repository:tag` (its first tag), or `repository@digest` when
    /// it has none (an index child, an untagged manifest). Names and tags come from the
    /// storage, which an attacker may write: see [`crate::visible::word`].
    pub fn reference(&self) -> String {
        use crate::visible::word;
        match self.tags.first() {
            Some(tag) => format!("{}:{}", word(&self.repository), word(tag)),
            None => format!("{}@{}", word(&self.repository), self.digest),
        }
    }
}

/// One signature or attestation (`report.json` writes it as sigaudit's JSON renderer says; the HTML
/// templates read it as serialised here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureReport {
    /// `cosign`, `notation` or `gpg`.
    pub tool: &'static str,
    /// `simplesigning`, `sigstore-bundle`, `notation-jws`, `notation-cose`, `cosign-attestation`,
    /// `gpg-simplesigning`, or `sigstore-json` (a cosign blob found in the GPG lookaside store).
    pub format: &'static str,
    /// How the signature is attached: `tag` (cosign `.sig`/`.att` tag), `referrer` (OCI subject),
    /// `lookaside` (a `signature-N` file of the GPG lookaside store, outside the rootDir).
    pub attachment: &'static str,
    /// Digest of the signature blob (payload, bundle or envelope).
    pub signature_digest: Option<Digest>,
    /// Digest of the manifest carrying the signature.
    pub manifest_digest: Digest,
    /// The cosign tag (`sha256-<hex>.sig`); null for referrers.
    pub tag: Option<String>,
    /// Position of the signature layer within its manifest.
    pub layer: usize,
    pub trusted: bool,
    pub status: SigStatus,
    pub code: ResultCode,
    /// Who signed, in zot's form: the trusting key's PEM text (cosign), the leaf
    /// certificate's subject as Go prints it (notation), or the signing key's primary
    /// fingerprint (gpg); null when untrusted.
    pub author: Option<Text>,
    /// The trusting key or certificate file, relative to the rootDir (gpg: the keyring file as
    /// given); null when untrusted.
    pub key_file: Option<Text>,
    /// `sha256:<hex>` of the trusting key's SubjectPublicKeyInfo (cosign) or of the anchoring
    /// certificate's DER (notation), or the OpenPGP primary key fingerprint (gpg); null when
    /// untrusted.
    pub key_fingerprint: Option<Text>,
    /// The signer the signature claims (notation: the leaf certificate subject; gpg: the
    /// primary fingerprint of the key that verified it), trusted or not; null for key-only
    /// formats.
    pub signer: Option<Text>,
    /// The notation trust store (`ca:default`) whose certificate anchored the signature; null
    /// otherwise.
    pub trust_store: Option<Text>,
    /// Why the signature is not trusted, or the failed checks a trusted one was accepted
    /// despite (`verified-with-warnings`); empty otherwise (`report.json`: null).
    pub reason: Text,
    #[serde(serialize_with = "rfc3339_opt")]
    pub signed_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The earliest notAfter of the certificate chain the signature's trust rests on (notation:
    /// the envelope's chain, leaf to root); null for key-based (cosign) signatures and when the
    /// envelope could not be parsed.
    #[serde(serialize_with = "rfc3339_opt")]
    pub cert_expires_at: Option<DateTime<Utc>>,
    /// For attestations: the in-toto predicate type; null for signatures.
    pub predicate_type: Option<Text>,
    pub checks: Vec<Check>,
    /// Further facts the format records (`dockerReference`, `tlogLogIndex`, `trustPolicy`,
    /// `signingScheme`, `certificateChain`, `timestamp`, ...).
    pub details: Details,
}

impl SignatureReport {
    /// The author as one line, for the formats read line by line (`report.csv`): a cosign
    /// key's `keyFingerprint` (`sha256:<hex>` of its SubjectPublicKeyInfo) instead of its
    /// multi-line PEM text, else `author` itself (a certificate subject, a keyless identity,
    /// a GPG primary fingerprint); null when untrusted. A trusted cosign signature has a
    /// `keyFingerprint` exactly when a key, not a keyless certificate, made it trusted.
    pub fn author_id(&self) -> Option<&str> {
        match (&self.author, &self.key_fingerprint) {
            (Some(_), Some(fp)) if self.tool == "cosign" => Some(fp),
            (author, _) => author.as_deref(),
        }
    }
}

/// zot's `SignatureSummary {Tool, IsTrusted, Author}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[allow(non_snake_case)]
pub struct ZotSignatureInfo {
    pub Tool: &'static str,
    pub IsTrusted: bool,
    pub Author: Text,
}

// The report's copy of `crate::verify::Check`: its detail is shared with every signature whose
// check found the same.
/// One named check and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub struct Check {
    pub name: &'static str,
    pub result: CheckResult,
    pub detail: Text,
}

/// An image's verdict under the compliance rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Compliance {
    /// Every rule that matches the image is met (or no rule matches it).
    #[default]
    Pass,
    /// At least one rule is failed and no active exemption covers it.
    Fail,
    /// Every failed rule is covered by an active exemption.
    Exempt,
}

impl Compliance {
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Pass => "pass",
            Compliance::Fail => "fail",
            Compliance::Exempt => "exempt",
        }
    }
}

/// A rule an image fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Violation {
    /// The rule's name.
    pub rule: String,
    /// Why, e.g. "1 trusted signature, 2 required".
    pub detail: String,
}

/// An active exemption that covers one of an image's violations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AppliedExemption {
    /// The rule whose violation it covers.
    pub rule: String,
    pub reason: String,
    /// The last day (UTC) the exemption applies, `YYYY-MM-DD`.
    pub expires: String,
}

/// What the compliance stage applied and found.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceSummary {
    /// The config file read, as given or found; null when none was (built-in default rule).
    pub config: Option<String>,
    /// How the config was chosen: `--config`, `SIGAUDIT_CONFIG`, `./sigaudit.toml`,
    /// `--no-config` or `none` (no file found).
    pub config_source: String,
    /// `sha256:<hex>` of the config file's bytes; null when no file was read.
    #[serde(serialize_with = "crate::digest::serialize_sha256_opt")]
    #[schemars(with = "Option<String>", extend("pattern" = "^sha256:[0-9a-f]{64}$"))]
    pub config_sha256: Option<String>,
    /// True when no config was read and the built-in rule (`**`: one trusted signature) applied.
    pub default_rule: bool,
    pub rules: Vec<RuleSummary>,
    pub exemptions: Vec<ExemptionSummary>,
    /// Images by verdict.
    pub pass: usize,
    pub fail: usize,
    pub exempt: usize,
    /// Images no rule matches (counted in `pass`, or in `fail` with `requireMatchingRule`).
    pub unmatched: usize,
    /// `require-matching-rule` of the config: an image no rule matches fails (violation
    /// `no-matching-rule`) instead of passing.
    pub require_matching_rule: bool,
    /// Rules that matched no image, each also a `rule-unmatched` warning finding (0 when the
    /// registry has no image at all: then every rule matches nothing).
    pub unmatched_rules: usize,
}

/// One rule as configured, and how the images it matches fared.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleSummary {
    pub name: String,
    pub repository: String,
    /// Tag pattern; null when the rule matches every image of the repositories.
    pub tag: Option<String>,
    pub min_signatures: u32,
    /// Only signatures by these tools count; empty: any.
    pub tools: Vec<String>,
    /// Only signatures by these identities count; empty: any.
    pub identities: Vec<String>,
    /// Only signatures by these keys count; empty: any.
    pub keys: Vec<String>,
    /// A counted signature or its certificate expiring within this many days fails the rule;
    /// null when not checked.
    pub min_validity_days: Option<u32>,
    pub images: usize,
    pub pass: usize,
    pub fail: usize,
    pub exempt: usize,
}

/// One exemption as configured.
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExemptionSummary {
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// The rule it exempts from; null: every rule.
    pub rule: Option<String>,
    pub reason: String,
    pub expires: String,
    /// False once `expires` is before `asOf`'s date: an expired exemption exempts nothing.
    pub active: bool,
    /// Violations it covered (0 when expired).
    pub covered: usize,
    /// Violations it would cover if it were still active (0 when active).
    pub would_cover: usize,
}

/// How far ahead [`Report::expiring`] looks.
pub const EXPIRY_WINDOW_DAYS: i64 = 90;

/// The `kind` of a trust-store certificate's entry in [`Report::expiring`].
pub const TRUST_CERTIFICATE: &str = "trust-certificate";

/// Something that expires soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Expiry {
    /// `trust-certificate` (a trust-store certificate), `signature` (a signature's own expiry),
    /// `signature-certificate` (the earliest-expiring certificate of a signature's chain).
    pub kind: &'static str,
    /// The certificate's subject, or the signature's digest.
    pub what: String,
    /// The file (relative to the rootDir), or `repository@digest` of the signed image.
    #[serde(rename = "where")]
    pub location: String,
    #[serde(serialize_with = "rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub expires_at: DateTime<Utc>,
    /// Whole days from `asOf` to `expiresAt`.
    pub days_left: i64,
}
