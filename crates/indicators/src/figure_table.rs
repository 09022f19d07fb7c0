//! The tabular form of a release's figures: one row per figure, in the columns every tabular
//! output shares (the CLI's CSV and Parquet exports, the portal's CSV download), so that a
//! figure downloaded from the portal and one exported by the CLI read the same.
//!
//! A suppressed figure has its flag and no number in every column.

use std::io::Write;

use crate::{geo_name, Figure, FigureMethod};

/// Column names of the tabular outputs, in order.
pub const COLUMNS: [&str; 28] = [
    "release",
    "synthetic",
    "indicator",
    "source",
    "first_year",
    "year",
    "geo_level",
    "geo",
    "geo_name",
    "grouping",
    "group",
    "reference_group",
    "sex",
    "measure",
    "flag",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "cv",
    "n",
    "population",
    "deff",
    "df",
    "flag_reason",
    "method",
    "rmse",
    "model",
];

/// The standard error of a direct figure (none for a model-based one, whose precision is its
/// RMSE).
pub fn direct_se(f: &Figure) -> Option<f64> {
    match f.method {
        FigureMethod::Direct => f.estimate.figures.and_then(|x| x.standard_error()),
        FigureMethod::ModelBased { .. } => None,
    }
}

/// The root mean squared error of a model-based figure (none for a direct one).
pub fn model_rmse(f: &Figure) -> Option<f64> {
    match f.method {
        FigureMethod::Direct => None,
        FigureMethod::ModelBased { .. } => f.estimate.figures.and_then(|x| x.standard_error()),
    }
}

/// One figure as text in the order of [`COLUMNS`] (numbers in Rust's shortest round-trip
/// form, empty where there is none).
pub fn row(release: i64, synthetic: bool, f: &Figure) -> [String; 28] {
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let x = f.estimate.figures;
    [
        release.to_string(),
        synthetic.to_string(),
        f.indicator.clone(),
        f.source.code().to_string(),
        f.first_year.to_string(),
        f.year.to_string(),
        f.geo_level.code().to_string(),
        f.geo.clone(),
        geo_name(&f.geo).unwrap_or_default(),
        f.grouping.clone(),
        f.group.clone(),
        f.reference_group.clone().unwrap_or_default(),
        f.sex.code().to_string(),
        f.measure.code().to_string(),
        f.estimate.flag.code().to_string(),
        num(x.map(|x| x.estimate)),
        num(direct_se(f)),
        num(x.map(|x| x.ci_low)),
        num(x.map(|x| x.ci_high)),
        num(x.and_then(|x| x.cv)),
        x.map(|x| x.n.to_string()).unwrap_or_default(),
        num(x.map(|x| x.population)),
        num(x.and_then(|x| x.deff)),
        x.and_then(|x| x.degrees_of_freedom())
            .map(|d| d.to_string())
            .unwrap_or_default(),
        f.estimate
            .reason
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        f.method_label().to_string(),
        num(model_rmse(f)),
        f.method.model().unwrap_or_default().to_string(),
    ]
}

/// Writes the figures as CSV (RFC 4180 quoting) with a header row.
pub fn write_csv(
    out: impl Write,
    release: i64,
    synthetic: bool,
    figures: &[Figure],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    for f in figures {
        w.write_record(row(release, synthetic, f))?;
    }
    w.flush()?;
    Ok(())
}
