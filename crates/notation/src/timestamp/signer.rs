//! tspclient-go `SignedToken.Verify` (reference §3.6 step 6): for each SignerInfo in token
//! order, find the signing certificate through signingCertificateV2, check the SignerInfo
//! version, build the TSA chain at genTime, verify the signature and the signed attributes,
//! and require the signing certificate's EKU to be exactly timeStamping and critical. The
//! first SignerInfo that passes everything wins; if none does, the last one's error is
//! reported (as in Go).

use chrono::{DateTime, Utc};

use super::asn1::{self, Asn1Error, Reader, Tlv, tag};
use super::path;
use super::signed_data::{
    self, Attribute, ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNING_CERTIFICATE_V2,
    ID_SIGNING_TIME, SignedData, SignerInfo,
};
use super::tsa_chain::eku_critical;
use super::{CmsError, SignedTokenError, SigningCertificateError};
use crate::x509::{Cert, HashAlg, HashAlg::Sha256, SigAlg, oids};

/// A signer that passed: the verified chain (signing certificate first, trusted root last).
pub(super) struct VerifiedSigner {
    pub chain: Vec<Cert>,
}

/// Verifies the token's signers against `roots` at time `now` (genTime).
pub(super) fn verify(
    sd: &SignedData,
    roots: &[Cert],
    now: DateTime<Utc>,
) -> Result<VerifiedSigner, SignedTokenError> {
    let mut last_err = SignedTokenError::SignerInfoNotFound;
    for si in &sd.signer_infos {
        match verify_one(sd, si, roots, now) {
            Ok(v) => return Ok(v),
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

fn verify_one(
    sd: &SignedData,
    si: &SignerInfo,
    roots: &[Cert],
    now: DateTime<Utc>,
) -> Result<VerifiedSigner, SignedTokenError> {
    let cert = signing_certificate(sd, si).map_err(SignedTokenError::SigningCertificate)?;
    let chain = verify_signer(sd, si, cert, roots, now).map_err(SignedTokenError::Cms)?;
    // RFC 3161 §2.3: exactly one EKU, timeStamping, in a critical extension.
    if cert.eku() != [oids::EKU_TIME_STAMPING] {
        return Err(SignedTokenError::EkuNotOnlyTimestamping);
    }
    if eku_critical(cert) != Some(true) {
        return Err(SignedTokenError::EkuNotCritical);
    }
    Ok(VerifiedSigner { chain })
}

/// The `ESSCertIDv2` fields tspclient-go reads.
struct EssCertIdV2<'a> {
    hash_algorithm: Option<&'a [u8]>,
    cert_hash: &'a [u8],
    /// `(issuer Name DER, serial INTEGER content)` when issuerSerial is present.
    issuer_serial: Option<IssuerSerial<'a>>,
}

enum IssuerSerial<'a> {
    /// The first GeneralName is a `[4]` directoryName holding this Name encoding.
    Directory { name: &'a [u8], serial: &'a [u8] },
    /// No directoryName first (Go's "issuer name is missing").
    NoDirectoryName,
}

fn attribute_err(e: Asn1Error) -> SigningCertificateError {
    SigningCertificateError::Attribute(e)
}

/// Decodes the first ESSCertIDv2 of a SigningCertificateV2 value.
fn first_ess_cert_id<'a>(value: &Tlv<'a>) -> Result<EssCertIdV2<'a>, SigningCertificateError> {
    if value.tag != tag::SEQUENCE {
        return Err(attribute_err(
            Asn1Error::ExpectedSequence.within("SigningCertificateV2"),
        ));
    }
    let mut r = Reader::new(value.content);
    let certs = r.expect(tag::SEQUENCE, "certs").map_err(attribute_err)?;
    // policies (optional) is not used.
    if !r.is_empty() {
        r.any("policies").map_err(attribute_err)?;
    }
    r.finish("SigningCertificateV2").map_err(attribute_err)?;
    let ids = asn1::elements(certs.content, "ESSCertIDv2").map_err(attribute_err)?;
    // Go decodes every ESSCertIDv2 and uses the first.
    let decoded = ids.iter().map(ess_cert_id).collect::<Result<Vec<_>, _>>()?;
    decoded
        .into_iter()
        .next()
        .ok_or(SigningCertificateError::NoCertificate)
}

