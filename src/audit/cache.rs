//! Verdict reuse between the audits of one [`super::Auditor`]: a signature's report is kept
//! with a fingerprint of every input its verdict depends on besides the (immutable) signature
//! and subject, and reused while that fingerprint is unchanged. A notation verdict is also kept
//! across verification times within its validity window, its text naming the time re-rendered
//! ([`Memo::retimed`]). (The facts beneath verdicts, a signature checked against a key, are
//! kept by [`crate::verify::KeyCache`].)

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::discover::ArtifactKind;
use crate::notation::chain::rfc1123z;
use crate::trust::TrustMaterial;
use crate::verify::Retime;
use crate::verify::registry::{self, ReuseKey};
use sigaudit_model::finding::Finding;
use sigaudit_model::report::SignatureReport;
use sigaudit_model::text::Interner;

use super::AuditOptions;

/// A signature's report and the finding its reading raised, if any.
pub(super) type Verdicted = (Arc<SignatureReport>, Option<Finding>);

/// The bytes of a signature held in a file (a GPG lookaside `signature-N`), or why they could
/// not be read.
pub(super) type FileRead = Result<Arc<Vec<u8>>, String>;

/// A signature's verdict, the fingerprint of the inputs it was computed from, the verification
/// time it was made for, and the other times at which it holds (see [`Retime`]).
#[derive(Clone)]
pub(super) struct Memo {
    pub fingerprint: u64,
    pub verdict: Verdicted,
    /// For a signature held in a file, what the audit read of it, when a containers policy
    /// will ask for it (the stage reads no file itself; the bytes stay valid while the
    /// verdict does, since a changed lookaside store is planned again).
    pub file: Option<FileRead>,
    pub as_of: DateTime<Utc>,
    pub retime: Option<Retime>,
}

impl Memo {
    /// This verdict as of `as_of`, if that lies in its window: the same verdict (shared, when
    /// no check names the time), or a copy whose checks name `as_of` instead (in Go's RFC 1123
    /// form, as the notation verifier writes it). `None`: it must be verified again.
    pub(super) fn retimed(&self, as_of: DateTime<Utc>, text: &Interner) -> Option<Memo> {
        let t = self.retime.as_ref()?;
        if !t.window.contains(self.as_of) || !t.window.contains(as_of) {
            return None;
        }
        if t.names_now.is_empty() {
            return Some(Memo {
                as_of,
                ..self.clone()
            });
        }
        let (old, new) = (rfc1123z(&self.as_of), rfc1123z(&as_of));
        let mut report = (*self.verdict.0).clone();
        let mut slots = t.names_now.clone();
        slots.sort_unstable();
        let mut names_now = Vec::with_capacity(slots.len());
        let mut checks: Vec<usize> = slots.iter().map(|s| s.0).collect();
        checks.dedup();
        for check in checks {
            let c = report.checks.get_mut(check)?;
            let mut detail = String::with_capacity(c.detail.len() + new.len());
            let mut from = 0;
            for &(_, at) in slots.iter().filter(|s| s.0 == check) {
                if at < from || c.detail.get(at..at + old.len()) != Some(old.as_str()) {
                    return None;
                }
                detail.push_str(&c.detail[from..at]);
                names_now.push((check, detail.len()));
                detail.push_str(&new);
                from = at + old.len();
            }
            detail.push_str(&c.detail[from..]);
            c.detail = text.text(&detail);
        }
        Some(Memo {
            verdict: (Arc::new(report), self.verdict.1.clone()),
            as_of,
            retime: Some(Retime {
                window: t.window,
                names_now,
            }),
            ..self.clone()
        })
    }
}

/// Fingerprints of the inputs a verdict depends on, per tool: a cosign verdict on the cosign
/// keys; a notation verdict on the notation policy, stores and CRLs, the registry name and the
/// revocation setting (the verification time is judged by the verdict's own window, see
/// [`Memo::retimed`]); a GPG verdict on the keyrings, the registry name and the verification
/// time. A verdict whose inputs are unchanged is reused as it is; any change recomputes it
/// (from the cached facts).
struct VerdictInputs {
    cosign: u64,
    notation: u64,
    gpg: u64,
}

