//! `sigstoreSigned` with `pki` (bring-your-own PKI), as c/image's `verifyPKI`
//! (`signature/pki_cert.go`): the certificate annotation holds exactly one certificate; it must
//! chain to one of the policy's `caRoots*` through the policy's `caIntermediates*` and the
//! `chain` annotation's certificates but its last (the chain's own root, which is never
//! trusted), with code-signing usage when the certificates restrict usage; then it must name
//! `subjectEmail` among its email SANs and be valid for `subjectHostname` (Go's
//! `VerifyHostname`); then its public key must verify the signature. The chain and the
//! signature are checked by the verifiers ([`crate::verify::for_policy`]). There is no Rekor here:
//! c/image refuses a Rekor key with `pki` (a policy error, see `parse.rs`), so no SET is read.
//!
//! The time: c/image passes no `CurrentTime`, so Go verifies the chain's validity periods at
//! the moment of evaluation. sigaudit's moment of evaluation is the audit's `as_of` (the run's
//! clock, `--as-of`), so a certificate that has expired, or is not valid yet, rejects the
//! signature exactly as podman would reject it at that moment.

use der::Decode;

use super::eval::{SIGSTORE_SCHEMES, SigstoreAttachment};
use super::{ContainersPolicy, Pki};
use crate::keyless::pki;
use crate::media;
use crate::verify::for_policy;

/// The certificates of a PEM text; any block that is not a parsable certificate is an error
/// (sigstore's `UnmarshalCertificatesFromPEM`).
fn certificates(pem_text: &str) -> Result<Vec<Vec<u8>>, String> {
    let blocks = pem::parse_many(pem_text.as_bytes()).map_err(|e| format!("not PEM: {e}"))?;
    blocks
        .into_iter()
        .map(|b| {
            if b.tag() != "CERTIFICATE" {
                return Err(format!("a {} PEM block is not a certificate", b.tag()));
            }
            x509_cert::Certificate::from_der(b.contents()).map_err(|e| e.to_string())?;
            Ok(b.into_contents())
        })
        .collect()
}

/// Verifies one sigstore attachment's certificate and signature against a `pki` requirement.
pub(super) fn verify(
    policy: &ContainersPolicy,
    p: &Pki,
    sig: &SigstoreAttachment<'_>,
    signature: &[u8],
    as_of: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let root = policy.pki_root(p)?;
    let Some(cert_pem) = sig.annotations.get(media::COSIGN_CERTIFICATE_ANNOTATION) else {
        return Err(format!(
            "a certificate is required, but the {} annotation is missing",
            media::COSIGN_CERTIFICATE_ANNOTATION
        ));
    };
    let mut intermediates = root.intermediates.clone();
    if let Some(chain) = sig.annotations.get(media::COSIGN_CHAIN_ANNOTATION) {
        let chain =
            certificates(chain).map_err(|e| format!("loading the certificate chain: {e}"))?;
        // As c/image: the chain's last certificate is its root, never used; a chain of one
        // certificate adds nothing.
        if chain.len() > 1 {
            intermediates.extend(chain[..chain.len() - 1].iter().cloned());
        }
    }
    let mut leaves =
        certificates(cert_pem).map_err(|e| format!("parsing the leaf certificate: {e}"))?;
    let leaf = match leaves.len() {
        1 => leaves.remove(0),
        0 => return Err("no certificate found in the signature's certificate data".into()),
        _ => {
            return Err(
                "unexpected multiple certificates present in the signature's certificate data"
                    .into(),
            );
        }
    };
    let verified = for_policy::pki_certificate(&leaf, &intermediates, &root.roots, as_of)
        .map_err(|e| format!("verifying the leaf certificate failed: {e}"))?;
    if let Some(email) = &p.subject_email
        && !verified.emails.contains(email)
    {
        return Err(format!(
            "required email {email:?} not found (got {:?})",
            verified.emails
        ));
    }
    if let Some(host) = &p.subject_hostname {
        let ips = pki::ip_addresses(&leaf).map_err(|e| e.to_string())?;
        super::hostname::verify(host, &verified.dns_names, &ips)
            .map_err(|e| format!("unexpected subject hostname {host:?}: {e}"))?;
    }
    let verifies = for_policy::certificate_key(
        verified.public_key,
        sig.payload,
        signature,
        SIGSTORE_SCHEMES,
    )
    .map_err(|e| format!("the certificate's public key is not usable: {e}"))?;
    if !verifies {
        return Err(
            "cryptographic signature verification failed: the certificate's key does not verify the signature"
                .into(),
        );
    }
    Ok(())
}
