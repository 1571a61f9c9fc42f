//! The per-signature verification pipeline of notation-go (reference §3.1–3.2), offline.
//!
//! [`Verifier::verify`] runs, in notation's order, the five checks a trust-policy level
//! configures: **integrity** (envelope, signature maths, header rules, code-signing chain
//! rules), **authenticity** (a chain certificate byte-equal to a trust-store certificate of the
//! scheme's store type, then the trusted identities), **expiry**, **authenticTimestamp**
//! (signing-authority time, RFC 3161 countersignature, or the chain's validity now) and
//! **revocation**, and then the **targetArtifact** descriptor check. An enforced failure ends the
//! pipeline (the later checks are reported `skipped`); a logged failure is recorded and the next
//! check runs. Every check is reported with what it found, so a report says exactly why.
//!
//! Departures from notation-go, all on purpose and all fail-closed or offline-only:
//! * **Revocation is offline.** CRLs come from files ([`CrlStore`]); OCSP is never queried.
//!   A certificate whose status cannot be established offline makes the check `not-checked`
//!   (not a failure) unless [`VerifyOptions::require_revocation`] is set, in which case it fails
//!   as notation's "revocation status is unknown" would. The same holds for the TSA chain of a
//!   timestamp (notation always checks it online).
//! * **Trust stores are read leniently** ([`TrustStores`]): a bad file, or a named store that is
//!   missing, does not fail the others (notation fails the whole statement). Only certificates
//!   that were actually loaded from a named store of the right type can anchor a signature, so
//!   leniency can never make an untrusted signature trusted.
//! * **Unknown critical attributes fail** (the specification's rule; notation-go ignores them
//!   when no verification plugin is named), and a signature that names a verification plugin is
//!   inconclusive, hence a failure: this verifier runs no plugins.
//! * **The descriptor check always runs last and is always fatal**, at every level, as in
//!   notation-go (it is outside the level's checks there too).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::chain::{self, rfc1123z};
use crate::envelope::{self, Envelope, EnvelopeFormat, SigningScheme};
use crate::policy::{
    Action, Check, PolicyError, TrustPolicyDocument, TrustPolicyStatement, VerificationLevel,
    VerifyTimestamp,
};
use crate::revocation::{self, CrlStore, Overall};
use crate::timestamp::{self, Timestamp};
use crate::truststore::{self, LoadedStore, StoreType, TrustStoreError};
use crate::x509::{Cert, X509Error, go_quote, hex};

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// The check ran and passed.
    Pass,
    /// The check failed and the level enforces it.
    Fail,
    /// The check failed and the level only logs it.
    Logged,
    /// The check was not run (the level skips it, or an earlier check failed).
    Skipped,
    /// The check could not be carried out offline (revocation without a CRL).
    NotChecked,
}

impl CheckStatus {
    /// `pass`, `fail`, `logged`, `skipped`, `not-checked`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Logged => "logged",
            CheckStatus::Skipped => "skipped",
            CheckStatus::NotChecked => "not-checked",
        }
    }
}

/// One step of the pipeline: the five level checks, plus the final descriptor comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// A check configured by the verification level.
    Level(Check),
    /// `targetArtifact` equals the signed subject (mediaType, digest, size); always enforced.
    TargetArtifact,
}

impl Step {
    /// The check's name as notation spells it (`targetArtifact` for the descriptor step).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Level(c) => c.as_str(),
            Step::TargetArtifact => "targetArtifact",
        }
    }
}

/// The result of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Which step.
    pub step: Step,
    /// What it found.
    pub status: CheckStatus,
    /// What was checked and, on failure, notation's message.
    pub detail: String,
}

/// Why a signature did not verify: the first enforced failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The envelope is malformed, its signature does not verify, or its chain breaks the rules.
    Integrity,
    /// The signature names a verification plugin (this verifier runs none).
    PluginRequired,
    /// The signature has critical attributes this verifier does not understand.
    UnknownCriticalAttribute,
    /// No certificate of the chain is in a trust store of the scheme's type.
    UntrustedChain,
    /// No trust-store certificate was available for the scheme.
    NoTrustedCertificates,
    /// The leaf subject matches none of the trusted identities.
    IdentityMismatch,
    /// The signature's `expiry` has passed.
    Expired,
    /// A chain certificate has expired and no valid timestamp proves the signing time.
    CertificateExpired,
    /// A chain certificate is not valid yet.
    CertificateNotYetValid,
    /// The timestamp countersignature (or the authentic signing time) does not prove that the
    /// signature was made while the certificates were valid.
    Timestamp,
    /// A certificate of the chain (or of the TSA chain) is revoked.
    Revoked,
    /// A certificate's revocation status is unknown offline and `require_revocation` is set.
    RevocationUnknown,
    /// The payload's `targetArtifact` is not the subject.
    DescriptorMismatch,
    /// The envelope, its protected header or its payload has two keys that Go reads as one
    /// field (see [`sigaudit_gojson`]): Go verifiers may read other values than this one.
    AmbiguousJson,
}

/// The first enforced failure and notation's message for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The step that failed.
    pub step: Step,
    /// Category, for result codes.
    pub kind: FailureKind,
    /// The message (`FAIL <check>: <message>` in notation's words).
    pub message: String,
}