impl VerdictInputs {
    fn of(trust: &TrustMaterial, opts: &AuditOptions) -> Self {
        let hash = |f: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            f(&mut h);
            h.finish()
        };
        let records = |prefix: &'static str| {
            move |h: &mut std::collections::hash_map::DefaultHasher| {
                for r in trust.records.iter().filter(|r| r.kind.starts_with(prefix)) {
                    (&r.path, &r.sha256, &r.detail).hash(h);
                }
            }
        };
        let cosign = hash(&|h| {
            records("cosign")(h);
            if let Some(k) = &opts.keyless {
                k.root.sha256.hash(h);
                for i in &k.identities {
                    (i.repositories.as_str(), i.rule.describe()).hash(h);
                }
            }
        });
        let notation = hash(&|h| {
            records("notation")(h);
            (&opts.registry, opts.require_revocation).hash(h);
        });
        let gpg = hash(&|h| {
            records("gpg")(h);
            (&opts.registry, opts.as_of).hash(h);
        });
        VerdictInputs {
            cosign,
            notation,
            gpg,
        }
    }

    fn for_kind(&self, kind: ArtifactKind) -> u64 {
        match registry::of_kind(kind).reuse {
            ReuseKey::Cosign => self.cosign,
            ReuseKey::Notation => self.notation,
            ReuseKey::Gpg => self.gpg,
        }
    }
}

/// What decides, for one audit, whether a kept verdict still holds.
pub(super) struct Reuse<'t> {
    inputs: VerdictInputs,
    /// The audit's verification time.
    as_of: DateTime<Utc>,
    /// Cosign key fingerprint -> (the first file holding that public key, its text).
    first_key_file: HashMap<&'t str, (&'t str, &'t str)>,
}

impl<'t> Reuse<'t> {
    pub(super) fn new(trust: &'t TrustMaterial, opts: &AuditOptions) -> Self {
        let mut first_key_file: HashMap<&str, (&str, &str)> = HashMap::new();
        for k in &trust.cosign_keys {
            first_key_file
                .entry(k.fingerprint.as_str())
                .or_insert((k.file.as_str(), k.pem.as_str()));
        }
        Reuse {
            inputs: VerdictInputs::of(trust, opts),
            as_of: opts.as_of,
            first_key_file,
        }
    }

    /// The fingerprint a verdict on a signature of `kind` is kept under in this audit.
    pub(super) fn fingerprint(&self, kind: ArtifactKind) -> u64 {
        self.inputs.for_kind(kind)
    }

    /// A new slot for a verdict computed in this audit.
    pub(super) fn keep(
        &self,
        kind: ArtifactKind,
        verdict: Verdicted,
        retime: Option<Retime>,
    ) -> Memo {
        Memo {
            fingerprint: self.fingerprint(kind),
            verdict,
            file: None,
            as_of: self.as_of,
            retime,
        }
    }

