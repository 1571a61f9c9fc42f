//! `report.html`: one self-contained page (inline CSS, no external URL), rendered with Tera
//! from the report model. Autoescaping is on: every string from the registry is escaped.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use super::model::{ImageReport, RepositorySummary};

#[derive(Serialize)]
struct Group<'a> {
    repo: &'a RepositorySummary,
    #[serde(skip)]
    images: Vec<&'a ImageReport>,
    /// The rendered rows of `images` (escaped by the row template).
    rows: String,
}

/// Everything of the report but its images, which are rendered separately.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    schema_version: u32,
    tool: &'a super::model::Tool,
    generated_at: String,
    as_of: String,
    root_dir: &'a str,
    settings: &'a super::model::Settings,
    trust_fingerprint: &'a str,
    trust_material: &'a [crate::trust::MaterialRecord],
    summary: &'a super::model::Summary,
    repositories: &'a [RepositorySummary],
    findings: &'a [crate::finding::Finding],
    groups: Vec<Group<'a>>,
}

/// The templates, embedded at build time.
const TEMPLATE: &str = include_str!("../../templates/report.html.tera");
const ROWS_TEMPLATE: &str = include_str!("../../templates/images.html.tera");

/// Images per chunk of rows rendered on one worker thread.
const CHUNK: usize = 256;

pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    use rayon::prelude::*;
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html", ".html.tera"]);
    tera.add_raw_template("report.html.tera", TEMPLATE)
        .map_err(io::Error::other)?;
    tera.add_raw_template("images.html.tera", ROWS_TEMPLATE)
        .map_err(io::Error::other)?;
    // Images grouped per repository, in report order (images are already sorted by repository).
    let mut groups: Vec<Group<'_>> = report
        .repositories
        .iter()
        .map(|r| Group {
            repo: r,
            images: Vec::new(),
            rows: String::new(),
        })
        .collect();
    let index: std::collections::HashMap<&str, usize> = report
        .repositories
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    for img in &report.images {
        if let Some(&i) = index.get(img.repository.as_str()) {
            groups[i].images.push(img);
        }
    }
    for g in &mut groups {
        let chunks: Vec<io::Result<String>> = g
            .images
            .par_chunks(CHUNK)
            .map(|images| {
                let mut ctx = tera::Context::new();
                ctx.insert("images", images);
                tera.render("images.html.tera", &ctx)
                    .map_err(io::Error::other)
            })
            .collect();
        for c in chunks {
            g.rows.push_str(&c?);
        }
    }
    let ts =
        |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let page = Page {
        schema_version: report.schema_version,
        tool: &report.tool,
        generated_at: ts(&report.generated_at),
        as_of: ts(&report.as_of),
        root_dir: &report.root_dir,
        settings: &report.settings,
        trust_fingerprint: &report.trust_fingerprint,
        trust_material: &report.trust_material,
        summary: &report.summary,
        repositories: &report.repositories,
        findings: &report.findings,
        groups,
    };
    let ctx = tera::Context::from_serialize(&page).map_err(io::Error::other)?;
    tera.render_to("report.html.tera", &ctx, w)
        .map_err(io::Error::other)
}