/// The trust-store certificate a signature's chain was anchored by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// Store type (`ca` or `signingAuthority`).
    pub store_type: StoreType,
    /// Store name.
    pub store: String,
    /// File name inside the store.
    pub file: String,
    /// Subject of the anchoring certificate, as Go prints it.
    pub subject: String,
    /// SHA-256 of the anchoring certificate's DER, lower-case hex.
    pub sha256: String,
}

impl Anchor {
    /// `type:name`, as in a policy's `trustStores`.
    pub fn store_ref(&self) -> String {
        format!("{}:{}", self.store_type, self.store)
    }
}

/// The signer, as the envelope states it (known once the envelope parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// Leaf subject as Go's `pkix.Name.String()` prints it: zot's "Author".
    pub subject: String,
    /// Leaf issuer, same rendering.
    pub issuer: String,
    /// SHA-256 of the leaf DER, lower-case hex.
    pub sha256: String,
    /// Leaf validity end.
    pub not_after: DateTime<Utc>,
    /// Subjects of the whole chain, leaf first.
    pub chain: Vec<String>,
    /// The earliest notAfter of the chain, and the subject of the certificate it belongs to:
    /// the signature cannot be trusted (without a timestamp) past it.
    pub chain_expiry: (DateTime<Utc>, String),
}

/// A verified RFC 3161 timestamp, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampSummary {
    /// `genTime`.
    pub gen_time: DateTime<Utc>,
    /// Accuracy in milliseconds.
    pub accuracy_ms: i64,
    /// Subject of the TSA signing certificate.
    pub tsa: String,
}

/// Everything known about one signature after the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureOutcome {
    /// Envelope format, when the media type is a known one.
    pub format: Option<EnvelopeFormat>,
    /// Name of the trust-policy statement applied.
    pub policy: String,
    /// Level name (`strict`, `permissive`, `audit`, `skip`, `custom`).
    pub level: &'static str,
    /// Every step, in pipeline order.
    pub checks: Vec<CheckOutcome>,
    /// The first enforced failure; `None` means notation would accept this signature (with
    /// `logged` checks, if any, as warnings). Always `None` at level `skip`, where nothing ran:
    /// see [`SignatureOutcome::verified`].
    pub failure: Option<Failure>,
    /// Signing scheme, once the envelope parsed.
    pub signing_scheme: Option<SigningScheme>,
    /// The signer, once the envelope parsed.
    pub signer: Option<Signer>,
    /// The store certificate that anchored the chain (authenticity passed).
    pub anchor: Option<Anchor>,
    /// `signingTime` or `authenticSigningTime`.
    pub signed_at: Option<DateTime<Utc>>,
    /// `io.cncf.notary.expiry`.
    pub expiry: Option<DateTime<Utc>>,
    /// The verified timestamp, if one was verified.
    pub timestamp: Option<TimestampSummary>,
    /// The verification times at which this outcome is the one found at
    /// [`VerifyOptions::now`], but for the text naming that time ([`SignatureOutcome::names_now`]);
    /// `None` when no other time is known to give it (a time the pipeline compared with equals
    /// `now`, or a text names `now` in a form `names_now` does not record).
    pub same_within: Option<TimeWindow>,
    /// Where the checks' text names the verification time: `(index in checks, byte offset in
    /// its detail)` of [`crate::chain::rfc1123z`]`(now)`. The outcome at another time of
    /// [`SignatureOutcome::same_within`] is this one with those texts replaced.
    pub names_now: Vec<(usize, usize)>,
}

/// The verification times at which an outcome stays the same: the open interval
/// `(after, before)`, `None` meaning unbounded. Every instant the pipeline compared the
/// verification time with (the signature's expiry, each chain certificate's notBefore and
/// notAfter, every CRL's nextUpdate) lies outside it, so every such comparison comes out the
/// same for any time inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// The latest instant compared with that is before the verification time.
    pub after: Option<DateTime<Utc>>,
    /// The earliest instant compared with that is after the verification time.
    pub before: Option<DateTime<Utc>>,
}

impl TimeWindow {
    /// Every time.
    pub const ALWAYS: TimeWindow = TimeWindow {
        after: None,
        before: None,
    };

    /// Whether `t` lies strictly inside the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.after.is_none_or(|a| a < t) && self.before.is_none_or(|b| t < b)
    }
}

impl SignatureOutcome {
    /// True when every enforced check ran and passed: notation would accept the signature.
    /// False at level `skip`, where nothing was verified.
    pub fn verified(&self) -> bool {
        self.failure.is_none() && self.level != "skip"
    }

    /// True when verified with at least one `logged` failure.
    pub fn has_logged_failures(&self) -> bool {
        self.checks.iter().any(|c| c.status == CheckStatus::Logged)
    }

    /// The earlier of the signature expiry and the leaf's notAfter (zot's "Date").
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        let leaf = self.signer.as_ref().map(|s| s.not_after);
        match (self.expiry, leaf) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The artifact a signature is attached to: its manifest descriptor.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Manifest media type.
    pub media_type: &'a str,
    /// `algorithm:hex` digest of the manifest bytes.
    pub digest: &'a str,
    /// Manifest size in bytes.
    pub size: u64,
}

/// One named store as loaded: its certificates, or why it cannot be used at all.
pub type StoreLoad = Arc<Result<LoadedStore, TrustStoreError>>;

/// Named trust stores under one or more roots (`<root>/x509/<type>/<name>/`), each loaded once
/// and shared by every signature of a run.
#[derive(Debug)]
pub struct TrustStores {
    roots: Vec<PathBuf>,
    /// Symbolic links the caller refused to follow, with the name messages give them: a store
    /// at or below one is never read.
    refused: Vec<(PathBuf, String)>,
    cache: Mutex<HashMap<(StoreType, String), StoreLoad>>,
}

