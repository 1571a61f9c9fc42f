//! Media types and annotation keys, exactly as the tools that write them spell them.

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Tag annotation in `index.json` descriptors.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Notary Project signature artifacts (artifactType, or config media type in the older form).
pub const NOTATION_SIGNATURE: &str = "application/vnd.cncf.notary.signature";
pub const NOTATION_JWS: &str = "application/jose+json";
pub const NOTATION_COSE: &str = "application/cose";

/// cosign OCI 1.1 ("experimental") signature referrers.
pub const COSIGN_ARTIFACT_SIG: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
/// cosign v3 sigstore bundle referrers (signatures and attestations alike).
pub const SIGSTORE_BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Layer media type of a cosign simple-signing payload.
pub const COSIGN_SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Layer media type of a cosign `.att` attestation (a DSSE envelope).
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Layer annotation holding the base64 signature of a simple-signing payload.
pub const COSIGN_SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const COSIGN_CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
pub const COSIGN_CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
pub const COSIGN_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
pub const COSIGN_RFC3161_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";
/// Manifest annotation naming a bundle's in-toto predicate type.
pub const BUNDLE_PREDICATE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";
/// The predicate type of a cosign image signature (anything else is an attestation).
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

pub fn is_manifest(media_type: &str) -> bool {
    media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
}
/// A GPG simple-signing `signature-N` file of a lookaside store (containers/image gives these
/// files no media type; this is the OpenPGP one, RFC 3156).
pub const GPG_SIGNATURE: &str = "application/pgp-signature";
