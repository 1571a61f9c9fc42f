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

        /// The schema of the string form: one `const` per code, with its description.
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "oneOf": [$({ "const": $text, "description": $desc },)*],
                })
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
        AmbiguousJson = "ambiguous-json": "a signed JSON document (payload, envelope, bundle, statement) has two keys that Go's `encoding/json` or `protojson` reads as one field, so Go verifiers may read other values than sigaudit",
        WrongPayloadType = "wrong-payload-type": "the payload's `critical.type` is not the one its format requires (`cosign container image signature`, or `atomic container signature` for GPG)",
        InvalidBundle = "invalid-bundle": "the sigstore bundle is malformed or of an unsupported version",
        KeylessUnsupported = "keyless-unsupported": "a keyless (Fulcio certificate) signature, and no `--trusted-root` was given to verify it with",
        KeylessMaterialInvalid = "keyless-material-invalid": "the keyless signature's certificate, chain, Rekor bundle or timestamp annotation is malformed or of an unsupported kind",
        KeylessChainInvalid = "keyless-chain-invalid": "the signing certificate does not chain to a certificate authority of the trusted root valid at the signing time",
        KeylessSctInvalid = "keyless-sct-invalid": "the signing certificate's embedded SCT is missing or does not verify with a CT log of the trusted root",
        KeylessTlogInvalid = "keyless-tlog-invalid": "the transparency-log entry is missing, from an unknown log, has an invalid signed entry timestamp, or does not describe this signature",
        KeylessInclusionProofInvalid = "keyless-inclusion-proof-invalid": "the transparency-log inclusion proof or its signed checkpoint does not verify",
        KeylessTimestampInvalid = "keyless-timestamp-invalid": "an RFC 3161 timestamp does not verify, or no authenticated signing time exists",
        KeylessSignatureInvalid = "keyless-signature-invalid": "the signature does not verify with the signing certificate's key",
        KeylessIdentityNotAllowed = "keyless-identity-not-allowed": "the keyless signature is valid, but its certificate identity and OIDC issuer are not trusted for this repository in [[keyless.identities]]",
        UnsupportedFormat = "unsupported-format": "a signature format sigaudit lists but does not verify yet",
        SignatureUnreadable = "signature-unreadable": "the signature blob is missing, too large, or does not match its digest",
        MessageSignature = "message-signature": "a sigstore bundle holding a messageSignature, which signs a blob, not an image (cosign signs images with DSSE statements; zot accepts no message signature on an image); listed, never trusted",
        SubjectUnreadable = "subject-unreadable": "the signed image could not be read or does not match its digest, so no signature on it is counted",
        VerifiedWithWarnings = "verified-with-warnings": "the notation signature is accepted by its trust policy level (permissive, audit or an override), which only logs the checks that failed",
        InvalidEnvelope = "invalid-envelope": "the notation envelope is malformed, its signature does not verify over the signed bytes, or its certificate chain breaks notation's rules",
        PluginRequired = "plugin-required": "the notation signature names a verification plugin; sigaudit runs no plugins, so the result is inconclusive",
        UnknownCriticalAttribute = "unknown-critical-attribute": "the notation signature marks as critical an attribute sigaudit does not understand",
        UntrustedCertificate = "untrusted-certificate": "no certificate of the notation signature's chain is in a trust store of the signing scheme's type",
        NoTrustedCertificates = "no-trusted-certificates": "the trust policy names no usable trust store of the type the signing scheme needs, so nothing can be trusted",
        IdentityMismatch = "identity-mismatch": "the signing certificate's subject matches none of the trust policy's trusted identities",
        SignatureExpired = "signature-expired": "the signature's own expiry time has passed",
        CertExpired = "cert-expired": "a certificate of the chain has expired and no valid RFC 3161 timestamp proves the signature was made before",
        CertNotYetValid = "cert-not-yet-valid": "a certificate of the chain is not valid yet at the verification time",
        TimestampInvalid = "timestamp-invalid": "the timestamp countersignature (or authentic signing time) is missing, invalid, untrusted or outside the certificates' validity",
        Revoked = "revoked": "a certificate of the signing or timestamping chain is revoked by a CRL",
        RevocationUnknown = "revocation-unknown": "a certificate's revocation status cannot be established offline, and --require-revocation is set",
        DescriptorMismatch = "descriptor-mismatch": "the notation payload's targetArtifact is not this image (media type, digest or size differ): a transplanted signature",
        PolicySkip = "policy-skip": "the trust policy statement has level skip: nothing is verified, so the signature is not counted as trusted",
        NoTrustPolicy = "no-trust-policy": "the rootDir has no notation trust policy, so no notation signature can be trusted",
        InvalidTrustPolicy = "invalid-trust-policy": "the notation trust policy is malformed or breaks a validation rule, so no notation signature can be trusted",
        NoApplicablePolicy = "no-applicable-policy": "no trust policy statement's registryScopes match this repository (see --registry)",
        NotOpenpgp = "not-openpgp": "a file in the GPG lookaside folder is not an OpenPGP signed message (for example a `\\0sigstore-json` copy of a cosign signature); it is listed, never trusted",
        InvalidOpenpgp = "invalid-openpgp": "the OpenPGP message is malformed, is not exactly one signature over one literal data packet, or its signature does not verify with the key it names",
        KeyExpired = "key-expired": "the OpenPGP key or signing subkey that made the signature has expired",
        KeyRevoked = "key-revoked": "the OpenPGP key or signing subkey that made the signature is revoked",
        KeyNotBound = "key-not-bound": "the OpenPGP signing key has no valid self-signature, or the signing subkey no valid binding and cross-certification by its primary key, or may not sign",
        NoGpgKeyrings = "no-gpg-keyrings": "no GPG keyring was given (--gpg-keyring or `gpg.keyrings`), so no GPG signature can be trusted",
        ReferenceMismatch = "reference-mismatch": "the GPG signature's `docker-reference` names another repository than the one the image is stored in (or another tag than the image's, with --registry)",
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
        PrivateKey = "private-key": "a private key in `_cosign` or a trust store: that key has leaked; remove the file and rotate the key (the file is never trust material)",
        UnsafeLink = "unsafe-link": "a symbolic link in `_cosign` or `_notation` that leads where registry pushers can write (a repository, a folder of the rootDir a push could make one, another OCI layout); not followed, so nothing behind it is trusted",
        Unreadable = "unreadable": "a file or folder could not be read",
        IncompleteLayout = "incomplete-layout": "a folder looks like an OCI layout but lacks `oci-layout` or `blobs/`",
        NoRepositories = "no-repositories": "the rootDir contains no repository (an unmounted volume or a wrong path?); `scan` exits 3 unless --allow-empty",
        LookasideUnusable = "lookaside-unusable": "the GPG lookaside store cannot be read: the folder is missing, a registries.d file is invalid, or it names a URL other than `file://`, which would need the network",
        RegistryScopesUnused = "registry-scopes-unused": "the notation trust policy has statements scoped to `<registry>/<repository>`; without --registry only the `*` statement applies",
        SymlinkNotFollowed = "symlink-not-followed": "a symbolic link among the repositories or blobs; sigaudit never follows one, so what it leads to was not audited or used",
        NotRegularFile = "not-regular-file": "a blob, `index.json` or manifest that is not a regular file (a folder, named pipe, socket or device); it was not read",
        NonUtf8Name = "non-utf8-name": "a folder name that is not valid UTF-8 (shown with U+FFFD); zot cannot serve a repository so named",
        TooDeep = "too-deep": "image indexes nested deeper than sigaudit follows (8 levels); the children below were not listed",
        NotASignature = "not-a-signature": "a cosign signature or attestation tag (`sha256-<hex>.sig`, `.att`) names a manifest that is not such an artifact (an image, an index, other layers); it is audited as an image under that tag and never counted as a signature",
        DescriptorContentMismatch = "descriptor-content-mismatch": "a descriptor (in `index.json` or an image index) gives a size or media type other than its manifest's own; the content's values are used",
        DedupePlaceholder = "dedupe-placeholder": "a zero-byte deduplication placeholder (zot's remote storage keeps a blob once); its content was read from another repository's copy, which matches the digest",
        DedupeUnresolved = "dedupe-unresolved": "a zero-byte deduplication placeholder whose content no other repository holds (or whose copies do not match the digest); the blob is unusable and nothing depending on it is trusted",
        RepositoryNotServed = "repository-not-served": "a repository in a store that zot does not serve it from (its name's first component routes it to another store of `--zot-config`); not audited there",
        RuleUnmatched = "rule-unmatched": "a compliance rule of the config matches no image (a typo in its repository or tag glob?), so it checks nothing",
    }
}