fn ess_cert_id<'a>(id: &Tlv<'a>) -> Result<EssCertIdV2<'a>, SigningCertificateError> {
    if id.tag != tag::SEQUENCE {
        return Err(attribute_err(
            Asn1Error::ExpectedSequence.within("ESSCertIDv2"),
        ));
    }
    let mut r = Reader::new(id.content);
    let hash_algorithm = match r
        .optional(tag::SEQUENCE, "hashAlgorithm")
        .map_err(attribute_err)?
    {
        Some(a) => Some(asn1::algorithm_oid(&a, "hashAlgorithm").map_err(attribute_err)?),
        None => None,
    };
    let cert_hash = r
        .expect(tag::OCTET_STRING, "certHash")
        .map_err(attribute_err)?
        .content;
    let issuer_serial = match r
        .optional(tag::SEQUENCE, "issuerSerial")
        .map_err(attribute_err)?
    {
        Some(is) => Some(issuer_serial(&is).map_err(attribute_err)?),
        None => None,
    };
    r.finish("ESSCertIDv2").map_err(attribute_err)?;
    Ok(EssCertIdV2 {
        hash_algorithm,
        cert_hash,
        issuer_serial,
    })
}

/// `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }`; like Go, only
/// the first GeneralName is looked at, and only as a directoryName.
fn issuer_serial<'a>(t: &Tlv<'a>) -> Result<IssuerSerial<'a>, Asn1Error> {
    let mut r = Reader::new(t.content);
    let names = r.expect(tag::SEQUENCE, "issuer")?;
    let serial = r.expect(tag::INTEGER, "serialNumber")?;
    asn1::check_integer(serial.content)?;
    r.finish("IssuerSerial")?;
    let general_names = asn1::elements(names.content, "GeneralName")?;
    match general_names.first() {
        // `[4]` directoryName (Go checks class and number, not constructedness).
        Some(n) if n.tag & 0xdf == tag::ctx_prim(4) => Ok(IssuerSerial::Directory {
            name: n.content,
            serial: serial.content,
        }),
        _ => Ok(IssuerSerial::NoDirectoryName),
    }
}

/// The certificate with this issuer Name encoding and serial number (Go's `GetCertificate`).
fn find_certificate<'a>(sd: &'a SignedData, issuer: &[u8], serial: &[u8]) -> Option<&'a Cert> {
    let key = asn1::int_key(serial);
    sd.certificates.iter().find(|c| {
        c.issuer_raw() == issuer
            && asn1::int_key(c.parsed().tbs_certificate.serial_number.as_bytes()) == key
    })
}

/// tspclient-go `SignedToken.SigningCertificate`.
fn signing_certificate<'a>(
    sd: &'a SignedData,
    si: &SignerInfo,
) -> Result<&'a Cert, SigningCertificateError> {
    let attr = signed_data::find_attribute(&si.signed_attrs, &ID_SIGNING_CERTIFICATE_V2).ok_or(
        SigningCertificateError::Attribute(Asn1Error::AttributeNotFound),
    )?;
    let value = attr.first_value().map_err(attribute_err)?;
    let id = first_ess_cert_id(&value)?;
    let candidate = match id.issuer_serial {
        Some(IssuerSerial::NoDirectoryName) => {
            return Err(SigningCertificateError::IssuerNameMissing);
        }
        Some(IssuerSerial::Directory { name, serial }) => {
            // Go unmarshals the first element of the directoryName as a raw value.
            let (issuer, _) = asn1::split(name).map_err(SigningCertificateError::IssuerName)?;
            find_certificate(sd, issuer.full, serial)
        }
        None => find_certificate(sd, &si.sid_issuer, &si.sid_serial),
    }
    .ok_or(SigningCertificateError::NotFound)?;
    let hash = match id.hash_algorithm {
        None => Sha256,
        Some(oid) => hash_from_oid(oid).ok_or(SigningCertificateError::UnsupportedHash)?,
    };
    if hash.digest(candidate.der()) != id.cert_hash {
        return Err(SigningCertificateError::HashMismatch);
    }
    Ok(candidate)
}

