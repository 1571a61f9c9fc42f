//! Loading one named notation trust store from `<root>/x509/<type>/<name>/` (reference §1.6).
//!
//! Why our loader differs from notation-go / zot: an auditor should report what is wrong with a
//! store, not stop at the first bad file. notation-go fails the whole store on any
//! sub-directory, symlink, unparsable file or unsuitable certificate; we instead keep every
//! usable certificate and list each problem in [`LoadedStore::problems`]. Callers that want
//! notation's strict behaviour treat a non-empty `problems` as failure.
//!
//! Rules kept from notation-go:
//! * the store path itself must be a real directory (a symlink or a file is an error);
//! * directory entries are not filtered by extension; every regular file is parsed with
//!   [`Cert::parse_pem_or_der`];
//! * `ca`/`signingAuthority` certs must be CA (`basicConstraints cA=true`) or self-signed
//!   (signature verifies with its own key); `tsa` certs must be self-signed root CAs
//!   (`CheckSignatureFrom(self)` and subject == issuer);
//! * zero usable certificates → notation's "no x509 certificates were found …" error.
//!
//! Additional safety: type and store names must match `^[a-zA-Z0-9_.-]+$` before they become
//! path components, and `.`/`..` are refused (notation-go's regex would accept them).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::x509::{Cert, go_quote};

/// Trust store type (the directory under `x509/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreType {
    /// `ca`: used by the `notary.x509` signing scheme.
    Ca,
    /// `signingAuthority`: used by `notary.x509.signingAuthority`.
    SigningAuthority,
    /// `tsa`: timestamp authority roots.
    Tsa,
}

impl StoreType {
    /// The directory / policy name (`ca`, `signingAuthority`, `tsa`).
    pub fn as_str(self) -> &'static str {
        match self {
            StoreType::Ca => "ca",
            StoreType::SigningAuthority => "signingAuthority",
            StoreType::Tsa => "tsa",
        }
    }
}

impl fmt::Display for StoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StoreType {
    type Err = TrustStoreError;
    /// Case-sensitive, like notation.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ca" => Ok(StoreType::Ca),
            "signingAuthority" => Ok(StoreType::SigningAuthority),
            "tsa" => Ok(StoreType::Tsa),
            other => Err(TrustStoreError::InvalidType(other.to_string())),
        }
    }
}

/// Errors that make a whole store unusable.
#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    /// Unknown store type.
    #[error("unsupported trust store type \"{0}\"")]
    InvalidType(String),
    /// Store name not matching `^[a-zA-Z0-9_.-]+$` (or `.`/`..`).
    #[error(
        "unsupported trust store name \"{0}\". Named store name needs to follow [a-zA-Z0-9_.-]+ format"
    )]
    InvalidName(String),
    /// The store directory does not exist.
    #[error("the trust store \"{name}\" of type \"{store_type}\" does not exist")]
    NotFound {
        /// Store name.
        name: String,
        /// Store type.
        store_type: StoreType,
    },
    /// The store path is a symlink or not a directory.
    #[error("the trust store {name} of type {store_type} with path {} is not a regular directory (symlinks are not supported)", .path.display())]
    NotADirectory {
        /// Store name.
        name: String,
        /// Store type.
        store_type: StoreType,
        /// Path that was checked.
        path: PathBuf,
    },
    /// The store folder is, or lies below, a symbolic link the caller refused to follow (one
    /// leading where registry pushers can write); nothing of it was read.
    #[error(
        "the trust store {name} of type {store_type} is reached through the refused symbolic link {link}; not read"
    )]
    Refused {
        /// Store name.
        name: String,
        /// Store type.
        store_type: StoreType,
        /// The refused link, as messages name it.
        link: String,
    },
    /// I/O error reading the store directory itself.
    #[error("failed to read trust store {}: {source}", .path.display())]
    Io {
        /// Path being read.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// No usable certificate at all.
    #[error("no x509 certificates were found in trust store \"{name}\" of type \"{store_type}\"")]
    NoCertificates {
        /// Store name.
        name: String,
        /// Store type.
        store_type: StoreType,
        /// Problems found while loading (why nothing was usable).
        problems: Vec<(PathBuf, String)>,
    },
}

