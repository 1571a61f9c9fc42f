//! Offline revocation checking of a certificate chain from CRL files (reference §3.7, and §3.6
//! step 9 for the TSA chain).
//!
//! Why this module exists: notation-go decides revocation by downloading CRLs and querying OCSP
//! responders. sigaudit never opens a network connection, so it reads CRLs that the user
//! gathered beforehand: plain DER or PEM CRL files, or the notation CLI's own CRL cache
//! (`{UserCacheDir}/notation/crl/<hex(sha256(url))>`, JSON `{"baseCRL": b64, "deltaCRL": b64?}`).
//! OCSP cannot be done offline at all.
//!
//! Rules kept from notation-core-go (`revocation`, `revocation/internal/crl`):
//! * the last certificate of the chain (the root) is always non-revokable; a certificate with
//!   neither OCSP URLs nor CRL distribution points is non-revokable (counts as OK);
//! * distribution-point and OCSP URLs are extracted like Go's `crypto/x509` (only `fullName`
//!   URIs, stopping at the first non-URI name of a point);
//! * every distribution point of a certificate is checked, in order; the first revoked result or
//!   the first error decides;
//! * a CRL must be signed by the issuer (`chain[i+1]`, with Go's `RevocationList.CheckSignatureFrom`
//!   parent rules), have a `nextUpdate` that has not passed, and no unsupported critical extension
//!   (issuingDistributionPoint and deltaCRLIndicator are allowed);
//! * a freshestCRL in the base CRL (or, without one, in the certificate) with at least one URL
//!   requires a delta CRL; the delta must pass the same checks, have a CRL number greater than the
//!   base's, and a deltaCRLIndicator not above the base CRL number;
//! * the entries of the base and then the delta CRL are searched for the serial. An entry whose
//!   invalidityDate is after a given signing time does not count. certificateHold and
//!   removeFromCRL entries: the latest decides (hold = revoked). Any other reason (or none) revokes.
//! * the overall result names the revoked (else unknown) certificate closest to the leaf.
//!
//! **Departures** (each because the CRL comes from a folder, not from the URL):
//! * a CRL is found for a distribution-point URL either as a notation cache entry named
//!   hex(sha256(url)), or as any loaded CRL whose issuer name DER equals the certificate's issuer.
//!   Every candidate's signature is checked against the issuer certificate; one that does not
//!   verify is never used. Among the verified candidates the newest (highest CRL number, then
//!   latest thisUpdate) is used; a cache entry wins a tie.
//! * CRLs matched by issuer name (not by URL) must also cover the certificate according to their
//!   issuingDistributionPoint (same URL if one is named, user/CA scope, not reason-partitioned, not
//!   indirect); notation ignores that extension because it downloads exactly the named URL.
//! * a delta CRL (one with a deltaCRLIndicator) is never used as a base CRL.
//! * distribution points with schemes other than `http` are not refused: notation refuses them
//!   only because it cannot download them.
//! * CRLs signed with SHA-1 are refused, like every SHA-1 signature in sigaudit (Go accepts them
//!   in `CheckSignatureFrom`).
//! * an entry rescued by the invalidityDate rule does not stop the search of that CRL (notation's
//!   loop stops there; this only matters for a CRL listing a serial twice).
//!
//! The public API: [`CrlStore::load`] reads CRL folders once per run (never failing: each file
//! that cannot be used is returned with a [`CrlFileError`]); [`check_chain`] gives each
//! certificate of a chain its [`CertStatus`], and [`ChainRevocation::overall`] the chain's
//! [`Overall`] verdict. Why a CRL is not used for a certificate ([`CrlRejection`]), or why a
//! status is unknown, is said in the status's text, which the reports quote. Every error is a
//! `thiserror` enum whose `Display` is notation's or Go's message where they have one.
//!
//! Bounds: a file above [`MAX_CRL_FILE_SIZE`] is refused unread; a CRL is kept as its DER bytes plus
//! a few ranges, and its entries are re-scanned on lookup, so memory never grows with the number
//! of entries beyond the file's own size.

mod error;

use error::PointError;
pub use error::{
    CacheEntryError, CertificateError, CrlFileError, CrlParseError, CrlRejection, LookupError,
    TimeError,
};

use std::fs;
use std::io::Read as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use const_oid::ObjectIdentifier;
use der::Decode as _;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

use crate::x509::{
    Cert, PublicKeyInfo, X509Error, expect_tlv, go_name_string, hex, key_usage, range_of, sha256,
    sig_alg_from_ai, split_tlv, to_chrono,
};

/// Largest CRL file read (8 MiB); bigger files are reported and skipped without being read.
pub const MAX_CRL_FILE_SIZE: u64 = 8 * 1024 * 1024;

/// OIDs of the CRL and revocation extensions used here.
pub mod oids {
    use const_oid::ObjectIdentifier;
    /// id-pe-authorityInfoAccess.
    pub const AUTHORITY_INFO_ACCESS: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");
    /// id-ad-ocsp.
    pub const AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
    /// cRLDistributionPoints.
    pub const CRL_DISTRIBUTION_POINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
    /// freshestCRL (where the delta CRL is).
    pub const FRESHEST_CRL: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.46");
    /// cRLNumber.
    pub const CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
    /// deltaCRLIndicator.
    pub const DELTA_CRL_INDICATOR: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.27");
    /// issuingDistributionPoint.
    pub const ISSUING_DISTRIBUTION_POINT: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.5.29.28");
    /// CRL entry reasonCode.
    pub const REASON_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
    /// CRL entry invalidityDate.
    pub const INVALIDITY_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.24");
}

/// CRLReason certificateHold.
const REASON_CERTIFICATE_HOLD: i64 = 6;
/// CRLReason removeFromCRL.
const REASON_REMOVE_FROM_CRL: i64 = 8;

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const ENUMERATED: u8 = 0x0a;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const SEQUENCE: u8 = 0x30;
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_URI: u8 = 0x86;

// ---------------------------------------------------------------------------------------------
// Loaded CRLs
// ---------------------------------------------------------------------------------------------

/// Where a loaded CRL came from inside its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A DER file, or PEM block number `n` (from 1) of a PEM file.
    File(Option<usize>),
    /// The `baseCRL` of a notation cache entry.
    CacheBase,
    /// The `deltaCRL` of a notation cache entry.
    CacheDelta,
}

/// One parsed CRL: its original DER and the ranges and fields revocation checks need.
struct Crl {
    path: PathBuf,
    origin: Origin,
    der: Vec<u8>,
    sha256: [u8; 32],
    tbs: Range<usize>,
    issuer: Range<usize>,
    signature: Range<usize>,
    /// Content of the revokedCertificates SEQUENCE (empty when absent).
    revoked: Range<usize>,
    entries: usize,
    sig_alg: AlgorithmIdentifierOwned,
    this_update: DateTime<Utc>,
    next_update: Option<DateTime<Utc>>,
    /// cRLNumber, big-endian without leading zero bytes.
    number: Option<Vec<u8>>,
    /// Raw value of the deltaCRLIndicator extension (present = this is a delta CRL).
    delta_indicator: Option<Vec<u8>>,
    /// Raw value of the freshestCRL extension.
    freshest: Option<Vec<u8>>,
    /// Raw value of the issuingDistributionPoint extension.
    idp: Option<Vec<u8>>,
    /// The first critical extension notation does not support.
    unsupported_critical: Option<ObjectIdentifier>,
    /// sha256(url) from the file name of a notation cache entry.
    url_key: Option<[u8; 32]>,
    /// Index (in the store) of the delta CRL of the same cache entry.
    bundle_delta: Option<usize>,
}

impl Crl {
    fn tbs_raw(&self) -> &[u8] {
        self.der.get(self.tbs.clone()).unwrap_or_default()
    }
    fn issuer_raw(&self) -> &[u8] {
        self.der.get(self.issuer.clone()).unwrap_or_default()
    }
    fn signature_raw(&self) -> &[u8] {
        self.der.get(self.signature.clone()).unwrap_or_default()
    }
    fn revoked_raw(&self) -> &[u8] {
        self.der.get(self.revoked.clone()).unwrap_or_default()
    }
    fn is_delta(&self) -> bool {
        self.delta_indicator.is_some()
    }

    /// The file, plus where inside it the CRL sits when that is not the whole file.
    fn name(&self) -> String {
        let p = self.path.display();
        match self.origin {
            Origin::File(None) => p.to_string(),
            Origin::File(Some(n)) => format!("{p} (PEM block {n})"),
            Origin::CacheBase => format!("{p} (baseCRL)"),
            Origin::CacheDelta => format!("{p} (deltaCRL)"),
        }
    }

    fn description(&self) -> String {
        let issuer =
            go_name_string(self.issuer_raw()).unwrap_or_else(|_| "<unparsable name>".into());
        let next = self
            .next_update
            .map_or_else(|| "none".to_string(), |t| rfc3339(&t));
        let entries = match self.entries {
            1 => "1 entry".to_string(),
            n => format!("{n} entries"),
        };
        let mut out = format!(
            "issuer {issuer}; thisUpdate {}; nextUpdate {next}; {entries}",
            rfc3339(&self.this_update)
        );
        if let Some(n) = &self.number {
            out.push_str(&format!("; CRL number {}", number_string(n)));
        }
        if let Some(d) = &self.delta_indicator {
            match parse_unsigned(d) {
                Some(b) => out.push_str(&format!("; delta CRL of base {}", number_string(&b))),
                None => out.push_str("; delta CRL (malformed indicator)"),
            }
        }
        match self.origin {
            Origin::CacheBase => out.push_str("; notation cache entry (baseCRL)"),
            Origin::CacheDelta => out.push_str("; notation cache entry (deltaCRL)"),
            Origin::File(_) => {}
        }
        out
    }

