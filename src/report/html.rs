//! `report.html`: one self-contained page (inline CSS, no external URL), rendered with Tera
//! from the report model. Autoescaping is on: every string from the registry is escaped.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use super::model::{ImageReport, RepositorySummary};

#[derive(Serialize)]
struct Group<'a> {
    repo: &'a RepositorySummary,
    images: Vec<&'a ImageReport>,
}

/// The template, embedded at build time.
const TEMPLATE: &str = include_str!("../../templates/report.html.tera");

pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html", ".html.tera"]);
    tera.add_raw_template("report.html.tera", TEMPLATE)
        .map_err(io::Error::other)?;
    let mut ctx = tera::Context::from_serialize(report).map_err(io::Error::other)?;
    // Images grouped per repository, in report order (images are already sorted by repository).
    let mut groups: Vec<Group<'_>> = report
        .repositories
        .iter()
        .map(|r| Group {
            repo: r,
            images: Vec::new(),
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
    ctx.insert("groups", &groups);
    tera.render_to("report.html.tera", &ctx, w)
        .map_err(io::Error::other)
}
