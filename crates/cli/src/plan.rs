//! `incity plan`: the precision planner over the served release.

use std::path::PathBuf;

use anyhow::{bail, Context};
use incity_indicators::planner::{self, PlanRequest, Respondents, DEFAULT_TARGET_CVS};
use incity_indicators::rules::RuleSet;
use incity_indicators::{Catalogue, Sex};
use incity_store::FigureFilter;

use crate::DataDirArg;

#[derive(clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Geographic level of the cells (city, nuts3, nuts2, ...).
    #[arg(long, default_value = "city")]
    pub level: String,
    /// Only this city or region (its code); default every one of the level.
    #[arg(long)]
    pub geo: Option<String>,
    /// Only this indicator.
    #[arg(long)]
    pub indicator: Option<String>,
    /// Only this target group (e.g. non_eu_born).
    #[arg(long)]
    pub group: Option<String>,
    /// Target coefficients of variation, comma-separated fractions.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_TARGET_CVS)]
    pub target_cv: Vec<f64>,
    /// Publication rules (a shipped name or a rule file); default the release's own.
    #[arg(long)]
    pub rules: Option<String>,
    /// Output CSV file.
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn run(a: PlanArgs) -> anyhow::Result<()> {
    let level = crate::parse_level(&a.level)?;
    if let Some(c) = a.target_cv.iter().find(|c| !(**c > 0.0 && **c < 1.0)) {
        bail!("--target-cv {c}: expected fractions between 0 and 1 (0.1 for 10 %)");
    }
    let store = a.data.open_store().await?;
    let release = store
        .current_release()
        .await?
        .context("no release has been published yet: run `incity compute`")?;
    let rules = match &a.rules {
        Some(r) => RuleSet::load(r)?,
        None => RuleSet::of_release(&release.provenance.rules).context(
            "the release was published with a rule file of its own: name it with --rules",
        )?,
    };
    let catalogue = Catalogue::embedded();
    if let Some(i) = &a.indicator {
        if catalogue.indicator(i).is_none() {
            bail!("--indicator {i}: not in the catalogue");
        }
    }
    // Every figure of the indicator(s): the level's cells, and the countries' planning values.
    let figures = store
        .figures(
            release.id,
            &FigureFilter {
                indicator: a.indicator.clone(),
                sex: Some(Sex::Total),
                ..FigureFilter::default()
            },
        )
        .await?;
    let request = PlanRequest {
        level,
        geo: a.geo.clone(),
        indicator: a.indicator.clone(),
        group: a.group.clone(),
        target_cvs: a.target_cv.clone(),
    };
    let rows = planner::plan(catalogue, &figures, &rules, &request);
    if rows.is_empty() {
        bail!("no migrant-group cell of the release matches (level {}, geo, indicator and group as given)", level.code());
    }
    planner::write_csv(&a.out, &a.target_cv, &rows)
        .with_context(|| format!("writing {}", a.out.display()))?;
    let publishable = rows
        .iter()
        .filter(|r| r.flag == incity_estimation::Flag::Reliable)
        .count();
    let below = rows
        .iter()
        .filter(|r| matches!(r.respondents, Respondents::FewerThan(_)))
        .count();
    eprintln!(
        "{} cells planned ({publishable} published without a flag now, {below} suppressed for too few respondents); wrote {}",
        rows.len(),
        a.out.display()
    );
    Ok(())
}
