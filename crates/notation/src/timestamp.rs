//! RFC 3161 timestamp countersignatures of Notary Project signatures
//! (`io.cncf.notary.timestampSignature`), verified offline as notation-go and tspclient-go do
//! (reference §3.6 steps 1–8), with notation's error messages as `Display`.
//!
//! Why this exists: with a `tsa` trust store, notation accepts a signature whose signing
//! certificate has expired if a trusted TSA vouches that the signature existed while the
//! chain was valid. The pieces, in notation's order:
//!
//! 1. an empty token is [`TimestampError::Missing`];
//! 2. [`parse_token`]: BER → DER (module `ber`), `ContentInfo` → `SignedData` v3 with X.509
//!    certificates only, eContentType id-ct-TSTInfo;
//! 3. `TSTInfo` decoded by hand ([`TstInfo`]; fractional genTime kept);
//! 4. [`TstInfo::validate`]: version 1, messageImprint = SHA-256/384/512 of the **raw**
//!    envelope signature bytes, accuracy (baseline policy without accuracy = 1 s);
//! 5. at least one TSA root;
//! 6. the signed token (`SignedToken.Verify`): signingCertificateV2, SignerInfo version 1,
//!    Go `x509.Verify` path building at genTime ([`X509VerifyError`]), the signature through
//!    [`Cert::verify_signed`] over the signed attributes re-encoded as a DER SET, the signed
//!    attributes, and the signing certificate's EKU = exactly timeStamping, critical;
//! 7. [`validate_timestamping_chain`] on the verified chain;
//! 8. [`check_chain_covered`]: every code-signing certificate covers the timestamp range.
//!
//! Step 9 (TSA chain revocation) is the caller's: run the revocation module on
//! [`Timestamp::tsa_chain`].
//!
//! Why the token is walked by hand rather than decoded with the `cms` crate: `der` 0.7 sorts
//! every SET OF it decodes, which reorders the certificates and signer infos (Go's path
//! building and "the first SignerInfo that passes wins" depend on their order), and `cms`
//! re-encodes the names notation compares as raw bytes. The module `asn1` reads the same structures
//! over the original slices.
//!
//! Departures from notation-go, all fail-closed unless stated:
//! * BER: indefinite lengths and constructed strings are accepted and normalised (tspclient-go
//!   refuses indefinite lengths); this only widens what parses, never what verifies.
//! * Trailing data inside or after any structure, negative accuracy values, and an accuracy
//!   too large to compute the range are rejected (Go ignores or overflows them).
//! * A chain through name or policy constraints is refused (Go evaluates them), and chains
//!   longer than 16 certificates are not built.
//! * Times in messages are printed in UTC (Go prints the zone the token used).
//!
//! Bounded on hostile input: nesting depth, chain length and signature checks are limited;
//! no recursion is unbounded and no length is trusted before it is checked.

mod asn1;
mod ber;
mod path;
mod signed_data;
mod signer;
mod tsa_chain;
mod tst_info;

use chrono::{DateTime, Duration, Utc};

use crate::chain::rfc1123z;
use crate::x509::{Cert, HashAlg, X509Error, go_quote};

pub use asn1::Asn1Error;
pub use ber::BerError;
pub use path::X509VerifyError;
pub use tsa_chain::{TsaChainError, validate_timestamping_chain};
pub use tst_info::{Accuracy, BASELINE_TIMESTAMP_POLICY, TstInfo, TstInfoError};

/// A verified timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// TSTInfo genTime, fractional seconds kept.
    pub gen_time: DateTime<Utc>,
    /// The accuracy notation uses (§3.6 step 4): 1 s under the baseline policy
    /// `0.4.0.2023.1.1` when the token states none, otherwise the stated value (0 if absent).
    pub accuracy: Duration,
    /// The messageImprint hash.
    pub hash_alg: HashAlg,
    /// The TSA policy, dotted OID.
    pub policy: String,
    /// The verified chain: TSA signing certificate first, ending at the trusted root.
    pub tsa_chain: Vec<Cert>,
    /// Index in the `tsa_roots` passed to [`verify_timestamp`] of the root that anchored it.
    pub tsa_root_index: usize,
}

impl Timestamp {
    /// `[gen_time - accuracy, gen_time + accuracy]`, saturating at chrono's limits.
    pub fn range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.gen_time
                .checked_sub_signed(self.accuracy)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            self.gen_time
                .checked_add_signed(self.accuracy)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }
}

/// Step 2 failures (tspclient-go `ParseSignedToken`); `Display` is tspclient-go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The token is not valid BER.
    #[error("cms: syntax error: invalid signed data: failed to convert from BER to DER: {0}")]
    Ber(BerError),
    /// Not a `ContentInfo`.
    #[error("cms: syntax error: invalid content info: failed to unmarshal DER to ContentInfo: {0}")]
    ContentInfo(Asn1Error),
    /// contentType is not id-signedData.
    #[error("cms: content type is not signed-data")]
    NotSignedData,
    /// Malformed `SignedData` (including its signer infos).
    #[error("cms: syntax error: invalid signed data: {0}")]
    SignedData(Asn1Error),
    /// SignedData version other than 3.
    #[error("cms: syntax error: unsupported signed data version: got {0}, want 3")]
    UnsupportedVersion(i64),
    /// A `certificates` entry that is not an X.509 certificate.
    #[error(
        "cms: syntax error: failed to parse X.509 certificates from signed data. Only X.509 certificates are supported: {0}"
    )]
    Certificates(X509Error),
    /// eContentType is not id-ct-TSTInfo (dotted OID found).
    #[error(
        "unexpected content type: {0}. Expected to be id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)"
    )]
    UnexpectedContentType(String),
}

