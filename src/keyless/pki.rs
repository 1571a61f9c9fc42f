//! Bring-your-own-PKI certificate signatures (containers-policy `sigstoreSigned` with `pki`):
//! the layer's certificate must chain, through the `chain` annotation's and the configured
//! intermediates, to one of the configured roots at the given time, with code-signing usage.
//! There is no Fulcio, SCT or Rekor here; the identity is the certificate's SANs.

use chrono::{DateTime, Utc};
use der::Decode;
use rustls_pki_types::{CertificateDer, UnixTime};
use sigstore_verify::crypto::WEBPKI_VERIFICATION_ALGS;
use webpki::{EndEntityCert, KeyUsage};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use super::{Failure, FailureKind};

/// id-kp-codeSigning (1.3.6.1.5.5.7.3.3), DER content octets.
const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// A certificate whose chain verified, and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiVerified {
    /// SAN rfc822Name values.
    pub emails: Vec<String>,
    /// SAN dNSName values.
    pub dns_names: Vec<String>,
    /// SAN URI values.
    pub uris: Vec<String>,
    pub not_after: Option<DateTime<Utc>>,
    /// The leaf's SubjectPublicKeyInfo (DER), to verify the signature with.
    pub public_key: Vec<u8>,
}

/// A certificate's SAN values: (emails, DNS names, URIs).
pub type Sans = (Vec<String>, Vec<String>, Vec<String>);

/// The SANs of a certificate (DER).
pub fn subject_alt_names(der: &[u8]) -> Result<Sans, Failure> {
    let cert = Certificate::from_der(der)
        .map_err(|e| Failure::new(FailureKind::Malformed, format!("certificate: {e}")))?;
    let (mut emails, mut dns, mut uris) = (Vec::new(), Vec::new(), Vec::new());
    if let Ok(Some((_, san))) = cert.tbs_certificate.get::<SubjectAltName>() {
        for name in san.0 {
            match name {
                GeneralName::Rfc822Name(s) => emails.push(s.to_string()),
                GeneralName::DnsName(s) => dns.push(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => uris.push(s.to_string()),
                _ => {}
            }
        }
    }
    Ok((emails, dns, uris))
}

/// The SAN iPAddress values of a certificate (DER); entries that are neither 4 nor 16 bytes
/// long are skipped (they name no address).
pub fn ip_addresses(der: &[u8]) -> Result<Vec<std::net::IpAddr>, Failure> {
    let cert = Certificate::from_der(der)
        .map_err(|e| Failure::new(FailureKind::Malformed, format!("certificate: {e}")))?;
    let mut out = Vec::new();
    if let Ok(Some((_, san))) = cert.tbs_certificate.get::<SubjectAltName>() {
        for name in san.0 {
            if let GeneralName::IpAddress(ip) = name {
                let b = ip.as_bytes();
                if let Ok(v4) = <[u8; 4]>::try_from(b) {
                    out.push(std::net::IpAddr::from(v4));
                } else if let Ok(v6) = <[u8; 16]>::try_from(b) {
                    out.push(std::net::IpAddr::from(v6));
                }
            }
        }
    }
    Ok(out)
}

/// Verify `leaf` (DER) to one of `roots` through `intermediates` at `at`.
pub fn verify_pki_chain(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    roots: &[Vec<u8>],
    at: DateTime<Utc>,
) -> Result<PkiVerified, Failure> {
    let root_ders: Vec<CertificateDer<'_>> = roots
        .iter()
        .map(|r| CertificateDer::from(r.as_slice()))
        .collect();
    let anchors = root_ders
        .iter()
        .map(|d| {
            webpki::anchor_from_trusted_cert(d).map_err(|e| {
                Failure::new(FailureKind::Malformed, format!("a root certificate: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if anchors.is_empty() {
        return Err(Failure::new(
            FailureKind::Chain,
            "no root certificate to chain to",
        ));
    }
    let inter: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let leaf_der = CertificateDer::from(leaf);
    let ee = EndEntityCert::try_from(&leaf_der)
        .map_err(|e| Failure::new(FailureKind::Malformed, format!("certificate: {e}")))?;
    let secs = u64::try_from(at.timestamp()).unwrap_or(0);
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
    ee.verify_for_usage(
        WEBPKI_VERIFICATION_ALGS,
        &anchors,
        &inter,
        time,
        // As Go's x509 (containers/image): a certificate without an EKU extension may sign code.
        KeyUsage::required_if_present(CODE_SIGNING),
        None,
        None,
    )
    .map_err(|e| {
        Failure::new(
            FailureKind::Chain,
            format!("certificate chain invalid at {}: {e:?}", at.to_rfc3339()),
        )
    })?;
    let cert = Certificate::from_der(leaf)
        .map_err(|e| Failure::new(FailureKind::Malformed, format!("certificate: {e}")))?;
    let public_key = der::Encode::to_der(&cert.tbs_certificate.subject_public_key_info)
        .map_err(|e| Failure::new(FailureKind::Malformed, format!("certificate key: {e}")))?;
    let not_after = DateTime::from_timestamp(
        i64::try_from(
            cert.tbs_certificate
                .validity
                .not_after
                .to_unix_duration()
                .as_secs(),
        )
        .unwrap_or(i64::MAX),
        0,
    );
    let (emails, dns_names, uris) = subject_alt_names(leaf)?;
    Ok(PkiVerified {
        emails,
        dns_names,
        uris,
        not_after,
        public_key,
    })
}