/// A loaded store: usable certificates (with the file they came from, in file-name order, then
/// file order) and every problem found.
#[derive(Debug, Default)]
pub struct LoadedStore {
    /// `(file name, certificate)`; a multi-certificate file yields several entries.
    pub certs: Vec<(String, Cert)>,
    /// `(path, reason)` for each skipped entry or certificate.
    pub problems: Vec<(PathBuf, String)>,
}

/// `^[a-zA-Z0-9_.-]+$`, plus refusing `.` and `..` so a name can never leave its parent.
pub fn is_valid_store_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Loads `<root>/x509/<store_type>/<name>/`.
///
/// Defaults: symlinks are never followed (not for the store, not for entries); entries are
/// processed in byte order of their file names (Go's `os.ReadDir` order); an empty file is
/// recorded as a problem (notation silently accepts it).
pub fn load_store(
    root: &Path,
    store_type: StoreType,
    name: &str,
) -> Result<LoadedStore, TrustStoreError> {
    if !is_valid_store_name(name) {
        return Err(TrustStoreError::InvalidName(name.to_string()));
    }
    let dir = root.join("x509").join(store_type.as_str()).join(name);
    let meta = match std::fs::symlink_metadata(&dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TrustStoreError::NotFound {
                name: name.to_string(),
                store_type,
            });
        }
        Err(source) => return Err(TrustStoreError::Io { path: dir, source }),
    };
    if !meta.is_dir() {
        return Err(TrustStoreError::NotADirectory {
            name: name.to_string(),
            store_type,
            path: dir,
        });
    }
    let mut entries = Vec::new();
    let read = std::fs::read_dir(&dir).map_err(|source| TrustStoreError::Io {
        path: dir.clone(),
        source,
    })?;
    for e in read {
        let e = e.map_err(|source| TrustStoreError::Io {
            path: dir.clone(),
            source,
        })?;
        entries.push(e);
    }
    entries.sort_by_key(|e| e.file_name());

    let mut out = LoadedStore::default();
    for e in entries {
        let path = e.path();
        let file_name = e.file_name().to_string_lossy().into_owned();
        let ft = match e.file_type() {
            Ok(ft) => ft,
            Err(err) => {
                out.problems.push((path, format!("cannot stat: {err}")));
                continue;
            }
        };
        if !ft.is_file() {
            out.problems.push((
                path,
                format!(
                    "trusted certificate {file_name} in trust store {name} of type {store_type} is not a regular file (directories or symlinks are not supported)"
                ),
            ));
            continue;
        }
        let read = super::file::open_regular(&path).and_then(|(mut f, meta)| {
            let mut b = Vec::with_capacity(meta.len() as usize);
            std::io::Read::read_to_end(&mut f, &mut b).map(|_| b)
        });
        let bytes = match read {
            Ok(b) => b,
            Err(err) => {
                out.problems.push((path, format!("cannot read: {err}")));
                continue;
            }
        };
        let certs = match Cert::parse_pem_or_der(&bytes) {
            Ok(c) => c,
            Err(err) => {
                out.problems
                    .push((path, format!("failed to parse certificates: {err}")));
                continue;
            }
        };
        if certs.is_empty() {
            out.problems
                .push((path, "file contains no certificates".into()));
            continue;
        }
        for cert in certs {
            match check_store_cert(&cert, store_type) {
                Ok(()) => out.certs.push((file_name.clone(), cert)),
                Err(reason) => out.problems.push((path.clone(), reason.to_string())),
            }
        }
    }
    if out.certs.is_empty() {
        return Err(TrustStoreError::NoCertificates {
            name: name.to_string(),
            store_type,
            problems: out.problems,
        });
    }
    Ok(out)
}