/// tspclient-go `SigningCertificate` failures (step 6.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningCertificateError {
    /// signingCertificateV2 missing (`attribute not found`; the V1 attribute alone is not
    /// accepted) or undecodable.
    #[error("failed to get SigningCertificateV2 from signed attributes: {0}")]
    Attribute(Asn1Error),
    /// An empty `certs` list.
    #[error("signingCertificateV2 does not contain any certificate")]
    NoCertificate,
    /// issuerSerial whose first GeneralName is not a directoryName.
    #[error("issuer name is missing in IssuerSerial")]
    IssuerNameMissing,
    /// issuerSerial directoryName that does not decode.
    #[error("failed to unmarshal issuer name: {0}")]
    IssuerName(Asn1Error),
    /// No token certificate with that issuer and serial.
    #[error("signing certificate not found in the timestamp token")]
    NotFound,
    /// ESSCertIDv2 hashAlgorithm other than SHA-256/384/512.
    #[error("unsupported certificate hash algorithm in SigningCertificateV2 attribute")]
    UnsupportedHash,
    /// certHash != H(certificate DER).
    #[error("signing certificate hash does not match CertHash in signed attribute")]
    HashMismatch,
}

/// tspclient-go `cms.VerificationError` details (steps 6.2–6.5); `Display` adds Go's
/// `cms verification failure: ` prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    /// SignerInfo version other than 1.
    #[error(
        "cms verification failure: invalid signer info version: only version 1 is supported; got {0}"
    )]
    SignerVersion(i64),
    /// No chain to a TSA root at genTime.
    #[error("cms verification failure: {0}")]
    Chain(X509VerifyError),
    /// (digestAlgorithm, signatureAlgorithm) outside the supported SHA-2 set.
    #[error("cms verification failure: unknown signature algorithm")]
    UnknownSignatureAlgorithm,
    /// The signature does not verify (Go's `CheckSignature` message).
    #[error("cms verification failure: {0}")]
    Signature(X509Error),
    /// No signed attributes.
    #[error("cms verification failure: missing signed attributes")]
    MissingSignedAttributes,
    /// contentType attribute missing or undecodable.
    #[error("cms verification failure: invalid content type: {0}")]
    InvalidContentType(Asn1Error),
    /// contentType attribute != eContentType.
    #[error("cms verification failure: mismatch content type: found {} in signer info, and {} in signed data", go_quote(.found), go_quote(.expected))]
    MismatchContentType {
        /// The attribute's OID.
        found: String,
        /// eContentType.
        expected: String,
    },
    /// messageDigest attribute missing or undecodable.
    #[error("cms verification failure: invalid message digest: {0}")]
    InvalidMessageDigest(Asn1Error),
    /// digestAlgorithm outside SHA-256/384/512.
    #[error("cms verification failure: unsupported digest algorithm")]
    UnsupportedDigestAlgorithm,
    /// messageDigest != H(eContent).
    #[error("cms verification failure: mismatch message digest")]
    MismatchMessageDigest,
    /// signingTime attribute undecodable.
    #[error("cms verification failure: invalid signing time: {0}")]
    InvalidSigningTime(Asn1Error),
    /// signingTime outside the validity of every certificate of every verified chain (Go's
    /// time rendering).
    #[error(
        "cms verification failure: signing time, {0}, is outside certificate's validity period"
    )]
    SigningTimeOutsideValidity(String),
}

/// tspclient-go `SignedTokenVerificationError` details (step 6); notation prefixes
/// `failed to verify signed token: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedTokenError {
    /// The token has no SignerInfo.
    #[error("signerInfo not found")]
    SignerInfoNotFound,
    /// The signing certificate could not be identified.
    #[error("{0}")]
    SigningCertificate(SigningCertificateError),
    /// The SignerInfo did not verify.
    #[error("{0}")]
    Cms(CmsError),
    /// The signing certificate's EKU is not exactly `[timeStamping]`.
    #[error(
        "signing certificate must have and only have ExtKeyUsageTimeStamping as extended key usage"
    )]
    EkuNotOnlyTimestamping,
    /// The signing certificate's EKU extension is not critical.
    #[error("signing certificate extended key usage extension must be set as critical")]
    EkuNotCritical,
}

/// A timestamp verification failure (notation's `authenticTimestamp` errors); `Display` is
/// notation-go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Step 1: no token in the envelope.
    #[error("no timestamp countersignature was found in the signature envelope")]
    Missing,
    /// Step 2: the token does not parse.
    #[error("failed to parse timestamp countersignature with error: {0}")]
    Parse(ParseError),
    /// Step 3: TSTInfo does not decode (the detail is ours; Go prints its decoder's error).
    #[error(
        "failed to get the timestamp TSTInfo with error: cannot unmarshal TSTInfo from timestamp token: {0}"
    )]
    TstInfo(Asn1Error),
    /// Step 4: TSTInfo does not match the signature.
    #[error(
        "failed to get timestamp from timestamp countersignature with error: invalid TSTInfo: {0}"
    )]
    Validate(TstInfoError),
    /// Step 5: no TSA root to verify against.
    #[error("no trusted TSA certificate found in trust store")]
    NoTrustedTsaCertificate,
    /// Step 6: the signed token does not verify.
    #[error(
        "failed to verify the timestamp countersignature with error: failed to verify signed token: {0}"
    )]
    Verify(SignedTokenError),
    /// Step 7: the TSA chain breaks notation's timestamping chain rules.
    #[error("failed to validate the timestamping certificate chain with error: {0}")]
    TsaChain(TsaChainError),
    /// Step 8: `gen_time - accuracy` is before a code-signing certificate's notBefore.
    #[error("timestamp can be before certificate {} validity period, it will be valid from \"{}\"", go_quote(.subject), rfc1123z(.not_before))]
    BeforeCertValidity {
        /// Go-rendered subject.
        subject: String,
        /// The certificate's notBefore.
        not_before: DateTime<Utc>,
    },
    /// Step 8: `gen_time + accuracy` is after a code-signing certificate's notAfter.
    #[error("timestamp can be after certificate {} validity period, it was expired at \"{}\"", go_quote(.subject), rfc1123z(.not_after))]
    AfterCertValidity {
        /// Go-rendered subject.
        subject: String,
        /// The certificate's notAfter.
        not_after: DateTime<Utc>,
    },
}

