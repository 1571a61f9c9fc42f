//! The one table of signature formats ([`FORMATS`]): for each kind of artifact discovery
//! recognises (and, for notation, each envelope media type), the verifier that judges it, the
//! tool and format names the report gives it, whether its manifest holds one envelope or one
//! signature per layer, which inputs its verdict depends on (what a repeated audit may reuse a
//! verdict under), and how the report's settings name it.
//!
//! Adding a format is its verifier's file plus one row here. Everything else asks this table:
//! the audit (what to verify, which verifier, how to name it, when a verdict may be reused) and
//! the report's `settings.verifiedFormats` / `listedFormats`.

use super::{Verdict, Verifier, bundle, gpg, notation, simplesigning};
use crate::discover::{ArtifactKind, LayerRef};
use crate::media;

/// Which inputs a verdict depends on besides its signature and subject: a kept verdict is
/// reused while those inputs are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReuseKey {
    /// The cosign keys, and the keyless trusted root and identities.
    Cosign,
    /// The notation policy, stores and CRLs, the registry name, the revocation setting and the
    /// verification time.
    Notation,
    /// The GPG keyrings, the registry name and the verification time.
    Gpg,
}

/// How `settings.verifiedFormats` and `listedFormats` name a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Verified, under this name.
    Verified(&'static str),
    /// Listed (never counted as trusted), under this name.
    Listed(&'static str),
    /// Keyless (Fulcio certificate) signatures of this format: [`KEYLESS_FORMAT`], verified
    /// with `--trusted-root`, listed without it.
    Keyless,
}

/// How the settings name cosign keyless signatures.
pub const KEYLESS_FORMAT: &str = "cosign keyless (Fulcio)";

/// How the settings name sigstore bundles holding a `messageSignature` (a blob signature, which
/// no image signature is: listed, never trusted, code `message-signature`).
pub const MESSAGE_SIGNATURE_BUNDLES: &str =
    "cosign sigstore-bundle messageSignature (a blob signature)";

/// How the settings name notation envelopes of a media type other than JWS and COSE (which the
/// Notary Project verifier refuses: never trusted).
pub const OTHER_NOTATION_ENVELOPES: &str = "notation envelopes of other media types";

/// One row of the table.
pub struct Format {
    /// The kind of artifact.
    pub kind: ArtifactKind,
    /// The layer media type this row is for; `None`: any other (the kind's last row).
    pub media_type: Option<&'static str>,
    pub verifier: &'static dyn Verifier,
    /// The report's `tool`, as zot names it.
    pub tool: &'static str,
    /// The report's `format`.
    pub name: &'static str,
    /// One envelope per manifest, judged on its first layer (a manifest with several is
    /// flagged), rather than one signature per layer.
    pub envelope: bool,
    pub reuse: ReuseKey,
    /// How the settings name it (several names when the format has several forms).
    pub settings: &'static [Label],
}

/// Every format, in the order the settings list them.
pub static FORMATS: &[Format] = &[
    Format {
        kind: ArtifactKind::CosignTag,
        media_type: None,
        verifier: &simplesigning::SimpleSigning,
        tool: "cosign",
        name: "simplesigning",
        envelope: false,
        reuse: ReuseKey::Cosign,
        settings: &[
            Label::Verified("cosign simplesigning (key)"),
            Label::Keyless,
        ],
    },
    Format {
        kind: ArtifactKind::CosignReferrer,
        media_type: None,
        verifier: &simplesigning::SimpleSigning,
        tool: "cosign",
        name: "simplesigning",
        envelope: false,
        reuse: ReuseKey::Cosign,
        settings: &[
            Label::Verified("cosign simplesigning (key)"),
            Label::Keyless,
        ],
    },
    Format {
        kind: ArtifactKind::SigstoreBundle,
        media_type: None,
        verifier: &bundle::SigstoreBundle,
        tool: "cosign",
        name: "sigstore-bundle",
        envelope: true,
        reuse: ReuseKey::Cosign,
        settings: &[
            Label::Verified("cosign sigstore-bundle (key)"),
            Label::Keyless,
            Label::Listed(MESSAGE_SIGNATURE_BUNDLES),
        ],
    },
    Format {
        kind: ArtifactKind::CosignAttestationTag,
        media_type: None,
        verifier: &simplesigning::LegacyAttestation,
        tool: "cosign",
        name: "cosign-attestation",
        envelope: false,
        reuse: ReuseKey::Cosign,
        settings: &[Label::Listed("cosign attestations")],
    },
    Format {
        kind: ArtifactKind::Notation,
        media_type: Some(media::NOTATION_JWS),
        verifier: &notation::NotationEnvelope,
        tool: "notation",
        name: "notation-jws",
        envelope: true,
        reuse: ReuseKey::Notation,
        settings: &[Label::Verified("notation-jws")],
    },
    Format {
        kind: ArtifactKind::Notation,
        media_type: Some(media::NOTATION_COSE),
        verifier: &notation::NotationEnvelope,
        tool: "notation",
        name: "notation-cose",
        envelope: true,
        reuse: ReuseKey::Notation,
        settings: &[Label::Verified("notation-cose")],
    },
    Format {
        kind: ArtifactKind::Notation,
        media_type: None,
        verifier: &notation::NotationEnvelope,
        tool: "notation",
        name: "notation-unknown",
        envelope: true,
        reuse: ReuseKey::Notation,
        settings: &[Label::Listed(OTHER_NOTATION_ENVELOPES)],
    },
    Format {
        kind: ArtifactKind::GpgLookaside,
        media_type: None,
        verifier: &gpg::GpgSimpleSigning,
        tool: "gpg",
        name: "gpg-simplesigning",
        envelope: false,
        reuse: ReuseKey::Gpg,
        settings: &[
            Label::Verified("gpg-simplesigning"),
            Label::Listed("sigstore-json (in the GPG lookaside)"),
        ],
    },
];

/// The row of `kind` for a layer of `media_type` (`None`: no layer): the first naming that
/// media type, else the kind's last row, which names none. (Every kind has one, which a test
/// checks; the table's first row stands in for a kind it would lack.)
fn find(kind: ArtifactKind, media_type: Option<&str>) -> &'static Format {
    FORMATS
        .iter()
        .find(|f| f.kind == kind && (f.media_type.is_none() || f.media_type == media_type))
        .unwrap_or(&FORMATS[0])
}

