//! Verdict reuse between the audits of one [`super::Auditor`]: a signature's report is kept
//! with a fingerprint of every input its verdict depends on besides the (immutable) signature
//! and subject, and reused while that fingerprint is unchanged. (The facts beneath verdicts,
//! a signature checked against a key, are kept by [`crate::verify::KeyCache`].)

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::discover::ArtifactKind;
use crate::finding::Finding;
use crate::report::model::SignatureReport;
use crate::trust::TrustMaterial;
use crate::verify::registry::{self, ReuseKey};

use super::AuditOptions;

/// A signature's report and the finding its reading raised, if any.
pub(super) type Verdicted = (Arc<SignatureReport>, Option<Finding>);

/// A signature's verdict and the fingerprint of the inputs it was computed from.
pub(super) type Memo = (u64, Verdicted);

/// Fingerprints of the inputs a verdict depends on, per tool: a cosign verdict on the cosign
/// keys; a notation verdict on the notation policy, stores and CRLs, the registry name, the
/// revocation setting and the verification time. A verdict whose inputs are unchanged is
/// reused as it is; any change recomputes it (from the cached facts).
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
            (&opts.registry, opts.require_revocation, opts.as_of).hash(h);
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
            first_key_file,
        }
    }

    /// The fingerprint a verdict on a signature of `kind` is kept under in this audit.
    pub(super) fn fingerprint(&self, kind: ArtifactKind) -> u64 {
        self.inputs.for_kind(kind)
    }

    /// The verdict kept in `slot` for a signature of `kind`, if it still holds: its inputs are
    /// unchanged, or it is a cosign signature trusted by a key that is still the first file
    /// holding that public key (no other key can verify it, so it keeps its verdict whatever
    /// else changed among the keys; the slot is then kept under this audit's fingerprint).
    pub(super) fn recall(&self, kind: ArtifactKind, slot: &mut Option<Memo>) -> Option<Verdicted> {
        let fp = self.fingerprint(kind);
        match slot {
            Some((seen, r)) if *seen == fp => Some(r.clone()),
            Some((seen, r))
                if registry::of_kind(kind).reuse == ReuseKey::Cosign
                    && r.0.trusted
                    && r.0.key_fingerprint.as_ref().is_some_and(|k| {
                        self.first_key_file.get(&**k).is_some_and(|(f, pem)| {
                            Some(*f) == r.0.key_file.as_deref()
                                && Some(*pem) == r.0.author.as_deref()
                        })
                    }) =>
            {
                *seen = fp;
                Some(r.clone())
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

    /// Each tool's verdicts depend on their own inputs only: the registry name and the
    /// verification time move notation and GPG verdicts, never cosign ones; the revocation
    /// setting moves notation verdicts only; a cosign key file moves cosign verdicts only.
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
        assert_eq!(c, base[0]);
        assert_ne!(n, base[1]);
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

    /// A kept verdict is recalled while its inputs are unchanged, and not once they changed;
    /// a trusted cosign verdict whose key is still the first file holding it survives another
    /// key change (and is then kept under the new fingerprint), a notation one does not.
    #[test]
    fn kept_verdicts_are_recalled_only_while_they_hold() {
        let trust = TrustMaterial::load(&demo_root());
        let reuse = Reuse::new(&trust, &opts());
        let (cosign, notation) = trusted_reports();
        let fp = reuse.fingerprint(ArtifactKind::CosignTag);

        let mut slot = Some((fp, (cosign.clone(), None)));
        let r = reuse.recall(ArtifactKind::CosignTag, &mut slot).unwrap();
        assert!(Arc::ptr_eq(&r.0, &cosign));

        // Another cosign key changed: the signature's key is still the first file holding it.
        let mut stale = Some((fp ^ 1, (cosign.clone(), None)));
        assert!(reuse.recall(ArtifactKind::CosignTag, &mut stale).is_some());
        assert_eq!(stale.as_ref().unwrap().0, fp);

        // The same report no longer trusted: recomputed.
        let mut untrusted = (*cosign).clone();
        untrusted.trusted = false;
        let mut slot = Some((fp ^ 1, (Arc::new(untrusted), None)));
        assert!(reuse.recall(ArtifactKind::CosignTag, &mut slot).is_none());

        // Its key now in another file (the first one holding it was removed): recomputed.
        let mut moved = (*cosign).clone();
        moved.key_file = Some(crate::report::text::Text::from("_cosign/elsewhere.pub"));
        let mut slot = Some((fp ^ 1, (Arc::new(moved), None)));
        assert!(reuse.recall(ArtifactKind::CosignTag, &mut slot).is_none());

        // A notation verdict is kept only under unchanged inputs.
        let nfp = reuse.fingerprint(ArtifactKind::Notation);
        let mut slot = Some((nfp, (notation.clone(), None)));
        assert!(reuse.recall(ArtifactKind::Notation, &mut slot).is_some());
        let mut slot = Some((nfp ^ 1, (notation, None)));
        assert!(reuse.recall(ArtifactKind::Notation, &mut slot).is_none());

        let mut empty = None;
        assert!(reuse.recall(ArtifactKind::CosignTag, &mut empty).is_none());
    }
}