    /// (CRL number, thisUpdate): the larger is the newer CRL.
    fn newer_than(&self, other: &Crl) -> bool {
        let by_number = match (&self.number, &other.number) {
            (Some(a), Some(b)) => cmp_unsigned(a, b),
            _ => std::cmp::Ordering::Equal,
        };
        by_number.then(self.this_update.cmp(&other.this_update)) == std::cmp::Ordering::Greater
    }
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn malformed(e: X509Error) -> CrlParseError {
    match e {
        X509Error::Malformed(m) => CrlParseError::Malformed(m),
        other => CrlParseError::Der(other.to_string()),
    }
}

/// Parses one DER CRL like Go's `x509.ParseRevocationList`, keeping the original bytes.
fn parse_crl(der: Vec<u8>, path: &Path, origin: Origin) -> Result<Crl, CrlParseError> {
    let (outer, rest) = expect_tlv(&der, SEQUENCE, "CertificateList").map_err(malformed)?;
    if !rest.is_empty() {
        return Err(CrlParseError::Malformed(
            "trailing data after the CRL".into(),
        ));
    }
    let (tbs, cur) = expect_tlv(outer.content, SEQUENCE, "tbsCertList").map_err(malformed)?;
    let (outer_alg, cur) = expect_tlv(cur, SEQUENCE, "signatureAlgorithm").map_err(malformed)?;
    let (sig, cur) = expect_tlv(cur, BIT_STRING, "signatureValue").map_err(malformed)?;
    if !cur.is_empty() {
        return Err(CrlParseError::Malformed(
            "trailing data in CertificateList".into(),
        ));
    }
    let signature = match sig.content.split_first() {
        Some((0, bits)) => bits,
        _ => {
            return Err(CrlParseError::Malformed(
                "signature BIT STRING has unused bits".into(),
            ));
        }
    };

    let mut cur = tbs.content;
    if cur.first() == Some(&INTEGER) {
        let (v, r) = split_tlv(cur).map_err(malformed)?;
        if v.content != [1] {
            return Err(CrlParseError::Version(hex(v.content)));
        }
        cur = r;
    }
    let (inner_alg, cur) = expect_tlv(cur, SEQUENCE, "signature").map_err(malformed)?;
    if inner_alg.full != outer_alg.full {
        return Err(CrlParseError::AlgorithmMismatch);
    }
    let (issuer, cur) = expect_tlv(cur, SEQUENCE, "issuer").map_err(malformed)?;
    let (this_tlv, mut cur) = split_tlv(cur).map_err(malformed)?;
    let this_update = decode_time(this_tlv.full).map_err(CrlParseError::ThisUpdate)?;
    let mut next_update = None;
    if matches!(cur.first(), Some(&UTC_TIME) | Some(&GENERALIZED_TIME)) {
        let (t, r) = split_tlv(cur).map_err(malformed)?;
        next_update = Some(decode_time(t.full).map_err(CrlParseError::NextUpdate)?);
        cur = r;
    }
    let mut revoked: &[u8] = &[];
    if cur.first() == Some(&SEQUENCE) {
        let (r, rest) = split_tlv(cur).map_err(malformed)?;
        revoked = r.content;
        cur = rest;
    }
    let mut exts: &[u8] = &[];
    if cur.first() == Some(&CONTEXT_0) {
        let (e, rest) = split_tlv(cur).map_err(malformed)?;
        exts = e.content;
        cur = rest;
    }
    if !cur.is_empty() {
        return Err(CrlParseError::Malformed(
            "trailing data in tbsCertList".into(),
        ));
    }

    // Every entry is checked once here, one at a time, so lookups later cannot meet bad DER.
    let mut entries = 0usize;
    for entry in (Entries { rest: revoked }) {
        let entry = entry?;
        entry.validate()?;
        entries += 1;
    }

    let mut number = None;
    let mut delta_indicator = None;
    let mut freshest = None;
    let mut idp = None;
    let mut unsupported_critical = None;
    if !exts.is_empty() {
        let list =
            Extensions::from_der(exts).map_err(|e| CrlParseError::Extensions(e.to_string()))?;
        for ext in &list {
            let value = ext.extn_value.as_bytes();
            let id = ext.extn_id;
            if id == oids::CRL_NUMBER {
                number = Some(parse_unsigned(value).ok_or(CrlParseError::Number)?);
            } else if id == oids::DELTA_CRL_INDICATOR {
                delta_indicator = Some(value.to_vec());
            } else if id == oids::FRESHEST_CRL {
                freshest = Some(value.to_vec());
            } else if id == oids::ISSUING_DISTRIBUTION_POINT {
                idp = Some(value.to_vec());
            }
            let allowed = id == oids::ISSUING_DISTRIBUTION_POINT || id == oids::DELTA_CRL_INDICATOR;
            if ext.critical && !allowed && unsupported_critical.is_none() {
                unsupported_critical = Some(id);
            }
        }
    }
    let sig_alg = AlgorithmIdentifierOwned::from_der(outer_alg.full)
        .map_err(|e| CrlParseError::SignatureAlgorithm(e.to_string()))?;

    let tbs_r = range_of(&der, tbs.full);
    let issuer_r = range_of(&der, issuer.full);
    let sig_r = range_of(&der, signature);
    let revoked_r = if revoked.is_empty() {
        0..0
    } else {
        range_of(&der, revoked)
    };
    Ok(Crl {
        path: path.to_path_buf(),
        origin,
        sha256: sha256(&der),
        tbs: tbs_r,
        issuer: issuer_r,
        signature: sig_r,
        revoked: revoked_r,
        entries,
        sig_alg,
        this_update,
        next_update,
        number,
        delta_indicator,
        freshest,
        idp,
        unsupported_critical,
        url_key: None,
        bundle_delta: None,
        der,
    })
}

fn decode_time(tlv: &[u8]) -> Result<DateTime<Utc>, TimeError> {
    let t = Time::from_der(tlv).map_err(|e| TimeError(e.to_string()))?;
    to_chrono(t).map_err(|e| TimeError(e.to_string()))
}

/// A non-negative DER INTEGER TLV (cRLNumber, BaseCRLNumber) as big-endian bytes without leading
/// zeros (zero is the empty vector); `None` when malformed or negative (the callers say which
/// field it is).
fn parse_unsigned(tlv: &[u8]) -> Option<Vec<u8>> {
    let (int, rest) = expect_tlv(tlv, INTEGER, "INTEGER").ok()?;
    if !rest.is_empty() || !minimal_integer(int.content) {
        return None;
    }
    if int.content.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let start = int.content.iter().take_while(|b| **b == 0).count();
    Some(int.content.get(start..).unwrap_or_default().to_vec())
}

/// DER INTEGER content rules (non-empty, minimal two's complement), as Go's cryptobyte checks.
fn minimal_integer(c: &[u8]) -> bool {
    match c {
        [] => false,
        [0, b, ..] => b & 0x80 != 0,
        [0xff, b, ..] => b & 0x80 == 0,
        _ => true,
    }
}

fn cmp_unsigned(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Decimal for numbers up to 128 bits, `0x…` beyond.
fn number_string(n: &[u8]) -> String {
    if n.len() <= 16 {
        n.iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
            .to_string()
    } else {
        format!("0x{}", hex(n))
    }
}

/// One revokedCertificates entry, still as DER slices.
struct Entry<'a> {
    serial: &'a [u8],
    date: &'a [u8],
    extensions: Option<&'a [u8]>,
}

/// What an entry says once decoded.
struct EntryInfo {
    at: DateTime<Utc>,
    reason: Option<i64>,
    /// invalidityDate, with its parse error (which, as in notation, only matters when used).
    invalidity: Option<Result<DateTime<Utc>, TimeError>>,
    unsupported_critical: Option<ObjectIdentifier>,
}

impl Entry<'_> {
    /// The load-time checks Go's parser makes: a minimal serial, a time, well-formed extensions
    /// and reasonCode.
    fn validate(&self) -> Result<(), CrlParseError> {
        if !minimal_integer(self.serial) {
            return Err(CrlParseError::Malformed(
                "invalid serial number in revoked certificate".into(),
            ));
        }
        self.info().map(|_| ())
    }

    fn info(&self) -> Result<EntryInfo, CrlParseError> {
        let at = decode_time(self.date).map_err(CrlParseError::EntryTime)?;
        let mut info = EntryInfo {
            at,
            reason: None,
            invalidity: None,
            unsupported_critical: None,
        };
        let Some(ext) = self.extensions else {
            return Ok(info);
        };
        let list =
            Extensions::from_der(ext).map_err(|e| CrlParseError::EntryExtensions(e.to_string()))?;
        for e in &list {
            let value = e.extn_value.as_bytes();
            if e.extn_id == oids::REASON_CODE {
                info.reason = Some(parse_enumerated(value)?);
            } else if e.extn_id == oids::INVALIDITY_DATE {
                info.invalidity = Some(parse_generalized_time(value));
            }
            // notation refuses every critical entry extension but invalidityDate.
            if e.critical
                && e.extn_id != oids::INVALIDITY_DATE
                && info.unsupported_critical.is_none()
            {
                info.unsupported_critical = Some(e.extn_id);
            }
        }
        Ok(info)
    }
}

fn parse_enumerated(tlv: &[u8]) -> Result<i64, CrlParseError> {
    let bad = || CrlParseError::ReasonCode;
    let (e, rest) = expect_tlv(tlv, ENUMERATED, "reasonCode").map_err(|_| bad())?;
    if !rest.is_empty() || !minimal_integer(e.content) || e.content.len() > 4 {
        return Err(bad());
    }
    let negative = e.content.first().is_some_and(|b| b & 0x80 != 0);
    let init: i64 = if negative { -1 } else { 0 };
    Ok(e.content
        .iter()
        .fold(init, |acc, b| (acc << 8) | i64::from(*b)))
}

/// A DER GeneralizedTime TLV as Go's `asn1` "generalized" parses it: `YYYYMMDDHHMMSS`, an
/// optional fraction without trailing zeros, then `Z` or `±HHMM`.
fn parse_generalized_time(tlv: &[u8]) -> Result<DateTime<Utc>, TimeError> {
    let (t, rest) = expect_tlv(tlv, GENERALIZED_TIME, "GeneralizedTime")
        .map_err(|e| TimeError(e.to_string()))?;
    if !rest.is_empty() {
        return Err(TimeError("trailing data".into()));
    }
    let s = std::str::from_utf8(t.content).map_err(|_| TimeError("not ASCII".into()))?;
    let bad = || TimeError(format!("invalid GeneralizedTime {s:?}"));
    let num = |r: Range<usize>| -> Result<u32, TimeError> {
        let part = s.get(r).ok_or_else(bad)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse().map_err(|_| bad())
    };
    let date =
        NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?).ok_or_else(bad)?;
    let mut t = date
        .and_hms_opt(num(8..10)?, num(10..12)?, num(12..14)?)
        .ok_or_else(bad)?;
    let mut rest = s.get(14..).ok_or_else(bad)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(|b| b.is_ascii_digit()).count();
        let (f, r) = frac.split_at(digits);
        if f.is_empty() || f.ends_with('0') || f.len() > 9 {
            return Err(bad());
        }
        let nanos: u32 = format!("{f:0<9}").parse().map_err(|_| bad())?;
        t += chrono::Duration::nanoseconds(i64::from(nanos));
        rest = r;
    }
    let offset_secs: i64 = match rest.as_bytes() {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), ..] if rest.len() == 5 => {
            let hh = i64::from(num(s.len() - 4..s.len() - 2)?);
            let mm = i64::from(num(s.len() - 2..s.len())?);
            if hh > 23 || mm > 59 {
                return Err(bad());
            }
            let o = hh * 3600 + mm * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return Err(bad()),
    };
    Ok((t - chrono::Duration::seconds(offset_secs)).and_utc())
}

/// Iterates the entries of a revokedCertificates SEQUENCE without allocating.
struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, CrlParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let parsed = (|| {
            let (seq, rest) = expect_tlv(self.rest, SEQUENCE, "revoked certificate")?;
            let (serial, cur) = expect_tlv(seq.content, INTEGER, "serial number")?;
            let (date, cur) = split_tlv(cur)?;
            let mut extensions = None;
            let mut cur = cur;
            if !cur.is_empty() {
                let (ext, r) = expect_tlv(cur, SEQUENCE, "crlEntryExtensions")?;
                extensions = Some(ext.full);
                cur = r;
            }
            if !cur.is_empty() {
                return Err(X509Error::Malformed(
                    "trailing data in revoked certificate".into(),
                ));
            }
            Ok((
                Entry {
                    serial: serial.content,
                    date: date.full,
                    extensions,
                },
                rest,
            ))
        })();
        match parsed {
            Ok((entry, rest)) => {
                self.rest = rest;
                Some(Ok(entry))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(malformed(e)))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

/// CRLs available offline, loaded once per run.
pub struct CrlStore {
    crls: Vec<Crl>,
}

impl std::fmt::Debug for CrlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrlStore")
            .field("crls", &self.crls.len())
            .finish()
    }
}

impl CrlStore {
    /// Every CRL's nextUpdate (the instants a revocation check compares the verification time
    /// with).
    pub fn next_updates(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.crls.iter().filter_map(|c| c.next_update)
    }