impl TrustStores {
    /// Stores under `roots`; a store is taken from the first root that has its folder.
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Self::with_refused(roots, Vec::new())
    }

    /// [`TrustStores::new`], except that a store whose folder is, or lies below, one of the
    /// `refused` paths (symbolic links that must not be followed) is
    /// [`TrustStoreError::Refused`] and never read.
    pub fn with_refused(roots: Vec<PathBuf>, refused: Vec<(PathBuf, String)>) -> Self {
        TrustStores {
            roots,
            refused,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The store `store_type:name`, loaded on first use.
    pub fn get(&self, store_type: StoreType, name: &str) -> StoreLoad {
        let key = (store_type, name.to_string());
        // A poisoned lock only means a panic elsewhere mid-insert; the map itself is intact.
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                let root = self
                    .roots
                    .iter()
                    .find(|r| {
                        r.join("x509")
                            .join(store_type.as_str())
                            .join(name)
                            .symlink_metadata()
                            .is_ok()
                    })
                    .or(self.roots.first());
                let dir = root.map(|r| r.join("x509").join(store_type.as_str()).join(name));
                let refused = dir
                    .as_ref()
                    .and_then(|d| self.refused.iter().find(|(l, _)| d.starts_with(l)));
                Arc::new(match (root, refused) {
                    (Some(_), Some((_, link))) => Err(TrustStoreError::Refused {
                        name: name.to_string(),
                        store_type,
                        link: link.clone(),
                    }),
                    (Some(root), None) => truststore::load_store(root, store_type, name),
                    (None, _) => Err(TrustStoreError::NotFound {
                        name: name.to_string(),
                        store_type,
                    }),
                })
            })
            .clone()
    }

    /// Every store loaded so far, in a stable order.
    pub fn loaded(&self) -> Vec<((StoreType, String), StoreLoad)> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = cache.iter().map(|(k, s)| (k.clone(), s.clone())).collect();
        v.sort_by(|a, b| (a.0.0.as_str(), &a.0.1).cmp(&(b.0.0.as_str(), &b.0.1)));
        v
    }
}

/// A store type and the names of the stores of that type a statement lists.
type StoreSet = (StoreType, Vec<String>);

/// Certificates gathered from every store of one type a statement names.
struct StoreCerts {
    certs: Vec<Cert>,
    /// (store name, file name) of each certificate.
    origin: Vec<(String, String)>,
    /// Stores that could not be used at all, with notation's message.
    errors: Vec<String>,
}

/// A concurrent memo: each key's value is computed exactly once; a thread asking for a key
/// another thread is computing waits for that answer.
#[derive(Debug)]
struct Memo<K, V> {
    map: Mutex<HashMap<K, Arc<std::sync::OnceLock<V>>>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + std::hash::Hash, V: Clone> Memo<K, V> {
    fn get(&self, key: K, compute: impl FnOnce() -> V) -> V {
        let slot = {
            // A poisoned lock only means a panic elsewhere mid-insert; the map is intact.
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key).or_default().clone()
        };
        slot.get_or_init(compute).clone()
    }

    fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Run-wide memo of certificate links (`child` signed by `parent`), keyed by both DERs: a link
/// shared by many signatures (a common intermediate and root) is verified once per run.
#[derive(Debug, Default)]
pub struct LinkCache {
    memo: Memo<[u8; 32], Result<(), X509Error>>,
}

impl LinkCache {
    fn check(&self, child: &Cert, parent: &Cert) -> Result<(), X509Error> {
        self.memo.get(chain::link_key(child, parent), || {
            child.check_signature_from(parent)
        })
    }

    /// How many distinct links were verified.
    pub fn len(&self) -> usize {
        self.memo.len()
    }

    /// True before the first link.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What integrity found for one envelope: immutable, so kept by content.
#[derive(Debug)]
struct IntegrityFacts {
    /// The envelope and its chain, when it parsed (kept for reporting even if it then failed).
    parsed: Option<(Envelope, Vec<Cert>)>,
    /// The pass detail, or notation's failure message.
    result: Result<String, String>,
    /// The category of a failure: [`FailureKind::Integrity`] but for an ambiguous document.
    failure_kind: FailureKind,
}

/// Verification facts that depend only on content (envelope bytes, certificate DER) and so stay
/// true across trust-material changes: keep one `Caches` for as long as the same storage is
/// audited again (a watch), and every verification is done once.
#[derive(Debug, Default)]
pub struct Caches {
    /// Certificate links.
    pub links: LinkCache,
    integrity: Memo<[u8; 32], Arc<IntegrityFacts>>,
    /// The code-signing chain rules per chain (the SHA-256 over its certificates' DER), so a
    /// chain shared by many signatures is judged once: the rules read the certificates only.
    chains: Memo<[u8; 32], Result<(), String>>,
    /// Whether envelopes' integrity facts are kept for a later audit (see
    /// [`Caches::for_single_audit`]).
    forget_integrity: bool,
}

impl Caches {
    /// Caches for an audit that will not be repeated: an envelope's integrity facts (its
    /// parsed headers, payload and chain, about a kilobyte each) are not kept, since nothing
    /// will ask for them again; certificate links and chain judgements, shared by many
    /// signatures, still are.
    pub fn for_single_audit() -> Self {
        Caches {
            forget_integrity: true,
            ..Caches::default()
        }
    }