    /// The verdict kept in `slot` for a signature of `kind`, if it still holds: its inputs are
    /// unchanged (for a notation verdict of another verification time: and this audit's time
    /// lies in its window, the slot then re-rendered for it, its sentences interned in
    /// `text`), or it is a cosign signature trusted by a key that is still the first file
    /// holding that public key (no other key can verify it, so it keeps its verdict whatever
    /// else changed among the keys; the slot is then kept under this audit's fingerprint).
    pub(super) fn recall(
        &self,
        kind: ArtifactKind,
        slot: &mut Option<Memo>,
        text: &Interner,
    ) -> Option<Verdicted> {
        let fp = self.fingerprint(kind);
        let notation = registry::of_kind(kind).reuse == ReuseKey::Notation;
        if let Some(m) = slot
            && notation
            && m.fingerprint == fp
            && m.as_of != self.as_of
        {
            *slot = m.retimed(self.as_of, text);
        }
        match slot {
            Some(m) if m.fingerprint == fp && (!notation || m.as_of == self.as_of) => {
                Some(m.verdict.clone())
            }
            Some(m)
                if registry::of_kind(kind).reuse == ReuseKey::Cosign
                    && m.verdict.0.trusted
                    && m.verdict.0.key_fingerprint.as_ref().is_some_and(|k| {
                        self.first_key_file.get(&**k).is_some_and(|(f, pem)| {
                            Some(*f) == m.verdict.0.key_file.as_deref()
                                && Some(*pem) == m.verdict.0.author.as_deref()
                        })
                    }) =>
            {
                m.fingerprint = fp;
                Some(m.verdict.clone())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn demo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
    }

    fn opts() -> AuditOptions {
        AuditOptions::at(
            chrono::DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        )
    }

    const KINDS: [ArtifactKind; 3] = [
        ArtifactKind::CosignTag,
        ArtifactKind::Notation,
        ArtifactKind::GpgLookaside,
    ];

    fn fingerprints(trust: &TrustMaterial, o: &AuditOptions) -> [u64; 3] {
        let r = Reuse::new(trust, o);
        KINDS.map(|k| r.fingerprint(k))
    }

    /// Each tool's verdicts depend on their own inputs only: the registry name moves notation
    /// and GPG verdicts, never cosign ones; the verification time moves GPG verdicts (notation
    /// verdicts are judged by their own window, cosign ones do not depend on it); the
    /// revocation setting moves notation verdicts only; a cosign key file moves cosign verdicts
    /// only.
    #[test]
    fn each_tool_is_fingerprinted_by_its_own_inputs() {
        let trust = TrustMaterial::load(&demo_root());
        let base = fingerprints(&trust, &opts());
        assert_eq!(base, fingerprints(&trust, &opts()), "deterministic");
        // All of cosign's formats share one fingerprint.
        let r = Reuse::new(&trust, &opts());
        for k in [
            ArtifactKind::CosignReferrer,
            ArtifactKind::SigstoreBundle,
            ArtifactKind::CosignAttestationTag,
        ] {
            assert_eq!(r.fingerprint(k), base[0]);
        }

        let mut o = opts();
        o.registry = Some("registry.example".into());
        let [c, n, g] = fingerprints(&trust, &o);
        assert_eq!(c, base[0]);
        assert_ne!(n, base[1]);
        assert_ne!(g, base[2]);

        let mut o = opts();
        o.as_of += chrono::Duration::days(1);
        let [c, n, g] = fingerprints(&trust, &o);
        assert_eq!((c, n), (base[0], base[1]));
        assert_ne!(g, base[2]);

        let mut o = opts();
        o.require_revocation = true;
        let [c, n, g] = fingerprints(&trust, &o);
        assert_eq!((c, g), (base[0], base[2]));
        assert_ne!(n, base[1]);

        // A cosign key record changed (a key file removed).
        let mut fewer = TrustMaterial::load(&demo_root());
        let i = fewer
            .records
            .iter()
            .position(|r| r.kind.starts_with("cosign"))
            .expect("the demo has cosign keys");
        fewer.records.remove(i);
        let [c, n, g] = fingerprints(&fewer, &opts());
        assert_ne!(c, base[0]);
        assert_eq!((n, g), (base[1], base[2]));
    }

    /// The demo's audit: one trusted cosign signature report and one notation one.
    fn trusted_reports() -> (Arc<SignatureReport>, Arc<SignatureReport>) {
        let report = super::super::Auditor::new(&demo_root(), opts())
            .unwrap()
            .audit();
        let sigs = || report.images.iter().flat_map(|i| &i.signatures);
        let cosign = sigs()
            .find(|s| s.trusted && s.tool == "cosign" && s.key_fingerprint.is_some())
            .expect("a trusted cosign signature")
            .clone();
        let notation = sigs()
            .find(|s| s.trusted && s.tool == "notation")
            .expect("a trusted notation signature")
            .clone();
        (cosign, notation)
    }

    fn memo(fingerprint: u64, r: &Arc<SignatureReport>) -> Option<Memo> {
        Some(Memo {
            fingerprint,
            verdict: (r.clone(), None),
            file: None,
            as_of: opts().as_of,
            retime: None,
        })
    }

    /// A kept verdict is recalled while its inputs are unchanged, and not once they changed;
    /// a trusted cosign verdict whose key is still the first file holding it survives another
    /// key change (and is then kept under the new fingerprint), a notation one does not.
    #[test]
    fn kept_verdicts_are_recalled_only_while_they_hold() {
        let trust = TrustMaterial::load(&demo_root());
        let reuse = Reuse::new(&trust, &opts());
        let (cosign, notation) = trusted_reports();
        let fp = reuse.fingerprint(ArtifactKind::CosignTag);
        let text = Interner::default();

        let mut slot = memo(fp, &cosign.clone());
        let r = reuse
            .recall(ArtifactKind::CosignTag, &mut slot, &text)
            .unwrap();
        assert!(Arc::ptr_eq(&r.0, &cosign));

        // Another cosign key changed: the signature's key is still the first file holding it.
        let mut stale = memo(fp ^ 1, &cosign.clone());
        assert!(
            reuse
                .recall(ArtifactKind::CosignTag, &mut stale, &text)
                .is_some()
        );
        assert_eq!(stale.as_ref().unwrap().fingerprint, fp);

        // The same report no longer trusted: recomputed.
        let mut untrusted = (*cosign).clone();
        untrusted.trusted = false;
        let mut slot = memo(fp ^ 1, &Arc::new(untrusted));
        assert!(
            reuse
                .recall(ArtifactKind::CosignTag, &mut slot, &text)
                .is_none()
        );

        // Its key now in another file (the first one holding it was removed): recomputed.
        let mut moved = (*cosign).clone();
        moved.key_file = Some(sigaudit_model::text::Text::from("_cosign/elsewhere.pub"));
        let mut slot = memo(fp ^ 1, &Arc::new(moved));
        assert!(
            reuse
                .recall(ArtifactKind::CosignTag, &mut slot, &text)
                .is_none()
        );

        // A notation verdict is kept only under unchanged inputs.
        let nfp = reuse.fingerprint(ArtifactKind::Notation);
        let mut slot = memo(nfp, &notation.clone());
        assert!(
            reuse
                .recall(ArtifactKind::Notation, &mut slot, &text)
                .is_some()
        );
        let mut slot = memo(nfp ^ 1, &notation);
        assert!(
            reuse
                .recall(ArtifactKind::Notation, &mut slot, &text)
                .is_none()
        );

        let mut empty = None;
        assert!(
            reuse
                .recall(ArtifactKind::CosignTag, &mut empty, &text)
                .is_none()
        );
    }

    /// A notation verdict kept for another time within its window names the new time where it
    /// named the old one, and nothing else changes; outside its window, or where its text does
    /// not hold the old time at the place recorded, it is not kept.
    #[test]
    fn a_notation_verdict_is_retimed_only_within_its_window() {
        use crate::notation::verifier::TimeWindow;
        let (_, notation) = trusted_reports();
        let t0 = opts().as_of;
        let old = rfc1123z(&t0);
        let (check, at) = notation
            .checks
            .iter()
            .enumerate()
            .find_map(|(i, c)| c.detail.find(&old).map(|at| (i, at)))
            .expect("a check names the verification time");
        let day = chrono::Duration::days(1);
        let window = TimeWindow {
            after: Some(t0 - day),
            before: Some(t0 + day),
        };
        let kept = Memo {
            fingerprint: 7,
            verdict: (notation.clone(), None),
            file: None,
            as_of: t0,
            retime: Some(Retime {
                window,
                names_now: vec![(check, at)],
            }),
        };
        let text = Interner::default();
        let t1 = t0 + chrono::Duration::hours(5);
        let m = kept.retimed(t1, &text).expect("within the window");
        assert_eq!(m.as_of, t1);
        let mut expected = (*notation).clone();
        expected.checks[check].detail = notation.checks[check]
            .detail
            .replace(&old, &rfc1123z(&t1))
            .into();
        assert_eq!(*m.verdict.0, expected);
        // And back: the slot recorded for the new text leads to the first one.
        assert_eq!(*m.retimed(t0, &text).expect("back").verdict.0, *notation);
        // Outside the window, at its bounds, or with the old time not where it was recorded.
        assert!(kept.retimed(t0 + day, &text).is_none());
        assert!(kept.retimed(t0 - day - day, &text).is_none());
        let mut moved = kept.clone();
        moved.retime = Some(Retime {
            window,
            names_now: vec![(check, at + 1)],
        });
        assert!(moved.retimed(t1, &text).is_none());
        // Without a window (the verifier could not tell), never.
        let mut unknown = kept.clone();
        unknown.retime = None;
        assert!(unknown.retimed(t1, &text).is_none());
    }
}
