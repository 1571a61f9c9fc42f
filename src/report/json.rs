//! `report.json`: the model itself, streamed.

use std::io::{self, Write};

use super::Report;

pub fn render(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *w, report)?;
    w.write_all(b"\n")
}
