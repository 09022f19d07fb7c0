//! Exports of a release (or a filtered part): CSV, Parquet and SDMX-CSV. (JSON is written by
//! the CLI, the only other place besides the portal that speaks JSON.)
//!
//! A suppressed figure is exported with its flag and **no number** in every format.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use incity_data::published::{Observation, PublishedTable};

use crate::PipelineError;
use incity_indicators::figure_table::{self, direct_se, model_rmse, COLUMNS};
use incity_indicators::{geo_name, Figure};

fn io(path: &Path, e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Export {
        file: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Writes figures as CSV (the columns of [`figure_table::COLUMNS`]).
pub fn write_csv(
    path: &Path,
    release: i64,
    synthetic: bool,
    figures: &[Figure],
) -> Result<(), PipelineError> {
    let file = std::fs::File::create(path).map_err(|e| io(path, e))?;
    figure_table::write_csv(std::io::BufWriter::new(file), release, synthetic, figures)
        .map_err(|e| io(path, e))
}

/// The columns of [`write_administrative_csv`].
pub const ADMINISTRATIVE_COLUMNS: [&str; 13] = [
    "indicator",
    "method",
    "geo_level",
    "geo",
    "geo_name",
    "year",
    "group",
    "sex",
    "value",
    "numerator",
    "denominator",
    "flags",
    "synthetic",
];

/// Writes administrative figures (two tables of counts each) as CSV: the value as a fraction,
/// its numerator and denominator, the tables' flags united; method `administrative` and no
/// standard error, since the tables count every case. A figure without a number (a
/// confidential or missing side) has empty value, numerator and denominator.
pub fn write_administrative_csv(
    path: &Path,
    synthetic: bool,
    figures: &[incity_indicators::administrative::AdministrativeFigure],
) -> Result<(), PipelineError> {
    let file = std::fs::File::create(path).map_err(|e| io(path, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(ADMINISTRATIVE_COLUMNS)
        .map_err(|e| io(path, e))?;
    let number = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for f in figures {
        let hidden = f.value.is_none();
        w.write_record([
            f.indicator.as_str(),
            "administrative",
            f.geo_level.code(),
            &f.geo,
            &geo_name(&f.geo).unwrap_or_default(),
            &f.year.to_string(),
            &f.group,
            &f.sex,
            &number(f.value),
            &if hidden {
                String::new()
            } else {
                number(f.numerator)
            },
            &if hidden {
                String::new()
            } else {
                number(f.denominator)
            },
            &f.flags,
            if synthetic { "true" } else { "false" },
        ])
        .map_err(|e| io(path, e))?;
    }
    w.flush().map_err(|e| io(path, e))
}

/// Writes figures as Parquet (numbers are nulls for suppressed figures).
pub fn write_parquet(
    path: &Path,
    release: i64,
    synthetic: bool,
    figures: &[Figure],
) -> Result<(), PipelineError> {
    let text = |f: &dyn Fn(&Figure) -> String| -> ArrayRef {
        Arc::new(StringArray::from(figures.iter().map(f).collect::<Vec<_>>()))
    };
    let num = |f: &dyn Fn(&Figure) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(
            figures.iter().map(f).collect::<Vec<_>>(),
        ))
    };
    let fig = |f: &Figure| f.estimate.figures;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![release; figures.len()])),
        Arc::new(BooleanArray::from(vec![synthetic; figures.len()])),
        text(&|f| f.indicator.clone()),
        text(&|f| f.source.code().to_string()),
        Arc::new(Int32Array::from(
            figures.iter().map(|f| f.first_year).collect::<Vec<_>>(),
        )),
        Arc::new(Int32Array::from(
            figures.iter().map(|f| f.year).collect::<Vec<_>>(),
        )),
        text(&|f| f.geo_level.code().to_string()),
        text(&|f| f.geo.clone()),
        text(&|f| geo_name(&f.geo).unwrap_or_default()),
        text(&|f| f.grouping.clone()),
        text(&|f| f.group.clone()),
        text(&|f| f.reference_group.clone().unwrap_or_default()),
        text(&|f| f.sex.code().to_string()),
        text(&|f| f.measure.code().to_string()),
        text(&|f| f.estimate.flag.code().to_string()),
        num(&|f| fig(f).map(|x| x.estimate)),
        num(&|f| direct_se(f)),
        num(&|f| fig(f).map(|x| x.ci_low)),
        num(&|f| fig(f).map(|x| x.ci_high)),
        num(&|f| fig(f).and_then(|x| x.cv)),
        Arc::new(Int64Array::from(
            figures
                .iter()
                .map(|f| fig(f).map(|x| x.n as i64))
                .collect::<Vec<_>>(),
        )),
        num(&|f| fig(f).map(|x| x.population)),
        num(&|f| fig(f).and_then(|x| x.deff)),
        Arc::new(Int64Array::from(
            figures
                .iter()
                .map(|f| {
                    fig(f)
                        .and_then(|x| x.degrees_of_freedom())
                        .map(|d| d as i64)
                })
                .collect::<Vec<_>>(),
        )),
        text(&|f| {
            f.estimate
                .reason
                .map(|r| r.code().to_string())
                .unwrap_or_default()
        }),
        text(&|f| f.method_label().to_string()),
        num(&|f| model_rmse(f)),
        text(&|f| f.method.model().unwrap_or_default().to_string()),
    ];
    let fields: Vec<Field> = COLUMNS
        .iter()
        .zip(&columns)
        .map(|(name, c)| Field::new(*name, c.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| io(path, e))?;
    let file = std::fs::File::create(path).map_err(|e| io(path, e))?;
    let mut w = ArrowWriter::try_new(file, schema, None).map_err(|e| io(path, e))?;
    w.write(&batch).map_err(|e| io(path, e))?;
    w.close().map_err(|e| io(path, e))?;
    Ok(())
}

