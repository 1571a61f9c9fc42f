//! `report.html`: one self-contained page (inline CSS, no external URL), rendered with Tera
//! from the report model. Autoescaping is on: every string from the registry is escaped.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use super::model::{ImageReport, RepositorySummary};

#[derive(Serialize)]
struct Group<'a> {
    repo: &'a RepositorySummary,
    /// Where the rows of the repository's images go: a marker the renderer replaces with
    /// them (rows are escaped by the row template; the marker cannot occur in escaped text).
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

/// The parsed templates.
pub struct Templates {
    tera: tera::Tera,
}

impl Templates {
    pub fn new() -> io::Result<Self> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html", ".html.tera"]);
        tera.add_raw_template("report.html.tera", TEMPLATE)
            .map_err(io::Error::other)?;
        tera.add_raw_template("images.html.tera", ROWS_TEMPLATE)
            .map_err(io::Error::other)?;
        Ok(Templates { tera })
    }

    /// One image's table row. It depends on the image alone (the row template is given nothing
    /// else), which is what lets a `watch` keep it while the image is unchanged.
    pub fn image(&self, img: &ImageReport) -> io::Result<Vec<u8>> {
        let mut ctx = tera::Context::new();
        ctx.insert("images", std::slice::from_ref(img));
        let mut out = Vec::new();
        self.tera
            .render_to("images.html.tera", &ctx, &mut out)
            .map_err(io::Error::other)?;
        Ok(out)
    }

    /// Writes the page, taking each image's row, in order, from `rows`.
    pub fn render(
        &self,
        report: &Report,
        rows: &mut dyn Iterator<Item = io::Result<super::Part>>,
        w: &mut dyn Write,
    ) -> io::Result<()> {
        // The page is rendered around markers, then each marker is replaced by the rows of its
        // repository as they come: megabytes of rows never pass through the template engine.
        let groups: Vec<Group<'_>> = report
            .repositories
            .iter()
            .enumerate()
            .map(|(i, r)| Group {
                repo: r,
                rows: marker(i),
            })
            .collect();
        let ts = |t: &chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
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
        let text = self
            .tera
            .render("report.html.tera", &ctx)
            .map_err(io::Error::other)?;
        // Images come grouped by repository, in the order of `repositories`.
        let images = &report.images;
        let mut next = 0;
        let mut rest = text.as_str();
        for (i, repo) in report.repositories.iter().enumerate() {
            let m = marker(i);
            let Some(at) = rest.find(&m) else { continue };
            w.write_all(&rest.as_bytes()[..at])?;
            rest = &rest[at + m.len()..];
            // Rows of repositories the template left out are skipped.
            while next < images.len() && images[next].repository != repo.name {
                rows.next().transpose()?;
                next += 1;
            }
            while next < images.len() && images[next].repository == repo.name {
                let row = rows
                    .next()
                    .ok_or_else(|| io::Error::other("a row is missing"))??;
                w.write_all(&row)?;
                next += 1;
            }
        }
        w.write_all(rest.as_bytes())
    }
}

/// The place of repository `i`'s rows in the rendered page.
fn marker(i: usize) -> String {
    format!("<!--sigaudit:rows:{i}-->")
}