    /// Integrity of `blob` parsed as `media_type`, computed once.
    fn integrity(&self, media_type: &str, blob: &[u8]) -> Arc<IntegrityFacts> {
        if self.forget_integrity {
            return Arc::new(self.compute_integrity(media_type, blob));
        }
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(media_type.as_bytes());
        ctx.update(&[0]);
        ctx.update(blob);
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        self.integrity
            .get(key, || Arc::new(self.compute_integrity(media_type, blob)))
    }

    fn compute_integrity(&self, media_type: &str, blob: &[u8]) -> IntegrityFacts {
        let failed = |msg: String| IntegrityFacts {
            parsed: None,
            result: Err(msg),
            failure_kind: FailureKind::Integrity,
        };
        let env = match envelope::parse_and_verify(media_type, blob) {
            Ok(env) => env,
            Err(e @ envelope::IntegrityError::UnsupportedMediaType(_)) => {
                return failed(format!(
                    "unable to parse the digital signature, error : {e}"
                ));
            }
            Err(e @ envelope::IntegrityError::AmbiguousJson(_)) => {
                return IntegrityFacts {
                    failure_kind: FailureKind::AmbiguousJson,
                    ..failed(e.to_string())
                };
            }
            Err(e) => return failed(e.to_string()),
        };
        let mut chain = Vec::with_capacity(env.cert_chain.len());
        for der in &env.cert_chain {
            match Cert::from_der_shared(der).0 {
                Ok(c) => chain.push(c),
                Err(e) => return failed(format!("malformed certificate in chain: {e}")),
            }
        }
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for der in &env.cert_chain {
            ctx.update(&(der.len() as u64).to_be_bytes());
            ctx.update(der);
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        let rules = self.chains.get(key, || {
            chain::validate_code_signing_chain_with(&chain, |c, p| self.links.check(c, p))
                .map_err(|e| e.to_string())
        });
        let result = match rules {
            Err(e) => Err(e),
            Ok(()) => Ok(format!(
                "{} signature verifies with the leaf key over the signed bytes; {}-certificate chain satisfies the code-signing rules",
                env.alg,
                chain.len()
            )),
        };
        // What the later steps read is kept; the signed bytes and the chain's DER copies (the
        // parsed chain shares its certificates) are not needed again.
        let mut env = env;
        env.signed_bytes = Vec::new();
        env.cert_chain = Vec::new();
        // The signature bytes are read again only by a timestamp's check (the token signs them).
        if env.timestamp_token.is_none() {
            env.signature = Vec::new();
        }
        IntegrityFacts {
            parsed: Some((env, chain)),
            result,
            failure_kind: FailureKind::Integrity,
        }
    }
}

/// Settings of a run.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions {
    /// The verification time (`--as-of`).
    pub now: DateTime<Utc>,
    /// Fail revocation (and a timestamp's TSA revocation) when a certificate's status cannot be
    /// established offline, as notation does online. Default `false`: such a check is
    /// `not-checked`.
    pub require_revocation: bool,
}

/// A verifier for one trust policy document, its trust stores and CRLs.
pub struct Verifier<'a> {
    policy: &'a TrustPolicyDocument,
    stores: &'a TrustStores,
    crls: &'a CrlStore,
    options: VerifyOptions,
    caches: &'a Caches,
    /// The certificates of each (store type, store names) a statement uses, gathered once.
    store_sets: Memo<StoreSet, Arc<StoreCerts>>,
}

/// Pipeline state: the recorded steps and the first enforced failure.
struct Run {
    level: VerificationLevel,
    checks: Vec<CheckOutcome>,
    failure: Option<Failure>,
    /// The instants the verification time was compared with, as a window around it.
    clock: Clock,
    /// See [`SignatureOutcome::names_now`].
    names_now: Vec<(usize, usize)>,
}

/// The verification time and the nearest instants it was compared with on either side.
struct Clock {
    now: DateTime<Utc>,
    window: TimeWindow,
    /// An instant compared with equals `now`: no other time is known to give the same result.
    exact: bool,
}

impl Clock {
    fn new(now: DateTime<Utc>) -> Self {
        Clock {
            now,
            window: TimeWindow::ALWAYS,
            exact: false,
        }
    }

    /// Notes that the pipeline compares (or may compare) the verification time with `t`.
    fn compared_with(&mut self, t: DateTime<Utc>) {
        let w = &mut self.window;
        match t.cmp(&self.now) {
            std::cmp::Ordering::Less => w.after = Some(w.after.map_or(t, |a| a.max(t))),
            std::cmp::Ordering::Greater => w.before = Some(w.before.map_or(t, |b| b.min(t))),
            std::cmp::Ordering::Equal => self.exact = true,
        }
    }
}

impl Run {
    fn new(level: VerificationLevel, now: DateTime<Utc>) -> Self {
        Run {
            level,
            checks: Vec::new(),
            failure: None,
            clock: Clock::new(now),
            names_now: Vec::new(),
        }
    }

    /// Records a step whose detail is `before`, the verification time in Go's RFC 1123 form,
    /// then `after` (see [`SignatureOutcome::names_now`]).
    fn record_naming_now(&mut self, step: Step, status: CheckStatus, before: &str, after: &str) {
        let now = rfc1123z(&self.clock.now);
        self.names_now.push((self.checks.len(), before.len()));
        self.record(step, status, format!("{before}{now}{after}"));
    }