/// Why a certificate may not be in a trust store of its type (notation-go's rules).
/// `Display` gives notation's message.
#[derive(Debug, thiserror::Error)]
pub enum StoreCertError {
    /// Every store: a certificate must be a CA, or a self-signed signing certificate.
    #[error("certificate with subject {} is not a CA certificate or self-signed signing certificate", go_quote(.subject))]
    NotCaOrSelfSigned {
        /// The certificate's subject, rendered as Go renders it.
        subject: String,
    },
    /// `tsa` store: the certificate's signature does not verify with its own key.
    #[error("certificate with subject {} is not a root CA certificate: {source}", go_quote(.subject))]
    NotSelfSignedRoot {
        /// The certificate's subject, rendered as Go renders it.
        subject: String,
        /// Why its signature does not verify with its own key.
        source: crate::x509::X509Error,
    },
    /// `tsa` store: the certificate's issuer is not its subject.
    #[error("certificate with subject {} is not a root CA certificate: issuer ({issuer}) and subject ({subject}) are not the same", go_quote(.subject))]
    IssuerIsNotSubject {
        /// The certificate's subject, rendered as Go renders it.
        subject: String,
        /// Its issuer, rendered the same way.
        issuer: String,
    },
}

/// notation-go's per-certificate trust-store rules.
pub fn check_store_cert(cert: &Cert, store_type: StoreType) -> Result<(), StoreCertError> {
    let subject = || cert.subject_string().to_string();
    if !cert.is_ca() && cert.check_self_signature().is_err() {
        return Err(StoreCertError::NotCaOrSelfSigned { subject: subject() });
    }
    if store_type == StoreType::Tsa {
        if let Err(source) = cert.check_signature_from(cert) {
            return Err(StoreCertError::NotSelfSignedRoot {
                subject: subject(),
                source,
            });
        }
        if cert.subject_raw() != cert.issuer_raw() {
            return Err(StoreCertError::IssuerIsNotSubject {
                subject: subject(),
                issuer: cert.issuer_string().to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ng() -> Option<PathBuf> {
        crate::test_vectors::dir().map(|d| d.join("notation/notation-go/truststore"))
    }
    fn derived() -> Option<PathBuf> {
        crate::test_vectors::dir().map(|d| d.join("notation/derived/truststore"))
    }

    #[test]
    fn names_and_types() {
        assert!(is_valid_store_name("valid-trust-store_2.x"));
        for bad in ["", ".", "..", "a/b", "a b", "ä", "x:y"] {
            assert!(!is_valid_store_name(bad), "{bad}");
        }
        assert_eq!(
            "signingAuthority".parse::<StoreType>().ok(),
            Some(StoreType::SigningAuthority)
        );
        assert!("CA".parse::<StoreType>().is_err());
        assert_eq!(StoreType::Tsa.to_string(), "tsa");
        let root = std::env::temp_dir();
        assert!(matches!(
            load_store(&root, StoreType::Ca, "../etc"),
            Err(TrustStoreError::InvalidName(_))
        ));
    }

    #[test]
    fn valid_stores() {
        let Some(root) = ng() else { return };
        let s = load_store(&root, StoreType::Ca, "valid-trust-store").expect("valid");
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.certs.len(), 6);
        assert_eq!(s.certs[0].0, "GlobalSign.der");
        let s = load_store(&root, StoreType::SigningAuthority, "valid-trust-store").expect("sa");
        assert_eq!(s.certs.len(), 3);
        let s = load_store(&root, StoreType::Ca, "valid-trust-store-self-signed").expect("ss");
        assert_eq!(s.certs.len(), 1);
        let s = load_store(&root, StoreType::Tsa, "test-timestamp").expect("tsa");
        assert_eq!(s.certs.len(), 1);
        let Some(d) = derived() else { return };
        for (t, n) in [
            (StoreType::Ca, "e2e"),
            (StoreType::Ca, "e2e-new"),
            (StoreType::Ca, "e2e-expired"),
            (StoreType::Ca, "alpine-2000"),
            (StoreType::Ca, "testcert7"),
            (StoreType::Ca, "testtsa-2024"),
            (StoreType::Tsa, "globalsign-r6"),
            (StoreType::Tsa, "digicert-g4"),
        ] {
            let s = load_store(&d, t, n).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert_eq!(s.certs.len(), 1, "{n}");
            assert!(s.problems.is_empty(), "{n}: {:?}", s.problems);
        }
    }

    #[test]
    fn invalid_stores() {
        let Some(root) = ng() else { return };
        let e = load_store(&root, StoreType::Ca, "invalid_store").expect_err("missing");
        assert_eq!(
            e.to_string(),
            "the trust store \"invalid_store\" of type \"ca\" does not exist"
        );

        let s = load_store(&root, StoreType::Ca, "trust-store-with-leaf-certs").expect("partial");
        assert_eq!(s.certs.len(), 1);
        assert_eq!(s.problems.len(), 1);
        assert_eq!(
            s.problems[0].1,
            "certificate with subject \"CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US\" is not a CA certificate or self-signed signing certificate"
        );
        let s = load_store(
            &root,
            StoreType::Ca,
            "trust-store-with-leaf-certs-in-single-file",
        )
        .expect("partial");
        assert_eq!(s.certs.len(), 1);
        assert_eq!(s.problems.len(), 1);

        match load_store(&root, StoreType::Ca, "trust-store-with-invalid-certs") {
            Err(TrustStoreError::NoCertificates { problems, .. }) => {
                assert_eq!(problems.len(), 1);
                assert!(problems[0].1.starts_with("failed to parse certificates"));
            }
            other => panic!("{other:?}"),
        }
        let e = load_store(&root, StoreType::Tsa, "test-nonCA").expect_err("nonCA");
        match &e {
            TrustStoreError::NoCertificates { problems, .. } => assert!(
                problems[0].1.ends_with("is not a root CA certificate: x509: invalid signature: parent certificate cannot sign this kind of certificate"),
                "{}",
                problems[0].1
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            "no x509 certificates were found in trust store \"test-nonCA\" of type \"tsa\""
        );
        match load_store(&root, StoreType::Tsa, "test-nonSelfIssued") {
            Err(TrustStoreError::NoCertificates { problems, .. }) => {
                assert!(
                    problems[0].1.contains("is not a root CA certificate"),
                    "{}",
                    problems[0].1
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn directories_symlinks_and_empty() {
        let Some(root) = ng() else { return };
        let tmp = tempfile::tempdir().expect("tmp");
        let store = tmp.path().join("x509/ca/s");
        std::fs::create_dir_all(store.join("sub-dir")).expect("mkdir");
        let src = root.join("x509/ca/valid-trust-store/GlobalSignRootCA.crt");
        std::fs::copy(&src, store.join("sha256:00ff")).expect("copy");
        std::os::unix::fs::symlink(&src, store.join("link.crt")).expect("symlink");
        std::fs::write(store.join("empty"), b"").expect("empty");
        let s = load_store(tmp.path(), StoreType::Ca, "s").expect("load");
        assert_eq!(s.certs.len(), 1);
        assert_eq!(s.certs[0].0, "sha256:00ff");
        assert_eq!(s.problems.len(), 3, "{:?}", s.problems);
        assert!(s.problems.iter().any(|(_, r)| r
            == "trusted certificate sub-dir in trust store s of type ca is not a regular file (directories or symlinks are not supported)"));
        assert!(s.problems.iter().any(|(_, r)| r.contains("link.crt")));

        // The store itself being a symlink or a file is an error.
        std::os::unix::fs::symlink(&store, tmp.path().join("x509/ca/l")).expect("symlink");
        assert!(matches!(
            load_store(tmp.path(), StoreType::Ca, "l"),
            Err(TrustStoreError::NotADirectory { .. })
        ));
        std::fs::write(tmp.path().join("x509/ca/f"), b"x").expect("file");
        assert!(matches!(
            load_store(tmp.path(), StoreType::Ca, "f"),
            Err(TrustStoreError::NotADirectory { .. })
        ));
        // Empty store directory.
        std::fs::create_dir_all(tmp.path().join("x509/tsa/none")).expect("mkdir");
        assert!(matches!(
            load_store(tmp.path(), StoreType::Tsa, "none"),
            Err(TrustStoreError::NoCertificates { .. })
        ));
    }
}
