//! CMS `ContentInfo` / `SignedData` / `SignerInfo` as tspclient-go's `cms.ParseSignedData`
//! reads them (reference §3.6 step 2), keeping the original order of certificates and
//! signer infos and the raw bytes every later check compares.

use const_oid::ObjectIdentifier;

use super::ParseError;
use super::asn1::{self, Asn1Error, Reader, Tlv, tag};
use crate::x509::Cert;

/// `id-signedData`.
pub(super) const ID_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-ct-TSTInfo`.
pub(super) const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// `id-contentType` signed attribute.
pub(super) const ID_CONTENT_TYPE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` signed attribute.
pub(super) const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-signingTime` signed attribute.
pub(super) const ID_SIGNING_TIME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// `id-aa-signingCertificateV2` (RFC 5035).
pub(super) const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// One CMS attribute: type OID content, the content of its values (a SET OF in valid
/// tokens), and its whole encoding.
#[derive(Debug, Clone)]
pub(super) struct Attribute {
    pub oid: Vec<u8>,
    pub values: Vec<u8>,
    pub encoding: Vec<u8>,
}

impl Attribute {
    /// The first value (Go's `asn1.Unmarshal(values.Bytes, out)` reads the first element and
    /// ignores the rest).
    pub fn first_value(&self) -> Result<Tlv<'_>, Asn1Error> {
        asn1::split(&self.values).map(|(t, _)| t)
    }
}

/// The attribute of type `oid`, first match (as Go's `Attributes.Get`).
pub(super) fn find_attribute<'a>(
    attrs: &'a [Attribute],
    oid: &ObjectIdentifier,
) -> Option<&'a Attribute> {
    attrs.iter().find(|a| a.oid == oid.as_bytes())
}

/// The bytes a SignerInfo signature covers when signed attributes are present: the
/// attributes re-encoded as a DER `SET OF` (tag 0x31, elements sorted), like Go's
/// `asn1.MarshalWithParams(attrs, "set")`.
pub(super) fn signed_attributes_der(attrs: &[Attribute]) -> Vec<u8> {
    let mut encodings: Vec<&[u8]> = attrs.iter().map(|a| a.encoding.as_slice()).collect();
    encodings.sort_unstable();
    let len: usize = encodings.iter().map(|e| e.len()).sum();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag::SET);
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
        out.extend_from_slice(significant);
    }
    for e in encodings {
        out.extend_from_slice(e);
    }
    out
}

/// One `SignerInfo`.
#[derive(Debug, Clone)]
pub(super) struct SignerInfo {
    pub version: i64,
    /// `sid` IssuerAndSerialNumber: the issuer Name as encoded, and the serial INTEGER content.
    pub sid_issuer: Vec<u8>,
    pub sid_serial: Vec<u8>,
    /// digestAlgorithm OID content.
    pub digest_algorithm: Vec<u8>,
    /// Signed attributes in token order (empty when absent).
    pub signed_attrs: Vec<Attribute>,
    /// signatureAlgorithm OID content.
    pub signature_algorithm: Vec<u8>,
    pub signature: Vec<u8>,
}

/// The parts of `SignedData` notation uses.
#[derive(Debug, Clone)]
pub(super) struct SignedData {
    /// eContentType, dotted.
    pub content_type: String,
    /// eContent octets (empty when absent).
    pub content: Vec<u8>,
    /// `certificates`, in token order.
    pub certificates: Vec<Cert>,
    /// `signerInfos`, in token order.
    pub signer_infos: Vec<SignerInfo>,
}

/// Parses a DER `ContentInfo` holding `SignedData`, in tspclient-go's order of checks:
/// structure, content type, SignedData structure, version 3, X.509 certificates. (The
/// eContentType check is the caller's, as in `ParseSignedToken`.)
pub(super) fn parse(der: &[u8]) -> Result<SignedData, ParseError> {
    let ci = asn1::single(der, tag::SEQUENCE, "ContentInfo").map_err(ParseError::ContentInfo)?;
    let mut r = Reader::new(ci.content);
    let content_type = r
        .expect(tag::OID, "contentType")
        .map_err(ParseError::ContentInfo)?;
    asn1::oid_string(content_type.content).map_err(ParseError::ContentInfo)?;
    let content = r
        .expect(tag::ctx(0), "content")
        .map_err(ParseError::ContentInfo)?;
    r.finish("ContentInfo").map_err(ParseError::ContentInfo)?;
    if content_type.content != ID_SIGNED_DATA.as_bytes() {
        return Err(ParseError::NotSignedData);
    }
    let (version, data, raw_certs) =
        signed_data(content.content).map_err(ParseError::SignedData)?;
    if version != 3 {
        return Err(ParseError::UnsupportedVersion(version));
    }
    let mut certificates = Vec::with_capacity(raw_certs.len());
    for raw in raw_certs {
        certificates.push(Cert::from_der(raw).map_err(ParseError::Certificates)?);
    }
    Ok(SignedData {
        certificates,
        ..data
    })
}

type RawSignedData<'a> = (i64, SignedData, Vec<&'a [u8]>);

fn signed_data(explicit: &[u8]) -> Result<RawSignedData<'_>, Asn1Error> {
    let sd = asn1::single(explicit, tag::SEQUENCE, "SignedData")?;
    let mut r = Reader::new(sd.content);
    let version = asn1::int_i64(&r.expect(tag::INTEGER, "version")?, "version")?;
    let digest_algs = r.expect(tag::SET, "digestAlgorithms")?;
    for alg in asn1::elements(digest_algs.content, "digestAlgorithm")? {
        asn1::algorithm_oid(&alg, "digestAlgorithm")?;
    }
    let (content_type, content) =
        encap_content_info(&r.expect(tag::SEQUENCE, "encapContentInfo")?)?;
    let raw_certs = match r.optional(tag::ctx(0), "certificates")? {
        Some(c) => asn1::elements(c.content, "certificate")?
            .into_iter()
            .map(|t| t.full)
            .collect(),
        None => Vec::new(),
    };
    // CRLs are not used; their encoding was checked by the BER pass.
    r.optional(tag::ctx(1), "crls")?;
    let infos = r.expect(tag::SET, "signerInfos")?;
    r.finish("SignedData")?;
    let signer_infos = asn1::elements(infos.content, "signerInfo")?
        .iter()
        .map(signer_info)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        version,
        SignedData {
            content_type,
            content,
            certificates: Vec::new(),
            signer_infos,
        },
        raw_certs,
    ))
}

fn encap_content_info(t: &Tlv<'_>) -> Result<(String, Vec<u8>), Asn1Error> {
    let mut r = Reader::new(t.content);
    let oid = r.expect(tag::OID, "eContentType")?;
    let content_type = asn1::oid_string(oid.content)?;
    let content = match r.optional(tag::ctx(0), "eContent")? {
        Some(explicit) => asn1::single(explicit.content, tag::OCTET_STRING, "eContent")?
            .content
            .to_vec(),
        None => Vec::new(),
    };
    r.finish("encapContentInfo")?;
    Ok((content_type, content))
}

fn attributes(content: &[u8], what: &str) -> Result<Vec<Attribute>, Asn1Error> {
    asn1::elements(content, what)?
        .into_iter()
        .map(|a| {
            if a.tag != tag::SEQUENCE {
                return Err(Asn1Error::ExpectedSequence.within(what));
            }
            let mut r = Reader::new(a.content);
            let oid = r.expect(tag::OID, "attrType")?;
            asn1::oid_string(oid.content)?;
            // Go reads attrValues as a raw value whatever its tag.
            let values = r.any("attrValues")?;
            r.finish(what)?;
            Ok(Attribute {
                oid: oid.content.to_vec(),
                values: values.content.to_vec(),
                encoding: a.full.to_vec(),
            })
        })
        .collect()
}

fn signer_info(t: &Tlv<'_>) -> Result<SignerInfo, Asn1Error> {
    if t.tag != tag::SEQUENCE {
        return Err(Asn1Error::ExpectedSequence.within("signerInfo"));
    }
    let mut r = Reader::new(t.content);
    let version = asn1::int_i64(&r.expect(tag::INTEGER, "signerInfo version")?, "version")?;
    // Only IssuerAndSerialNumber parses (Go's struct has no SubjectKeyIdentifier choice).
    let sid = r.expect(tag::SEQUENCE, "sid")?;
    let mut s = Reader::new(sid.content);
    let issuer = s.any("sid issuer")?;
    let serial = s.expect(tag::INTEGER, "sid serialNumber")?;
    asn1::check_integer(serial.content).map_err(|e| e.within("sid serialNumber"))?;
    s.finish("sid")?;
    let digest = asn1::algorithm_oid(
        &r.expect(tag::SEQUENCE, "digestAlgorithm")?,
        "digestAlgorithm",
    )?;
    let signed_attrs = match r.optional(tag::ctx(0), "signedAttrs")? {
        Some(a) => attributes(a.content, "signed attribute")?,
        None => Vec::new(),
    };
    let sig_alg = asn1::algorithm_oid(
        &r.expect(tag::SEQUENCE, "signatureAlgorithm")?,
        "signatureAlgorithm",
    )?;
    let signature = r.expect(tag::OCTET_STRING, "signature")?;
    if let Some(u) = r.optional(tag::ctx(1), "unsignedAttrs")? {
        attributes(u.content, "unsigned attribute")?;
    }
    r.finish("signerInfo")?;
    Ok(SignerInfo {
        version,
        sid_issuer: issuer.full.to_vec(),
        sid_serial: serial.content.to_vec(),
        digest_algorithm: digest.to_vec(),
        signed_attrs,
        signature_algorithm: sig_alg.to_vec(),
        signature: signature.content.to_vec(),
    })
}