    /// The window of the outcome, given its texts (`None` if one names the verification time
    /// in a form [`Run::record_naming_now`] did not record).
    fn same_within(&self, failure: Option<&Failure>) -> Option<TimeWindow> {
        if self.clock.exact {
            return None;
        }
        let now = self.clock.now;
        let forms = [
            rfc1123z(&now),
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            now.to_rfc3339(),
        ];
        let recorded = |i: usize| self.names_now.iter().filter(|(c, _)| *c == i).count();
        let unrecorded = self.checks.iter().enumerate().any(|(i, c)| {
            forms
                .iter()
                .map(|f| c.detail.matches(f.as_str()).count())
                .sum::<usize>()
                != recorded(i)
        }) || failure
            .is_some_and(|f| forms.iter().any(|t| f.message.contains(t.as_str())));
        (!unrecorded).then_some(self.clock.window)
    }
    fn record(&mut self, step: Step, status: CheckStatus, detail: impl Into<String>) {
        self.checks.push(CheckOutcome {
            step,
            status,
            detail: detail.into(),
        });
    }

    /// Records a failure of `check` with the level's action; true when it is enforced (the
    /// pipeline stops).
    fn fail(&mut self, check: Check, kind: FailureKind, message: String) -> bool {
        let enforced = check == Check::Integrity || self.level.action(check) == Action::Enforce;
        let status = if enforced {
            CheckStatus::Fail
        } else {
            CheckStatus::Logged
        };
        if enforced && self.failure.is_none() {
            self.failure = Some(Failure {
                step: Step::Level(check),
                kind,
                message: message.clone(),
            });
        }
        self.record(Step::Level(check), status, message);
        enforced
    }

    /// Marks every step not recorded yet as skipped because of `why`.
    fn skip_rest(&mut self, why: &str) {
        let steps = Check::ALL
            .iter()
            .map(|c| Step::Level(*c))
            .chain([Step::TargetArtifact]);
        for step in steps {
            if !self.checks.iter().any(|c| c.step == step) {
                self.record(step, CheckStatus::Skipped, why);
            }
        }
    }

    /// True (and recorded) when the level skips `check`.
    fn level_skips(&mut self, check: Check) -> bool {
        let skip = check != Check::Integrity && self.level.action(check) == Action::Skip;
        if skip {
            self.record(
                Step::Level(check),
                CheckStatus::Skipped,
                "skipped by the verification level",
            );
        }
        skip
    }
}

impl<'a> Verifier<'a> {
    /// A verifier over a **validated** policy document.
    pub fn new(
        policy: &'a TrustPolicyDocument,
        stores: &'a TrustStores,
        crls: &'a CrlStore,
        options: VerifyOptions,
        caches: &'a Caches,
    ) -> Self {
        Verifier {
            policy,
            stores,
            crls,
            options,
            caches,
            store_sets: Memo::default(),
        }
    }

    /// The statement for `artifact_path` (`<registry>/<repository>`), or, without a registry
    /// name, the `*` statement (the only one that can match then).
    pub fn statement_for(
        &self,
        artifact_path: Option<&str>,
    ) -> Result<&'a TrustPolicyStatement, PolicyError> {
        match artifact_path {
            Some(p) => self.policy.applicable(p),
            None => self.policy.applicable_without_registry(),
        }
    }

    /// How many distinct certificate links were verified so far.
    pub fn links_verified(&self) -> usize {
        self.caches.links.len()
    }

    /// Verifies one signature envelope (`media_type` is the signature manifest layer's media
    /// type) attached to `target`, under `statement`. Never fails: every problem is in the
    /// outcome.
    pub fn verify(
        &self,
        statement: &TrustPolicyStatement,
        target: Target<'_>,
        media_type: &str,
        blob: &[u8],
    ) -> SignatureOutcome {
        let format = match media_type {
            envelope::MEDIA_TYPE_JWS => Some(EnvelopeFormat::Jws),
            envelope::MEDIA_TYPE_COSE => Some(EnvelopeFormat::Cose),
            _ => None,
        };
        let mut out = SignatureOutcome {
            format,
            policy: statement.name.clone(),
            level: "",
            checks: Vec::new(),
            failure: None,
            signing_scheme: None,
            signer: None,
            anchor: None,
            signed_at: None,
            expiry: None,
            timestamp: None,
            same_within: None,
            names_now: Vec::new(),
        };
        let level = match statement.verification_level() {
            Ok(l) => l,
            Err(e) => {
                // Unreachable for a validated document; fail closed all the same.
                let mut run = Run::new(VerificationLevel::strict(), self.options.now);
                run.fail(Check::Integrity, FailureKind::Integrity, e.to_string());
                run.skip_rest("not run: the trust policy statement is invalid");
                out.level = "invalid";
                out.same_within = run.same_within(run.failure.as_ref());
                out.checks = run.checks;
                out.failure = run.failure;
                return out;
            }
        };
        out.level = level.name;
        let mut run = Run::new(level, self.options.now);
        if level.is_skip() {
            run.skip_rest(&format!(
                "trust policy statement {} has verification level skip: notation accepts the artifact without verifying any signature",
                go_quote(&statement.name)
            ));
            out.same_within = run.same_within(None);
            out.checks = run.checks;
            return out;
        }
        self.pipeline(statement, target, media_type, blob, &mut run, &mut out);
        run.skip_rest("not run: an earlier enforced check failed");
        out.same_within = run.same_within(run.failure.as_ref());
        out.names_now = std::mem::take(&mut run.names_now);
        out.checks = run.checks;
        out.failure = run.failure;
        out
    }

