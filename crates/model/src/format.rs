//! The report formats sigaudit writes, as the settings name them (`--format`).

/// Output formats.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Html,
    /// JUnit XML: a test suite per repository, a test case per image.
    Junit,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// Prometheus text format (report.prom), for node_exporter's textfile collector.
    Prometheus,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Csv => "report.csv",
            Format::Html => "report.html",
            Format::Junit => "report.junit.xml",
            Format::Sarif => "report.sarif",
            Format::Prometheus => "report.prom",
        }
    }
}
