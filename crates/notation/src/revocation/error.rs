//! Why revocation checking could not use a file, a CRL or a certificate's revocation
//! information. Each `Display` is the message sigaudit's reports quote (notation's or Go's
//! wording where they have one).

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;

use super::{MAX_CRL_FILE_SIZE, rfc3339};

/// Why a file of a CRL folder, or a CRL in it, is not used; [`super::CrlStore::load`] reports
/// each with the file's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrlFileError {
    /// The folder itself could not be opened.
    #[error("cannot read the CRL folder: {0}")]
    FolderUnreadable(String),
    /// An entry of the folder could not be listed.
    #[error("cannot list the CRL folder: {0}")]
    FolderUnlisted(String),
    #[error("symbolic link, not followed")]
    Symlink,
    #[error("folder, not searched (CRL folders are not recursive)")]
    Subfolder,
    /// A named pipe, device or socket: never opened.
    #[error("not a regular file")]
    NotRegularFile,
    #[error("cannot read: {0}")]
    Unreadable(String),
    /// Above [`MAX_CRL_FILE_SIZE`]: refused unread.
    #[error("larger than the {} MiB limit for a CRL file", MAX_CRL_FILE_SIZE >> 20)]
    TooLarge,
    #[error("empty file")]
    Empty,
    /// A notation CLI cache entry that cannot be read.
    #[error(transparent)]
    CacheEntry(#[from] CacheEntryError),
    /// The `baseCRL` of a notation cache entry.
    #[error("baseCRL: {0}")]
    CacheBase(CrlParseError),
    /// The `deltaCRL` of a notation cache entry (notation refuses the whole entry).
    #[error("deltaCRL: {0}")]
    CacheDelta(CrlParseError),
    /// A PEM block of another type (the file's CRL blocks are used).
    #[error("PEM block {index} is a {tag:?}, not an X509 CRL (ignored)")]
    NotACrlBlock { index: usize, tag: String },
    /// An `X509 CRL` PEM block (counted from 1) that is not a usable CRL.
    #[error("PEM block {index}: {error}")]
    PemBlock { index: usize, error: CrlParseError },
    #[error("no X509 CRL PEM block")]
    NoCrlBlock,
    #[error("no complete PEM block")]
    NoCompletePemBlock,
    #[error("invalid PEM: {0}")]
    InvalidPem(String),
    /// A DER file that is not a usable CRL.
    #[error(transparent)]
    Der(#[from] CrlParseError),
}

/// Why a notation CLI cache entry (JSON `{"baseCRL": b64, "deltaCRL": b64?}`) cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheEntryError {
    /// Two keys Go reads as one field (see `sigaudit_gojson`).
    #[error("notation CRL cache entry refused: {0}")]
    Ambiguous(String),
    #[error("not a notation CRL cache entry ({0})")]
    NotJson(String),
    #[error("not a notation CRL cache entry (not a JSON object)")]
    NotAnObject,
    #[error("notation CRL cache entry: {field} is not base64: {reason}")]
    NotBase64 { field: &'static str, reason: String },
    #[error("notation CRL cache entry: {0} is not a base64 string")]
    NotAString(&'static str),
    #[error("notation CRL cache entry without a baseCRL")]
    NoBaseCrl,
}

/// Why DER bytes are not a CRL this verifier can use, with Go's `x509.ParseRevocationList`
/// messages where Go has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrlParseError {
    #[error("malformed CRL: {0}")]
    Malformed(String),
    /// Another structural error of the DER reader.
    #[error("{0}")]
    Der(String),
    #[error("x509: unsupported crl version: {0}")]
    Version(String),
    #[error("x509: inner and outer signature algorithm identifiers don't match")]
    AlgorithmMismatch,
    #[error("thisUpdate: {0}")]
    ThisUpdate(TimeError),
    #[error("nextUpdate: {0}")]
    NextUpdate(TimeError),
    #[error("malformed CRL extensions: {0}")]
    Extensions(String),
    #[error("x509: malformed crl number")]
    Number,
    #[error("malformed CRL signature algorithm: {0}")]
    SignatureAlgorithm(String),
    #[error("malformed CRL entry time: {0}")]
    EntryTime(TimeError),
    #[error("malformed CRL entry extensions: {0}")]
    EntryExtensions(String),
    #[error("x509: malformed reasonCode extension")]
    ReasonCode,
}

/// A DER time that cannot be read (the DER reader's own words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimeError(pub String);

/// Why a certificate's revocation information (its CRL distribution points, freshest CRL,
/// authority information access or serial number) cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("x509: invalid CRL distribution points")]
    DistributionPoints,
    #[error("x509: invalid CRL distribution point")]
    DistributionPoint,
    #[error("x509: invalid authority info access")]
    AuthorityInfoAccess,
    #[error("{0}")]
    Serial(String),
}