/// The format of a signature layer of `kind`.
pub fn format(kind: ArtifactKind, layer: &LayerRef) -> &'static Format {
    find(kind, Some(layer.media_type.as_str()))
}

/// The format of an artifact of `kind` that has no layer to tell it by.
pub fn format_without_layer(kind: ArtifactKind) -> &'static Format {
    find(kind, None)
}

/// What every signature of `kind` shares: its tool, whether it is one envelope per manifest,
/// and its verdict-reuse key.
pub fn of_kind(kind: ArtifactKind) -> &'static Format {
    find(kind, None)
}

impl Format {
    /// The report's `format` for `verdict`: the row's name, but for a lookaside file that holds
    /// a cosign signature blob rather than an OpenPGP message ([`gpg::SIGSTORE_JSON_FORMAT`]).
    pub fn name_for(&self, verdict: &Verdict) -> &'static str {
        if verdict.details.get("content").map(String::as_str) == Some(gpg::SIGSTORE_JSON_FORMAT) {
            gpg::SIGSTORE_JSON_FORMAT
        } else {
            self.name
        }
    }
}

/// `settings.verifiedFormats` and `settings.listedFormats`, in table order, each name once;
/// keyless signatures are verified (after the others) with a trusted root and listed (first)
/// without one.
pub fn settings(keyless: bool) -> (Vec<&'static str>, Vec<&'static str>) {
    let (mut verified, mut listed) = (Vec::new(), Vec::new());
    let mut any_keyless = false;
    for label in FORMATS.iter().flat_map(|f| f.settings) {
        match *label {
            Label::Verified(name) if !verified.contains(&name) => verified.push(name),
            Label::Listed(name) if !listed.contains(&name) => listed.push(name),
            Label::Keyless => any_keyless = true,
            _ => {}
        }
    }
    if any_keyless {
        if keyless {
            verified.push(KEYLESS_FORMAT);
        } else {
            listed.insert(0, KEYLESS_FORMAT);
        }
    }
    (verified, listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [ArtifactKind; 6] = [
        ArtifactKind::CosignTag,
        ArtifactKind::CosignReferrer,
        ArtifactKind::SigstoreBundle,
        ArtifactKind::CosignAttestationTag,
        ArtifactKind::Notation,
        ArtifactKind::GpgLookaside,
    ];

    fn layer(media_type: &str) -> LayerRef {
        LayerRef {
            digest: None,
            media_type: media_type.into(),
            size: 0,
            annotations: Default::default(),
        }
    }

    /// Every kind has exactly one row for layers of any other media type, its last, and every
    /// row of a kind agrees on what the kind shares (tool, envelope, reuse), the tool being
    /// the one discovery names.
    #[test]
    fn every_kind_has_one_fallback_row_and_consistent_facts() {
        for kind in KINDS {
            let rows: Vec<&Format> = FORMATS.iter().filter(|f| f.kind == kind).collect();
            assert!(!rows.is_empty(), "{kind:?} has no row");
            let fallbacks = rows.iter().filter(|f| f.media_type.is_none()).count();
            assert_eq!(fallbacks, 1, "{kind:?}");
            assert!(rows.last().unwrap().media_type.is_none(), "{kind:?}");
            for r in &rows {
                assert_eq!(r.tool, kind.tool(), "{kind:?}");
                assert_eq!(r.envelope, rows[0].envelope, "{kind:?}");
                assert_eq!(r.reuse, rows[0].reuse, "{kind:?}");
            }
        }
        // Every row is reachable: no row hides behind an earlier one of its kind.
        for (i, f) in FORMATS.iter().enumerate() {
            let found = match f.media_type {
                Some(mt) => format(f.kind, &layer(mt)),
                None => format_without_layer(f.kind),
            };
            assert!(std::ptr::eq(found, &FORMATS[i]), "row {i} ({})", f.name);
        }
    }

    /// A notation envelope is named by its media type; an unknown one is `notation-unknown`,
    /// as is a notation manifest with no layer at all; a bundle with none is a bundle.
    #[test]
    fn formats_are_named_by_kind_and_media_type() {
        let n = |mt: &str| format(ArtifactKind::Notation, &layer(mt)).name;
        assert_eq!(n(media::NOTATION_JWS), "notation-jws");
        assert_eq!(n(media::NOTATION_COSE), "notation-cose");
        assert_eq!(n("application/octet-stream"), "notation-unknown");
        assert_eq!(
            format_without_layer(ArtifactKind::Notation).name,
            "notation-unknown"
        );
        assert_eq!(
            format_without_layer(ArtifactKind::SigstoreBundle).name,
            "sigstore-bundle"
        );
        let cosign = format(ArtifactKind::CosignTag, &layer(media::NOTATION_JWS));
        assert_eq!((cosign.tool, cosign.name), ("cosign", "simplesigning"));
        assert!(of_kind(ArtifactKind::SigstoreBundle).envelope);
        assert!(!of_kind(ArtifactKind::CosignTag).envelope);
        assert_eq!(of_kind(ArtifactKind::GpgLookaside).reuse, ReuseKey::Gpg);
    }

    /// The settings name every format once: keyless among the verified formats with a
    /// trusted root, among the listed ones without.
    #[test]
    fn settings_follow_the_table() {
        let (verified, listed) = settings(false);
        assert_eq!(
            verified,
            [
                "cosign simplesigning (key)",
                "cosign sigstore-bundle (key)",
                "notation-jws",
                "notation-cose",
                "gpg-simplesigning",
            ]
        );
        assert_eq!(
            listed,
            [
                KEYLESS_FORMAT,
                MESSAGE_SIGNATURE_BUNDLES,
                "cosign attestations",
                OTHER_NOTATION_ENVELOPES,
                "sigstore-json (in the GPG lookaside)",
            ]
        );
        let (verified_k, listed_k) = settings(true);
        assert_eq!(verified_k.last(), Some(&KEYLESS_FORMAT));
        assert_eq!(verified_k.len(), verified.len() + 1);
        assert!(!listed_k.contains(&KEYLESS_FORMAT));
        assert_eq!(listed_k.len(), listed.len() - 1);
    }
}