/// A parsed, not yet verified, timestamp token (steps 2–3). Useful on its own for
/// reporting genTime or the TSA certificates when verification fails.
#[derive(Debug, Clone)]
pub struct ParsedToken {
    tst_info: TstInfo,
    signed: signed_data::SignedData,
}

impl ParsedToken {
    /// The decoded TSTInfo.
    pub fn tst_info(&self) -> &TstInfo {
        &self.tst_info
    }

    /// The token's `certificates`, in token order.
    pub fn certificates(&self) -> &[Cert] {
        &self.signed.certificates
    }

    /// Step 6 (`SignedToken.Verify`) against `tsa_roots` at time `at` (notation uses
    /// genTime): the verified chain, signing certificate first, ending at a root of
    /// `tsa_roots`, with that root's index.
    pub fn verify_signed_token(
        &self,
        tsa_roots: &[Cert],
        at: DateTime<Utc>,
    ) -> Result<(Vec<Cert>, usize), SignedTokenError> {
        let verified = signer::verify(&self.signed, tsa_roots, at)?;
        let root_index = verified
            .chain
            .last()
            .and_then(|root| tsa_roots.iter().position(|r| r.der() == root.der()))
            .ok_or(SignedTokenError::Cms(CmsError::Chain(
                X509VerifyError::UnknownAuthority { hint: None },
            )))?;
        Ok((verified.chain, root_index))
    }
}

/// Steps 2–3: parses a `TimeStampToken` (BER accepted, converted to DER first) and decodes its
/// TSTInfo.
pub fn parse_token(token: &[u8]) -> Result<ParsedToken, TimestampError> {
    let der = ber::to_der(token).map_err(|e| TimestampError::Parse(ParseError::Ber(e)))?;
    let signed = signed_data::parse(&der).map_err(TimestampError::Parse)?;
    if signed.content_type != signed_data::ID_CT_TST_INFO.to_string() {
        return Err(TimestampError::Parse(ParseError::UnexpectedContentType(
            signed.content_type,
        )));
    }
    let tst_info = TstInfo::decode(&signed.content).map_err(TimestampError::TstInfo)?;
    Ok(ParsedToken { tst_info, signed })
}

/// Steps 1–7: parses `token`, checks its TSTInfo against the raw envelope `signature` bytes,
/// verifies the token against `tsa_roots` at genTime and validates the TSA chain.
pub fn verify_timestamp(
    token: &[u8],
    signature: &[u8],
    tsa_roots: &[Cert],
) -> Result<Timestamp, TimestampError> {
    if token.is_empty() {
        return Err(TimestampError::Missing);
    }
    let parsed = parse_token(token)?;
    let info = parsed.tst_info();
    let (hash_alg, accuracy) = info.validate(signature).map_err(TimestampError::Validate)?;
    if tsa_roots.is_empty() {
        return Err(TimestampError::NoTrustedTsaCertificate);
    }
    let (tsa_chain, tsa_root_index) = parsed
        .verify_signed_token(tsa_roots, info.gen_time)
        .map_err(TimestampError::Verify)?;
    validate_timestamping_chain(&tsa_chain).map_err(TimestampError::TsaChain)?;
    Ok(Timestamp {
        gen_time: info.gen_time,
        accuracy,
        hash_alg,
        policy: info.policy.clone(),
        tsa_chain,
        tsa_root_index,
    })
}