    /// Load every file in each folder (not recursive; symlinks not followed; entries in byte
    /// order). A file may be a DER CRL, a PEM `X509 CRL` (several blocks allowed), or a notation
    /// CLI cache entry (JSON `{"baseCRL": b64, "deltaCRL": b64?}`, file name = hex(sha256(url))).
    /// Never fails: every unusable file is returned as (path, [`CrlFileError`]), whose `Display`
    /// is the reason the report's trust-material list gives. Missing folders are fine.
    ///
    /// A folder given as a symlink is followed (the user named it); symlinks, sub-folders and
    /// other non-regular entries inside it are reported and skipped.
    pub fn load(dirs: &[PathBuf]) -> (CrlStore, Vec<(PathBuf, CrlFileError)>) {
        let mut store = CrlStore { crls: Vec::new() };
        let mut problems = Vec::new();
        for dir in dirs {
            let listing = match fs::read_dir(dir) {
                Ok(l) => l,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    problems.push((dir.clone(), CrlFileError::FolderUnreadable(e.to_string())));
                    continue;
                }
            };
            let mut entries = Vec::new();
            for entry in listing {
                match entry {
                    Ok(e) => entries.push(e),
                    Err(e) => {
                        problems.push((dir.clone(), CrlFileError::FolderUnlisted(e.to_string())))
                    }
                }
            }
            entries.sort_by(|a, b| {
                a.file_name()
                    .as_encoded_bytes()
                    .cmp(b.file_name().as_encoded_bytes())
            });
            for entry in entries {
                let path = entry.path();
                match entry.file_type() {
                    Ok(t) if t.is_symlink() => {
                        problems.push((path, CrlFileError::Symlink));
                    }
                    Ok(t) if t.is_dir() => {
                        problems.push((path, CrlFileError::Subfolder));
                    }
                    Ok(t) if !t.is_file() => {
                        problems.push((path, CrlFileError::NotRegularFile));
                    }
                    Ok(_) => match read_limited(&path) {
                        Ok(bytes) => {
                            let key = url_key_from_name(entry.file_name().to_str());
                            store.add_file(&path, bytes, key, &mut problems);
                        }
                        Err(why) => problems.push((path, why)),
                    },
                    Err(e) => problems.push((path, CrlFileError::Unreadable(e.to_string()))),
                }
            }
        }
        (store, problems)
    }

    /// No CRL was loaded.
    pub fn is_empty(&self) -> bool {
        self.crls.is_empty()
    }

    /// (path, sha256 hex, one-line description: issuer, thisUpdate, nextUpdate, entries) of every loaded CRL, for the report's trust-material list.
    ///
    /// The SHA-256 is of the CRL's DER (a PEM file or cache entry holding two CRLs gives two
    /// rows with the same path).
    pub fn describe(&self) -> Vec<(PathBuf, String, String)> {
        self.crls
            .iter()
            .map(|c| (c.path.clone(), hex(&c.sha256), c.description()))
            .collect()
    }

    /// Parses one file's bytes into CRLs, reporting what is unusable.
    fn add_file(
        &mut self,
        path: &Path,
        bytes: Vec<u8>,
        url_key: Option<[u8; 32]>,
        problems: &mut Vec<(PathBuf, CrlFileError)>,
    ) {
        let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
        match first {
            None => problems.push((path.to_path_buf(), CrlFileError::Empty)),
            Some(b'{') => match parse_cache_entry(&bytes) {
                Ok((base, delta)) => {
                    let base = match parse_crl(base, path, Origin::CacheBase) {
                        Ok(c) => c,
                        Err(e) => {
                            problems.push((path.to_path_buf(), CrlFileError::CacheBase(e)));
                            return;
                        }
                    };
                    let delta = match delta.map(|d| parse_crl(d, path, Origin::CacheDelta)) {
                        None => None,
                        Some(Ok(d)) => Some(d),
                        Some(Err(e)) => {
                            // notation's cache refuses the whole entry.
                            problems.push((path.to_path_buf(), CrlFileError::CacheDelta(e)));
                            return;
                        }
                    };
                    let base_index = self.crls.len();
                    self.crls.push(Crl { url_key, ..base });
                    if let Some(d) = delta {
                        let delta_index = self.crls.len();
                        self.crls.push(d);
                        if let Some(b) = self.crls.get_mut(base_index) {
                            b.bundle_delta = Some(delta_index);
                        }
                    }
                }
                Err(e) => problems.push((path.to_path_buf(), e.into())),
            },
            Some(_) if contains(&bytes, b"-----BEGIN ") => match pem::parse_many(&bytes) {
                Ok(blocks) if !blocks.is_empty() => {
                    let mut found = 0;
                    for (i, block) in blocks.into_iter().enumerate() {
                        if block.tag() != "X509 CRL" {
                            problems.push((
                                path.to_path_buf(),
                                CrlFileError::NotACrlBlock {
                                    index: i + 1,
                                    tag: block.tag().to_string(),
                                },
                            ));
                            continue;
                        }
                        found += 1;
                        match parse_crl(block.into_contents(), path, Origin::File(Some(i + 1))) {
                            Ok(c) => self.crls.push(c),
                            Err(error) => problems.push((
                                path.to_path_buf(),
                                CrlFileError::PemBlock {
                                    index: i + 1,
                                    error,
                                },
                            )),
                        }
                    }
                    if found == 0 {
                        problems.push((path.to_path_buf(), CrlFileError::NoCrlBlock));
                    }
                }
                Ok(_) => problems.push((path.to_path_buf(), CrlFileError::NoCompletePemBlock)),
                Err(e) => {
                    problems.push((path.to_path_buf(), CrlFileError::InvalidPem(e.to_string())))
                }
            },
            Some(_) => match parse_crl(bytes, path, Origin::File(None)) {
                Ok(c) => self.crls.push(c),
                Err(e) => problems.push((path.to_path_buf(), e.into())),
            },
        }
    }

    /// The newest verified base CRL for `url`, and why other candidates were refused.
    fn find_base(&self, cert: &Cert, issuer: &Cert, url: &str) -> (Option<&Crl>, Vec<String>) {
        let key = sha256(url.as_bytes());
        let mut rejected = Vec::new();
        let mut best: Option<(&Crl, bool)> = None;
        for c in &self.crls {
            if c.origin == Origin::CacheDelta {
                continue;
            }
            let by_url = c.url_key == Some(key);
            if !by_url && c.issuer_raw() != cert.issuer_raw() {
                continue;
            }
            if c.is_delta() {
                if by_url {
                    rejected.push(format!("{}: a delta CRL, not a complete CRL", c.name()));
                }
                continue;
            }
            if !by_url && let Err(why) = idp_covers(c, cert, url) {
                rejected.push(format!("{}: {why}", c.name()));
                continue;
            }
            if let Err(why) = check_crl_signature(c, issuer) {
                rejected.push(format!("{}: {why}", c.name()));
                continue;
            }
            let better = match best {
                None => true,
                Some((b, b_by_url)) => c.newer_than(b) || (by_url && !b_by_url && !b.newer_than(c)),
            };
            if better {
                best = Some((c, by_url));
            }
        }
        (best.map(|(c, _)| c), rejected)
    }

    /// The newest verified delta CRL for `base` (looked up by the delta URLs' cache keys and by
    /// issuer), and why other candidates were refused.
    fn find_delta(
        &self,
        base: &Crl,
        issuer: &Cert,
        urls: &[String],
    ) -> (Option<&Crl>, Vec<String>) {
        let keys: Vec<[u8; 32]> = urls.iter().map(|u| sha256(u.as_bytes())).collect();
        let mut rejected = Vec::new();
        let mut best: Option<&Crl> = None;
        for c in &self.crls {
            let by_url = c.url_key.is_some_and(|k| keys.contains(&k));
            if !by_url && c.issuer_raw() != base.issuer_raw() {
                continue;
            }
            if !c.is_delta() {
                if by_url {
                    rejected.push(format!("{}: not a delta CRL", c.name()));
                }
                continue;
            }
            if let Err(why) = check_crl_signature(c, issuer).and_then(|()| delta_fits(base, c)) {
                rejected.push(format!("{}: {why}", c.name()));
                continue;
            }
            if best.is_none_or(|b| c.newer_than(b)) {
                best = Some(c);
            }
        }
        (best, rejected)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Reads a regular file of at most [`MAX_CRL_FILE_SIZE`] bytes.
fn read_limited(path: &Path) -> Result<Vec<u8>, CrlFileError> {
    let (file, meta) =
        super::file::open_regular(path).map_err(|e| CrlFileError::Unreadable(e.to_string()))?;
    if meta.len() > MAX_CRL_FILE_SIZE {
        return Err(CrlFileError::TooLarge);
    }
    let mut bytes = Vec::new();
    file.take(MAX_CRL_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CrlFileError::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_CRL_FILE_SIZE {
        return Err(CrlFileError::TooLarge);
    }
    Ok(bytes)
}

/// sha256(url) from a notation cache file name (64 hex digits).
fn url_key_from_name(name: Option<&str>) -> Option<[u8; 32]> {
    let name = name?;
    if name.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let pair = name.get(2 * i..2 * i + 2)?;
        *o = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// A notation CLI cache entry: Go's `json.Unmarshal` into `{BaseCRL []byte; DeltaCRL []byte}`
/// (standard base64; `null` or absent delta; keys matched under Go's folding, and an entry
/// with two keys that fold to one field refused, as [`sigaudit_gojson`] does: two CRLs under
/// `baseCRL` and `BaseCRL` would be one to Go and another to us).
fn parse_cache_entry(bytes: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), CacheEntryError> {
    let value = sigaudit_gojson::parse(bytes).map_err(|e| match e {
        sigaudit_gojson::Error::Ambiguous { .. } => CacheEntryError::Ambiguous(e.to_string()),
        other => CacheEntryError::NotJson(other.to_string()),
    })?;
    let obj = value.as_object().ok_or(CacheEntryError::NotAnObject)?;
    let field = |name: &str| sigaudit_gojson::get_in(obj, name);
    let decode = |name: &'static str| -> Result<Option<Vec<u8>>, CacheEntryError> {
        match field(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(Some)
                .map_err(|e| CacheEntryError::NotBase64 {
                    field: name,
                    reason: e.to_string(),
                }),
            Some(_) => Err(CacheEntryError::NotAString(name)),
        }
    };
    let base = decode("baseCRL")?
        .filter(|b| !b.is_empty())
        .ok_or(CacheEntryError::NoBaseCrl)?;
    let delta = decode("deltaCRL")?.filter(|d| !d.is_empty());
    Ok((base, delta))
}

// ---------------------------------------------------------------------------------------------
// Certificate side: URLs
// ---------------------------------------------------------------------------------------------

fn extension<'a>(cert: &'a Cert, oid: &ObjectIdentifier) -> Option<&'a [u8]> {
    cert.parsed()
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == *oid)
        .map(|e| e.extn_value.as_bytes())
}

/// Go's `crypto/x509` parsing of a CRLDistributionPoints value (also used by notation for
/// freshestCRL): the `fullName` URIs of every point, stopping at a point's first non-URI name.
fn distribution_point_urls(value: &[u8]) -> Result<Vec<String>, CertificateError> {
    let bad = |_| CertificateError::DistributionPoint;
    let (seq, _) =
        expect_tlv(value, SEQUENCE, "").map_err(|_| CertificateError::DistributionPoints)?;
    let mut urls = Vec::new();
    let mut cur = seq.content;
    while !cur.is_empty() {
        let (dp, rest) = expect_tlv(cur, SEQUENCE, "").map_err(bad)?;
        cur = rest;
        if dp.content.first() != Some(&CONTEXT_0) {
            continue; // no distributionPoint name
        }
        let (name, _) = split_tlv(dp.content).map_err(bad)?;
        let (full, _) = expect_tlv(name.content, CONTEXT_0, "").map_err(bad)?;
        let mut names = full.content;
        while names.first() == Some(&CONTEXT_URI) {
            let (uri, r) = split_tlv(names).map_err(bad)?;
            urls.push(String::from_utf8_lossy(uri.content).into_owned());
            names = r;
        }
    }
    Ok(urls)
}

/// Go's `OCSPServer`: the URI locations of AIA entries with method id-ad-ocsp.
fn ocsp_urls(value: &[u8]) -> Result<Vec<String>, CertificateError> {
    let bad = |_| CertificateError::AuthorityInfoAccess;
    let (seq, _) = expect_tlv(value, SEQUENCE, "").map_err(bad)?;
    let mut urls = Vec::new();
    let mut cur = seq.content;
    while !cur.is_empty() {
        let (ad, rest) = expect_tlv(cur, SEQUENCE, "").map_err(bad)?;
        cur = rest;
        let (method, loc) = expect_tlv(ad.content, 0x06, "").map_err(bad)?;
        let method = ObjectIdentifier::from_bytes(method.content)
            .map_err(|_| CertificateError::AuthorityInfoAccess)?;
        if loc.first() != Some(&CONTEXT_URI) {
            continue;
        }
        let (uri, _) = split_tlv(loc).map_err(bad)?;
        if method == oids::AD_OCSP {
            urls.push(String::from_utf8_lossy(uri.content).into_owned());
        }
    }
    Ok(urls)
}

/// The certificate's serial number as DER INTEGER content, sliced from the original TBS.
fn serial_raw(cert: &Cert) -> Result<&[u8], CertificateError> {
    let serial_error = |e: X509Error| CertificateError::Serial(e.to_string());
    let (tbs, _) = split_tlv(cert.tbs_raw()).map_err(serial_error)?;
    let mut cur = tbs.content;
    if cur.first() == Some(&CONTEXT_0) {
        cur = split_tlv(cur).map_err(serial_error)?.1;
    }
    let (serial, _) = expect_tlv(cur, INTEGER, "serial number").map_err(serial_error)?;
    Ok(serial.content)
}

