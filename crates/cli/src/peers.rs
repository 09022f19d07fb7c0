//! `incity peers`: the areas most similar to one area, from the served release. The values are
//! the release's direct estimates used as point values (the distance carries no sampling
//! error); `incity export --geo CODE` gives their intervals.

use anyhow::{anyhow, Context};
use incity_benchmark::peers::{contexts, parse_variables, peers};
use incity_indicators::geo_name;
use incity_store::FigureFilter;

use crate::{print_json, served_release, DataDirArg, OutputFormat};

#[derive(clap::Args)]
pub struct PeersArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// The city or region (its code, e.g. AT002C).
    #[arg(long)]
    pub geo: String,
    /// How many peers.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    /// Variables and weights, `name:weight` separated by commas (population,
    /// foreign_born_share, non_eu_born_share, unemployment_rate, employment_rate,
    /// median_income); default the first four of these but non_eu_born_share, weights 1.
    #[arg(long, default_value = "")]
    pub variables: String,
    /// Also areas of the same country.
    #[arg(long)]
    pub same_country: bool,
    #[arg(long, value_enum, default_value = "csv")]
    pub output_format: OutputFormat,
}

pub async fn run(a: PeersArgs) -> anyhow::Result<()> {
    if a.k == 0 {
        return Err(anyhow!("--k 0: expected at least 1"));
    }
    let variables = parse_variables(&a.variables)?;
    let (store, release) = served_release(&a.data).await?;
    let of_geo = store
        .figures(
            release.id,
            &FigureFilter {
                geo: Some(a.geo.clone()),
                ..FigureFilter::default()
            },
        )
        .await?;
    let Some(level) = of_geo.first().map(|f| f.geo_level) else {
        return Err(anyhow!(
            "--geo {}: the served release has no figure for it",
            a.geo
        ));
    };
    let year = of_geo
        .iter()
        .filter(|f| f.first_year == f.year)
        .map(|f| f.year)
        .max()
        .context("no single-year figure")?;
    let figures = store
        .figures(
            release.id,
            &FigureFilter {
                geo_level: Some(level),
                ..FigureFilter::default()
            },
        )
        .await?;
    let found = peers(
        &contexts(&figures, level, year),
        &a.geo,
        &variables,
        a.k,
        !a.same_country,
    )?;
    if a.output_format == OutputFormat::Json {
        let json = serde_json::json!({
            "release": release.id,
            "geo": a.geo,
            "year": year,
            "values_are": "direct estimates of the release, used as point values: the distance carries no sampling error",
            "variables": variables.iter().zip(&found.target).map(|((v, w), (_, x))| serde_json::json!({
                "variable": v.code(), "weight": w, "value": x,
            })).collect::<Vec<_>>(),
            "peers": found.peers.iter().map(|p| serde_json::json!({
                "geo": p.geo,
                "geo_name": geo_name(&p.geo),
                "distance": p.distance,
                "values": p.variables.iter().map(|v| v.1).collect::<Vec<_>>(),
                "contributions": p.variables.iter().map(|v| v.2).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "left_out": found.left_out,
        });
        print_json(&json)?;
    } else {
        let mut w = csv::Writer::from_writer(std::io::stdout().lock());
        let mut header = vec!["geo".to_string(), "geo_name".into(), "distance".into()];
        for (v, _) in &variables {
            header.push(v.code().to_string());
            header.push(format!("{}_share_of_distance2", v.code()));
        }
        w.write_record(&header)?;
        let mut target = vec![
            a.geo.clone(),
            geo_name(&a.geo).unwrap_or_default(),
            "0".into(),
        ];
        for (_, x) in &found.target {
            target.push(x.to_string());
            target.push("0".into());
        }
        w.write_record(&target)?;
        for p in &found.peers {
            let mut row = vec![
                p.geo.clone(),
                geo_name(&p.geo).unwrap_or_default(),
                p.distance.to_string(),
            ];
            for (_, x, c) in &p.variables {
                row.push(x.to_string());
                row.push(c.to_string());
            }
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(())
}