fn hash_from_oid(oid: &[u8]) -> Option<HashAlg> {
    [
        (oids::SHA256, HashAlg::Sha256),
        (oids::SHA384, HashAlg::Sha384),
        (oids::SHA512, HashAlg::Sha512),
    ]
    .into_iter()
    .find(|(o, _)| o.as_bytes() == oid)
    .map(|(_, h)| h)
}

/// tspclient-go `oid.ToSignatureAlgorithm(digestAlgorithm, signatureAlgorithm)`.
fn signature_algorithm(digest: &[u8], sig: &[u8]) -> Option<SigAlg> {
    let digest = hash_from_oid(digest);
    let is = |o: const_oid::ObjectIdentifier| o.as_bytes() == sig;
    if is(oids::RSA_ENCRYPTION) {
        return digest.map(SigAlg::RsaPkcs1);
    }
    if is(oids::RSA_PSS) {
        return digest.map(SigAlg::RsaPss);
    }
    [
        (oids::SHA256_RSA, SigAlg::RsaPkcs1(HashAlg::Sha256)),
        (oids::SHA384_RSA, SigAlg::RsaPkcs1(HashAlg::Sha384)),
        (oids::SHA512_RSA, SigAlg::RsaPkcs1(HashAlg::Sha512)),
        (oids::SHA256_ECDSA, SigAlg::Ecdsa(HashAlg::Sha256)),
        (oids::SHA384_ECDSA, SigAlg::Ecdsa(HashAlg::Sha384)),
        (oids::SHA512_ECDSA, SigAlg::Ecdsa(HashAlg::Sha512)),
    ]
    .into_iter()
    .find(|(o, _)| is(*o))
    .map(|(_, a)| a)
}

/// tspclient-go `ParsedSignedData.VerifySigner`: version, chain, signature, attributes.
/// Returns the chain that the signed attributes accept.
fn verify_signer(
    sd: &SignedData,
    si: &SignerInfo,
    cert: &Cert,
    roots: &[Cert],
    now: DateTime<Utc>,
) -> Result<Vec<Cert>, CmsError> {
    if si.version != 1 {
        return Err(CmsError::SignerVersion(si.version));
    }
    let chains = path::verify(cert, &sd.certificates, roots, now).map_err(CmsError::Chain)?;
    let alg = signature_algorithm(&si.digest_algorithm, &si.signature_algorithm)
        .ok_or(CmsError::UnknownSignatureAlgorithm)?;
    let signed = if si.signed_attrs.is_empty() {
        sd.content.clone()
    } else {
        signed_data::signed_attributes_der(&si.signed_attrs)
    };
    cert.verify_signed(alg, &signed, &si.signature)
        .map_err(CmsError::Signature)?;
    verify_signed_attributes(sd, si, chains)
}

fn attribute_value<'a>(
    attrs: &'a [Attribute],
    oid: &const_oid::ObjectIdentifier,
) -> Option<Result<Tlv<'a>, Asn1Error>> {
    signed_data::find_attribute(attrs, oid).map(Attribute::first_value)
}