/// Whether a CRL found by issuer name (not by URL) covers `cert` at `url`, from its
/// issuingDistributionPoint.
fn idp_covers(crl: &Crl, cert: &Cert, url: &str) -> Result<(), CrlRejection> {
    let Some(raw) = &crl.idp else {
        return Ok(());
    };
    let idp = IssuingDistributionPoint::from_der(raw)
        .map_err(|e| CrlRejection::MalformedIssuingDistributionPoint(e.to_string()))?;
    if idp.only_some_reasons.is_some() {
        return Err(CrlRejection::OnlySomeReasons);
    }
    if idp.indirect_crl {
        return Err(CrlRejection::Indirect);
    }
    if idp.only_contains_attribute_certs {
        return Err(CrlRejection::OnlyAttributeCertificates);
    }
    if idp.only_contains_user_certs && cert.is_ca() {
        return Err(CrlRejection::OnlyEndEntityCertificates);
    }
    if idp.only_contains_ca_certs && !cert.is_ca() {
        return Err(CrlRejection::OnlyCaCertificates);
    }
    if let Some(DistributionPointName::FullName(names)) = &idp.distribution_point {
        let uris: Vec<&str> = names
            .iter()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(u) => Some(u.as_str()),
                _ => None,
            })
            .collect();
        if !uris.is_empty() && !uris.contains(&url) {
            return Err(CrlRejection::OtherDistributionPoint {
                points: uris.iter().map(|u| u.to_string()).collect(),
                url: url.to_string(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Go's `RevocationList.CheckSignatureFrom(issuer)`, wrapped in notation's message.
fn check_crl_signature(crl: &Crl, issuer: &Cert) -> Result<(), CrlRejection> {
    let check = || -> Result<(), X509Error> {
        if (issuer.version() == 3 && !issuer.basic_constraints_valid())
            || (issuer.basic_constraints_valid() && !issuer.is_ca())
        {
            return Err(X509Error::ConstraintViolation);
        }
        let ku = issuer.key_usage_bits();
        if ku != 0 && ku & key_usage::CRL_SIGN == 0 {
            return Err(X509Error::ConstraintViolation);
        }
        if let PublicKeyInfo::Other(oid) = issuer.public_key_info() {
            return Err(X509Error::UnsupportedAlgorithm(format!(
                "public key algorithm {oid}"
            )));
        }
        let alg = sig_alg_from_ai(&crl.sig_alg)?;
        issuer.verify_signed(alg, crl.tbs_raw(), crl.signature_raw())
    };
    check().map_err(|e| CrlRejection::NotSignedByIssuer {
        issuer: issuer.subject_string().to_string(),
        reason: e.to_string(),
    })
}

/// notation's `validateCRL` after the signature: nextUpdate set and not passed, no unsupported
/// critical extension.
fn validate_crl(crl: &Crl, now: DateTime<Utc>) -> Result<(), CrlRejection> {
    let next = crl.next_update.ok_or(CrlRejection::NoNextUpdate)?;
    if now > next {
        return Err(CrlRejection::Expired {
            next_update: next,
            now,
        });
    }
    if let Some(oid) = crl.unsupported_critical {
        return Err(CrlRejection::UnsupportedCriticalExtension(oid));
    }
    Ok(())
}

/// notation's delta rules: delta number > base number, deltaCRLIndicator present and not above
/// the base number.
fn delta_fits(base: &Crl, delta: &Crl) -> Result<(), CrlRejection> {
    let base_n = base
        .number
        .as_deref()
        .ok_or(CrlRejection::BaseWithoutNumber)?;
    let delta_n = delta
        .number
        .as_deref()
        .ok_or(CrlRejection::DeltaWithoutNumber)?;
    if cmp_unsigned(delta_n, base_n) != std::cmp::Ordering::Greater {
        return Err(CrlRejection::DeltaNotNewer {
            delta: number_string(delta_n),
            base: number_string(base_n),
        });
    }
    let indicator = delta
        .delta_indicator
        .as_deref()
        .ok_or(CrlRejection::NoDeltaIndicator)?;
    let min = parse_unsigned(indicator).ok_or(CrlRejection::MalformedDeltaIndicator)?;
    if cmp_unsigned(&min, base_n) == std::cmp::Ordering::Greater {
        return Err(CrlRejection::DeltaIndicatorAboveBase {
            indicator: number_string(&min),
            base: number_string(base_n),
        });
    }
    Ok(())
}

/// What the CRL entries say about one serial.
struct Revocation {
    reason: Option<i64>,
    at: DateTime<Utc>,
}

/// notation's `checkRevocation` over the base and delta entries.
fn lookup(
    serial: &[u8],
    lists: &[&Crl],
    signing_time: Option<DateTime<Utc>>,
) -> Result<Option<Revocation>, LookupError> {
    let mut latest_temporary: Option<Revocation> = None;
    for crl in lists {
        for entry in (Entries {
            rest: crl.revoked_raw(),
        }) {
            let entry = entry?;
            if entry.serial != serial {
                continue;
            }
            let info = entry.info()?;
            if let Some(oid) = info.unsupported_critical {
                return Err(LookupError::UnsupportedCriticalExtension(oid));
            }
            if let (Some(st), Some(inv)) = (signing_time, info.invalidity)
                && st < inv.map_err(LookupError::InvalidityDate)?
            {
                continue; // the key was not yet invalid when it signed
            }
            match info.reason {
                Some(REASON_CERTIFICATE_HOLD) | Some(REASON_REMOVE_FROM_CRL) => {
                    if latest_temporary.as_ref().is_none_or(|t| t.at < info.at) {
                        latest_temporary = Some(Revocation {
                            reason: info.reason,
                            at: info.at,
                        });
                    }
                }
                reason => {
                    return Ok(Some(Revocation {
                        reason,
                        at: info.at,
                    }));
                }
            }
        }
    }
    Ok(latest_temporary.filter(|t| t.reason == Some(REASON_CERTIFICATE_HOLD)))
}

/// RFC 5280 CRLReason names.
fn reason_name(code: i64) -> String {
    match code {
        0 => "unspecified".into(),
        1 => "keyCompromise".into(),
        2 => "cACompromise".into(),
        3 => "affiliationChanged".into(),
        4 => "superseded".into(),
        5 => "cessationOfOperation".into(),
        6 => "certificateHold".into(),
        8 => "removeFromCRL".into(),
        9 => "privilegeWithdrawn".into(),
        10 => "aACompromise".into(),
        n => format!("reason code {n}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Chain checking
// ---------------------------------------------------------------------------------------------

/// The revocation status of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertStatus {
    /// No OCSP and no CRL information (or the root): cannot be revoked; counts as OK.
    NonRevokable,
    /// Every distribution point's CRL was found, valid, and does not list the certificate.
    Good,
    /// A valid CRL lists the certificate.
    Revoked {
        /// CRLReason name (`keyCompromise`, …); `None` when the entry has no reasonCode.
        reason: Option<String>,
        /// The entry's revocationDate.
        at: DateTime<Utc>,
    },
    /// The status could not be decided offline; the text says why.
    Unknown(String),
}

/// The verdict over a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overall {
    /// Every certificate is good or non-revokable.
    Ok,
    /// A certificate is revoked (the one closest to the leaf).
    Revoked {
        /// Its subject (Go rendering).
        subject: String,
    },
    /// No certificate is revoked, but one (the one closest to the leaf) has an unknown status.
    Unknown {
        /// Its subject (Go rendering).
        subject: String,
        /// Why its status is unknown.
        reason: String,
    },
}

/// Per-certificate revocation results of a chain, leaf first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRevocation {
    /// (subject, status) of every certificate, in chain order; the root is `NonRevokable`.
    pub per_cert: Vec<(String /*subject*/, CertStatus)>,
    /// Index-aligned with `per_cert`: the CRL files that decided each status (empty when none).
    pub crl_files: Vec<Vec<PathBuf>>,
}

impl ChainRevocation {
    /// Revoked{subject} if any revoked; Ok if all Good/NonRevokable; else Unknown{subject, reason}.
    /// An empty chain is Unknown.
    pub fn overall(&self) -> Overall {
        if self.per_cert.is_empty() {
            return Overall::Unknown {
                subject: String::new(),
                reason: "empty certificate chain".into(),
            };
        }
        if let Some((subject, _)) = self
            .per_cert
            .iter()
            .find(|(_, s)| matches!(s, CertStatus::Revoked { .. }))
        {
            return Overall::Revoked {
                subject: subject.clone(),
            };
        }
        for (subject, status) in &self.per_cert {
            if let CertStatus::Unknown(reason) = status {
                return Overall::Unknown {
                    subject: subject.clone(),
                    reason: reason.clone(),
                };
            }
        }
        Overall::Ok
    }
}

/// Check every cert of `chain` except the root (always non-revokable), against `now`.
/// `signing_time` is the authenticSigningTime for the signingAuthority scheme, None otherwise (invalidityDate rule).
///
/// The chain must already have passed the chain rules (leaf first, each certificate issued by
/// the next); `chain[i+1]` is taken as the issuer of `chain[i]`.
pub fn check_chain(
    chain: &[Cert],
    crls: &CrlStore,
    signing_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ChainRevocation {
    let mut per_cert = Vec::with_capacity(chain.len());
    let mut crl_files = Vec::with_capacity(chain.len());
    for (i, cert) in chain.iter().enumerate() {
        let (status, files) = match chain.get(i + 1) {
            None => (CertStatus::NonRevokable, Vec::new()),
            Some(issuer) => check_cert(cert, issuer, crls, signing_time, now),
        };
        per_cert.push((cert.subject_string().to_string(), status));
        crl_files.push(files);
    }
    ChainRevocation {
        per_cert,
        crl_files,
    }
}

fn check_cert(
    cert: &Cert,
    issuer: &Cert,
    crls: &CrlStore,
    signing_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (CertStatus, Vec<PathBuf>) {
    let unknown = |why: String| (CertStatus::Unknown(why), Vec::new());
    let ocsp = match extension(cert, &oids::AUTHORITY_INFO_ACCESS).map(ocsp_urls) {
        None => Vec::new(),
        Some(Ok(u)) => u,
        Some(Err(e)) => return unknown(format!("authority information access: {e}")),
    };
    let dps = match extension(cert, &oids::CRL_DISTRIBUTION_POINTS).map(distribution_point_urls) {
        None => Vec::new(),
        Some(Ok(u)) => u,
        Some(Err(e)) => return unknown(format!("CRL distribution points: {e}")),
    };
    let ocsp_note = match ocsp.as_slice() {
        [] => None,
        [one] => Some(format!("OCSP responder {one} cannot be queried offline")),
        many => Some(format!(
            "OCSP responders {} cannot be queried offline",
            many.join(", ")
        )),
    };
    if dps.is_empty() {
        return match ocsp_note {
            None => (CertStatus::NonRevokable, Vec::new()),
            Some(note) => unknown(note),
        };
    }
    // With OCSP present, notation falls back to CRLs when OCSP is unknown (always, offline).
    let serial = match serial_raw(cert) {
        Ok(s) => s,
        Err(e) => return unknown(format!("certificate serial number: {e}")),
    };
    let check = UrlCheck {
        cert,
        issuer,
        serial,
        crls,
        signing_time,
        now,
    };
    let mut used = Vec::new();
    for url in &dps {
        match check.run(url, &mut used) {
            Ok(None) => {}
            Ok(Some(rev)) => {
                return (
                    CertStatus::Revoked {
                        reason: rev.reason.map(reason_name),
                        at: rev.at,
                    },
                    used,
                );
            }
            Err(why) => {
                let why = match &ocsp_note {
                    Some(note) => format!("{note}; {why}"),
                    None => why.to_string(),
                };
                return (CertStatus::Unknown(why), used);
            }
        }
    }
    (CertStatus::Good, used)
}

/// The CRL check of one certificate, for each of its distribution points.
struct UrlCheck<'a> {
    cert: &'a Cert,
    issuer: &'a Cert,
    serial: &'a [u8],
    crls: &'a CrlStore,
    signing_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
}

impl UrlCheck<'_> {
    /// One distribution point: find and validate its base (and delta) CRL, then look up the
    /// serial. The CRL files used are added to `used`.
    fn run(&self, url: &str, used: &mut Vec<PathBuf>) -> Result<Option<Revocation>, PointError> {
        let UrlCheck {
            cert,
            issuer,
            serial,
            crls,
            signing_time,
            now,
        } = *self;
        let unusable = |what: &'static str, crl: &Crl, reason| PointError::Unusable {
            what,
            name: crl.name(),
            url: url.to_string(),
            reason,
        };
        let (base, rejected) = crls.find_base(cert, issuer, url);
        let Some(base) = base else {
            return Err(PointError::NoCrl {
                url: url.to_string(),
                rejected,
            });
        };
        validate_crl(base, now).map_err(|r| unusable("CRL", base, r))?;

        let delta = match base.bundle_delta.and_then(|i| crls.crls.get(i)) {
            Some(d) => {
                check_crl_signature(d, issuer)
                    .and_then(|()| delta_fits(base, d))
                    .map_err(|r| unusable("delta CRL", d, r))?;
                Some(d)
            }
            None => {
                let mut wanted = match &base.freshest {
                    Some(v) => {
                        distribution_point_urls(v).map_err(|error| PointError::Freshest {
                            of: base.name(),
                            error,
                        })?
                    }
                    None => Vec::new(),
                };
                let mut announced_by = base.name();
                if wanted.is_empty()
                    && let Some(v) = extension(cert, &oids::FRESHEST_CRL)
                {
                    wanted = distribution_point_urls(v).map_err(|error| PointError::Freshest {
                        of: "the certificate".into(),
                        error,
                    })?;
                    announced_by = "the certificate".into();
                }
                if wanted.is_empty() {
                    None
                } else {
                    let (d, rejected) = crls.find_delta(base, issuer, &wanted);
                    let Some(d) = d else {
                        return Err(PointError::NoDelta {
                            announced_by,
                            wanted,
                            base: base.name(),
                            rejected,
                        });
                    };
                    Some(d)
                }
            }
        };
        if let Some(d) = delta {
            validate_crl(d, now).map_err(|r| unusable("delta CRL", d, r))?;
        }

        if !used.contains(&base.path) {
            used.push(base.path.clone());
        }
        let mut lists = vec![base];
        if let Some(d) = delta {
            if !used.contains(&d.path) {
                used.push(d.path.clone());
            }
            lists.push(d);
        }
        lookup(serial, &lists, signing_time).map_err(|error| PointError::Lookup {
            url: url.to_string(),
            error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAF_URL: &str = "http://localhost:10086/leaf.crl";
    const INTERMEDIATE_URL: &str = "http://localhost:10086/intermediate.crl";
    const LEAF: &str = "CN=LeafCert,OU=OrgUnit,O=Organization,L=City,ST=State,C=US";
    const INTERMEDIATE: &str = "CN=IntermediateCA,OU=OrgUnit,O=Organization,L=City,ST=State,C=US";

    pub(super) fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    pub(super) fn now() -> DateTime<Utc> {
        at("2026-11-20T00:00:00Z")
    }

    fn vector(rel: &str) -> Option<Vec<u8>> {
        let dir = crate::test_vectors::dir()?;
        Some(std::fs::read(dir.join("notation").join(rel)).expect("read vector"))
    }

    fn e2e(name: &str) -> Vec<u8> {
        vector(&format!("notation-e2e/crl/{name}")).expect("e2e CRL vector")
    }

    /// leaf → IntermediateCA → RootCA, or None when the vectors are absent.
    fn e2e_chain() -> Option<Vec<Cert>> {
        let pem = vector("notation-e2e/crl/certchain_with_crl.pem")?;
        let chain = Cert::parse_pem_or_der(&pem).expect("chain");
        assert_eq!(chain.len(), 3);
        assert_eq!(chain[0].subject_string(), LEAF);
        Some(chain)
    }

    fn url_file(url: &str) -> String {
        hex(&sha256(url.as_bytes()))
    }

    #[test]
    fn cache_entries_are_read_as_go_reads_them_and_folded_duplicates_refused() {
        let (base, delta) =
            super::parse_cache_entry(br#"{"BASECRL":"AQI=","deltacrl":null}"#).expect("folded");
        assert_eq!((base, delta), (vec![1, 2], None));
        for ambiguous in [
            &br#"{"baseCRL":"AQI=","BaseCRL":"AwQ="}"#[..],
            br#"{"baseCRL":"AQI=","baseCRL":"AwQ="}"#,
            br#"{"baseCRL":"AQI=","deltaCRL":"AQI=","deltaCR\u004c":"AwQ="}"#,
        ] {
            let e = super::parse_cache_entry(ambiguous).expect_err("ambiguous");
            assert!(matches!(e, CacheEntryError::Ambiguous(_)), "{e:?}");
            assert!(e.to_string().contains("ambiguous JSON"), "{e}");
        }
    }

    pub(super) fn cache_entry(base: &[u8], delta: Option<&[u8]>) -> Vec<u8> {
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let mut v = serde_json::json!({ "baseCRL": b64(base) });
        if let Some(d) = delta {
            v["deltaCRL"] = serde_json::Value::String(b64(d));
        }
        serde_json::to_vec(&v).expect("json")
    }

    /// A temporary CRL folder holding `files`, loaded; asserts there were no problems.
    fn store(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, CrlStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).expect("write");
        }
        let (store, problems) = CrlStore::load(&[dir.path().to_path_buf()]);
        assert!(problems.is_empty(), "{problems:?}");
        (dir, store)
    }

    fn statuses(r: &ChainRevocation) -> Vec<&CertStatus> {
        r.per_cert.iter().map(|(_, s)| s).collect()
    }

    fn unknown_reason(s: &CertStatus) -> &str {
        match s {
            CertStatus::Unknown(r) => r,
            other => panic!("expected Unknown, got {other:?}"),
        }
    }

    #[test]
    fn e2e_good_crls_give_ok() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        let (dir, crls) = store(&[
            ("leaf.crl", e2e("leaf.crl")),
            ("intermediate.crl", e2e("intermediate.crl")),
        ]);
        let r = check_chain(&chain, &crls, None, now());
        assert_eq!(
            statuses(&r),
            [
                &CertStatus::Good,
                &CertStatus::Good,
                &CertStatus::NonRevokable
            ]
        );
        assert_eq!(r.overall(), Overall::Ok);
        assert_eq!(r.per_cert[1].0, INTERMEDIATE);
        assert_eq!(r.crl_files[0], [dir.path().join("leaf.crl")]);
        assert_eq!(r.crl_files[1], [dir.path().join("intermediate.crl")]);
        assert!(r.crl_files[2].is_empty());
    }

    #[test]
    fn e2e_leaf_revoked() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        let (_dir, crls) = store(&[
            ("leaf_revoked.crl", e2e("leaf_revoked.crl")),
            ("intermediate.crl", e2e("intermediate.crl")),
        ]);
        let r = check_chain(&chain, &crls, None, now());
        assert_eq!(
            r.per_cert[0].1,
            CertStatus::Revoked {
                reason: None,
                at: at("2024-11-11T05:30:52Z")
            }
        );
        assert_eq!(r.per_cert[1].1, CertStatus::Good);
        assert_eq!(
            r.overall(),
            Overall::Revoked {
                subject: LEAF.into()
            }
        );
    }

    #[test]
    fn e2e_intermediate_revoked() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        let (_dir, crls) = store(&[
            ("leaf.crl", e2e("leaf.crl")),
            ("intermediate_revoked.crl", e2e("intermediate_revoked.crl")),
        ]);
        let r = check_chain(&chain, &crls, None, now());
        assert_eq!(r.per_cert[0].1, CertStatus::Good);
        assert!(matches!(
            r.per_cert[1].1,
            CertStatus::Revoked { reason: None, .. }
        ));
        assert_eq!(
            r.overall(),
            Overall::Revoked {
                subject: INTERMEDIATE.into()
            }
        );
        // Both revoked: the one closest to the leaf is named.
        let (_d2, both) = store(&[
            ("leaf_revoked.crl", e2e("leaf_revoked.crl")),
            ("intermediate_revoked.crl", e2e("intermediate_revoked.crl")),
        ]);
        assert_eq!(
            check_chain(&chain, &both, None, now()).overall(),
            Overall::Revoked {
                subject: LEAF.into()
            }
        );
    }

    #[test]
    fn e2e_expired_crls_are_unknown() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        // A CRL whose nextUpdate has passed at the verification time.
        let (_dir, crls) = store(&[
            ("leaf.crl", e2e("leaf.crl")),
            ("intermediate.crl", e2e("intermediate.crl")),
        ]);
        let later = at("2125-01-01T00:00:00Z");
        let r = check_chain(&chain, &crls, None, later);
        let why = unknown_reason(&r.per_cert[0].1);
        assert!(why.contains("expired CRL"), "{why}");
        assert!(why.contains("2124-10-18T05:30:52Z"), "{why}");
        assert!(matches!(r.overall(), Overall::Unknown { subject, .. } if subject == LEAF));

        // leaf_expired.crl (nextUpdate 2023-12-25) was signed by an older IntermediateCA key:
        // its signature does not verify with this chain, so it is never used at all.
        let (_d2, crls) = store(&[
            ("leaf_expired.crl", e2e("leaf_expired.crl")),
            ("intermediate.crl", e2e("intermediate.crl")),
        ]);
        let r = check_chain(&chain, &crls, None, now());
        let why = unknown_reason(&r.per_cert[0].1);
        assert!(
            why.starts_with(&format!("no CRL for {LEAF_URL} available offline")),
            "{why}"
        );
        assert!(
            why.contains("leaf_expired.crl: CRL is not signed by CA"),
            "{why}"
        );
        assert_eq!(r.per_cert[1].1, CertStatus::Good);
    }

    #[test]
    fn no_crls_is_unknown_naming_the_url() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        let (crls, problems) = CrlStore::load(&[PathBuf::from("/nonexistent/sigaudit-crls")]);
        assert!(
            problems.is_empty(),
            "a missing folder is fine: {problems:?}"
        );
        assert!(crls.is_empty());
        let r = check_chain(&chain, &crls, None, now());
        assert_eq!(
            r.per_cert[0].1,
            CertStatus::Unknown(format!("no CRL for {LEAF_URL} available offline"))
        );
        // The intermediate also has an OCSP URL: OCSP is unknown offline, the CRL decides.
        assert_eq!(
            r.per_cert[1].1,
            CertStatus::Unknown(format!(
                "OCSP responder http://localhost.test/ocsp cannot be queried offline; \
                 no CRL for {INTERMEDIATE_URL} available offline"
            ))
        );
        assert_eq!(
            r.overall(),
            Overall::Unknown {
                subject: LEAF.into(),
                reason: format!("no CRL for {LEAF_URL} available offline"),
            }
        );
    }

    #[test]
    fn notation_cache_entries_give_the_same_results() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        let cases = [
            ("leaf.crl", "intermediate.crl", Overall::Ok),
            (
                "leaf_revoked.crl",
                "intermediate.crl",
                Overall::Revoked {
                    subject: LEAF.into(),
                },
            ),
            (
                "leaf.crl",
                "intermediate_revoked.crl",
                Overall::Revoked {
                    subject: INTERMEDIATE.into(),
                },
            ),
        ];
        for (leaf, inter, expected) in cases {
            let (dir, crls) = store(&[
                (&url_file(LEAF_URL), cache_entry(&e2e(leaf), None)),
                (&url_file(INTERMEDIATE_URL), cache_entry(&e2e(inter), None)),
            ]);
            let r = check_chain(&chain, &crls, None, now());
            assert_eq!(r.overall(), expected, "{leaf} + {inter}");
            assert_eq!(r.crl_files[0], [dir.path().join(url_file(LEAF_URL))]);
            let rows = crls.describe();
            assert_eq!(rows.len(), 2);
            assert!(
                rows.iter()
                    .all(|(_, _, d)| d.contains("notation cache entry (baseCRL)"))
            );
        }
        // Expired cache entry: unknown, like notation offline (it would re-download).
        let (_dir, crls) = store(&[
            (&url_file(LEAF_URL), cache_entry(&e2e("leaf.crl"), None)),
            (
                &url_file(INTERMEDIATE_URL),
                cache_entry(&e2e("intermediate.crl"), None),
            ),
        ]);
        let r = check_chain(&chain, &crls, None, at("2125-01-01T00:00:00Z"));
        assert!(unknown_reason(&r.per_cert[0].1).contains("expired CRL"));
    }

    #[test]
    fn pem_files_with_several_blocks() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        let mut text = String::new();
        for name in ["leaf_revoked.crl", "intermediate.crl"] {
            text.push_str(&pem::encode(&pem::Pem::new("X509 CRL", e2e(name))));
        }
        let (dir, crls) = store(&[("bundle.pem", text.into_bytes())]);
        let rows = crls.describe();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, dir.path().join("bundle.pem"));
        assert_eq!(rows[0].1, hex(&sha256(&e2e("leaf_revoked.crl"))));
        assert_eq!(
            rows[0].2,
            "issuer CN=IntermediateCA,OU=OrgUnit,O=Organization,L=City,ST=State,C=US; \
             thisUpdate 2024-11-11T05:30:52Z; nextUpdate 2124-10-18T05:30:52Z; 1 entry; \
             CRL number 4097"
        );
        assert!(rows[1].2.contains("0 entries"));
        let r = check_chain(&chain, &crls, None, now());
        assert_eq!(
            r.overall(),
            Overall::Revoked {
                subject: LEAF.into()
            }
        );
    }

    #[test]
    fn crl_of_the_wrong_issuer_is_not_used() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        // leaf.crl (signed by IntermediateCA) stored as the intermediate's cache entry.
        let (dir, crls) = store(&[
            ("leaf.crl", e2e("leaf.crl")),
            (
                &url_file(INTERMEDIATE_URL),
                cache_entry(&e2e("leaf.crl"), None),
            ),
        ]);
        let r = check_chain(&chain, &crls, None, now());
        assert_eq!(r.per_cert[0].1, CertStatus::Good);
        let why = unknown_reason(&r.per_cert[1].1);
        assert!(why.contains(&format!("no CRL for {INTERMEDIATE_URL} available offline")));
        let entry = dir.path().join(url_file(INTERMEDIATE_URL));
        assert!(
            why.contains(&format!(
                "{} (baseCRL): CRL is not signed by CA CN=RootCA,",
                entry.display()
            )),
            "{why}"
        );
        assert!(why.contains("crypto/rsa: verification error"), "{why}");
        assert!(r.crl_files[1].is_empty());

        // The same bad entry beside the right CRL: the right one is found by issuer and decides.
        let (_d2, crls) = store(&[
            ("leaf.crl", e2e("leaf.crl")),
            ("intermediate_revoked.crl", e2e("intermediate_revoked.crl")),
            (
                &url_file(INTERMEDIATE_URL),
                cache_entry(&e2e("leaf.crl"), None),
            ),
        ]);
        let r = check_chain(&chain, &crls, None, now());
        assert!(matches!(r.per_cert[1].1, CertStatus::Revoked { .. }));

        // A CRL checked against a chain it does not belong to (issuer name differs): unused.
        let (_d3, crls) = store(&[("intermediate.crl", e2e("intermediate.crl"))]);
        let r = check_chain(&chain, &crls, None, now());
        assert_eq!(
            r.per_cert[0].1,
            CertStatus::Unknown(format!("no CRL for {LEAF_URL} available offline"))
        );
    }

    #[test]
    fn unusable_files_are_reported_and_loading_continues() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p("a-empty"), b"").expect("w");
        std::fs::write(p("b-garbage"), b"this is not a CRL").expect("w");
        std::fs::write(p("c-bad.json"), b"{\"baseCRL\": 12}").expect("w");
        std::fs::write(p("d-no-base.json"), b"{\"deltaCRL\": null}").expect("w");
        std::fs::write(p("e-bad-b64.json"), b"{\"baseCRL\": \"!!!\"}").expect("w");
        std::fs::write(
            p("f-cert.pem"),
            vector("notation-e2e/localkeys/e2e.crt").expect("crt"),
        )
        .expect("w");
        let mut truncated = e2e("leaf.crl");
        truncated.truncate(100);
        std::fs::write(p("g-truncated.crl"), truncated).expect("w");
        let mut trailing = e2e("leaf.crl");
        trailing.push(0);
        std::fs::write(p("h-trailing.crl"), trailing).expect("w");
        let big = std::fs::File::create(p("i-big")).expect("create");
        big.set_len(MAX_CRL_FILE_SIZE + 1).expect("len");
        std::fs::create_dir(p("j-folder")).expect("mkdir");
        std::fs::write(p("leaf.crl"), e2e("leaf.crl")).expect("w");
        std::fs::write(p("z-intermediate.crl"), e2e("intermediate.crl")).expect("w");
        #[cfg(unix)]
        std::os::unix::fs::symlink(p("leaf.crl"), p("k-link.crl")).expect("symlink");

        let (crls, problems) = CrlStore::load(&[dir.path().to_path_buf()]);
        let got: Vec<(String, String)> = problems
            .iter()
            .map(|(path, why)| {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
                (name.to_string(), why.to_string())
            })
            .collect();
        let mut names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        names.dedup();
        let mut expected = vec![
            "a-empty",
            "b-garbage",
            "c-bad.json",
            "d-no-base.json",
            "e-bad-b64.json",
            "f-cert.pem",
            "g-truncated.crl",
            "h-trailing.crl",
            "i-big",
            "j-folder",
        ];
        if cfg!(unix) {
            expected.push("k-link.crl");
        }
        assert_eq!(names, expected, "{got:?}");
        let why = |n: &str| {
            got.iter()
                .find(|(g, _)| g == n)
                .map(|(_, w)| w.as_str())
                .unwrap_or("")
        };
        // Each problem is typed; its message is what the reports quote.
        let kind = |n: &str| {
            problems
                .iter()
                .find(|(p, _)| p.file_name().and_then(|f| f.to_str()) == Some(n))
                .map(|(_, e)| e.clone())
        };
        assert_eq!(kind("a-empty"), Some(CrlFileError::Empty));
        assert_eq!(kind("i-big"), Some(CrlFileError::TooLarge));
        assert_eq!(
            kind("d-no-base.json"),
            Some(CrlFileError::CacheEntry(CacheEntryError::NoBaseCrl))
        );
        assert!(matches!(
            kind("h-trailing.crl"),
            Some(CrlFileError::Der(CrlParseError::Malformed(_)))
        ));
        assert_eq!(why("a-empty"), "empty file");
        assert!(why("b-garbage").starts_with("malformed CRL"), "{got:?}");
        assert_eq!(
            why("c-bad.json"),
            "notation CRL cache entry: baseCRL is not a base64 string"
        );
        assert_eq!(
            why("d-no-base.json"),
            "notation CRL cache entry without a baseCRL"
        );
        assert!(why("e-bad-b64.json").contains("is not base64"));
        assert_eq!(
            why("f-cert.pem"),
            "PEM block 1 is a \"CERTIFICATE\", not an X509 CRL (ignored)"
        );
        assert!(why("g-truncated.crl").starts_with("malformed CRL"));
        assert_eq!(
            why("h-trailing.crl"),
            "malformed CRL: trailing data after the CRL"
        );
        assert_eq!(why("i-big"), "larger than the 8 MiB limit for a CRL file");
        assert!(why("j-folder").starts_with("folder, not searched"));
        if cfg!(unix) {
            assert_eq!(why("k-link.crl"), "symbolic link, not followed");
        }
        // f-cert.pem also reports that it holds no CRL at all.
        assert_eq!(
            problems
                .iter()
                .filter(|(path, _)| path.ends_with("f-cert.pem"))
                .count(),
            2
        );
        // The two good files were still loaded and work.
        assert_eq!(crls.describe().len(), 2);
        assert_eq!(
            check_chain(&chain, &crls, None, now()).overall(),
            Overall::Ok
        );

        // A file given as a folder is a problem, not a crash.
        let (_, problems) = CrlStore::load(&[p("leaf.crl")]);
        assert_eq!(problems.len(), 1);
        assert!(matches!(problems[0].1, CrlFileError::FolderUnreadable(_)));
        assert!(
            problems[0]
                .1
                .to_string()
                .starts_with("cannot read the CRL folder")
        );
    }

    #[test]
    fn cert_without_revocation_info_is_non_revokable() {
        let Some(crt) = vector("notation-e2e/localkeys/e2e.crt") else {
            return;
        };
        let e2e_cert = Cert::parse_pem_or_der(&crt).expect("crt");
        let chain = e2e_chain().expect("chain");
        let (crls, _) = CrlStore::load(&[]);
        // Not the root (an issuer follows), yet no OCSP and no CRL distribution point.
        let pair = [e2e_cert[0].clone(), chain[2].clone()];
        let r = check_chain(&pair, &crls, None, now());
        assert_eq!(
            statuses(&r),
            [&CertStatus::NonRevokable, &CertStatus::NonRevokable]
        );
        assert_eq!(r.overall(), Overall::Ok);
        // A lone self-signed certificate is the root.
        let r = check_chain(&e2e_cert, &crls, None, now());
        assert_eq!(statuses(&r), [&CertStatus::NonRevokable]);
        // An empty chain is not OK.
        assert!(matches!(
            check_chain(&[], &crls, None, now()).overall(),
            Overall::Unknown { .. }
        ));
    }

    /// The notation-core-go EJBCA certificates: distribution-point and freshestCRL parsing as in
    /// Go, including malformed and non-URI names.
    #[test]
    fn core_go_distribution_points_and_freshest_crl() {
        let Some(dir) = crate::test_vectors::dir() else {
            return;
        };
        let load = |n: &str| {
            let bytes =
                std::fs::read(dir.join("notation/notation-core-go/crl").join(n)).expect("read");
            Cert::parse_pem_or_der(&bytes).expect("cert").remove(0)
        };
        let crl_url = "http://localhost:80/ejbca/publicweb/webdist/certdist?cmd=crl&issuer=UID%3Dc-0nwwozqvawvao3ech%2CCN%3DManagementCA%2CO%3DEJBCA+Container+Quickstart";
        let delta_url = crl_url.replace("cmd=crl", "cmd=deltacrl");
        let dps =
            |c: &Cert| extension(c, &oids::CRL_DISTRIBUTION_POINTS).map(distribution_point_urls);
        let fresh = |c: &Cert| extension(c, &oids::FRESHEST_CRL).map(distribution_point_urls);

        let c = load("certificateWithDeltaCRL.cer");
        assert_eq!(dps(&c), Some(Ok(vec![crl_url.to_string()])));
        assert_eq!(fresh(&c), Some(Ok(vec![delta_url.clone()])));
        let c = load("certificateWith2DeltaCRL.cer");
        assert_eq!(
            fresh(&c),
            Some(Ok(vec![delta_url.clone(), delta_url.clone()]))
        );
        // [0] with an empty DistributionPointName: malformed, as in Go.
        let c = load("certificateWithIncompleteFreshestCRL.cer");
        assert_eq!(fresh(&c), Some(Err(CertificateError::DistributionPoint)));
        // A point without a name is skipped: no URL.
        let c = load("certificateWithIncompleteFreshestCRL2.cer");
        assert_eq!(fresh(&c), Some(Ok(vec![])));
        // fullName whose first name is not a URI: no URL (Go stops at it).
        let c = load("certificateWithNonURIDeltaCRL.cer");
        assert_eq!(fresh(&c), Some(Ok(vec![])));
        assert_eq!(dps(&c), Some(Ok(vec![])));
        let c = load("certificateWithZeroDeltaCRLURL.cer");
        assert_eq!(fresh(&c), Some(Ok(vec![])));
        assert_eq!(dps(&c), Some(Ok(vec![crl_url.to_string()])));

        // Their CRL distribution point has no URI: non-revokable, like Go's empty list.
        let issuer = e2e_chain().expect("chain").remove(2);
        let (crls, _) = CrlStore::load(&[]);
        for n in [
            "certificateWithNonURIDeltaCRL.cer",
            "certificateWithIncompleteFreshestCRL.cer",
        ] {
            let r = check_chain(&[load(n), issuer.clone()], &crls, None, now());
            assert_eq!(r.per_cert[0].1, CertStatus::NonRevokable, "{n}");
        }

        // The CRLs parse (delta indicator, numbers, freshestCRL with two URLs); ManagementCA is
        // not in the vectors, so against another issuer they are refused for their signature.
        let (_d, crls) = store(&[
            (
                "delta.crl",
                std::fs::read(dir.join("notation/notation-core-go/crl/delta.crl")).expect("r"),
            ),
            (
                "multi.crl",
                std::fs::read(
                    dir.join("notation/notation-core-go/crl/crlWithMultipleFreshestCRLs.crl"),
                )
                .expect("r"),
            ),
        ]);
        let delta = &crls.crls[0];
        assert!(delta.is_delta());
        assert_eq!(delta.number.as_deref(), Some(&[5u8][..]));
        assert_eq!(
            parse_unsigned(delta.delta_indicator.as_deref().expect("ind")),
            Some(vec![4])
        );
        assert_eq!(
            delta.unsupported_critical, None,
            "critical deltaCRLIndicator is allowed"
        );
        assert!(
            crls.describe()[0]
                .2
                .ends_with("CRL number 5; delta CRL of base 4")
        );
        let multi = &crls.crls[1];
        assert!(!multi.is_delta());
        assert_eq!(
            distribution_point_urls(multi.freshest.as_deref().expect("freshest")),
            Ok(vec![delta_url.clone(), delta_url.clone()])
        );
        // Both carry CRL number 5, so this delta cannot apply to this base.
        assert_eq!(
            delta_fits(multi, delta),
            Err(CrlRejection::DeltaNotNewer {
                delta: "5".into(),
                base: "5".into()
            })
        );
        assert_eq!(
            delta_fits(multi, delta).map_err(|e| e.to_string()),
            Err("delta CRL number 5 is not greater than the base CRL number 5".into())
        );
        let leaf = load("certificateWithDeltaCRL.cer");
        let r = check_chain(&[leaf, issuer], &crls, None, at("2024-11-25T07:33:00Z"));
        let why = unknown_reason(&r.per_cert[0].1);
        assert!(
            why.starts_with(&format!("no CRL for {crl_url} available offline")),
            "{why}"
        );
        assert!(
            why.contains("multi.crl: CRL is not signed by CA CN=RootCA"),
            "{why}"
        );
    }

    /// Every truncation and many single-byte changes of a real CRL that revokes the leaf:
    /// parsing and checking never panic, and no change turns the leaf's status into Good.
    #[test]
    fn mutated_crls_never_panic() {
        let Some(chain) = e2e_chain() else {
            return;
        };
        let good = e2e("leaf_revoked.crl");
        let mut variants: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
        for i in 0..good.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut v = good.clone();
                v[i] ^= flip;
                variants.push(v);
            }
        }
        let path = Path::new("mutated.crl");
        let mut parsed = 0;
        for v in variants {
            let mut crls = CrlStore { crls: Vec::new() };
            let mut problems = Vec::new();
            crls.add_file(path, v.clone(), None, &mut problems);
            let _ = crls.describe();
            if crls.is_empty() {
                continue;
            }
            parsed += 1;
            let r = check_chain(&chain, &crls, None, now());
            if let CertStatus::Good = r.per_cert[0].1 {
                panic!("a mutation of a CRL revoking the leaf gave Good");
            }
        }
        assert!(parsed > 0);
    }

    #[test]
    fn generalized_time_like_go() {
        let gt = |s: &str| {
            let mut v = vec![GENERALIZED_TIME, s.len() as u8];
            v.extend_from_slice(s.as_bytes());
            parse_generalized_time(&v)
        };
        assert_eq!(gt("20250121091746Z"), Ok(at("2025-01-21T09:17:46Z")));
        assert_eq!(
            gt("20250121091746.641Z"),
            Ok(at("2025-01-21T09:17:46.641Z"))
        );
        assert_eq!(gt("20250121101746+0100"), Ok(at("2025-01-21T09:17:46Z")));
        assert!(gt("20250121091746.640Z").is_err(), "trailing zero");
        assert!(gt("20250121091746").is_err());
        assert!(gt("20251321091746Z").is_err());
        assert!(gt("2025012109174Z").is_err());
    }
}

