//! `report.json`: the model, compact. The images are serialised one by one on the worker
//! threads (see [`super::render_all`]) and placed between the other fields, which are
//! serialised here in the model's field order.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use super::model::ImageReport;

/// One image's JSON text.
pub fn image(img: &ImageReport) -> io::Result<Vec<u8>> {
    Ok(serde_json::to_vec(img)?)
}

/// Every field of [`Report`] before `images`, in order (a test keeps the two in step).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    schema_version: u32,
    tool: &'a super::model::Tool,
    #[serde(serialize_with = "super::model::rfc3339")]
    generated_at: chrono::DateTime<chrono::Utc>,
    #[serde(serialize_with = "super::model::rfc3339")]
    as_of: chrono::DateTime<chrono::Utc>,
    root_dir: &'a str,
    root_dir_absolute: &'a str,
    host: &'a str,
    settings: &'a super::model::Settings,
    shard: Option<&'a super::model::ShardReport>,
    merged: Option<&'a super::model::MergedReport>,
    trust_fingerprint: &'a str,
    trust_material: &'a [crate::trust::MaterialRecord],
    summary: &'a super::model::Summary,
    repositories: &'a [super::model::RepositorySummary],
    unreadable_repositories: &'a [super::model::UnreadableRepository],
    compliance: &'a super::model::ComplianceSummary,
    expiring: &'a [super::model::Expiry],
}

/// Writes the report, taking each image's text, in order, from `images`.
pub fn render(
    report: &Report,
    images: &mut dyn Iterator<Item = io::Result<super::Part>>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let head = Head {
        schema_version: report.schema_version,
        tool: &report.tool,
        generated_at: report.generated_at,
        as_of: report.as_of,
        root_dir: &report.root_dir,
        root_dir_absolute: &report.root_dir_absolute,
        host: &report.host,
        settings: &report.settings,
        shard: report.shard.as_ref(),
        merged: report.merged.as_ref(),
        trust_fingerprint: &report.trust_fingerprint,
        trust_material: &report.trust_material,
        summary: &report.summary,
        repositories: &report.repositories,
        unreadable_repositories: &report.unreadable_repositories,
        compliance: &report.compliance,
        expiring: &report.expiring,
    };
    let mut text = serde_json::to_vec(&head)?;
    text.pop(); // the closing brace
    w.write_all(&text)?;
    w.write_all(b",\"images\":[")?;
    for (i, part) in images.enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(&part?)?;
    }
    w.write_all(b"],\"findings\":")?;
    serde_json::to_writer(&mut *w, &report.findings)?;
    w.write_all(b",\"changes\":")?;
    serde_json::to_writer(&mut *w, &report.changes)?;
    w.write_all(b"}\n")
}