/// tspclient-go `verifySignedAttributes`.
fn verify_signed_attributes(
    sd: &SignedData,
    si: &SignerInfo,
    chains: Vec<Vec<Cert>>,
) -> Result<Vec<Cert>, CmsError> {
    if si.signed_attrs.is_empty() {
        return Err(CmsError::MissingSignedAttributes);
    }
    let content_type = match attribute_value(&si.signed_attrs, &ID_CONTENT_TYPE) {
        None => return Err(CmsError::InvalidContentType(Asn1Error::AttributeNotFound)),
        Some(v) => v
            .and_then(|t| {
                if t.tag == tag::OID {
                    asn1::oid_string(t.content)
                } else {
                    Err(Asn1Error::ExpectedOid)
                }
            })
            .map_err(CmsError::InvalidContentType)?,
    };
    if content_type != sd.content_type {
        return Err(CmsError::MismatchContentType {
            found: content_type,
            expected: sd.content_type.clone(),
        });
    }
    let expected_digest = match attribute_value(&si.signed_attrs, &ID_MESSAGE_DIGEST) {
        None => return Err(CmsError::InvalidMessageDigest(Asn1Error::AttributeNotFound)),
        Some(v) => v
            .and_then(|t| {
                if t.tag == tag::OCTET_STRING {
                    Ok(t.content)
                } else {
                    Err(Asn1Error::ExpectedOctetString)
                }
            })
            .map_err(CmsError::InvalidMessageDigest)?,
    };
    let hash = hash_from_oid(&si.digest_algorithm).ok_or(CmsError::UnsupportedDigestAlgorithm)?;
    if hash.digest(&sd.content) != expected_digest {
        return Err(CmsError::MismatchMessageDigest);
    }
    let mut chains = chains.into_iter();
    let signing_time =
        match attribute_value(&si.signed_attrs, &ID_SIGNING_TIME) {
            None => {
                return chains.next().ok_or(CmsError::Chain(
                    path::X509VerifyError::UnknownAuthority { hint: None },
                ));
            }
            Some(v) => v
                .and_then(|t| match t.tag {
                    tag::UTC_TIME => asn1::utc_time(t.content, "signingTime"),
                    tag::GENERALIZED_TIME => asn1::generalized_time(t.content, "signingTime"),
                    _ => Err(Asn1Error::ExpectedTime),
                })
                .map_err(CmsError::InvalidSigningTime)?,
        };
    chains
        .find(|chain| {
            chain
                .iter()
                .all(|c| signing_time >= c.not_before() && signing_time <= c.not_after())
        })
        .ok_or_else(|| CmsError::SigningTimeOutsideValidity(asn1::go_time_string(&signing_time)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(file: &str) -> Option<SignedData> {
        let dir = crate::test_vectors::dir()?;
        let path = dir.join("notation/tspclient-go/cms-testdata").join(file);
        let bytes = std::fs::read(path).expect("read");
        let der = super::super::ber::to_der(&bytes).expect("ber");
        Some(signed_data::parse(&der).expect("parse"))
    }

    /// tspclient-go's `TestVerifyAttributes`: the signed-attribute rules on their own, with
    /// all the token's certificates as the one candidate chain (these vectors edit the
    /// attributes without re-signing, so they cannot get this far through `verify`).
    #[test]
    fn signed_attribute_rules() {
        let Some(valid) = token("TimeStampTokenWithSigningTime.p7s") else {
            return;
        };
        let check = |sd: &SignedData| {
            let si = sd.signer_infos.first().expect("signer");
            verify_signed_attributes(sd, si, vec![sd.certificates.clone()])
        };
        let chain = check(&valid).expect("signing time inside every validity");
        assert_eq!(chain, valid.certificates);
        type Check = fn(&CmsError) -> bool;
        let cases: [(&str, Check); 7] = [
            ("TimeStampTokenWithoutSignedAttributeContentType.p7s", |e| {
                *e == CmsError::InvalidContentType(Asn1Error::AttributeNotFound)
            }),
            ("TimeStampTokenInvalidSignedAttributeContentType.p7s", |e| {
                *e == CmsError::MismatchContentType {
                    found: "1.2.840.113549.1.9.16.1.44".into(),
                    expected: "1.2.840.113549.1.9.16.1.4".into(),
                }
            }),
            ("TimeStampTokenWithoutSignedAttributeDigest.p7s", |e| {
                *e == CmsError::InvalidMessageDigest(Asn1Error::AttributeNotFound)
            }),
            ("TimeStampTokenWithSignedAttributeSHA1.p7s", |e| {
                *e == CmsError::UnsupportedDigestAlgorithm
            }),
            ("TimeStampTokenWithInvalidSigningTime.p7s", |e| {
                matches!(e, CmsError::InvalidSigningTime(_))
            }),
            ("TimeStampTokenWithSigningTimeBeforeExpected.p7s", |e| {
                e.to_string()
                    == "cms verification failure: signing time, 2019-02-20 00:00:00 +0000 UTC, is outside certificate's validity period"
            }),
            ("TimeStampTokenWithoutSignedAttributes.p7s", |e| {
                *e == CmsError::MissingSignedAttributes
            }),
        ];
        for (file, want) in cases {
            let sd = token(file).expect(file);
            let err = check(&sd).expect_err(file);
            assert!(want(&err), "{file}: {err}");
        }
    }
}