/// Semantics the vectors do not reach (hold/remove, invalidityDate, delta CRLs, extension and
/// scope rules), on a small P-256 PKI made at test time with aws-lc-rs and x509-cert's encoder.
#[cfg(test)]
mod synthetic {
    use std::str::FromStr as _;
    use std::time::Duration;

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
    use der::Encode as _;
    use der::asn1::{Any, BitString, GeneralizedTime, Ia5String, OctetString, UtcTime};
    use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
    use x509_cert::ext::Extension;
    use x509_cert::ext::pkix::crl::dp::DistributionPoint;
    use x509_cert::ext::pkix::{BasicConstraints, CrlDistributionPoints, KeyUsage, KeyUsages};
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    use x509_cert::time::Validity;
    use x509_cert::{Certificate, TbsCertificate, Version};

    use super::tests::{at, cache_entry, now};
    use super::*;
    use crate::x509::oids as xoids;

    const URL: &str = "http://crl.example/ca.crl";
    const DELTA_URL: &str = "http://crl.example/ca-delta.crl";
    const LEAF_SERIAL: u8 = 0x11;

    fn xtime(s: &str) -> Time {
        let t = at(s);
        let d = Duration::from_secs(u64::try_from(t.timestamp()).expect("after 1970"));
        if chrono::Datelike::year(&t) < 2050 {
            Time::UtcTime(UtcTime::from_unix_duration(d).expect("utc"))
        } else {
            Time::GeneralTime(GeneralizedTime::from_unix_duration(d).expect("gt"))
        }
    }