/// Step 8: every code-signing chain certificate must cover `[gen_time - accuracy,
/// gen_time + accuracy]` (bounds inclusive); the first failing certificate in chain order is
/// reported.
pub fn check_chain_covered(chain: &[Cert], ts: &Timestamp) -> Result<(), TimestampError> {
    let (lower, upper) = ts.range();
    for c in chain {
        if lower < c.not_before() {
            return Err(TimestampError::BeforeCertValidity {
                subject: c.subject_string().to_string(),
                not_before: c.not_before(),
            });
        }
        if upper > c.not_after() {
            return Err(TimestampError::AfterCertValidity {
                subject: c.subject_string().to_string(),
                not_after: c.not_after(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::envelope::{self, Envelope, MEDIA_TYPE_COSE, MEDIA_TYPE_JWS};

    fn vdir() -> Option<PathBuf> {
        crate::test_vectors::dir().map(|d| d.join("notation"))
    }

    fn read(rel: &str) -> Vec<u8> {
        let d = vdir().expect("vectors");
        std::fs::read(d.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn certs(rel: &str) -> Vec<Cert> {
        Cert::parse_pem_or_der(&read(rel)).expect("certificates")
    }

    /// The GlobalSign R3 root (tspclient-go's copy).
    fn r3() -> Vec<Cert> {
        certs("tspclient-go/testdata/GlobalSignRootCA.crt")
    }

    fn envelope_of(rel: &str) -> Envelope {
        let bytes = read(rel);
        let media = if bytes.first() == Some(&b'{') {
            MEDIA_TYPE_JWS
        } else {
            MEDIA_TYPE_COSE
        };
        envelope::parse(media, &bytes).expect("envelope")
    }

    fn chain_of(env: &Envelope) -> Vec<Cert> {
        env.cert_chain
            .iter()
            .map(|d| Cert::from_der(d).expect("chain cert"))
            .collect()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    const VERIFY: &str = "failed to verify the timestamp countersignature with error: failed to verify signed token: ";

    #[test]
    fn globalsign_token_verifies_against_r3() {
        if vdir().is_none() {
            return;
        }
        let token = read("tspclient-go/testdata/TimeStampToken.p7s");
        // The same token is shipped by tspclient-go (twice) and notation-go.
        assert_eq!(token, read("tspclient-go/cms-testdata/TimeStampToken.p7s"));
        assert_eq!(
            token,
            read("notation-go/timestamp/countersignature/TimeStampToken.p7s")
        );
        let ts = verify_timestamp(&token, b"notation", &r3()).expect("valid token");
        assert_eq!(ts.gen_time, utc("2021-09-17T14:09:10Z"));
        assert_eq!(ts.accuracy, Duration::seconds(1));
        assert_eq!(
            ts.range(),
            (utc("2021-09-17T14:09:09Z"), utc("2021-09-17T14:09:11Z"))
        );
        assert_eq!(ts.hash_alg, HashAlg::Sha256);
        assert_eq!(ts.tsa_root_index, 0);
        let subjects: Vec<&str> = ts.tsa_chain.iter().map(|c| c.subject_string()).collect();
        assert_eq!(
            subjects,
            [
                "CN=Globalsign TSA for Advanced - G4,O=GlobalSign nv-sa,C=BE",
                "CN=GlobalSign Timestamping CA - SHA384 - G4,O=GlobalSign nv-sa,C=BE",
                // The R6 cross-certificate issued by R3, then R3 itself.
                "CN=GlobalSign,OU=GlobalSign Root CA - R6,O=GlobalSign",
                "CN=GlobalSign,OU=GlobalSign Root CA - R3,O=GlobalSign",
            ]
        );
        assert_eq!(ts.tsa_chain.last(), r3().first());

        // notation-go's own copy of R3, placed second: the anchor's index is reported.
        let mut roots =
            certs("notation-go/truststore/x509/tsa/test-mismatch/DigiCertTSARootSHA384.cer");
        roots.extend(certs(
            "notation-go/truststore/x509/ca/valid-trust-store/GlobalSignRootCA.crt",
        ));
        let ts = verify_timestamp(&token, b"notation", &roots).expect("valid token");
        assert_eq!(ts.tsa_root_index, 1);
    }

    #[test]
    fn notation_go_step_messages() {
        if vdir().is_none() {
            return;
        }
        let token = read("notation-go/timestamp/countersignature/TimeStampToken.p7s");
        let roots = r3();
        assert_eq!(
            verify_timestamp(&[], b"notation", &roots)
                .expect_err("missing")
                .to_string(),
            "no timestamp countersignature was found in the signature envelope"
        );
        assert_eq!(
            verify_timestamp(&token, b"mismatch", &roots)
                .expect_err("other message")
                .to_string(),
            "failed to get timestamp from timestamp countersignature with error: invalid TSTInfo: mismatched message"
        );
        assert_eq!(
            verify_timestamp(&token, b"notation", &[]).expect_err("no roots"),
            TimestampError::NoTrustedTsaCertificate
        );
        let cases = [
            (
                "TimeStampTokenWithInvalideContentType.p7s",
                "failed to parse timestamp countersignature with error: unexpected content type: 1.2.840.113549.1.7.1. Expected to be id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)",
            ),
            (
                "TimeStampTokenWithoutCertificate.p7s",
                "failed to verify the timestamp countersignature with error: failed to verify signed token: signing certificate not found in the timestamp token",
            ),
        ];
        for (file, want) in cases {
            let t = read(&format!("notation-go/timestamp/countersignature/{file}"));
            let got = verify_timestamp(&t, b"notation", &roots).expect_err(file);
            assert_eq!(got.to_string(), want, "{file}");
        }
        // Go prints its decoder's error after this prefix; ours names the field.
        let t = read("notation-go/timestamp/countersignature/TimeStampTokenWithInvalidTSTInfo.p7s");
        let err = verify_timestamp(&t, b"notation", &roots).expect_err("bad TSTInfo");
        assert_eq!(
            err,
            TimestampError::TstInfo(
                Asn1Error::WrongTag {
                    expected: 0x18,
                    found: 0x30
                }
                .within("genTime")
            )
        );
        assert!(err.to_string().starts_with(
            "failed to get the timestamp TSTInfo with error: cannot unmarshal TSTInfo from timestamp token: "
        ));
    }

    #[test]
    fn tspclient_defect_tokens() {
        if vdir().is_none() {
            return;
        }
        let roots = r3();
        let cases = [
            (
                "TimeStampTokenWithInvalidSignature.p7s",
                format!("{VERIFY}cms verification failure: crypto/rsa: verification error"),
            ),
            (
                "TimeStampTokenWithMismatchCertHash.p7s",
                format!("{VERIFY}signing certificate hash does not match CertHash in signed attribute"),
            ),
            (
                "TimeStampTokenWithSHA1CertHash.p7s",
                format!("{VERIFY}unsupported certificate hash algorithm in SigningCertificateV2 attribute"),
            ),
            (
                "TimeStampTokenWithoutSigningCertificate.p7s",
                format!("{VERIFY}failed to get SigningCertificateV2 from signed attributes: attribute not found"),
            ),
            (
                "TimeStampTokenWithSigningCertificateV2NoCert.p7s",
                format!("{VERIFY}signingCertificateV2 does not contain any certificate"),
            ),
            (
                "TimeStampTokenWithWrongSigningCertificateV2IssuerChoiceTag.p7s",
                format!("{VERIFY}issuer name is missing in IssuerSerial"),
            ),
            (
                "TimeStampTokenWithoutCertificate.p7s",
                format!("{VERIFY}signing certificate not found in the timestamp token"),
            ),
            (
                "TimeStampTokenWithTSTInfoVersion2.p7s",
                "failed to get timestamp from timestamp countersignature with error: invalid TSTInfo: timestamp token info version must be 1, but got 2".into(),
            ),
            (
                "SHA1TimeStampToken.p7s",
                "failed to get timestamp from timestamp countersignature with error: invalid TSTInfo: unrecognized hash algorithm: 1.2.840.113549.1.1.5".into(),
            ),
            (
                "TimeStampTokenWithInvalideContentType.p7s",
                "failed to parse timestamp countersignature with error: unexpected content type: 1.2.840.113549.1.7.1. Expected to be id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)".into(),
            ),
            // The vector removes issuerSerial without re-signing: the signing certificate is
            // found through the SignerInfo sid and its hash matches (tspclient-go's test only
            // checks that step), but the RSA signature over the edited attributes fails.
            (
                "TimeStampTokenWithoutSigningCertificateV2IssuerSerial.p7s",
                format!("{VERIFY}cms verification failure: crypto/rsa: verification error"),
            ),
        ];
        for (file, want) in cases {
            let t = read(&format!("tspclient-go/testdata/{file}"));
            let got = verify_timestamp(&t, b"notation", &roots).expect_err(file);
            assert_eq!(got.to_string(), want, "{file}");
        }
        let t = read("tspclient-go/testdata/TimeStampTokenWithInvalidSigningCertificateV2.p7s");
        assert!(matches!(
            verify_timestamp(&t, b"notation", &roots),
            Err(TimestampError::Verify(
                SignedTokenError::SigningCertificate(SigningCertificateError::Attribute(_))
            ))
        ));
        // One bad SignerInfo before a good one: the good one wins.
        let t = read("tspclient-go/testdata/TimeStampTokenWithValidAndInvalidSignerInfos.p7s");
        let ts = verify_timestamp(&t, b"notation", &roots).expect("second signer is valid");
        assert_eq!(ts.tsa_chain.len(), 4);
    }

    #[test]
    fn signing_certificate_v1_alone_is_rejected() {
        if vdir().is_none() {
            return;
        }
        // These tokens stamp another message, so step 6 is run directly at genTime.
        for file in [
            "TimeStampTokenWithSigningCertificateV1.p7s",
            "TimeStampTokenWithInvalidSigningCertificateV1.p7s",
            "TimeStampTokenWithSigningCertificateV1NoCert.p7s",
        ] {
            let parsed = parse_token(&read(&format!("tspclient-go/testdata/{file}"))).expect(file);
            let err = parsed
                .verify_signed_token(&r3(), parsed.tst_info().gen_time)
                .expect_err(file);
            assert_eq!(
                err.to_string(),
                "failed to get SigningCertificateV2 from signed attributes: attribute not found",
                "{file}"
            );
        }
    }

    #[test]
    fn cms_testdata_at_token_level() {
        if vdir().is_none() {
            return;
        }
        let roots = r3();
        let run = |file: &str| {
            verify_timestamp(
                &read(&format!("tspclient-go/cms-testdata/{file}")),
                b"notation",
                &roots,
            )
        };
        for ok in [
            "TimeStampToken.p7s",
            "TimeStampTokenWithAnInvalidAndAValidSignerInfo.p7s",
            // The SignerInfo sid names an unknown issuer, but the token level identifies the
            // signer through signingCertificateV2's issuerSerial (the sid is unsigned).
            "TimeStampTokenWithUnknownSignerIssuer.p7s",
        ] {
            assert!(run(ok).is_ok(), "{ok}: {:?}", run(ok));
        }
        let verify_err = |file: &str| match run(file) {
            Err(TimestampError::Verify(e)) => e,
            other => panic!("{file}: {other:?}"),
        };
        assert_eq!(
            verify_err("TimeStampTokenWithSignerVersion2.p7s"),
            SignedTokenError::Cms(CmsError::SignerVersion(2))
        );
        assert_eq!(
            verify_err("TimeStampTokenWithoutSigner.p7s"),
            SignedTokenError::SignerInfoNotFound
        );
        assert_eq!(
            verify_err("TimeStampTokenWithoutCertificate.p7s"),
            SignedTokenError::SigningCertificate(SigningCertificateError::NotFound)
        );
        assert_eq!(
            verify_err("TimeStampTokenWithoutSignedAttributes.p7s"),
            SignedTokenError::SigningCertificate(SigningCertificateError::Attribute(
                Asn1Error::AttributeNotFound
            ))
        );
        assert!(matches!(
            verify_err("TimeStampTokenWithInvalidSignature.p7s"),
            SignedTokenError::Cms(CmsError::Signature(X509Error::BadSignature(_)))
        ));
        assert!(matches!(
            run("TimeStampTokenWithInvalidCertificates.p7s"),
            Err(TimestampError::Parse(ParseError::Certificates(_)))
        ));
        assert_eq!(
            run("TimeStampTokenWithInvalidContentType.p7s").expect_err("content type"),
            TimestampError::Parse(ParseError::UnexpectedContentType(
                "1.2.840.113549.1.9.16.1.5".into()
            ))
        );
        // Plain id-data SignedData is not a timestamp token.
        for file in [
            "Sha1SignedData.p7s",
            "SignedDataWithoutSignedAttributes.p7s",
        ] {
            assert_eq!(
                run(file).expect_err(file),
                TimestampError::Parse(ParseError::UnexpectedContentType(
                    "1.2.840.113549.1.7.1".into()
                ))
            );
        }
    }

    #[test]
    fn notation_core_go_invalid_signature() {
        if vdir().is_none() {
            return;
        }
        let t = read("notation-core-go/timestamp/TimeStampTokenWithInvalidSignature.p7s");
        assert_eq!(
            verify_timestamp(&t, b"notation", &r3())
                .expect_err("bad signature")
                .to_string(),
            format!("{VERIFY}cms verification failure: crypto/rsa: verification error")
        );
        // Against notation-core-go's DigiCert root the chain fails first.
        let digicert = certs("notation-core-go/timestamp/tsaRootCert.cer");
        assert_eq!(
            verify_timestamp(&t, b"notation", &digicert)
                .expect_err("unknown root")
                .to_string(),
            format!(
                "{VERIFY}cms verification failure: x509: certificate signed by unknown authority"
            )
        );
    }

    #[test]
    fn signature_envelopes_with_globalsign_tokens() {
        if vdir().is_none() {
            return;
        }
        let tsa = certs("notation-go/truststore/x509/tsa/test-timestamp/globalsignRoot.cer");
        let mismatch =
            certs("notation-go/truststore/x509/tsa/test-mismatch/DigiCertTSARootSHA384.cer");
        for (file, gen_time) in [
            ("jwsWithTimestamp.sig", "2024-06-18T06:29:37Z"),
            ("coseWithTimestamp.sig", "2024-06-18T06:27:16Z"),
        ] {
            let env = envelope_of(&format!("notation-go/timestamp/sigEnv/{file}"));
            let token = env.timestamp_token.as_deref().expect("token");
            let ts = verify_timestamp(token, &env.signature, &tsa).expect(file);
            assert_eq!(ts.gen_time, utc(gen_time), "{file}");
            assert_eq!(ts.accuracy, Duration::seconds(1), "{file}");
            assert_eq!(ts.policy, "1.3.6.1.4.1.4146.2.3", "{file}");
            // Leaf, intermediate, and the R6 root of the trust store.
            assert_eq!(ts.tsa_chain.len(), 3, "{file}");
            assert_eq!(ts.tsa_chain.last(), tsa.first(), "{file}");
            check_chain_covered(&chain_of(&env), &ts).expect(file);
            assert_eq!(
                verify_timestamp(token, &env.signature, &mismatch)
                    .expect_err("DigiCert root")
                    .to_string(),
                format!(
                    "{VERIFY}cms verification failure: x509: certificate signed by unknown authority"
                ),
                "{file}"
            );
            // The token stamps this envelope's signature, not another one.
            assert!(matches!(
                verify_timestamp(token, b"notation", &tsa),
                Err(TimestampError::Validate(TstInfoError::MismatchedMessage))
            ));
        }
        let env = envelope_of("notation-go/timestamp/sigEnv/withoutTimestamp.sig");
        assert_eq!(env.timestamp_token, None);
        assert_eq!(
            verify_timestamp(
                env.timestamp_token.as_deref().unwrap_or_default(),
                &env.signature,
                &tsa
            ),
            Err(TimestampError::Missing)
        );
    }

    #[test]
    fn timestamp_against_code_signing_validity() {
        if vdir().is_none() {
            return;
        }
        let tsa = certs("notation-go/truststore/x509/tsa/test-timestamp/globalsignRoot.cer");
        let verified = |file: &str| {
            let env = envelope_of(&format!("notation-go/timestamp/sigEnv/{file}"));
            let token = env.timestamp_token.clone().expect("token");
            let ts = verify_timestamp(&token, &env.signature, &tsa).expect(file);
            (chain_of(&env), ts)
        };
        // Signer valid only 07:20:31–07:30:31 on 2024-06-18: expired now, covered by the
        // timestamp.
        for (file, gen_time) in [
            ("jwsExpiredWithTimestamp.sig", "2024-06-18T07:21:42Z"),
            ("coseExpiredWithTimestamp.sig", "2024-06-18T07:21:12Z"),
        ] {
            let (chain, ts) = verified(file);
            assert_eq!(ts.gen_time, utc(gen_time), "{file}");
            check_chain_covered(&chain, &ts).expect(file);
            assert_eq!(
                crate::chain::check_validity_at(&chain, utc("2026-11-23T00:00:00Z"))
                    .expect_err("expired now")
                    .to_string(),
                "verification time is after certificate \"CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US\" validity period, it was expired at \"Tue, 18 Jun 2024 07:30:31 +0000\""
            );
        }
        let (chain, ts) = verified("timestampBeforeNotBefore.sig");
        assert_eq!(
            check_chain_covered(&chain, &ts)
                .expect_err("before")
                .to_string(),
            "timestamp can be before certificate \"CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US\" validity period, it will be valid from \"Fri, 18 Sep 2099 11:54:34 +0000\""
        );
        let (chain, ts) = verified("timestampAfterNotAfter.sig");
        assert_eq!(
            check_chain_covered(&chain, &ts)
                .expect_err("after")
                .to_string(),
            "timestamp can be after certificate \"CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US\" validity period, it was expired at \"Tue, 18 Sep 2001 11:54:34 +0000\""
        );
    }

    #[test]
    fn coverage_bounds_are_inclusive() {
        if vdir().is_none() {
            return;
        }
        let cert = certs("notation-go/truststore/x509/ca/valid-trust-store/TestTimestamp.crt");
        let c = cert.first().expect("cert");
        let acc = Duration::milliseconds(500);
        let at = |gen_time| Timestamp {
            gen_time,
            accuracy: acc,
            hash_alg: HashAlg::Sha256,
            policy: BASELINE_TIMESTAMP_POLICY.into(),
            tsa_chain: Vec::new(),
            tsa_root_index: 0,
        };
        assert!(check_chain_covered(&cert, &at(c.not_before() + acc)).is_ok());
        assert!(check_chain_covered(&cert, &at(c.not_after() - acc)).is_ok());
        assert!(matches!(
            check_chain_covered(&cert, &at(c.not_before() + acc - Duration::nanoseconds(1))),
            Err(TimestampError::BeforeCertValidity { .. })
        ));
        assert!(matches!(
            check_chain_covered(&cert, &at(c.not_after() - acc + Duration::nanoseconds(1))),
            Err(TimestampError::AfterCertValidity { .. })
        ));
        assert!(check_chain_covered(&[], &at(c.not_before())).is_ok());
    }

    #[test]
    fn microsoft_token_fractional_gen_time() {
        if vdir().is_none() {
            return;
        }
        let env = envelope_of(
            "notation-e2e/oci_layout/e2e-with-timestamped-signature/blobs/sha256/603ff134e97a79cd7a15560b76137c2c4a10451daab11327a7c6f86dac250fee",
        );
        let token = env.timestamp_token.as_deref().expect("token");
        let parsed = parse_token(token).expect("parses");
        let info = parsed.tst_info();
        assert_eq!(info.gen_time, utc("2025-01-21T09:17:46.641Z"));
        assert_eq!(
            info.accuracy,
            Accuracy {
                seconds: 0,
                millis: 500,
                micros: 0
            }
        );
        assert_eq!(
            info.validate(&env.signature),
            Ok((HashAlg::Sha256, Duration::milliseconds(500)))
        );
        assert!(parsed.certificates().iter().any(|c| {
            c.subject_string()
                .contains("Microsoft Public RSA Time Stamping Authority")
        }));
        // Its root is not among the vectors.
        let tsa = certs("notation-go/truststore/x509/tsa/test-timestamp/globalsignRoot.cer");
        assert_eq!(
            verify_timestamp(token, &env.signature, &tsa)
                .expect_err("unknown root")
                .to_string(),
            format!(
                "{VERIFY}cms verification failure: x509: certificate signed by unknown authority"
            )
        );
    }

    #[test]
    fn invalid_token_in_e2e_layout() {
        if vdir().is_none() {
            return;
        }
        let dir = vdir()
            .expect("vectors")
            .join("notation-e2e/oci_layout/e2e-with-invalid-timestamped-signature/blobs/sha256");
        let mut found = 0;
        for entry in std::fs::read_dir(&dir).expect("blobs") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("blob");
            let Ok(env) = envelope::parse(MEDIA_TYPE_JWS, &bytes) else {
                continue;
            };
            let Some(token) = env.timestamp_token else {
                continue;
            };
            found += 1;
            // The message notation prints for this vector (`notation inspect` e2e test).
            assert_eq!(
                verify_timestamp(&token, &env.signature, &r3())
                    .expect_err("invalid token")
                    .to_string(),
                "failed to parse timestamp countersignature with error: cms: syntax error: invalid signed data: failed to convert from BER to DER: asn1: syntax error: decoding BER length octets: short form length octets value should be less or equal to the subsequent octets length"
            );
        }
        assert_eq!(found, 1);
    }

    /// Re-encodes DER as BER: every constructed value with an indefinite length, every OCTET
    /// STRING longer than 16 bytes as a constructed string of 16-byte segments.
    fn berify(der: &[u8], out: &mut Vec<u8>) {
        let mut rest = der;
        while !rest.is_empty() {
            let (tlv, r) = asn1::split(rest).expect("der");
            rest = r;
            if tlv.tag & 0x20 != 0 {
                out.extend([tlv.tag, 0x80]);
                berify(tlv.content, out);
                out.extend([0, 0]);
            } else if tlv.tag == 0x04 && tlv.content.len() > 16 {
                out.extend([0x24, 0x80]);
                for seg in tlv.content.chunks(16) {
                    out.extend([0x04, u8::try_from(seg.len()).expect("small")]);
                    out.extend(seg);
                }
                out.extend([0, 0]);
            } else {
                out.extend(tlv.full);
            }
        }
    }

    #[test]
    fn ber_token_still_verifies() {
        if vdir().is_none() {
            return;
        }
        let der = read("tspclient-go/testdata/TimeStampToken.p7s");
        let mut ber = Vec::new();
        berify(&der, &mut ber);
        assert_ne!(ber, der);
        assert_eq!(ber::to_der(&ber).expect("normalise"), der);
        let ts = verify_timestamp(&ber, b"notation", &r3()).expect("BER token verifies");
        assert_eq!(ts.gen_time, utc("2021-09-17T14:09:10Z"));
    }

    #[test]
    fn unsorted_signed_attributes_still_verify() {
        if vdir().is_none() {
            return;
        }
        // Reverse the order of the signed attributes inside the token (same length, no longer
        // DER order): the signature covers their DER SET re-encoding, which sorts them.
        let der = read("tspclient-go/testdata/TimeStampToken.p7s");
        let parsed = signed_data::parse(&der).expect("parse");
        let attrs = &parsed.signer_infos.first().expect("signer").signed_attrs;
        assert!(attrs.len() >= 3);
        let joined: Vec<u8> = attrs.iter().flat_map(|a| a.encoding.clone()).collect();
        let reversed: Vec<u8> = attrs
            .iter()
            .rev()
            .flat_map(|a| a.encoding.clone())
            .collect();
        assert_ne!(joined, reversed);
        let at = der
            .windows(joined.len())
            .position(|w| w == joined.as_slice())
            .expect("attributes in token");
        let mut edited = der.clone();
        edited.splice(at..at + joined.len(), reversed);
        let reparsed = signed_data::parse(&edited).expect("parse edited");
        assert_ne!(
            reparsed
                .signer_infos
                .first()
                .expect("signer")
                .signed_attrs
                .first()
                .map(|a| &a.encoding),
            attrs.first().map(|a| &a.encoding)
        );
        verify_timestamp(&edited, b"notation", &r3()).expect("still verifies");
    }

    #[test]
    fn chain_building_outcomes() {
        if vdir().is_none() {
            return;
        }
        let parsed = parse_token(&read("tspclient-go/testdata/TimeStampToken.p7s")).expect("parse");
        let gen_time = parsed.tst_info().gen_time;
        // The R6 root itself anchors a shorter chain (roots are tried before intermediates).
        let r6 = certs("notation-go/truststore/x509/tsa/test-timestamp/globalsignRoot.cer");
        let (chain, index) = parsed.verify_signed_token(&r6, gen_time).expect("R6");
        assert_eq!((chain.len(), index), (3, 0));
        // Every certificate must be valid at the verification time.
        let err = parsed
            .verify_signed_token(&r3(), utc("2040-01-01T00:00:00Z"))
            .expect_err("expired");
        assert!(
            err.to_string().starts_with(
                "cms verification failure: x509: certificate has expired or is not yet valid: current time 2040-01-01T00:00:00Z is after "
            ),
            "{err}"
        );
        // A cross-certificate trusted as a "root" gives a chain Go accepts, which
        // ValidateTimestampingCertChain then refuses (not self-signed).
        let cross: Vec<Cert> = parsed
            .certificates()
            .iter()
            .filter(|c| c.subject_string().contains("R6") && c.subject_raw() != c.issuer_raw())
            .cloned()
            .collect();
        assert_eq!(cross.len(), 1);
        let err = verify_timestamp(
            &read("tspclient-go/testdata/TimeStampToken.p7s"),
            b"notation",
            &cross,
        )
        .expect_err("cross root");
        assert!(
            matches!(
                &err,
                TimestampError::TsaChain(TsaChainError::Chain(
                    crate::chain::ChainError::RootInvalid { .. }
                ))
            ),
            "{err}"
        );
        assert!(err.to_string().starts_with(
            "failed to validate the timestamping certificate chain with error: root certificate with subject \"CN=GlobalSign,OU=GlobalSign Root CA - R6,O=GlobalSign\" is invalid or not self-signed"
        ));
        // Go's UnknownAuthorityError hint format.
        let hinted = X509VerifyError::UnknownAuthority {
            hint: Some((
                "x509: certificate is not authorized to sign other certificates".into(),
                "Example CA".into(),
            )),
        };
        assert_eq!(
            hinted.to_string(),
            "x509: certificate signed by unknown authority (possibly because of \"x509: certificate is not authorized to sign other certificates\" while trying to verify candidate authority certificate \"Example CA\")"
        );
    }

    #[test]
    fn timestamping_chain_rules() {
        if vdir().is_none() {
            return;
        }
        let mut chain = certs("notation-core-go/x509/timestamp_leaf.crt");
        chain.extend(certs("notation-core-go/x509/timestamp_intermediate.crt"));
        chain.extend(certs("notation-core-go/x509/timestamp_root.crt"));
        validate_timestamping_chain(&chain).expect("DigiCert TSA chain");
        let reversed: Vec<Cert> = chain.iter().rev().cloned().collect();
        assert!(validate_timestamping_chain(&reversed).is_err());
        assert_eq!(
            validate_timestamping_chain(&[])
                .expect_err("empty")
                .to_string(),
            "certificate chain must contain at least one certificate"
        );
        // A valid code-signing certificate is not a TSA certificate.
        let code = certs("notation-core-go/x509/openssl-minimum-self-signed.pem");
        let err = validate_timestamping_chain(&code).expect_err("codeSigning EKU");
        assert!(
            matches!(&err, TsaChainError::SelfSignedLeaf(inner) if matches!(**inner, TsaChainError::EkuNotOnlyTimestamping { .. }))
        );
        assert!(err.to_string().starts_with(
            "invalid self-signed certificate. Error: timestamp signing certificate with subject "
        ));
        assert!(
            err.to_string()
                .ends_with(" must have and only have Timestamping as extended key usage")
        );
        // The leaf alone (not self-signed).
        let leaf = &chain[..1];
        assert!(matches!(
            validate_timestamping_chain(leaf),
            Err(TsaChainError::Chain(_))
        ));
    }

    #[test]
    fn hostile_input_never_panics() {
        if vdir().is_none() {
            return;
        }
        let token = read("tspclient-go/testdata/TimeStampToken.p7s");
        let roots = r3();
        for len in (0..token.len()).step_by(37) {
            let cut = token.get(..len).unwrap_or_default();
            assert!(verify_timestamp(cut, b"notation", &roots).is_err());
        }
        // Bytes no check covers: the token's copy of the R3 root (the trust store's copy
        // anchors the chain) and the unsigned SignerInfo sid (issuerSerial is used instead).
        let parsed = signed_data::parse(&token).expect("parse");
        // The last occurrence: names and the root also appear inside earlier certificates.
        let find = |needle: &[u8]| {
            token
                .windows(needle.len())
                .rposition(|w| w == needle)
                .expect("in token")
        };
        let root = parsed.certificates.last().expect("root copy").der();
        assert_eq!(Some(root), roots.first().map(Cert::der));
        let root_span = find(root)..find(root) + root.len();
        let si = parsed.signer_infos.first().expect("signer");
        let mut sid_content = si.sid_issuer.clone();
        sid_content.extend([0x02, u8::try_from(si.sid_serial.len()).expect("short")]);
        sid_content.extend(&si.sid_serial);
        // SignerInfo version 1, then the sid SEQUENCE.
        let mut version_and_sid = vec![0x02, 0x01, 0x01, 0x30];
        version_and_sid.push(u8::try_from(sid_content.len()).expect("short form"));
        version_and_sid.extend(&sid_content);
        let sid_start = find(&version_and_sid) + 3;
        let sid_span = sid_start..sid_start + version_and_sid.len() - 3;
        let mut accepted = 0;
        for pos in (0..token.len()).step_by(29) {
            let mut t = token.clone();
            if let Some(b) = t.get_mut(pos) {
                *b ^= 0x41;
            }
            if verify_timestamp(&t, b"notation", &roots).is_ok() {
                accepted += 1;
                assert!(
                    root_span.contains(&pos) || sid_span.contains(&pos),
                    "flip at {pos} went unnoticed"
                );
            }
        }
        assert!(accepted > 0);
    }
}
