//! `incity trend`: one indicator for one area and group over the release's years — each
//! year's level and the change between every two years with its standard error and the
//! covariance it used (from the PSUs both years' samples share, or none).

use anyhow::bail;
use incity_indicators::{geo_name, ChangeFigure, Figure, FigureMethod, Measure};
use incity_store::FigureFilter;

use crate::{figure_json, print_json, served_release, DataDirArg, OutputFormat};

#[derive(clap::Args)]
pub struct TrendArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Indicator id (a share, e.g. employment_rate_20_64).
    #[arg(long)]
    pub indicator: String,
    /// The area's code (e.g. AT001C, AT13, AT).
    #[arg(long)]
    pub geo: String,
    /// Target group (total, native, non_eu_born, ...).
    #[arg(long, default_value = "total")]
    pub group: String,
    /// T, M or F.
    #[arg(long, default_value = "T")]
    pub sex: String,
    #[arg(long, value_enum, default_value = "csv")]
    pub output_format: OutputFormat,
}

const COLUMNS: [&str; 11] = [
    "kind",
    "from_year",
    "year",
    "flag",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "method",
    "covariance",
    "shared_psus",
];

pub async fn run(a: TrendArgs) -> anyhow::Result<()> {
    let sex = crate::parse_sex(&a.sex)?;
    let (store, release) = served_release(&a.data).await?;
    let levels: Vec<Figure> = store
        .figures(
            release.id,
            &FigureFilter {
                indicator: Some(a.indicator.clone()),
                geo: Some(a.geo.clone()),
                sex: Some(sex),
                ..FigureFilter::default()
            },
        )
        .await?
        .into_iter()
        .filter(|f| {
            f.group == a.group
                && f.measure == Measure::Level
                && f.method == FigureMethod::Direct
                && !f.is_pooled()
        })
        .collect();
    if levels.is_empty() {
        bail!(
            "the served release has no direct level of `{}` for {} and group `{}`",
            a.indicator,
            a.geo,
            a.group
        );
    }
    let changes: Vec<ChangeFigure> = store
        .changes(release.id, Some(&a.indicator), Some(&a.geo))
        .await?
        .into_iter()
        .filter(|c| c.group == a.group && c.sex == sex)
        .collect();
    match a.output_format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "release": release.id,
            "synthetic": release.provenance.synthetic,
            "indicator": a.indicator,
            "geo": a.geo,
            "geo_name": geo_name(&a.geo),
            "group": a.group,
            "sex": sex.code(),
            "levels": levels.iter().map(figure_json).collect::<Vec<_>>(),
            "changes": changes.iter().map(change_json).collect::<Vec<_>>(),
            "changes_are": "level in `year` minus level in `from_year`, direct estimates; variance V1 + V2 - 2 Cov, the covariance estimated from the PSUs both years' samples share ('shared-psus') or 0 where they share none ('independent'); withheld where either level is",
        })),
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(COLUMNS)?;
            let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            for f in &levels {
                let x = f.estimate.figures;
                w.write_record([
                    "level".to_string(),
                    f.first_year.to_string(),
                    f.year.to_string(),
                    f.estimate.flag.code().to_string(),
                    number(x.map(|x| x.estimate)),
                    number(x.and_then(|x| x.standard_error())),
                    number(x.map(|x| x.ci_low)),
                    number(x.map(|x| x.ci_high)),
                    f.method_label().to_string(),
                    String::new(),
                    String::new(),
                ])?;
            }
            for c in &changes {
                let x = c.estimate.figures;
                w.write_record([
                    "change".to_string(),
                    c.from_year.to_string(),
                    c.to_year.to_string(),
                    c.estimate.flag.code().to_string(),
                    number(x.map(|x| x.estimate)),
                    number(x.and_then(|x| x.standard_error())),
                    number(x.map(|x| x.ci_low)),
                    number(x.map(|x| x.ci_high)),
                    "direct".to_string(),
                    c.covariance.code().to_string(),
                    c.shared_psus.to_string(),
                ])?;
            }
            w.flush()?;
            Ok(())
        }
    }
}

/// A change as JSON: numbers only when published.
pub(crate) fn change_json(c: &ChangeFigure) -> serde_json::Value {
    let mut o = serde_json::json!({
        "indicator": c.indicator, "source": c.source.code(),
        "from_year": c.from_year, "year": c.to_year,
        "geo_level": c.geo_level.code(), "geo": c.geo,
        "grouping": c.grouping, "group": c.group, "sex": c.sex.code(),
        "flag": c.estimate.flag.code(),
        "covariance": c.covariance.code(),
        "covariance_is": c.covariance.describe(),
        "shared_psus": c.shared_psus,
    });
    if let Some(x) = c.estimate.figures {
        o["estimate"] = x.estimate.into();
        o["se"] = x.standard_error().into();
        o["ci_low"] = x.ci_low.into();
        o["ci_high"] = x.ci_high.into();
    }
    o
}
