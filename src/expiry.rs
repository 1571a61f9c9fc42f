//! What expires soon: trust-store certificates, signatures and the certificate chains they
//! rest on, within [`EXPIRY_WINDOW_DAYS`] days after the audit's time. Facts of the audit,
//! independent of the compliance rules.

use chrono::{DateTime, Duration, Utc};

use crate::report::model::{EXPIRY_WINDOW_DAYS, Expiry, ImageReport};
use crate::trust::TrustMaterial;

/// Everything expiring in `(as_of, as_of + 90 days]`, soonest first. A notation signature's
/// `expiresAt` that is its certificate chain's own expiry is listed once, as
/// `signature-certificate`.
pub fn expiring(
    as_of: DateTime<Utc>,
    trust: &TrustMaterial,
    images: &[ImageReport],
) -> Vec<Expiry> {
    let limit = as_of + Duration::days(EXPIRY_WINDOW_DAYS);
    let soon = |t: DateTime<Utc>| t > as_of && t <= limit;
    let mut out = Vec::new();
    for ((ty, name), loaded) in trust.notation.stores.loaded() {
        if let Ok(store) = loaded.as_ref() {
            for (file, cert) in &store.certs {
                let t = cert.not_after();
                if soon(t) {
                    out.push(Expiry {
                        kind: TRUST_CERTIFICATE,
                        what: cert.subject_string().to_string(),
                        location: format!("_notation/truststore/x509/{ty}/{name}/{file}"),
                        expires_at: t,
                        days_left: (t - as_of).num_days(),
                    });
                }
            }
        }
    }
    with_images(as_of, out, images)
}

/// The `kind` of a trust-store certificate's entry.
pub const TRUST_CERTIFICATE: &str = "trust-certificate";

/// `trust_certificates` (the entries of the trust stores, as [`expiring`] made them) and every
/// signature of `images` expiring in `(as_of, as_of + 90 days]`, soonest first: what `merge`
/// computes over the whole registry from the shards' trust entries, which every shard has
/// alike.
pub fn with_images(
    as_of: DateTime<Utc>,
    trust_certificates: Vec<Expiry>,
    images: &[ImageReport],
) -> Vec<Expiry> {
    let limit = as_of + Duration::days(EXPIRY_WINDOW_DAYS);
    let soon = |t: DateTime<Utc>| t > as_of && t <= limit;
    let mut out = trust_certificates;
    let mut push = |kind: &'static str, what: String, location: String, t: DateTime<Utc>| {
        if soon(t) {
            out.push(Expiry {
                kind,
                what,
                location,
                expires_at: t,
                days_left: (t - as_of).num_days(),
            });
        }
    };
    for img in images {
        let location = format!("{}@{}", img.repository, img.digest);
        for s in &img.signatures {
            let id = s
                .signature_digest
                .as_ref()
                .unwrap_or(&s.manifest_digest)
                .to_string();
            if let Some(t) = s.cert_expires_at {
                let subject = s
                    .details
                    .get("earliestExpiringCertificate")
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                push("signature-certificate", subject, location.clone(), t);
            }
            if let Some(t) = s.expires_at
                && s.cert_expires_at != Some(t)
            {
                push("signature", id, location.clone(), t);
            }
        }
    }
    out.sort_by(|a, b| {
        (a.expires_at, a.kind, &a.location, &a.what).cmp(&(
            b.expires_at,
            b.kind,
            &b.location,
            &b.what,
        ))
    });
    out.dedup();
    out
}