    fn pipeline(
        &self,
        statement: &TrustPolicyStatement,
        target: Target<'_>,
        media_type: &str,
        blob: &[u8],
        run: &mut Run,
        out: &mut SignatureOutcome,
    ) {
        // 1. Integrity.
        let Some(facts) = self.integrity(media_type, blob, run, out) else {
            return;
        };
        let Some((env, chain)) = facts.parsed.as_ref() else {
            return;
        };
        // 2. Verification plugins and critical attributes (part of integrity for the report).
        if let Err(e) = envelope::check_extended_attributes(env) {
            let kind = match e {
                envelope::AttributeGateError::UnknownCriticalAttributes(_) => {
                    FailureKind::UnknownCriticalAttribute
                }
                _ => FailureKind::PluginRequired,
            };
            // Replace integrity's pass with the failure: the envelope cannot be accepted.
            run.checks
                .retain(|c| c.step != Step::Level(Check::Integrity));
            run.fail(Check::Integrity, kind, e.to_string());
            return;
        }
        // 3–4. Authenticity and trusted identity.
        if !self.authenticity(statement, env, chain, run, out) {
            return;
        }
        // 5. Expiry.
        if !self.expiry(env, run) {
            return;
        }
        // 6. Authentic timestamp.
        if !self.authentic_timestamp(statement, env, chain, run, out) {
            return;
        }
        // 7. Revocation.
        if !self.revocation(env, chain, run) {
            return;
        }
        // 9. targetArtifact.
        self.target_artifact(env, target, run);
    }

    fn integrity(
        &self,
        media_type: &str,
        blob: &[u8],
        run: &mut Run,
        out: &mut SignatureOutcome,
    ) -> Option<Arc<IntegrityFacts>> {
        let facts = self.caches.integrity(media_type, blob);
        if let Some((env, chain)) = &facts.parsed {
            if let Some(leaf) = chain.first() {
                out.signer = Some(Signer {
                    subject: leaf.subject_string().to_string(),
                    issuer: leaf.issuer_string().to_string(),
                    sha256: hex(&leaf.sha256_fingerprint()),
                    not_after: leaf.not_after(),
                    chain: chain
                        .iter()
                        .map(|c| c.subject_string().to_string())
                        .collect(),
                    chain_expiry: chain
                        .iter()
                        .map(|c| (c.not_after(), c.subject_string().to_string()))
                        .min()
                        .unwrap_or_else(|| (leaf.not_after(), leaf.subject_string().to_string())),
                });
            }
            out.signing_scheme = Some(env.signing_scheme);
            out.signed_at = env.effective_signing_time();
            out.expiry = env.expiry;
        }
        match &facts.result {
            Ok(detail) => {
                run.record(Step::Level(Check::Integrity), CheckStatus::Pass, detail);
                Some(facts.clone())
            }
            Err(msg) => {
                run.fail(Check::Integrity, facts.failure_kind, msg.clone());
                None
            }
        }
    }

    fn store_certs(&self, statement: &TrustPolicyStatement, ty: StoreType) -> Arc<StoreCerts> {
        let names: Vec<String> = statement
            .trust_store_names(ty)
            .into_iter()
            .map(String::from)
            .collect();
        self.store_sets.get((ty, names.clone()), || {
            let mut sc = StoreCerts {
                certs: Vec::new(),
                origin: Vec::new(),
                errors: Vec::new(),
            };
            for name in &names {
                match self.stores.get(ty, name).as_ref() {
                    Ok(loaded) => {
                        for (file, cert) in &loaded.certs {
                            sc.certs.push(cert.clone());
                            sc.origin.push((name.clone(), file.clone()));
                        }
                    }
                    Err(e) => sc.errors.push(e.to_string()),
                }
            }
            Arc::new(sc)
        })
    }

    fn authenticity(
        &self,
        statement: &TrustPolicyStatement,
        env: &Envelope,
        chain: &[Cert],
        run: &mut Run,
        out: &mut SignatureOutcome,
    ) -> bool {
        if run.level_skips(Check::Authenticity) {
            return true;
        }
        let ty = match env.signing_scheme {
            SigningScheme::X509 => StoreType::Ca,
            SigningScheme::X509SigningAuthority => StoreType::SigningAuthority,
        };
        let sc = self.store_certs(statement, ty);
        let anchored = match chain::authenticity(chain, &sc.certs) {
            Ok(i) => i,
            Err(e) => {
                let mut msg = e.to_string();
                if sc.certs.is_empty() && !sc.errors.is_empty() {
                    msg = format!("{msg}: {}", sc.errors.join("; "));
                } else if sc.certs.is_empty() {
                    msg = format!(
                        "{msg}: the trust policy statement {} names no {ty} trust store (scheme {})",
                        go_quote(&statement.name),
                        env.signing_scheme
                    );
                }
                let kind = if sc.certs.is_empty() {
                    FailureKind::NoTrustedCertificates
                } else {
                    FailureKind::UntrustedChain
                };
                return !run.fail(Check::Authenticity, kind, msg);
            }
        };
        let (store, file) = sc.origin[anchored].clone();
        let cert = &sc.certs[anchored];
        let anchor = Anchor {
            store_type: ty,
            store,
            file,
            subject: cert.subject_string().to_string(),
            sha256: hex(&cert.sha256_fingerprint()),
        };
        let leaf_subject = chain
            .first()
            .map(|c| c.subject_string())
            .unwrap_or_default();
        if let Err(msg) = statement.matches_identity(leaf_subject) {
            return !run.fail(
                Check::Authenticity,
                FailureKind::IdentityMismatch,
                msg.to_string(),
            );
        }
        run.record(
            Step::Level(Check::Authenticity),
            CheckStatus::Pass,
            format!(
                "chain certificate {} is in trust store {}/{}; leaf {} matches the trusted identities",
                go_quote(&anchor.subject),
                anchor.store_ref(),
                anchor.file,
                go_quote(leaf_subject)
            ),
        );
        out.anchor = Some(anchor);
        true
    }

