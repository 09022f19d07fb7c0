//! `incity rank`: the areas of one level ranked on one indicator, group and measure, each with
//! its rank interval (marginal or simultaneous; `incity_benchmark::ranks`).

use anyhow::{bail, Context};
use incity_benchmark::ranks::{rank_figures, Coverage, ASSUMPTIONS};
use incity_indicators::{geo_name, Figure, FigureMethod, Measure};
use incity_store::FigureFilter;

use crate::{figure_json, print_json, served_release, DataDirArg, OutputFormat};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RankCoverage {
    /// Each interval covers its area's rank (per area).
    Marginal,
    /// All intervals cover all ranks together.
    Simultaneous,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RankMethod {
    /// Direct (design-based) figures, ranked with their standard errors.
    Direct,
    /// Model-based figures, ranked with their root mean squared errors.
    Model,
}

#[derive(clap::Args)]
pub struct RankArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Indicator id (e.g. employment_rate_20_64).
    #[arg(long)]
    pub indicator: String,
    /// country, nuts1, nuts2, nuts3, degurba or city.
    #[arg(long, default_value = "city")]
    pub level: String,
    /// Target group (total, native, non_eu_born, non_eu_citizens, ...).
    #[arg(long)]
    pub group: String,
    /// T, M or F.
    #[arg(long, default_value = "T")]
    pub sex: String,
    /// level, difference (gap to the reference group), ratio or country_difference.
    #[arg(long, default_value = "level")]
    pub measure: String,
    #[arg(long, value_enum, default_value = "direct")]
    pub method: RankMethod,
    /// A year (2024) or pooled period (2022-2024); default the latest single year.
    #[arg(long)]
    pub period: Option<String>,
    #[arg(long, value_enum, default_value = "marginal")]
    pub coverage: RankCoverage,
    /// Confidence level of the rank intervals (e.g. 0.9 or 0.95).
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    #[arg(long, value_enum, default_value = "csv")]
    pub output_format: OutputFormat,
}

const COLUMNS: [&str; 12] = [
    "rank",
    "rank_lower",
    "rank_upper",
    "geo",
    "geo_name",
    "estimate",
    "se_or_rmse",
    "ci_low",
    "ci_high",
    "method",
    "flag",
    "period",
];

/// `(first, last)` from `2024` or `2022-2024`.
fn parse_period(s: &str) -> anyhow::Result<(i32, i32)> {
    let bad = || format!("--period {s}: expected a year (2024) or a pooled period (2022-2024)");
    match s.split_once('-') {
        Some((a, b)) => Ok((
            a.trim().parse().with_context(bad)?,
            b.trim().parse().with_context(bad)?,
        )),
        None => {
            let y = s.trim().parse().with_context(bad)?;
            Ok((y, y))
        }
    }
}

pub async fn run(a: RankArgs) -> anyhow::Result<()> {
    let level = crate::parse_level(&a.level)?;
    let sex = crate::parse_sex(&a.sex)?;
    let measure = Measure::from_code(&a.measure).with_context(|| {
        format!(
            "--measure {}: expected one of {}",
            a.measure,
            Measure::ALL.map(|m| m.code()).join(", ")
        )
    })?;
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!(
            "--confidence {}: expected a level between 0 and 1, e.g. 0.95",
            a.confidence
        );
    }
    let (store, release) = served_release(&a.data).await?;
    let all = store
        .figures(
            release.id,
            &FigureFilter {
                indicator: Some(a.indicator.clone()),
                geo_level: Some(level),
                sex: Some(sex),
                ..FigureFilter::default()
            },
        )
        .await?;
    if all.is_empty() {
        bail!(
            "the served release has no figure of `{}` at level {} (see `incity export` for what it holds)",
            a.indicator,
            level.code()
        );
    }
    let model = a.method == RankMethod::Model;
    let period = match &a.period {
        Some(p) => parse_period(p)?,
        None => all
            .iter()
            .filter(|f| f.first_year == f.year)
            .map(|f| (f.year, f.year))
            .max()
            .context("the release has no single-year figure of this indicator")?,
    };
    let selected: Vec<&Figure> = all
        .iter()
        .filter(|f| {
            f.group == a.group
                && f.measure == measure
                && (f.first_year, f.year) == period
                && (f.method != FigureMethod::Direct) == model
        })
        .collect();
    if selected.is_empty() {
        bail!(
            "no {} figure of `{}` for group `{}`, measure {}, sex {}, period {}-{} at level {}",
            if model { "model-based" } else { "direct" },
            a.indicator,
            a.group,
            measure.code(),
            sex.code(),
            period.0,
            period.1,
            level.code()
        );
    }
    let coverage = match a.coverage {
        RankCoverage::Marginal => Coverage::Marginal,
        RankCoverage::Simultaneous => Coverage::Simultaneous,
    };
    let ranking = rank_figures(&selected, a.confidence, coverage)
        .context("fewer than two published figures with a standard error to rank")?;
    let notes = incity_indicators::catalogue()
        .iter()
        .find(|i| i.id == a.indicator)
        .map(|ind| {
            let areas: Vec<_> = ranking
                .ranked
                .iter()
                .map(|r| (r.figure.geo.as_str(), Some(r.figure.geo_level)))
                .collect();
            incity_benchmark::comparison_notes(ind, &areas)
        })
        .unwrap_or_default();
    match a.output_format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "release": release.id,
            "synthetic": release.provenance.synthetic,
            "indicator": a.indicator,
            "level": level.code(),
            "group": a.group,
            "measure": measure.code(),
            "sex": sex.code(),
            "period": if period.0 == period.1 { period.1.to_string() } else { format!("{}-{}", period.0, period.1) },
            "method": if model { "model-based (ranked with the RMSE)" } else { "direct (ranked with the standard error)" },
            "coverage": match coverage { Coverage::Marginal => "marginal", Coverage::Simultaneous => "simultaneous" },
            "confidence": a.confidence,
            "assumptions": ASSUMPTIONS,
            "notes": notes,
            "ranked": ranking.ranked.iter().map(|r| serde_json::json!({
                "rank": r.interval.rank,
                "rank_lower": r.interval.lower,
                "rank_upper": r.interval.upper,
                "figure": figure_json(r.figure),
            })).collect::<Vec<_>>(),
            "left_out": ranking.left_out.iter().map(|f| figure_json(f)).collect::<Vec<_>>(),
        })),
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(COLUMNS)?;
            let ranked = ranking.ranked.iter().map(|r| (Some(&r.interval), r.figure));
            let left_out = ranking.left_out.iter().map(|f| (None, *f));
            for (interval, f) in ranked.chain(left_out) {
                let x = f.estimate.figures.filter(|_| interval.is_some());
                let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
                w.write_record([
                    number(interval.map(|i| i.rank as f64)),
                    number(interval.map(|i| i.lower as f64)),
                    number(interval.map(|i| i.upper as f64)),
                    f.geo.clone(),
                    geo_name(&f.geo).unwrap_or_default(),
                    number(x.map(|x| x.estimate)),
                    number(x.and_then(|x| x.standard_error())),
                    number(x.map(|x| x.ci_low)),
                    number(x.map(|x| x.ci_high)),
                    f.method_label().to_string(),
                    f.estimate.flag.code().to_string(),
                    f.period(),
                ])?;
            }
            w.flush()?;
            Ok(())
        }
    }
}
