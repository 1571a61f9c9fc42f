//! GPG keyrings to trust (`--gpg-keyring FILE`): outside the rootDir, like policy.json's
//! `keyPath`. Each becomes a trust-material record, so the report shows which keys made its
//! GPG verdicts and a change of keyring shows in `changes`.

use std::path::PathBuf;

use super::{MaterialRecord, MaterialStatus};
use crate::gpg::Keyring;
use sigaudit_model::codes::FindingCode;
use sigaudit_model::digest::sha256_hex;
use sigaudit_model::finding::Finding;

/// Largest keyring file read.
const MAX_KEYRING_BYTES: u64 = 16 << 20;

/// The keyrings and which file holds which primary key.
#[derive(Debug, Clone, Default)]
pub struct GpgTrust {
    pub keyring: Keyring,
    /// `(file as given, primary fingerprints)`, in the order given.
    pub files: Vec<(String, Vec<String>)>,
    /// Whether any keyring was configured (even an unusable one).
    pub configured: bool,
}

impl GpgTrust {
    /// The first keyring file holding the primary key `fingerprint`.
    pub fn file_of(&self, fingerprint: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(_, fps)| fps.iter().any(|f| f == fingerprint))
            .map(|(p, _)| p.as_str())
    }
}

/// Read `paths`; every problem is a record and a finding, never a failure.
pub(crate) fn load(
    paths: &[PathBuf],
    records: &mut Vec<MaterialRecord>,
    findings: &mut Vec<Finding>,
) -> GpgTrust {
    let mut t = GpgTrust {
        configured: !paths.is_empty(),
        ..GpgTrust::default()
    };
    for p in paths {
        let shown = p.display().to_string();
        // A link to a keyring is followed; a named pipe or device is refused unopened.
        let read = crate::layout::read_regular_following_links(p, MAX_KEYRING_BYTES)
            .map_err(|e| crate::layout::describe_read_error(&e));
        let (sha, parsed) = match read {
            Ok(bytes) => (
                sha256_hex(&bytes),
                Keyring::from_bytes(&bytes).map_err(|e| e.to_string()),
            ),
            Err(e) => (String::new(), Err(format!("cannot read: {e}"))),
        };
        match parsed {
            Ok(k) => {
                let fps = k.fingerprints();
                records.push(MaterialRecord {
                    path: shown.clone(),
                    kind: "gpg-keyring",
                    sha256: sha,
                    status: MaterialStatus::Ok,
                    detail: format!("OpenPGP primary keys {}", fps.join(", ")),
                });
                t.files.push((shown, fps));
                t.keyring.extend(k);
            }
            Err(detail) => {
                let detail = format!("GPG keyring: {detail}; its keys are not trusted");
                findings.push(Finding::new(
                    FindingCode::InvalidTrustMaterial,
                    shown.clone(),
                    detail.clone(),
                ));
                records.push(MaterialRecord {
                    path: shown,
                    kind: "gpg-keyring",
                    sha256: sha,
                    status: MaterialStatus::Invalid,
                    detail,
                });
            }
        }
    }
    t
}
