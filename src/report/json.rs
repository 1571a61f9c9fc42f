//! `report.json`, schema version 2: the model, with every repeated thing said once.
//!
//! At registry scale most of a report's bytes were the same few strings written again for
//! every signature: the trusting key's PEM text (twice: `author` and zot's `SignatureInfo`),
//! its file and fingerprint, a notation chain's subjects, the check sentences. Version 2 writes
//! each distinct one once, in `shared`, and a signature refers to it by its position there:
//!
//! - `shared.identities`: who or what a signature is attributed to (`author`, `keyFile`,
//!   `keyFingerprint`, `signer`, `trustStore`); a signature's `identity`;
//! - `shared.checks`: a check and what it found (`name`, `result`, `detail`); a signature's
//!   `checks`, in order;
//! - `shared.details`: a signature's further facts; its `details`;
//! - `shared.signatureInfo`: zot's `SignatureInfo` list, exactly as zot's GraphQL API shows it
//!   for an image; an image's `signatureInfo`.
//!
//! Positions are given in the order of first use, walking images in report order and each
//! image's signatures then attestations: the same storage, trust material and `--as-of` give
//! the same file. Nothing is lost: replacing each position with the entry it names gives the
//! version-1 content (README: "Reading report.json").
//!
//! The images are serialised one by one on the worker threads (see [`super::render_all`]) and
//! placed between the other fields, which are serialised here in order.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::Report;
use sigaudit_model::changes::Changes;
use sigaudit_model::codes::ResultCode;
use sigaudit_model::digest::Digest;
use sigaudit_model::finding::Finding;
use sigaudit_model::material::MaterialRecord;
use sigaudit_model::report::{
    AppliedExemption, Check, Compliance, ComplianceSummary, ContainersPolicyReport, Expiry,
    ImageReport, ImageStatus, MergedReport, RepositorySummary, Settings, ShardReport,
    SignatureReport, Summary, Tool, UnreadableRepository, Violation, ZotSignatureInfo,
};
use sigaudit_model::text::Details;
use sigaudit_model::verdict::SigStatus;

/// Who or what a signature is attributed to: the fields of a version-1 signature that repeat
/// for every signature of one signer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Identity<'a> {
    /// Who signed, in zot's form: the trusting key's PEM text (cosign), the leaf
    /// certificate's subject as Go prints it (notation), or the signing key's primary
    /// fingerprint (gpg); null when untrusted.
    pub author: Option<&'a str>,
    /// The trusting key or certificate file, relative to the rootDir (gpg: the keyring file as
    /// given); null when untrusted.
    pub key_file: Option<&'a str>,
    /// `sha256:<hex>` of the trusting key's SubjectPublicKeyInfo (cosign) or of the anchoring
    /// certificate's DER (notation), or the OpenPGP primary key fingerprint (gpg); null when
    /// untrusted.
    pub key_fingerprint: Option<&'a str>,
    /// The signer the signature claims (notation: the leaf certificate subject; gpg: the
    /// primary fingerprint of the key that verified it), trusted or not; null for key-only
    /// formats.
    pub signer: Option<&'a str>,
    /// The notation trust store (`ca:default`) whose certificate anchored the signature; null
    /// otherwise.
    pub trust_store: Option<&'a str>,
}

impl<'a> Identity<'a> {
    fn of(s: &'a SignatureReport) -> Option<Self> {
        let id = Identity {
            author: s.author.as_deref(),
            key_file: s.key_file.as_deref(),
            key_fingerprint: s.key_fingerprint.as_deref(),
            signer: s.signer.as_deref(),
            trust_store: s.trust_store.as_deref(),
        };
        (id != Identity::default()).then_some(id)
    }
}

/// What the images and signatures refer to, each distinct entry once.
#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Shared<'a> {
    /// Signers and trusting keys; a signature's `identity` is a position in this list.
    pub identities: Vec<Identity<'a>>,
    /// Checks and what they found; a signature's `checks` are positions in this list.
    pub checks: Vec<&'a Check>,
    /// Further facts a format records (`dockerReference`, `tlogLogIndex`, `trustPolicy`,
    /// `signingScheme`, `certificateChain`, `timestamp`, ...); a signature's `details` is a
    /// position in this list.
    #[schemars(with = "Vec<std::collections::BTreeMap<String, String>>")]
    pub details: Vec<&'a Details>,
    /// zot's `SignatureInfo` of an image (its GraphQL `SignatureSummary {Tool, IsTrusted,
    /// Author}` list, in a deterministic order); an image's `signatureInfo` is a position in
    /// this list.
    pub signature_info: Vec<&'a [ZotSignatureInfo]>,
}