/// Attributes of SDMX-CSV exports.
pub const SDMX_ATTRIBUTES: [&str; 6] = [
    "OBS_SE",
    "OBS_CI_LOW",
    "OBS_CI_HIGH",
    "OBS_CV",
    "OBS_N",
    "OBS_DEFF",
];
/// Dimensions of SDMX-CSV exports (a gap's `reference_group` is the group it is measured
/// against, empty for a level; `method` is `direct` or `model`, and for a model-based figure
/// `OBS_SE` holds its RMSE).
pub const SDMX_DIMENSIONS: [&str; 10] = [
    "indicator",
    "source",
    "geo_level",
    "geo",
    "grouping",
    "group",
    "reference_group",
    "sex",
    "measure",
    "method",
];

/// The SDMX time period of a figure: the year, or for pooled years an ISO 8601 time range
/// (`2022-01-01/P3Y`).
pub fn sdmx_period(f: &Figure) -> String {
    if f.is_pooled() {
        format!("{}-01-01/P{}Y", f.first_year, f.year - f.first_year + 1)
    } else {
        f.year.to_string()
    }
}

/// The figures as an SDMX-CSV 2.0 table (dataflow `INCITY_RELEASE_<id>`): time period = year,
/// `OBS_VALUE` the estimate, `OBS_FLAG` the publication flag, standard error, interval, CV,
/// respondents and design effect as observation attributes.
pub fn sdmx_table(release: i64, figures: &[Figure]) -> PublishedTable {
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let observations = figures
        .iter()
        .map(|f| {
            let x = f.estimate.figures;
            Observation {
                key: vec![
                    f.indicator.clone(),
                    f.source.code().to_string(),
                    f.geo_level.code().to_string(),
                    f.geo.clone(),
                    f.grouping.clone(),
                    f.group.clone(),
                    f.reference_group.clone().unwrap_or_default(),
                    f.sex.code().to_string(),
                    f.measure.code().to_string(),
                    f.method.code().to_string(),
                ],
                time: sdmx_period(f),
                value: x.map(|x| x.estimate),
                value_text: num(x.map(|x| x.estimate)),
                flags: f.estimate.flag.code().to_string(),
                attributes: vec![
                    num(x.and_then(|x| x.standard_error())),
                    num(x.map(|x| x.ci_low)),
                    num(x.map(|x| x.ci_high)),
                    num(x.and_then(|x| x.cv)),
                    x.map(|x| x.n.to_string()).unwrap_or_default(),
                    num(x.and_then(|x| x.deff)),
                ],
            }
        })
        .collect();
    PublishedTable::new_sdmx(
        &format!("INCITY_RELEASE_{release}"),
        SDMX_DIMENSIONS.iter().map(|d| d.to_string()).collect(),
        SDMX_ATTRIBUTES.iter().map(|a| a.to_string()).collect(),
        observations,
    )
}