    fn gtime_der(s: &str) -> Vec<u8> {
        let d = Duration::from_secs(u64::try_from(at(s).timestamp()).expect("t"));
        GeneralizedTime::from_unix_duration(d)
            .expect("gt")
            .to_der()
            .expect("der")
    }

    fn ext(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Extension {
        Extension {
            extn_id: oid,
            critical,
            extn_value: OctetString::new(value).expect("octets"),
        }
    }

    fn dps(url: &str) -> Vec<u8> {
        CrlDistributionPoints(vec![DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(Ia5String::new(url).expect("ia5")),
            ])),
            reasons: None,
            crl_issuer: None,
        }])
        .to_der()
        .expect("der")
    }

    fn alg() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: xoids::SHA256_ECDSA,
            parameters: None,
        }
    }

    fn sign(key: &EcdsaKeyPair, data: &[u8]) -> BitString {
        let sig = key.sign(&SystemRandom::new(), data).expect("sign");
        BitString::from_bytes(sig.as_ref()).expect("bits")
    }

    /// A certificate for `subject_key`, issued by `key`/`issuer`.
    fn issue(
        key: &EcdsaKeyPair,
        issuer: &Name,
        subject_key: &EcdsaKeyPair,
        serial: u8,
        subject: &Name,
        extensions: Vec<Extension>,
    ) -> Cert {
        let spki = SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: xoids::EC_PUBLIC_KEY,
                parameters: Some(Any::encode_from(&xoids::P256).expect("any")),
            },
            subject_public_key: BitString::from_bytes(subject_key.public_key().as_ref())
                .expect("bits"),
        };
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[serial]).expect("serial"),
            signature: alg(),
            issuer: issuer.clone(),
            validity: Validity {
                not_before: xtime("2025-01-01T00:00:00Z"),
                not_after: xtime("2099-01-01T00:00:00Z"),
            },
            subject: subject.clone(),
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        let signature = sign(key, &tbs.to_der().expect("tbs"));
        let der = Certificate {
            tbs_certificate: tbs,
            signature_algorithm: alg(),
            signature,
        }
        .to_der()
        .expect("cert");
        Cert::from_der(&der).expect("parse own cert")
    }

    struct Ca {
        key: EcdsaKeyPair,
        name: Name,
        cert: Cert,
    }

    impl Ca {
        fn new(cn: &str, key_usage: der::flagset::FlagSet<KeyUsages>) -> Ca {
            let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("key");
            let name = Name::from_str(&format!("CN={cn},O=sigaudit")).expect("name");
            let exts = vec![
                ext(
                    xoids::BASIC_CONSTRAINTS,
                    true,
                    BasicConstraints {
                        ca: true,
                        path_len_constraint: None,
                    }
                    .to_der()
                    .expect("bc"),
                ),
                ext(
                    xoids::KEY_USAGE,
                    true,
                    KeyUsage(key_usage).to_der().expect("ku"),
                ),
            ];
            let cert = issue(&key, &name, &key, 1, &name, exts);
            Ca { key, name, cert }
        }

        /// A CA certificate with its own key, issued by this CA, with `extra` extensions.
        fn sub_ca(&self, cn: &str, extra: Vec<Extension>) -> Ca {
            let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("key");
            let name = Name::from_str(&format!("CN={cn},O=sigaudit")).expect("name");
            let mut exts = vec![ext(
                xoids::BASIC_CONSTRAINTS,
                true,
                BasicConstraints {
                    ca: true,
                    path_len_constraint: None,
                }
                .to_der()
                .expect("bc"),
            )];
            exts.extend(extra);
            let cert = issue(&self.key, &self.name, &key, 2, &name, exts);
            Ca { key, name, cert }
        }

        fn sign(&self, data: &[u8]) -> BitString {
            sign(&self.key, data)
        }

        /// A certificate issued by this CA (with the CA's key as subject key: irrelevant for
        /// revocation).
        fn issue(&self, serial: u8, subject: &Name, extensions: Vec<Extension>) -> Cert {
            issue(
                &self.key, &self.name, &self.key, serial, subject, extensions,
            )
        }

        /// The end-entity certificate checked in these tests.
        fn leaf(&self, freshest: Option<&str>, ca: bool) -> Cert {
            let mut exts = vec![ext(xoids::BASIC_CONSTRAINTS, true, {
                BasicConstraints {
                    ca,
                    path_len_constraint: None,
                }
                .to_der()
                .expect("bc")
            })];
            exts.push(ext(oids::CRL_DISTRIBUTION_POINTS, false, dps(URL)));
            if let Some(f) = freshest {
                exts.push(ext(oids::FRESHEST_CRL, false, dps(f)));
            }
            let subject = Name::from_str("CN=Synthetic Leaf,O=sigaudit").expect("name");
            self.issue(LEAF_SERIAL, &subject, exts)
        }

        fn crl(&self, spec: &Spec) -> Vec<u8> {
            let entries: Vec<RevokedCert> = spec
                .entries
                .iter()
                .map(|e| {
                    let mut exts = Vec::new();
                    if let Some(r) = e.reason {
                        exts.push(ext(oids::REASON_CODE, false, vec![ENUMERATED, 1, r]));
                    }
                    if let Some(inv) = &e.invalidity {
                        exts.push(ext(oids::INVALIDITY_DATE, false, inv.clone()));
                    }
                    if e.critical_unknown {
                        exts.push(ext(
                            ObjectIdentifier::new_unwrap("1.2.3.4"),
                            true,
                            vec![5, 0],
                        ));
                    }
                    RevokedCert {
                        serial_number: SerialNumber::new(&[e.serial]).expect("serial"),
                        revocation_date: xtime(e.at),
                        crl_entry_extensions: (!exts.is_empty()).then_some(exts),
                    }
                })
                .collect();
            let mut exts = Vec::new();
            if let Some(n) = spec.number {
                exts.push(ext(oids::CRL_NUMBER, false, n.to_der().expect("n")));
            }
            if let Some(b) = spec.delta_of {
                exts.push(ext(oids::DELTA_CRL_INDICATOR, true, b.to_der().expect("b")));
            }
            if let Some(f) = spec.freshest {
                exts.push(ext(oids::FRESHEST_CRL, false, dps(f)));
            }
            if let Some(idp) = &spec.idp {
                exts.push(ext(oids::ISSUING_DISTRIBUTION_POINT, true, idp.clone()));
            }
            if spec.critical_unknown {
                exts.push(ext(
                    ObjectIdentifier::new_unwrap("1.2.3.4"),
                    true,
                    vec![5, 0],
                ));
            }
            let tbs = TbsCertList {
                version: Version::V2,
                signature: alg(),
                issuer: self.name.clone(),
                this_update: xtime(spec.this),
                next_update: spec.next.map(xtime),
                revoked_certificates: (!entries.is_empty()).then_some(entries),
                crl_extensions: (!exts.is_empty()).then_some(exts),
            };
            let signature = self.sign(&tbs.to_der().expect("tbs"));
            CertificateList {
                tbs_cert_list: tbs,
                signature_algorithm: alg(),
                signature,
            }
            .to_der()
            .expect("crl")
        }
    }

    struct Spec<'a> {
        this: &'a str,
        next: Option<&'a str>,
        number: Option<u64>,
        delta_of: Option<u64>,
        freshest: Option<&'a str>,
        idp: Option<Vec<u8>>,
        critical_unknown: bool,
        entries: Vec<E<'a>>,
    }

    impl Default for Spec<'_> {
        fn default() -> Self {
            Spec {
                this: "2026-11-01T00:00:00Z",
                next: Some("2026-12-01T00:00:00Z"),
                number: Some(10),
                delta_of: None,
                freshest: None,
                idp: None,
                critical_unknown: false,
                entries: Vec::new(),
            }
        }
    }

    struct E<'a> {
        serial: u8,
        at: &'a str,
        reason: Option<u8>,
        invalidity: Option<Vec<u8>>,
        critical_unknown: bool,
    }

    fn entry(at: &str, reason: Option<u8>) -> E<'_> {
        E {
            serial: LEAF_SERIAL,
            at,
            reason,
            invalidity: None,
            critical_unknown: false,
        }
    }

    fn ca() -> Ca {
        Ca::new("Synthetic CA", KeyUsages::KeyCertSign | KeyUsages::CRLSign)
    }

    fn load(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, CrlStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).expect("write");
        }
        let (store, problems) = CrlStore::load(&[dir.path().to_path_buf()]);
        assert!(problems.is_empty(), "{problems:?}");
        (dir, store)
    }

    /// The leaf's status with these CRL files loaded.
    fn leaf_status(
        ca: &Ca,
        leaf: &Cert,
        files: &[(&str, Vec<u8>)],
        signing_time: Option<DateTime<Utc>>,
    ) -> CertStatus {
        let (_dir, store) = load(files);
        let chain = [leaf.clone(), ca.cert.clone()];
        let r = check_chain(&chain, &store, signing_time, now());
        assert_eq!(r.per_cert[1].1, CertStatus::NonRevokable);
        r.per_cert[0].1.clone()
    }

    fn revoked(reason: Option<&str>, when: &str) -> CertStatus {
        CertStatus::Revoked {
            reason: reason.map(str::to_string),
            at: at(when),
        }
    }

    fn unknown_containing(status: &CertStatus, needle: &str) {
        match status {
            CertStatus::Unknown(why) => assert!(why.contains(needle), "{why:?} lacks {needle:?}"),
            other => panic!("expected Unknown containing {needle:?}, got {other:?}"),
        }
    }

    #[test]
    fn reasons_hold_and_remove() {
        let ca = ca();
        let leaf = ca.leaf(None, false);
        let with = |entries: Vec<E>| {
            let crl = ca.crl(&Spec {
                entries,
                ..Spec::default()
            });
            leaf_status(&ca, &leaf, &[("ca.crl", crl)], None)
        };
        assert_eq!(with(vec![]), CertStatus::Good);
        let other = E {
            serial: 0x12,
            ..entry("2026-10-01T00:00:00Z", Some(1))
        };
        assert_eq!(with(vec![other]), CertStatus::Good);
        assert_eq!(
            with(vec![entry("2026-10-01T00:00:00Z", Some(1))]),
            revoked(Some("keyCompromise"), "2026-10-01T00:00:00Z")
        );
        assert_eq!(
            with(vec![entry("2026-10-01T00:00:00Z", Some(0))]),
            revoked(Some("unspecified"), "2026-10-01T00:00:00Z")
        );
        assert_eq!(
            with(vec![entry("2026-10-01T00:00:00Z", Some(6))]),
            revoked(Some("certificateHold"), "2026-10-01T00:00:00Z")
        );
        // The latest of hold / removeFromCRL decides.
        assert_eq!(
            with(vec![
                entry("2026-10-01T00:00:00Z", Some(6)),
                entry("2026-10-05T00:00:00Z", Some(8))
            ]),
            CertStatus::Good
        );
        assert_eq!(
            with(vec![
                entry("2026-10-05T00:00:00Z", Some(8)),
                entry("2026-10-01T00:00:00Z", Some(6))
            ]),
            CertStatus::Good
        );
        assert_eq!(
            with(vec![
                entry("2026-10-01T00:00:00Z", Some(8)),
                entry("2026-10-05T00:00:00Z", Some(6))
            ]),
            revoked(Some("certificateHold"), "2026-10-05T00:00:00Z")
        );
        // A permanent reason wins over a later removeFromCRL.
        assert_eq!(
            with(vec![
                entry("2026-10-01T00:00:00Z", Some(4)),
                entry("2026-10-05T00:00:00Z", Some(8))
            ]),
            revoked(Some("superseded"), "2026-10-01T00:00:00Z")
        );
        // An unknown critical extension on the matching entry: undecidable.
        let bad = E {
            critical_unknown: true,
            ..entry("2026-10-01T00:00:00Z", Some(1))
        };
        unknown_containing(
            &with(vec![bad]),
            "unsupported critical extension found in CRL: 1.2.3.4",
        );
    }

    #[test]
    fn invalidity_date_against_signing_time() {
        let ca = ca();
        let leaf = ca.leaf(None, false);
        let crl = ca.crl(&Spec {
            entries: vec![E {
                invalidity: Some(gtime_der("2026-05-01T00:00:00Z")),
                ..entry("2026-06-01T00:00:00Z", Some(1))
            }],
            ..Spec::default()
        });
        let files = [("ca.crl", crl)];
        let keycomp = revoked(Some("keyCompromise"), "2026-06-01T00:00:00Z");
        // Signed before the key became invalid: not revoked for that signature.
        assert_eq!(
            leaf_status(&ca, &leaf, &files, Some(at("2026-04-01T00:00:00Z"))),
            CertStatus::Good
        );
        assert_eq!(
            leaf_status(&ca, &leaf, &files, Some(at("2026-05-15T00:00:00Z"))),
            keycomp
        );
        // notary.x509 passes no signing time: invalidityDate never rescues.
        assert_eq!(leaf_status(&ca, &leaf, &files, None), keycomp);

        // A malformed invalidityDate (UTCTime) fails only when it is needed.
        let bad = ca.crl(&Spec {
            entries: vec![E {
                invalidity: Some(
                    UtcTime::from_unix_duration(Duration::from_secs(1_780_000_000))
                        .expect("utc")
                        .to_der()
                        .expect("der"),
                ),
                ..entry("2026-06-01T00:00:00Z", Some(1))
            }],
            ..Spec::default()
        });
        let files = [("ca.crl", bad)];
        assert_eq!(leaf_status(&ca, &leaf, &files, None), keycomp);
        unknown_containing(
            &leaf_status(&ca, &leaf, &files, Some(at("2026-04-01T00:00:00Z"))),
            "failed to parse invalidity date",
        );
    }

    #[test]
    fn crl_validity_rules() {
        let ca = ca();
        let leaf = ca.leaf(None, false);
        let status = |spec: Spec| leaf_status(&ca, &leaf, &[("ca.crl", ca.crl(&spec))], None);
        unknown_containing(
            &status(Spec {
                next: None,
                ..Spec::default()
            }),
            "CRL NextUpdate is not set",
        );
        unknown_containing(
            &status(Spec {
                next: Some("2026-11-19T00:00:00Z"),
                ..Spec::default()
            }),
            "expired CRL: nextUpdate 2026-11-19T00:00:00Z is before the verification time 2026-11-20T00:00:00Z",
        );
        unknown_containing(
            &status(Spec {
                critical_unknown: true,
                ..Spec::default()
            }),
            "unsupported critical extension found in CRL: 1.2.3.4",
        );
        // A critical issuingDistributionPoint naming this URL is allowed.
        let idp = |url: &str| {
            let mut v = vec![SEQUENCE];
            let name = dps(url);
            // dps() is SEQUENCE { SEQUENCE { [0] { [0] {uri} } } }: reuse its DistributionPoint.
            let (outer, _) = split_tlv(&name).expect("dps");
            let (dp, _) = split_tlv(outer.content).expect("dp");
            v.push(dp.content.len() as u8);
            v.extend_from_slice(dp.content);
            v
        };
        assert_eq!(
            status(Spec {
                idp: Some(idp(URL)),
                ..Spec::default()
            }),
            CertStatus::Good
        );
        // The same CRL, issued for another distribution point, is not used for this one.
        unknown_containing(
            &status(Spec {
                idp: Some(idp("http://crl.example/other.crl")),
                ..Spec::default()
            }),
            "issued for distribution point http://crl.example/other.crl, not http://crl.example/ca.crl",
        );
        // onlyContainsCACerts ([2] TRUE) does not cover an end-entity certificate.
        unknown_containing(
            &status(Spec {
                idp: Some(vec![SEQUENCE, 3, 0x82, 1, 0xff]),
                ..Spec::default()
            }),
            "covers only CA certificates",
        );
        // ... but as the notation cache entry of that URL it is used, as notation does.
        let crl = ca.crl(&Spec {
            idp: Some(vec![SEQUENCE, 3, 0x82, 1, 0xff]),
            ..Spec::default()
        });
        let name = hex(&sha256(URL.as_bytes()));
        assert_eq!(
            leaf_status(&ca, &leaf, &[(&name, cache_entry(&crl, None))], None),
            CertStatus::Good
        );
    }

    #[test]
    fn signer_must_be_the_issuer_and_allowed_to_sign_crls() {
        let ca = ca();
        let leaf = ca.leaf(None, false);
        // Same name, other key: the signature does not verify.
        let impostor = Ca::new("Synthetic CA", KeyUsages::KeyCertSign | KeyUsages::CRLSign);
        let forged = impostor.crl(&Spec::default());
        let status = leaf_status(&ca, &leaf, &[("forged.crl", forged)], None);
        unknown_containing(
            &status,
            "no CRL for http://crl.example/ca.crl available offline",
        );
        unknown_containing(
            &status,
            "forged.crl: CRL is not signed by CA CN=Synthetic CA,O=sigaudit: x509: ECDSA verification failure",
        );
        // keyUsage without cRLSign: Go's ConstraintViolationError.
        let no_crl_sign = Ca::new("No CRLSign CA", KeyUsages::KeyCertSign.into());
        let leaf2 = no_crl_sign.leaf(None, false);
        let status = leaf_status(
            &no_crl_sign,
            &leaf2,
            &[("ca.crl", no_crl_sign.crl(&Spec::default()))],
            None,
        );
        unknown_containing(
            &status,
            "parent certificate cannot sign this kind of certificate",
        );
    }

    #[test]
    fn newest_verified_crl_is_used() {
        let ca = ca();
        let leaf = ca.leaf(None, false);
        let old = ca.crl(&Spec {
            number: Some(9),
            this: "2026-10-01T00:00:00Z",
            ..Spec::default()
        });
        let new = ca.crl(&Spec {
            number: Some(10),
            entries: vec![entry("2026-10-15T00:00:00Z", Some(1))],
            ..Spec::default()
        });
        let keycomp = revoked(Some("keyCompromise"), "2026-10-15T00:00:00Z");
        for names in [("a.crl", "b.crl"), ("b.crl", "a.crl")] {
            let files = [(names.0, old.clone()), (names.1, new.clone())];
            assert_eq!(leaf_status(&ca, &leaf, &files, None), keycomp);
        }
        // A stale cache entry loses to a newer CRL file of the same issuer.
        let name = hex(&sha256(URL.as_bytes()));
        let files = [(name.as_str(), cache_entry(&old, None)), ("new.crl", new)];
        assert_eq!(leaf_status(&ca, &leaf, &files, None), keycomp);
    }

    #[test]
    fn delta_crls() {
        let ca = ca();
        let leaf = ca.leaf(None, false);
        let base = |entries: Vec<E<'static>>| {
            ca.crl(&Spec {
                number: Some(10),
                freshest: Some(DELTA_URL),
                entries,
                ..Spec::default()
            })
        };
        let delta = |number: u64, of: u64, entries: Vec<E<'static>>| {
            ca.crl(&Spec {
                number: Some(number),
                delta_of: Some(of),
                this: "2026-11-10T00:00:00Z",
                entries,
                ..Spec::default()
            })
        };
        // freshestCRL in the base CRL and no delta: unknown.
        unknown_containing(
            &leaf_status(&ca, &leaf, &[("base.crl", base(vec![]))], None),
            "announces a delta CRL at http://crl.example/ca-delta.crl, and none for CRL",
        );
        // The delta revokes what the base does not list.
        let kc = vec![entry("2026-11-09T00:00:00Z", Some(1))];
        let (dir, store) = load(&[("base.crl", base(vec![])), ("delta.crl", delta(11, 10, kc))]);
        let r = check_chain(&[leaf.clone(), ca.cert.clone()], &store, None, now());
        assert_eq!(
            r.per_cert[0].1,
            revoked(Some("keyCompromise"), "2026-11-09T00:00:00Z")
        );
        assert_eq!(
            r.crl_files[0],
            [dir.path().join("base.crl"), dir.path().join("delta.crl")]
        );
        // A hold in the base lifted by removeFromCRL in the delta.
        let files = [
            (
                "base.crl",
                base(vec![entry("2026-10-01T00:00:00Z", Some(6))]),
            ),
            (
                "delta.crl",
                delta(11, 10, vec![entry("2026-11-09T00:00:00Z", Some(8))]),
            ),
        ];
        assert_eq!(leaf_status(&ca, &leaf, &files, None), CertStatus::Good);
        // Numbering rules.
        unknown_containing(
            &leaf_status(
                &ca,
                &leaf,
                &[
                    ("base.crl", base(vec![])),
                    ("delta.crl", delta(10, 10, vec![])),
                ],
                None,
            ),
            "delta CRL number 10 is not greater than the base CRL number 10",
        );
        unknown_containing(
            &leaf_status(
                &ca,
                &leaf,
                &[
                    ("base.crl", base(vec![])),
                    ("delta.crl", delta(12, 11, vec![])),
                ],
                None,
            ),
            "delta CRL indicator 11 is not less than or equal to the base CRL number 10",
        );
        // A delta alone is never taken for a complete CRL.
        let name = hex(&sha256(URL.as_bytes()));
        unknown_containing(
            &leaf_status(
                &ca,
                &leaf,
                &[(&name, cache_entry(&delta(11, 10, vec![]), None))],
                None,
            ),
            "(baseCRL): a delta CRL, not a complete CRL",
        );
        // notation cache entry with both CRLs.
        let kc = vec![entry("2026-11-09T00:00:00Z", Some(1))];
        let files = [(
            name.as_str(),
            cache_entry(&base(vec![]), Some(&delta(11, 10, kc))),
        )];
        assert_eq!(
            leaf_status(&ca, &leaf, &files, None),
            revoked(Some("keyCompromise"), "2026-11-09T00:00:00Z")
        );
        let files = [(
            name.as_str(),
            cache_entry(&base(vec![]), Some(&delta(9, 8, vec![]))),
        )];
        unknown_containing(
            &leaf_status(&ca, &leaf, &files, None),
            "(deltaCRL) for http://crl.example/ca.crl: delta CRL number 9 is not greater",
        );
        // An expired delta makes the result unknown.
        let stale = ca.crl(&Spec {
            number: Some(11),
            delta_of: Some(10),
            next: Some("2026-11-15T00:00:00Z"),
            ..Spec::default()
        });
        unknown_containing(
            &leaf_status(
                &ca,
                &leaf,
                &[("base.crl", base(vec![])), ("delta.crl", stale)],
                None,
            ),
            "delta.crl for http://crl.example/ca.crl: expired CRL",
        );
    }

    #[test]
    fn freshest_crl_in_the_certificate() {
        let ca = ca();
        let leaf = ca.leaf(Some(DELTA_URL), false);
        let plain_base = ca.crl(&Spec::default());
        unknown_containing(
            &leaf_status(&ca, &leaf, &[("base.crl", plain_base.clone())], None),
            "the certificate announces a delta CRL at http://crl.example/ca-delta.crl",
        );
        let delta = ca.crl(&Spec {
            number: Some(11),
            delta_of: Some(10),
            entries: vec![entry("2026-11-09T00:00:00Z", Some(1))],
            ..Spec::default()
        });
        // Found by the delta URL's cache key as well as by issuer.
        for name in ["delta.crl".to_string(), hex(&sha256(DELTA_URL.as_bytes()))] {
            let bytes = if name.len() == 64 {
                cache_entry(&delta, None)
            } else {
                delta.clone()
            };
            assert_eq!(
                leaf_status(
                    &ca,
                    &leaf,
                    &[("base.crl", plain_base.clone()), (&name, bytes)],
                    None
                ),
                revoked(Some("keyCompromise"), "2026-11-09T00:00:00Z"),
                "{name}"
            );
        }
    }

    #[test]
    fn ocsp_only_is_unknown_offline() {
        use x509_cert::ext::pkix::{AccessDescription, AuthorityInfoAccessSyntax};
        let ca = ca();
        let aia = |urls: &[&str]| {
            AuthorityInfoAccessSyntax(
                urls.iter()
                    .map(|u| AccessDescription {
                        access_method: oids::AD_OCSP,
                        access_location: GeneralName::UniformResourceIdentifier(
                            Ia5String::new(*u).expect("ia5"),
                        ),
                    })
                    .collect(),
            )
            .to_der()
            .expect("aia")
        };
        let subject = Name::from_str("CN=OCSP Only,O=sigaudit").expect("name");
        let (_dir, store) = load(&[]);
        let status = |exts: Vec<Extension>| {
            let cert = ca.issue(0x21, &subject, exts);
            check_chain(&[cert, ca.cert.clone()], &store, None, now()).per_cert[0]
                .1
                .clone()
        };
        assert_eq!(
            status(vec![ext(
                oids::AUTHORITY_INFO_ACCESS,
                false,
                aia(&["http://ocsp.example"])
            )]),
            CertStatus::Unknown(
                "OCSP responder http://ocsp.example cannot be queried offline".into()
            )
        );
        assert_eq!(
            status(vec![ext(
                oids::AUTHORITY_INFO_ACCESS,
                false,
                aia(&["http://a.example", "http://b.example"])
            )]),
            CertStatus::Unknown(
                "OCSP responders http://a.example, http://b.example cannot be queried offline"
                    .into()
            )
        );
        // caIssuers only (no OCSP) and no CRL: non-revokable.
        let ca_issuers = AuthorityInfoAccessSyntax(vec![AccessDescription {
            access_method: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2"),
            access_location: GeneralName::UniformResourceIdentifier(
                Ia5String::new("http://ca.example/ca.crt").expect("ia5"),
            ),
        }])
        .to_der()
        .expect("aia");
        assert_eq!(
            status(vec![ext(oids::AUTHORITY_INFO_ACCESS, false, ca_issuers)]),
            CertStatus::NonRevokable
        );
        // A malformed AIA cannot be judged.
        assert_eq!(
            status(vec![ext(
                oids::AUTHORITY_INFO_ACCESS,
                false,
                vec![0x30, 0x03, 0x30, 0x01]
            )]),
            CertStatus::Unknown(
                "authority information access: x509: invalid authority info access".into()
            )
        );
    }

    #[test]
    fn overall_names_the_unknown_closest_to_the_leaf() {
        let root = ca();
        // An intermediate with its own key and a CRL distribution point, issued by the root.
        let inter = root.sub_ca(
            "Synthetic Intermediate",
            vec![ext(
                oids::CRL_DISTRIBUTION_POINTS,
                false,
                dps("http://crl.example/root.crl"),
            )],
        );
        let leaf = inter.leaf(None, false);
        // The leaf's CRL (from the intermediate) is there and good; the root's CRL is missing.
        let (_dir, store) = load(&[("inter.crl", inter.crl(&Spec::default()))]);
        let inter = inter.cert;
        let r = check_chain(&[leaf, inter, root.cert.clone()], &store, None, now());
        assert_eq!(r.per_cert[0].1, CertStatus::Good);
        assert_eq!(
            r.overall(),
            Overall::Unknown {
                subject: "CN=Synthetic Intermediate,O=sigaudit".into(),
                reason: "no CRL for http://crl.example/root.crl available offline".into(),
            }
        );
    }

    #[test]
    fn large_crl_is_scanned_in_place() {
        let ca = ca();
        let leaf = ca.leaf(None, false);
        let n = 20_000usize;
        let mut entries: Vec<E> = (0..n)
            .map(|i| E {
                serial: [0x20, 0x30, 0x40, 0x50][i % 4],
                ..entry("2026-10-01T00:00:00Z", Some(1))
            })
            .collect();
        entries.push(entry("2026-10-02T00:00:00Z", Some(3)));
        let crl = ca.crl(&Spec {
            entries,
            ..Spec::default()
        });
        let size = crl.len();
        let (_dir, store) = load(&[("big.crl", crl)]);
        assert_eq!(store.crls[0].der.len(), size);
        assert!(store.describe()[0].2.contains("20001 entries"));
        let r = check_chain(&[leaf, ca.cert.clone()], &store, None, now());
        assert_eq!(
            r.per_cert[0].1,
            revoked(Some("affiliationChanged"), "2026-10-02T00:00:00Z")
        );
    }
}