/// The positions one signature refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SigRefs {
    identity: Option<u32>,
    checks: Box<[u32]>,
    details: Option<u32>,
}

/// The positions one image (its signatures, then its attestations) refers to. Two equal
/// images with equal positions render the same: `watch` reuses an image's JSON only then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRefs {
    signature_info: u32,
    sigs: Box<[SigRefs]>,
}

/// A list being built: each distinct entry once, in the order of first use.
struct Interned<T> {
    items: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T: Copy + Eq + Hash> Interned<T> {
    fn new() -> Self {
        Interned {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn position(&mut self, item: T) -> u32 {
        match self.index.entry(item) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                // More than 2^32 distinct entries would not fit in memory first.
                let at = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
                self.items.push(item);
                *e.insert(at)
            }
        }
    }
}

/// The shared lists of a report and, per image, the positions it refers to.
pub struct Tables<'a> {
    pub shared: Shared<'a>,
    refs: Vec<ImageRefs>,
}

impl<'a> Tables<'a> {
    /// Walks the images in report order, giving each distinct entry its position.
    pub fn of(report: &'a Report) -> Self {
        let mut identities = Interned::new();
        let mut checks = Interned::new();
        let mut details = Interned::new();
        let mut infos = Interned::new();
        let refs = report
            .images
            .iter()
            .map(|img| ImageRefs {
                signature_info: infos.position(img.signature_info.as_slice()),
                sigs: img
                    .signatures
                    .iter()
                    .chain(&img.attestations)
                    .map(|s| SigRefs {
                        identity: Identity::of(s).map(|id| identities.position(id)),
                        checks: s.checks.iter().map(|c| checks.position(c)).collect(),
                        details: (!s.details.is_empty()).then(|| details.position(&s.details)),
                    })
                    .collect(),
            })
            .collect();
        Tables {
            shared: Shared {
                identities: identities.items,
                checks: checks.items,
                details: details.items,
                signature_info: infos.items,
            },
            refs,
        }
    }

    /// The positions the image at `i` of the report refers to.
    pub fn refs(&self, i: usize) -> Option<&ImageRefs> {
        self.refs.get(i)
    }

    /// Every image's positions, in report order (kept by `watch` for the next render).
    pub fn into_refs(self) -> Vec<ImageRefs> {
        self.refs
    }
}

/// A signature or attestation as written.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Signature<'a> {
    /// `cosign`, `notation` or `gpg`.
    tool: &'static str,
    /// `simplesigning`, `sigstore-bundle`, `notation-jws`, `notation-cose`,
    /// `cosign-attestation`, `gpg-simplesigning`, or `sigstore-json` (a cosign blob found in
    /// the GPG lookaside store).
    format: &'static str,
    /// How the signature is attached: `tag` (cosign `.sig`/`.att` tag), `referrer` (OCI
    /// subject), `lookaside` (a `signature-N` file of the GPG lookaside store, outside the
    /// rootDir).
    attachment: &'static str,
    /// Digest of the signature blob (payload, bundle or envelope).
    signature_digest: Option<&'a Digest>,
    /// Digest of the manifest carrying the signature.
    manifest_digest: &'a Digest,
    /// The cosign tag (`sha256-<hex>.sig`); null for referrers.
    tag: Option<&'a str>,
    /// Position of the signature layer within its manifest.
    layer: usize,
    trusted: bool,
    status: SigStatus,
    code: ResultCode,
    /// Position in `shared.identities` of who the signature is attributed to; null when it
    /// names no one (an untrusted signature of a key-only format).
    identity: Option<u32>,
    /// Why the signature is not trusted, or what a trusted one was accepted despite (a
    /// notation trust policy level that only logs a failed check); null when there is
    /// nothing to say, as for a trusted signature whose every check passed.
    reason: Option<&'a str>,
    #[serde(serialize_with = "sigaudit_model::report::rfc3339_opt")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    signed_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "sigaudit_model::report::rfc3339_opt")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    expires_at: Option<DateTime<Utc>>,
    /// The earliest notAfter of the certificate chain the signature's trust rests on
    /// (notation: the envelope's chain, leaf to root); null for key-based (cosign) signatures
    /// and when the envelope could not be parsed.
    #[serde(serialize_with = "sigaudit_model::report::rfc3339_opt")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    cert_expires_at: Option<DateTime<Utc>>,
    /// For attestations: the in-toto predicate type; null for signatures.
    predicate_type: Option<&'a str>,
    /// The checks performed, in order: positions in `shared.checks`.
    checks: &'a [u32],
    /// Position in `shared.details` of the further facts the format records; null when none.
    details: Option<u32>,
}