    fn expiry(&self, env: &Envelope, run: &mut Run) -> bool {
        if run.level_skips(Check::Expiry) {
            return true;
        }
        if let Some(exp) = env.expiry {
            run.clock.compared_with(exp);
        }
        match env.expiry {
            Some(exp) if self.options.now >= exp => !run.fail(
                Check::Expiry,
                FailureKind::Expired,
                format!("digital signature has expired on \"{}\"", rfc1123z(&exp)),
            ),
            Some(exp) => {
                run.record(
                    Step::Level(Check::Expiry),
                    CheckStatus::Pass,
                    format!("signature expires on \"{}\"", rfc1123z(&exp)),
                );
                true
            }
            None => {
                run.record(
                    Step::Level(Check::Expiry),
                    CheckStatus::Pass,
                    "the signature carries no expiry",
                );
                true
            }
        }
    }

    fn authentic_timestamp(
        &self,
        statement: &TrustPolicyStatement,
        env: &Envelope,
        chain: &[Cert],
        run: &mut Run,
        out: &mut SignatureOutcome,
    ) -> bool {
        let check = Check::AuthenticTimestamp;
        if run.level_skips(check) {
            return true;
        }
        let now = self.options.now;
        if env.signing_scheme == SigningScheme::X509SigningAuthority {
            let Some(t) = env.authentic_signing_time else {
                return !run.fail(
                    check,
                    FailureKind::Timestamp,
                    "authentic signing time not present".into(),
                );
            };
            for c in chain {
                if t < c.not_before() || t > c.not_after() {
                    return !run.fail(
                        check,
                        FailureKind::Timestamp,
                        format!(
                            "certificate {} was not valid when the digital signature was produced at \"{}\"",
                            go_quote(c.subject_string()),
                            rfc1123z(&t)
                        ),
                    );
                }
            }
            run.record(
                Step::Level(check),
                CheckStatus::Pass,
                format!(
                    "every chain certificate was valid at the authentic signing time \"{}\"",
                    rfc1123z(&t)
                ),
            );
            return true;
        }
        let tsa_listed = !statement.trust_store_names(StoreType::Tsa).is_empty();
        // Below, the verification time is compared with every chain certificate's validity
        // (and, with a timestamp, with the CRLs' nextUpdate of the TSA chain's revocation).
        for c in chain {
            run.clock.compared_with(c.not_before());
            run.clock.compared_with(c.not_after());
        }
        let any_expired = chain.iter().any(|c| now > c.not_after());
        let want_timestamp = tsa_listed
            && match statement.verify_timestamp() {
                Ok(VerifyTimestamp::Always) => true,
                Ok(VerifyTimestamp::AfterCertExpiry) => any_expired,
                Err(_) => true,
            };
        if !want_timestamp {
            return match chain::check_validity_at(chain, now) {
                Ok(()) => {
                    run.record_naming_now(
                        Step::Level(check),
                        CheckStatus::Pass,
                        "every chain certificate is valid at the verification time \"",
                        if tsa_listed {
                            "\"; no timestamp needed (verifyTimestamp afterCertExpiry)"
                        } else {
                            "\""
                        },
                    );
                    true
                }
                Err(e) => {
                    let kind = match e {
                        chain::ValidityError::Expired { .. } => FailureKind::CertificateExpired,
                        chain::ValidityError::NotYetValid { .. } => {
                            FailureKind::CertificateNotYetValid
                        }
                    };
                    !run.fail(check, kind, e.to_string())
                }
            };
        }
        let Some(token) = env.timestamp_token.as_deref().filter(|t| !t.is_empty()) else {
            return !run.fail(
                check,
                FailureKind::Timestamp,
                "no timestamp countersignature was found in the signature envelope".into(),
            );
        };
        let tsa = self.store_certs(statement, StoreType::Tsa);
        if tsa.certs.is_empty() {
            let mut msg = "no trusted TSA certificate found in trust store".to_string();
            if !tsa.errors.is_empty() {
                msg = format!(
                    "failed to load tsa trust store with error: {}",
                    tsa.errors.join("; ")
                );
            }
            return !run.fail(check, FailureKind::Timestamp, msg);
        }
        let ts: Timestamp = match timestamp::verify_timestamp(token, &env.signature, &tsa.certs) {
            Ok(ts) => ts,
            Err(e) => return !run.fail(check, FailureKind::Timestamp, e.to_string()),
        };
        // notation-go: the whole timestamp range must lie at or after the signing time the
        // signer claims (a timestamp cannot predate the signature it countersigns).
        let (lower, upper) = ts.range();
        if let Some(st) = env.signing_time
            && lower < st
        {
            return !run.fail(
                check,
                FailureKind::Timestamp,
                format!(
                    "timestamp [{}, {}] is not bounded after the signing time \"{}\"",
                    lower.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    upper.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    st.format("%Y-%m-%d %H:%M:%S +0000 UTC")
                ),
            );
        }
        if let Err(e) = timestamp::check_chain_covered(chain, &ts) {
            return !run.fail(check, FailureKind::Timestamp, e.to_string());
        }
        let tsa_subject = ts
            .tsa_chain
            .first()
            .map(|c| c.subject_string().to_string())
            .unwrap_or_default();
        // The TSA chain's revocation (notation checks it online, always).
        for t in self.crls.next_updates() {
            run.clock.compared_with(t);
        }
        let rev = revocation::check_chain(&ts.tsa_chain, self.crls, None, now);
        let rev_note = match rev.overall() {
            Overall::Ok => "TSA chain not revoked".to_string(),
            Overall::Revoked { subject } => {
                return !run.fail(
                    check,
                    FailureKind::Revoked,
                    format!(
                        "timestamping certificate with subject {} is revoked",
                        go_quote(&subject)
                    ),
                );
            }
            Overall::Unknown { subject, reason } => {
                if self.options.require_revocation {
                    return !run.fail(
                        check,
                        FailureKind::RevocationUnknown,
                        format!(
                            "timestamping certificate with subject {} revocation status is unknown: {reason}",
                            go_quote(&subject)
                        ),
                    );
                }
                format!("TSA revocation not checked offline ({reason})")
            }
        };
        let (from, to) = (lower, upper);
        out.timestamp = Some(TimestampSummary {
            gen_time: ts.gen_time,
            accuracy_ms: ts.accuracy.num_milliseconds(),
            tsa: tsa_subject.clone(),
        });
        run.record(
            Step::Level(check),
            CheckStatus::Pass,
            format!(
                "RFC 3161 timestamp by {} at {} (±{} ms) lies within every chain certificate's validity [{} .. {}]; {rev_note}",
                go_quote(&tsa_subject),
                ts.gen_time.to_rfc3339(),
                ts.accuracy.num_milliseconds(),
                from.to_rfc3339(),
                to.to_rfc3339()
            ),
        );
        true
    }

