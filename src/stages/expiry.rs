//! The expiry stage: what expires soon, within [`EXPIRY_WINDOW_DAYS`] days after the audit's
//! time: the trust-store certificates (listed by the aggregation, which has the trust
//! material), then every signature and the certificate chain it rests on. Facts of the audit,
//! independent of the compliance rules.

use chrono::{DateTime, Duration, Utc};

use sigaudit_model::Report;
use sigaudit_model::report::{EXPIRY_WINDOW_DAYS, Expiry, ImageReport};

/// Completes `report.expiring`, which holds the trust-store certificates expiring soon, with
/// the signatures of its images: everything expiring in `(asOf, asOf + 90 days]`, soonest
/// first. A notation signature's `expiresAt` that is its certificate chain's own expiry is
/// listed once, as `signature-certificate`.
pub fn apply(report: &mut Report) {
    let trust_certificates = std::mem::take(&mut report.expiring);
    report.expiring = with_images(report.as_of, trust_certificates, &report.images);
}

/// `trust_certificates` (the entries of the trust stores) and every signature of `images`
/// expiring in `(as_of, as_of + 90 days]`, soonest first.
fn with_images(
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