impl<'a> Signature<'a> {
    fn of(s: &'a SignatureReport, refs: &'a SigRefs) -> Self {
        Signature {
            tool: s.tool,
            format: s.format,
            attachment: s.attachment,
            signature_digest: s.signature_digest.as_ref(),
            manifest_digest: &s.manifest_digest,
            tag: s.tag.as_deref(),
            layer: s.layer,
            trusted: s.trusted,
            status: s.status,
            code: s.code,
            identity: refs.identity,
            // Not `!trusted`: a `verified-with-warnings` signature is trusted and says why.
            reason: (!s.reason.is_empty()).then_some(&*s.reason),
            signed_at: s.signed_at,
            expires_at: s.expires_at,
            cert_expires_at: s.cert_expires_at,
            predicate_type: s.predicate_type.as_deref(),
            checks: &refs.checks,
            details: refs.details,
        }
    }
}

/// An image as written.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    description = "One image: a manifest or index of a repository, identified by (repository, digest, parent)."
)]
struct Image<'a> {
    repository: &'a str,
    digest: &'a Digest,
    media_type: &'a str,
    size: u64,
    tags: &'a [String],
    /// `os/architecture[/variant]` of an index child; null otherwise.
    platform: Option<&'a str>,
    /// Digest of the index this manifest belongs to; null otherwise.
    parent: Option<&'a Digest>,
    status: ImageStatus,
    /// Why the image could not be read; null unless `status` is `error`.
    error: Option<&'a str>,
    /// The signatures attached to the image, in a deterministic order.
    signatures: Vec<Signature<'a>>,
    /// Attestations attached to the image: listed, never counted as signatures.
    attestations: Vec<Signature<'a>>,
    /// What zot's GraphQL API shows for this image: a position in `shared.signatureInfo`.
    signature_info: u32,
    /// The verdict of the compliance rules that match this image.
    compliance: Compliance,
    /// Every rule this image fails, exempted or not.
    violations: &'a [Violation],
    /// The active exemptions that cover some of `violations`.
    exemptions: &'a [AppliedExemption],
    /// The containers-policy.json verdict (`--policy`); null without `--policy`.
    containers_policy: Option<&'a ContainersPolicyReport>,
}

/// One image's JSON text; `refs` are its positions in the report's [`Tables`].
pub fn image(img: &ImageReport, refs: &ImageRefs) -> io::Result<Vec<u8>> {
    let sigs = img.signatures.len();
    if refs.sigs.len() != sigs + img.attestations.len() {
        return Err(io::Error::other(
            "report.json: an image's positions do not match its signatures (a bug)",
        ));
    }
    let (sig_refs, att_refs) = refs.sigs.split_at(sigs);
    let wire = Image {
        repository: &img.repository,
        digest: &img.digest,
        media_type: &img.media_type,
        size: img.size,
        tags: &img.tags,
        platform: img.platform.as_deref(),
        parent: img.parent.as_ref(),
        status: img.status,
        error: img.error.as_deref(),
        signatures: img
            .signatures
            .iter()
            .zip(sig_refs)
            .map(|(s, r)| Signature::of(s, r))
            .collect(),
        attestations: img
            .attestations
            .iter()
            .zip(att_refs)
            .map(|(s, r)| Signature::of(s, r))
            .collect(),
        signature_info: refs.signature_info,
        compliance: img.compliance,
        violations: &img.violations,
        exemptions: &img.exemptions,
        containers_policy: img.containers_policy.as_ref(),
    };
    Ok(serde_json::to_vec(&wire)?)
}

