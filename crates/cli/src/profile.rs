//! `incity profile`: a city's or region's figures beside its country's, and whether the area
//! differs significantly from its country (the jointly linearised difference the release
//! holds; see `incity_benchmark::profile`).

use anyhow::bail;
use incity_benchmark::profile::{profile, ProfileRow};
use incity_indicators::{geo_name, Figure};
use incity_store::FigureFilter;

use crate::{figure_json, print_json, served_release, DataDirArg, OutputFormat};

#[derive(clap::Args)]
pub struct ProfileArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// The city or region (its code, e.g. AT001C, AT13, AT-DEG1).
    #[arg(long)]
    pub geo: String,
    /// T (both sexes), M or F.
    #[arg(long, default_value = "T")]
    pub sex: String,
    /// Only this indicator.
    #[arg(long)]
    pub indicator: Option<String>,
    #[arg(long, value_enum, default_value = "csv")]
    pub output_format: OutputFormat,
}

/// The columns of the CSV answer: the area's figure, the country's, the difference.
const COLUMNS: [&str; 22] = [
    "indicator",
    "period",
    "geo",
    "group",
    "reference_group",
    "measure",
    "sex",
    "method",
    "flag",
    "estimate",
    "ci_low",
    "ci_high",
    "country",
    "country_flag",
    "country_estimate",
    "country_ci_low",
    "country_ci_high",
    "difference_from_country_flag",
    "difference_from_country",
    "difference_from_country_ci_low",
    "difference_from_country_ci_high",
    "versus_country",
];

pub async fn run(a: ProfileArgs) -> anyhow::Result<()> {
    let sex = crate::parse_sex(&a.sex)?;
    let (store, release) = served_release(&a.data).await?;
    let read = |geo: &str| FigureFilter {
        indicator: a.indicator.clone(),
        geo: Some(geo.to_string()),
        sex: Some(sex),
        ..FigureFilter::default()
    };
    let mut figures = store.figures(release.id, &read(&a.geo)).await?;
    if figures.is_empty() {
        bail!(
            "--geo {}: the served release has no figure for it{}",
            a.geo,
            if a.indicator.is_some() {
                " and this indicator"
            } else {
                ""
            }
        );
    }
    let country = a.geo.get(..2).filter(|c| *c != a.geo);
    if let Some(c) = country {
        figures.extend(store.figures(release.id, &read(c)).await?);
    }
    let rows = profile(&figures, &a.geo, sex);
    match a.output_format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "release": release.id,
            "synthetic": release.provenance.synthetic,
            "geo": a.geo,
            "geo_name": geo_name(&a.geo),
            "country": country,
            "sex": sex.code(),
            "versus_country_is": "the area's direct level minus its country's, linearised jointly over the PSUs they share (V(a) + V(c) - 2 Cov(a, c)); 'higher' or 'lower' when its 95 % interval excludes zero; medians and poverty rates are not tested",
            "rows": rows.iter().map(|r| serde_json::json!({
                "area": figure_json(r.area),
                "country": r.country.map(figure_json),
                "difference_from_country": r.versus_country.map(figure_json),
                "versus_country": r.verdict.code(),
            })).collect::<Vec<_>>(),
        })),
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(COLUMNS)?;
            for r in &rows {
                w.write_record(csv_row(r, country.unwrap_or("")))?;
            }
            w.flush()?;
            Ok(())
        }
    }
}

/// Flag, estimate and interval of a figure (numbers empty where withheld; flag `none` where
/// the release has no such figure).
fn numbers(f: Option<&Figure>) -> [String; 4] {
    let flag = f.map_or("none", |f| f.estimate.flag.code()).to_string();
    let x = f.and_then(|f| f.estimate.figures);
    [
        flag,
        x.map(|x| x.estimate.to_string()).unwrap_or_default(),
        x.map(|x| x.ci_low.to_string()).unwrap_or_default(),
        x.map(|x| x.ci_high.to_string()).unwrap_or_default(),
    ]
}

fn csv_row(r: &ProfileRow, country: &str) -> Vec<String> {
    let f = r.area;
    let mut row = vec![
        f.indicator.clone(),
        f.period(),
        f.geo.clone(),
        f.group.clone(),
        f.reference_group.clone().unwrap_or_default(),
        f.measure.code().to_string(),
        f.sex.code().to_string(),
        f.method_label().to_string(),
    ];
    row.extend(numbers(Some(f)));
    row.push(country.to_string());
    row.extend(numbers(r.country));
    row.extend(numbers(r.versus_country));
    row.push(r.verdict.code().to_string());
    row
}