codes! {
    /// Problems `sigaudit trust check` finds in the trust material (its lint codes).
    LintCode {
        Unparsable = "unparsable": "a file in `_cosign` or a trust store is not a usable public key or certificate",
        EmptyFile = "empty-file": "an empty file in `_cosign` or a trust store",
        PrivateKey = "private-key": "a private key in `_cosign` or a trust store: that key has leaked; remove the file and rotate the key (the file is never trust material)",
        UnsafeLink = "unsafe-link": "a symbolic link in `_cosign` or `_notation` that leads where registry pushers can write (a repository, a folder of the rootDir a push could make one, another OCI layout); not followed, so nothing behind it is trusted",
        NotRegularFile = "not-regular-file": "a folder or symbolic link inside a trust store, which makes notation refuse the whole store",
        Unreadable = "unreadable": "a trust file or folder cannot be read",
        StrayFile = "stray-file": "a file or folder under `_notation/truststore` outside any `x509/<type>/<store>/` folder, which notation never reads",
        NotCa = "not-ca": "a certificate notation refuses in its store (neither a CA nor self-signed; in a `tsa` store, not a self-signed root CA), which makes notation refuse the whole store",
        LeafInStore = "leaf-in-store": "a self-signed certificate that is not a CA in a `ca` store: it pins exactly one signer",
        Expired = "expired": "a certificate whose notAfter has passed",
        NotYetValid = "not-yet-valid": "a certificate whose notBefore is still to come",
        ExpiringSoon = "expiring-soon": "a certificate that expires within --warn-days days",
        WeakKey = "weak-key": "an RSA key under 2048 bits or an elliptic curve under 256 bits",
        WeakSignature = "weak-signature": "a certificate signed with SHA-1, MD5 or MD2",
        PolicyMissing = "policy-missing": "no notation trust policy (`_notation/trustpolicy.oci.json` or `trustpolicy.json`), so no notation signature can be trusted",
        PolicyInvalid = "policy-invalid": "the notation trust policy is malformed or breaks a validation rule, so no notation signature can be trusted",
        PolicySuperseded = "policy-superseded": "`_notation/trustpolicy.json` is shadowed by `trustpolicy.oci.json` for notation and sigaudit (zot still reads `trustpolicy.json`)",
        StoreMissing = "store-missing": "a trust store the policy names does not exist or is empty",
        StoreUnused = "store-unused": "a trust store no trust policy statement names: its certificates anchor nothing",
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
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
            DigestMismatch
            | BlobMissing
            | InvalidDigest
            | ManifestTooLarge
            | BlobTooLarge
            | InvalidIndex
            | InvalidManifest
            | Unreadable
            | SymlinkNotFollowed
            | NotRegularFile
            | NotASignature
            | DescriptorContentMismatch
            | PrivateKey
            | UnsafeLink
            | DedupeUnresolved
            | NoRepositories => Severity::Error,
            UnknownMediaType | OrphanSignature | InvalidTrustMaterial | IncompleteLayout
            | RegistryScopesUnused | LookasideUnusable | NonUtf8Name | TooDeep | RuleUnmatched
            | RepositoryNotServed => Severity::Warning,
            DedupePlaceholder => Severity::Info,
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
        for c in LintCode::ALL {
            assert!(seen.insert(("l", c.as_str())), "duplicate {c}");
            assert!(!c.description().is_empty());
        }
    }
}