/// Why a loaded CRL is not used for a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrlRejection {
    #[error("malformed issuing distribution point: {0}")]
    MalformedIssuingDistributionPoint(String),
    #[error("covers only some revocation reasons")]
    OnlySomeReasons,
    #[error("an indirect CRL")]
    Indirect,
    #[error("covers only attribute certificates")]
    OnlyAttributeCertificates,
    #[error("covers only end-entity certificates")]
    OnlyEndEntityCertificates,
    #[error("covers only CA certificates")]
    OnlyCaCertificates,
    /// Matched by issuer name, but issued for other distribution points.
    #[error("issued for distribution point {}, not {url}", .points.join(", "))]
    OtherDistributionPoint { points: Vec<String>, url: String },
    /// Go's `RevocationList.CheckSignatureFrom(issuer)` failed, in notation's words.
    #[error("CRL is not signed by CA {issuer}: {reason}")]
    NotSignedByIssuer { issuer: String, reason: String },
    #[error("CRL NextUpdate is not set")]
    NoNextUpdate,
    #[error("expired CRL: nextUpdate {} is before the verification time {}", rfc3339(.next_update), rfc3339(.now))]
    Expired {
        next_update: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    #[error("unsupported critical extension found in CRL: {0}")]
    UnsupportedCriticalExtension(ObjectIdentifier),
    #[error("the base CRL has no CRL number, so no delta CRL can apply to it")]
    BaseWithoutNumber,
    #[error("the delta CRL has no CRL number")]
    DeltaWithoutNumber,
    #[error("delta CRL number {delta} is not greater than the base CRL number {base}")]
    DeltaNotNewer { delta: String, base: String },
    #[error("delta CRL indicator extension is not found")]
    NoDeltaIndicator,
    #[error("failed to parse delta CRL indicator extension")]
    MalformedDeltaIndicator,
    #[error(
        "delta CRL indicator {indicator} is not less than or equal to the base CRL number {base}"
    )]
    DeltaIndicatorAboveBase { indicator: String, base: String },
}

/// Why the entries of a CRL cannot be searched for a serial number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Parse(#[from] CrlParseError),
    #[error("unsupported critical extension found in CRL: {0}")]
    UnsupportedCriticalExtension(ObjectIdentifier),
    #[error("failed to parse invalidity date: {0}")]
    InvalidityDate(TimeError),
}

/// Why the CRLs of one distribution point could not decide a certificate's status (the
/// status is then unknown, with this as its reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum PointError {
    /// No CRL for the point, and why each candidate was not used.
    #[error("no CRL for {url} available offline{}", not_used(.rejected))]
    NoCrl { url: String, rejected: Vec<String> },
    /// The point's (base or delta) CRL was found but cannot be used.
    #[error("{what} {name} for {url}: {reason}")]
    Unusable {
        what: &'static str,
        name: String,
        url: String,
        reason: CrlRejection,
    },
    /// A freshest CRL extension that cannot be read.
    #[error("failed to parse Freshest CRL extension of {of}: {error}")]
    Freshest { of: String, error: CertificateError },
    /// A delta CRL is announced and none is available.
    #[error("{announced_by} announces a delta CRL at {}, and none for CRL {base} is available offline{}", .wanted.join(", "), not_used(.rejected))]
    NoDelta {
        announced_by: String,
        wanted: Vec<String>,
        base: String,
        rejected: Vec<String>,
    },
    #[error("failed to check revocation status from {url}: {error}")]
    Lookup { url: String, error: LookupError },
}

/// ` (not used: a; b)`, or nothing.
fn not_used(rejected: &[String]) -> String {
    if rejected.is_empty() {
        String::new()
    } else {
        format!(" (not used: {})", rejected.join("; "))
    }
}
