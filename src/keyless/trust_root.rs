//! The trust material of keyless verification: a sigstore `trusted_root.json`
//! (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`): Fulcio certificate
//! authorities with their validity windows, Rekor logs (key and log ID), CT logs, and
//! timestamp authorities. Or one assembled from separate files, as containers-policy
//! `sigstoreSigned` requirements name them.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use sigstore_verify::Verifier;
use sigstore_verify::trust_root::TrustedRoot;

/// The root's media type.
const TRUSTED_ROOT_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// The most sigaudit reads of a trusted root (the public-good one is about 10 KB).
const MAX_TRUSTED_ROOT_BYTES: u64 = 16 << 20;

/// A trusted root that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustRootError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{source_name}: not a usable sigstore trusted root: {detail}")]
    Invalid { source_name: String, detail: String },
}

/// A parsed and checked trusted root, ready to verify with.
pub struct TrustRoot {
    /// Where it came from (a file path, or a description of the parts).
    pub source: String,
    /// SHA-256 (hex) of the JSON it was built from, for the report header and caches.
    pub sha256: String,
    /// How many Fulcio CAs, Rekor logs, CT logs and timestamp authorities it holds.
    pub counts: [usize; 4],
    verifier: Verifier,
}

impl std::fmt::Debug for TrustRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustRoot")
            .field("source", &self.source)
            .field("sha256", &self.sha256)
            .field("counts", &self.counts)
            .finish()
    }
}

impl TrustRoot {
    /// Read `trusted_root.json` from `path`.
    pub fn from_file(path: &Path) -> Result<Self, TrustRootError> {
        let read = |source| TrustRootError::Read {
            path: path.display().to_string(),
            source,
        };
        let bytes =
            crate::layout::read_operator_file(path, MAX_TRUSTED_ROOT_BYTES).map_err(read)?;
        let text = String::from_utf8(bytes)
            .map_err(|e| read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        Self::from_json(&path.display().to_string(), &text)
    }

    /// Parse a trusted root; `source` names it in messages.
    pub fn from_json(source: &str, json: &str) -> Result<Self, TrustRootError> {
        let invalid = |detail: String| TrustRootError::Invalid {
            source_name: source.to_string(),
            detail,
        };
        // The library accepts an empty object; a root that trusts nothing is a mistake.
        let doc: Value =
            sigaudit_gojson::parse_proto(json.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let media_type = doc.get("mediaType").and_then(Value::as_str).unwrap_or("");
        if !media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
            return Err(invalid(format!(
                "mediaType is {media_type:?}, not {TRUSTED_ROOT_MEDIA_TYPE}"
            )));
        }
        let root = TrustedRoot::from_json(json).map_err(|e| invalid(e.to_string()))?;
        let counts = [
            root.certificate_authorities.len(),
            root.tlogs.len(),
            root.ctlogs.len(),
            root.timestamp_authorities.len(),
        ];
        if counts[0] == 0 {
            return Err(invalid("it lists no certificate authority".into()));
        }
        let verifier = Verifier::new(&root).map_err(|e| invalid(e.to_string()))?;
        Ok(TrustRoot {
            source: source.to_string(),
            sha256: hex(&Sha256::digest(json.as_bytes())),
            counts,
            verifier,
        })
    }

    /// Assemble a root from separate material, as containers-policy `sigstoreSigned` gives it:
    /// `ca_certs` (DER) are the certificate authorities, each cert its own trust anchor, valid
    /// at any time (their own notBefore/notAfter still apply); `rekor_keys` (SPKI DER) the
    /// Rekor logs, whose log ID is the SHA-256 of the key. No CT log and no timestamp
    /// authority: verify with [`super::Requirements::sct`] off.
    pub fn from_parts(
        source: &str,
        ca_certs: &[Vec<u8>],
        rekor_keys: &[Vec<u8>],
    ) -> Result<Self, TrustRootError> {
        let authorities: Vec<Value> = ca_certs
            .iter()
            .map(|der| {
                json!({
                    "subject": {},
                    "uri": "",
                    "certChain": {"certificates": [{"rawBytes": STANDARD.encode(der)}]},
                    "validFor": {"start": "1970-01-01T00:00:00Z"},
                })
            })
            .collect();
        let tlogs = rekor_keys
            .iter()
            .map(|spki| {
                Ok(json!({
                    "baseUrl": "",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": STANDARD.encode(spki),
                        "keyDetails": key_details(spki).ok_or_else(|| TrustRootError::Invalid {
                            source_name: source.to_string(),
                            detail: "a Rekor key is neither ECDSA P-256/P-384 nor Ed25519".into(),
                        })?,
                        "validFor": {"start": "1970-01-01T00:00:00Z"},
                    },
                    "logId": {"keyId": STANDARD.encode(Sha256::digest(spki))},
                }))
            })
            .collect::<Result<Vec<Value>, TrustRootError>>()?;
        let doc = json!({
            "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
            "tlogs": tlogs,
            "certificateAuthorities": authorities,
            "ctlogs": [],
            "timestampAuthorities": [],
        });
        Self::from_json(source, &doc.to_string())
    }

    pub(crate) fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

/// The trusted-root `keyDetails` of an SPKI, from its algorithm and curve.
fn key_details(spki: &[u8]) -> Option<&'static str> {
    use der::Decode;
    use x509_cert::spki::SubjectPublicKeyInfoOwned;
    let info = SubjectPublicKeyInfoOwned::from_der(spki).ok()?;
    let alg = info.algorithm.oid;
    if alg == const_oid::db::rfc5912::ID_EC_PUBLIC_KEY {
        let curve = info
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())?;
        if curve == const_oid::db::rfc5912::SECP_256_R_1 {
            Some("PKIX_ECDSA_P256_SHA_256")
        } else if curve == const_oid::db::rfc5912::SECP_384_R_1 {
            Some("PKIX_ECDSA_P384_SHA_384")
        } else {
            None
        }
    } else if alg == const_oid::db::rfc8410::ID_ED_25519 {
        Some("PKIX_ED25519")
    } else {
        None
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_that_trust_nothing_or_are_not_roots_are_refused() {
        let e = TrustRoot::from_json("r.json", r#"{"mediaType":"application/json"}"#)
            .expect_err("not a root");
        assert!(e.to_string().starts_with("r.json: "), "{e}");
        let empty = format!(
            r#"{{"mediaType":"{TRUSTED_ROOT_MEDIA_TYPE}","tlogs":[],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}}"#
        );
        let e = TrustRoot::from_json("r.json", &empty).expect_err("no CA");
        assert!(e.to_string().contains("no certificate authority"), "{e}");
        let e = TrustRoot::from_json("r.json", "{").expect_err("not JSON");
        assert!(e.to_string().contains("r.json"), "{e}");
    }

    #[test]
    fn parts_need_known_rekor_key_types() {
        assert_eq!(key_details(b"junk"), None);
        let e = TrustRoot::from_parts("parts", &[], &[b"junk".to_vec()]).expect_err("bad key");
        assert!(e.to_string().contains("Rekor key"), "{e}");
    }
}
