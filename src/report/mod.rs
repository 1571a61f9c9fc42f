//! Reports: one versioned model ([`model::Report`]), rendered to JSON, CSV and HTML. Renderers
//! read only the model, never the audit's internals.

pub mod csv;
pub mod html;
pub mod json;
pub mod model;
mod write;

pub use model::Report;
pub use write::write_atomic;

use std::path::{Path, PathBuf};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Html,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Csv => "report.csv",
            Format::Html => "report.html",
        }
    }
}

/// Render `report` in each format into `out_dir`, atomically; returns the files written.
pub fn render_all(
    report: &Report,
    formats: &[Format],
    out_dir: &Path,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out_dir)?;
    let mut written = Vec::new();
    for f in formats {
        let path = out_dir.join(f.file_name());
        write_atomic(&path, |w| match f {
            Format::Json => json::render(report, w),
            Format::Csv => csv::render(report, w),
            Format::Html => html::render(report, w),
        })?;
        written.push(path);
    }
    Ok(written)
}
