//! Stable result codes. Users grep cron logs and reports for these strings, so a code is never
//! renamed or reused; each has a one-line description, listed in the README.

use serde::Serialize;

macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal : $desc:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant,)* }

        impl $name {
            /// Every code, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable string form used in reports.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// One line saying what the code means.
            pub fn description(self) -> &'static str {
                match self { $($name::$variant => $desc,)* }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// Why a signature is, or is not, trusted.
    ResultCode {
        Verified = "verified": "the signature verified against trusted material and is bound to this image",
        UntrustedKey = "untrusted-key": "no trusted key verifies the signature",
        NoTrustedKeys = "no-trusted-keys": "the rootDir holds no usable cosign public key, so nothing can be trusted",
        DigestMismatch = "digest-mismatch": "the signed payload names another image digest (a transplanted signature)",
        MissingSignature = "missing-signature": "the signature layer carries no `dev.cosignproject.cosign/signature` annotation",
        MalformedSignature = "malformed-signature": "the signature value is not valid base64",
        InvalidPayload = "invalid-payload": "the signed payload is not the JSON document its format requires",
        WrongPayloadType = "wrong-payload-type": "the payload's `critical.type` is not `cosign container image signature`",
        InvalidBundle = "invalid-bundle": "the sigstore bundle is malformed or of an unsupported version",
        KeylessUnsupported = "keyless-unsupported": "a keyless (certificate) signature; offline keyless verification is not enabled",
        UnsupportedFormat = "unsupported-format": "a signature format sigaudit lists but does not verify yet",
        SignatureUnreadable = "signature-unreadable": "the signature blob is missing, too large, or does not match its digest",
        SubjectUnreadable = "subject-unreadable": "the signed image could not be read or does not match its digest, so no signature on it is counted",
    }
}

codes! {
    /// Problems found in the storage or the trust material.
    FindingCode {
        DigestMismatch = "digest-mismatch": "a blob's content does not hash to the digest it is stored under; it was not used",
        BlobMissing = "blob-missing": "a descriptor names a blob that is not in the repository",
        InvalidDigest = "invalid-digest": "a descriptor's digest is malformed or uses an unsupported algorithm",
        ManifestTooLarge = "manifest-too-large": "a manifest or index is larger than 4 MiB and was refused",
        BlobTooLarge = "blob-too-large": "a signature blob is larger than 32 MiB and was refused",
        InvalidIndex = "invalid-index": "a repository's `index.json` could not be read or parsed",
        InvalidManifest = "invalid-manifest": "a manifest or index could not be parsed",
        UnknownMediaType = "unknown-media-type": "a descriptor or manifest has a media type that is neither a manifest nor an index",
        OrphanSignature = "orphan-signature": "a signature whose subject image is not in the repository",
        InvalidTrustMaterial = "invalid-trust-material": "a file in `_cosign` or `_notation` could not be used as trust material",
        Unreadable = "unreadable": "a file or folder could not be read",
        IncompleteLayout = "incomplete-layout": "a folder looks like an OCI layout but lacks `oci-layout` or `blobs/`",
        NoRepositories = "no-repositories": "the rootDir contains no repository",
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl FindingCode {
    /// The severity every finding of this code carries.
    pub fn severity(self) -> Severity {
        use FindingCode::*;
        match self {
            DigestMismatch | BlobMissing | InvalidDigest | ManifestTooLarge | BlobTooLarge
            | InvalidIndex | InvalidManifest | Unreadable => Severity::Error,
            UnknownMediaType | OrphanSignature | InvalidTrustMaterial | IncompleteLayout => {
                Severity::Warning
            }
            NoRepositories => Severity::Info,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_described() {
        let mut seen = HashSet::new();
        for c in ResultCode::ALL {
            assert!(seen.insert(("r", c.as_str())), "duplicate {c}");
            assert!(!c.description().is_empty());
        }
        for c in FindingCode::ALL {
            assert!(seen.insert(("f", c.as_str())), "duplicate {c}");
            assert!(!c.description().is_empty());
        }
    }
}
