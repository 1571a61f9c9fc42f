//! The `changes` section of a report made with `--baseline`: what differs from an earlier
//! report of the same registry (the history stage computes it; sigaudit renders it as
//! `changes.csv` too).
//!
//! An image is identified, as everywhere in the reports, by (repository, digest, parent
//! digest): a tag moved to another digest is an image gone and an image added.

use schemars::JsonSchema;
use serde::Serialize;

use crate::digest::Digest;

/// What changed since the baseline report.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    /// The report this one is compared with.
    pub baseline: BaselineInfo,
    /// The trust fingerprints differ: the two audits used different trust material.
    pub trust_material_changed: bool,
    /// Number of entries of each kind, for every kind (zero included).
    pub counts: ChangeCounts,
    /// Trust-material changes first (by path), then image changes (by repository, digest,
    /// parent, kind).
    pub entries: Vec<Change>,
}

/// The baseline report, as it was read: enough to find it again and tell it from another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BaselineInfo {
    /// The `--baseline` path, as given on the command line.
    pub path: String,
    /// `sha256:<hex>` of the baseline file's bytes.
    #[serde(serialize_with = "crate::digest::serialize_sha256")]
    #[schemars(with = "String", extend("pattern" = "^sha256:[0-9a-f]{64}$"))]
    pub sha256: String,
    pub schema_version: u32,
    /// The baseline's `generatedAt`, as written there.
    pub generated_at: String,
    /// The baseline's `asOf`, as written there.
    pub as_of: String,
    pub trust_fingerprint: String,
}

/// What kind of change an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// Was trusted; now untrusted, unsigned or unreadable.
    NewlyUntrusted,
    /// Was not trusted; now trusted.
    NewlyTrusted,
    /// Neither before nor after trusted, but its status changed (e.g. unsigned to untrusted).
    StatusChanged,
    /// Its compliance is now `compliant` and was not.
    NewlyCompliant,
    /// Its compliance was `compliant` and is not any more.
    NewlyNonCompliant,
    /// Its compliance changed between two values neither of which is `compliant`.
    ComplianceChanged,
    /// An image the baseline does not have, with no signature.
    NewUnsigned,
    /// An image the baseline does not have, signed or unreadable (its status is `after`).
    NewImage,
    /// An image of the baseline that is not in the registry any more.
    ImageGone,
    /// A trust-material file whose path the baseline does not list.
    TrustMaterialAdded,
    /// A trust-material file of the baseline whose path is not there any more.
    TrustMaterialRemoved,
    /// A trust-material file at the same path with other content (another SHA-256).
    TrustMaterialChanged,
}

impl ChangeKind {
    /// Every kind, in the order they are documented.
    pub const ALL: &'static [ChangeKind] = &[
        ChangeKind::NewlyUntrusted,
        ChangeKind::NewlyTrusted,
        ChangeKind::StatusChanged,
        ChangeKind::NewlyCompliant,
        ChangeKind::NewlyNonCompliant,
        ChangeKind::ComplianceChanged,
        ChangeKind::NewUnsigned,
        ChangeKind::NewImage,
        ChangeKind::ImageGone,
        ChangeKind::TrustMaterialAdded,
        ChangeKind::TrustMaterialRemoved,
        ChangeKind::TrustMaterialChanged,
    ];

    /// The string form used in `report.json` and `changes.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NewlyUntrusted => "newly-untrusted",
            ChangeKind::NewlyTrusted => "newly-trusted",
            ChangeKind::StatusChanged => "status-changed",
            ChangeKind::NewlyCompliant => "newly-compliant",
            ChangeKind::NewlyNonCompliant => "newly-non-compliant",
            ChangeKind::ComplianceChanged => "compliance-changed",
            ChangeKind::NewUnsigned => "new-unsigned",
            ChangeKind::NewImage => "new-image",
            ChangeKind::ImageGone => "image-gone",
            ChangeKind::TrustMaterialAdded => "trust-material-added",
            ChangeKind::TrustMaterialRemoved => "trust-material-removed",
            ChangeKind::TrustMaterialChanged => "trust-material-changed",
        }
    }
}

/// Entries per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeCounts {
    pub newly_untrusted: usize,
    pub newly_trusted: usize,
    pub status_changed: usize,
    pub newly_compliant: usize,
    pub newly_non_compliant: usize,
    pub compliance_changed: usize,
    pub new_unsigned: usize,
    pub new_image: usize,
    pub image_gone: usize,
    pub trust_material_added: usize,
    pub trust_material_removed: usize,
    pub trust_material_changed: usize,
}

impl ChangeCounts {
    /// Counts the entries of each kind.
    pub fn of(entries: &[Change]) -> Self {
        let mut c = ChangeCounts::default();
        for e in entries {
            *c.slot(e.kind) += 1;
        }
        c
    }

    fn slot(&mut self, kind: ChangeKind) -> &mut usize {
        match kind {
            ChangeKind::NewlyUntrusted => &mut self.newly_untrusted,
            ChangeKind::NewlyTrusted => &mut self.newly_trusted,
            ChangeKind::StatusChanged => &mut self.status_changed,
            ChangeKind::NewlyCompliant => &mut self.newly_compliant,
            ChangeKind::NewlyNonCompliant => &mut self.newly_non_compliant,
            ChangeKind::ComplianceChanged => &mut self.compliance_changed,
            ChangeKind::NewUnsigned => &mut self.new_unsigned,
            ChangeKind::NewImage => &mut self.new_image,
            ChangeKind::ImageGone => &mut self.image_gone,
            ChangeKind::TrustMaterialAdded => &mut self.trust_material_added,
            ChangeKind::TrustMaterialRemoved => &mut self.trust_material_removed,
            ChangeKind::TrustMaterialChanged => &mut self.trust_material_changed,
        }
    }
}

/// One change. Image changes name the image; trust-material changes name the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub kind: ChangeKind,
    /// The image's repository; null for trust-material changes.
    pub repository: Option<String>,
    /// The image's digest; null for trust-material changes.
    pub digest: Option<Digest>,
    /// The digest of the index the image belongs to; null otherwise.
    pub parent: Option<Digest>,
    /// The image's tags (as of the newer report, or the baseline's for an image gone).
    pub tags: Vec<String>,
    /// The trust-material file, relative to the rootDir; null for image changes.
    pub path: Option<String>,
    /// The value before: an image status, a compliance value, or a file's `sha256:<hex>`; null when
    /// there was nothing.
    pub before: Option<String>,
    /// The value after, as `before`; null when there is nothing any more.
    pub after: Option<String>,
    /// One line for a reader: the trusting signatures, the material kind, ...
    pub detail: String,
}