    fn revocation(&self, env: &Envelope, chain: &[Cert], run: &mut Run) -> bool {
        let check = Check::Revocation;
        if run.level_skips(check) {
            return true;
        }
        let signing_time = match env.signing_scheme {
            SigningScheme::X509SigningAuthority => env.authentic_signing_time,
            SigningScheme::X509 => None,
        };
        // Each CRL used is valid only until its nextUpdate.
        for t in self.crls.next_updates() {
            run.clock.compared_with(t);
        }
        let rev = revocation::check_chain(chain, self.crls, signing_time, self.options.now);
        match rev.overall() {
            Overall::Ok => {
                let mut files: Vec<String> = rev
                    .crl_files
                    .iter()
                    .flatten()
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect();
                files.dedup();
                let detail = if files.is_empty() {
                    "no chain certificate names an OCSP or CRL location, so none can be revoked"
                        .to_string()
                } else {
                    format!(
                        "no chain certificate is revoked according to CRL {}",
                        files.join(", ")
                    )
                };
                run.record(Step::Level(check), CheckStatus::Pass, detail);
                true
            }
            Overall::Revoked { subject } => !run.fail(
                check,
                FailureKind::Revoked,
                format!(
                    "signing certificate with subject {} is revoked",
                    go_quote(&subject)
                ),
            ),
            Overall::Unknown { subject, reason } => {
                let msg = format!(
                    "signing certificate with subject {} revocation status is unknown: {reason}",
                    go_quote(&subject)
                );
                if self.options.require_revocation {
                    return !run.fail(check, FailureKind::RevocationUnknown, msg);
                }
                run.record(
                    Step::Level(check),
                    CheckStatus::NotChecked,
                    format!("{msg} (offline; pass --require-revocation to fail on this)"),
                );
                true
            }
        }
    }

    fn target_artifact(&self, env: &Envelope, target: Target<'_>, run: &mut Run) {
        let desc = match envelope::target_artifact(env) {
            Ok(d) => d,
            Err(e) => {
                let kind = match e {
                    envelope::PayloadError::Ambiguous(_) => FailureKind::AmbiguousJson,
                    envelope::PayloadError::Json(_) => FailureKind::DescriptorMismatch,
                };
                run.failure.get_or_insert(Failure {
                    step: Step::TargetArtifact,
                    kind,
                    message: e.to_string(),
                });
                run.record(Step::TargetArtifact, CheckStatus::Fail, e.to_string());
                return;
            }
        };
        if desc.same_content(target.media_type, target.digest, target.size) {
            run.record(
                Step::TargetArtifact,
                CheckStatus::Pass,
                format!(
                    "targetArtifact is {} {} ({} bytes), the signed subject",
                    desc.media_type, desc.digest, desc.size
                ),
            );
        } else {
            let msg = format!(
                "content descriptor mismatch: the signature covers {} {} ({} bytes), not this artifact {} {} ({} bytes)",
                desc.media_type,
                desc.digest,
                desc.size,
                target.media_type,
                target.digest,
                target.size
            );
            run.failure.get_or_insert(Failure {
                step: Step::TargetArtifact,
                kind: FailureKind::DescriptorMismatch,
                message: msg.clone(),
            });
            run.record(Step::TargetArtifact, CheckStatus::Fail, msg);
        }
    }
}