/// Every field of `report.json` before `images`, in order.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    /// Version of this JSON schema; bumped on any incompatible change.
    schema_version: u32,
    tool: &'a Tool,
    /// Wall-clock time the report was produced.
    #[serde(serialize_with = "sigaudit_model::report::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    generated_at: DateTime<Utc>,
    /// The instant every time-dependent decision was taken at (`--as-of`, default: now).
    #[serde(serialize_with = "sigaudit_model::report::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    as_of: DateTime<Utc>,
    /// The audited rootDir, as given on the command line.
    root_dir: &'a str,
    /// The audited rootDir as an absolute path with every symbolic link resolved (as given,
    /// made absolute, if it cannot be resolved).
    root_dir_absolute: &'a str,
    /// The name of the host that made the report (uname(2)'s node name; empty where the
    /// system does not give one).
    host: &'a str,
    /// `--zot-config`: the zot config file that named the stores audited, with the SHA-256 of
    /// its bytes and its `extensions.trust` flags; null when a rootDir was given instead.
    zot_config: &'a Option<sigaudit_model::report::ZotConfigRecord>,
    /// Every store audited (the rootDir alone, or zot's default store and each substore), with
    /// how many repositories it served.
    stores: &'a [sigaudit_model::report::StoreRecord],
    settings: &'a Settings,
    /// Which shard of the registry this report covers (`scan --shard I/N`); null when the
    /// audit covered every repository.
    shard: Option<&'a ShardReport>,
    /// The shard reports `sigaudit merge` joined into this one; null in a scan's report.
    merged: Option<&'a MergedReport>,
    /// SHA-256 over every trust-material file's path and content hash: two reports with the
    /// same value were checked against the same trust material.
    trust_fingerprint: &'a str,
    trust_material: &'a [MaterialRecord],
    summary: &'a Summary,
    repositories: &'a [RepositorySummary],
    /// Where repositories could not be read, so their images are unknown: a folder of the
    /// walk that could not be listed, or a repository whose `index.json` could not be read or
    /// parsed; by path.
    unreadable_repositories: &'a [UnreadableRepository],
    /// The compliance rules applied to every image and their outcome.
    compliance: &'a ComplianceSummary,
    /// Every trust-store certificate, signature and signature certificate that expires within
    /// 90 days after `asOf`, soonest first.
    expiring: &'a [Expiry],
    shared: &'a Shared<'a>,
}

/// The whole document, for its schema: [`render`] writes exactly these fields, in this order.
#[derive(JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // Only its schema is used; the document is written in parts.
pub(super) struct Document<'a> {
    #[serde(flatten)]
    head: Head<'a>,
    /// Every image of every repository, with its signatures and verdict.
    images: Vec<Image<'a>>,
    findings: Vec<Finding>,
    /// What changed since the `--baseline` report; null without `--baseline`.
    changes: Option<Changes>,
}

/// Writes the report, taking each image's text, in order, from `images`.
pub fn render(
    report: &Report,
    shared: &Shared<'_>,
    images: &mut dyn Iterator<Item = io::Result<super::Part>>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let head = Head {
        schema_version: report.schema_version,
        tool: &report.tool,
        generated_at: report.generated_at,
        as_of: report.as_of,
        root_dir: &report.root_dir,
        root_dir_absolute: &report.root_dir_absolute,
        host: &report.host,
        zot_config: &report.zot_config,
        stores: &report.stores,
        settings: &report.settings,
        shard: report.shard.as_ref(),
        merged: report.merged.as_ref(),
        trust_fingerprint: &report.trust_fingerprint,
        trust_material: &report.trust_material,
        summary: &report.summary,
        repositories: &report.repositories,
        unreadable_repositories: &report.unreadable_repositories,
        compliance: &report.compliance,
        expiring: &report.expiring,
        shared,
    };
    // Streamed, but for its closing brace (the images follow): the shared lists of a large
    // registry are tens of megabytes, not worth holding.
    let mut open = WithoutLastByte {
        inner: &mut *w,
        held: None,
    };
    serde_json::to_writer(&mut open, &head)?;
    if open.held != Some(b'}') {
        return Err(io::Error::other("report.json's head is not an object"));
    }
    w.write_all(b",\"images\":[")?;
    for (i, part) in images.enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(&part?)?;
    }
    w.write_all(b"],\"findings\":")?;
    serde_json::to_writer(&mut *w, &report.findings)?;
    w.write_all(b",\"changes\":")?;
    serde_json::to_writer(&mut *w, &report.changes)?;
    w.write_all(b"}\n")
}

/// A writer that passes on everything but the last byte written, which it holds.
struct WithoutLastByte<'w> {
    inner: &'w mut dyn Write,
    held: Option<u8>,
}

impl Write for WithoutLastByte<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some((&last, rest)) = buf.split_last() else {
            return Ok(0);
        };
        if let Some(h) = self.held.take() {
            self.inner.write_all(&[h])?;
        }
        self.inner.write_all(rest)?;
        self.held = Some(last);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The whole of `report.json` in memory: the bytes [`super::render_to`] streams for
/// [`super::Format::Json`] (the merge reader's and the tests' form).
pub fn to_vec(report: &Report) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    super::render_to(
        report,
        super::Format::Json,
        &super::html::HtmlOptions::default(),
        &mut out,
    )?;
    Ok(out)
}
