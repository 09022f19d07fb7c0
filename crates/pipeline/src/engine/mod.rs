//! Computing the catalogue from the harmonised input store, one scan per input.
//!
//! For a source (EU-LFS, EU-SILC), all share indicators are reduced in **one** DataFusion query
//! over all its partitions: a `GROUP BY` of year, stratum, PSU and the domain columns (country,
//! NUTS 1, NUTS 2, degree of urbanisation, city, the target-group columns, sex) with, per
//! indicator, the count, the weighted population and the weighted numerator. Every domain
//! (geography × target group × sex) of every indicator is then a sum of these cells, estimated
//! as a ratio with Taylor linearisation over the source-year's design (domain estimation: PSUs
//! outside a domain count with zero totals). Gaps are the difference between a group and the
//! reference group of the same geography and sex, with the covariance of the two estimates.
//! Below the country level every share domain is also compared with its country (same group
//! and sex): the area's sample is part of the country's, so the difference is linearised
//! jointly (the scores of both domains summed per PSU) and its variance carries the covariance
//! of the part with the whole. Medians and poverty rates are not compared this way: their
//! linearised scores are computed per domain, one domain per person, and a person of a city
//! is also in the country's domain.
//!
//! Pooled periods (`compute --pool-years 3`) stack the samples of consecutive years: strata
//! of different years are different strata (independent samples), weights are divided by the
//! number of years (the estimate refers to the average population of the period), and a
//! poverty rate compares every person with the national threshold of their own year. Samples
//! that overlap between years (the EU-LFS rotation) are treated as independent, which makes
//! pooled standard errors slightly too small. A pooled figure at a geographic level exists only
//! for countries whose samples code that level in every year of the period.
//!
//! Between every two single years, each share level's change is estimated with the covariance
//! from the PSUs both years' samples share (`changes.rs`).
//!
//! Medians and poverty rates need unit values: one second query reads, for all of them at
//! once, weight, value and population flag per person; the poverty threshold is 60 % of the
//! **national** median of all persons with an income (all ages), whatever the domain.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use rayon::prelude::*;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int32Type;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use incity_data::survey::DesignBuilder;
use incity_data::DataError;

use crate::PipelineError;
use incity_estimation::{
    Estimate, LonelyPsuRule, PointAndVariance, PsuRef, PublicationRules, SampleDesign,
};

use incity_indicators::catalogue::{Catalogue, Indicator, StatisticKind};
use incity_indicators::rules::RuleSet;
use incity_indicators::{Figure, FigureMethod, GeoLevel, Measure, Sex, Source};

mod changes;
mod nonlinear;
mod shares;

use nonlinear::estimate_nonlinear_indicators;
use shares::{estimate_shares, scan_share_cells};

/// The harmonised Parquet files of one source.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub source: String,
    pub files: Vec<PathBuf>,
}

/// Geography columns, in the order of [`GeoLevel::ALL`].
const GEO_COLUMNS: [&str; 6] = ["country", "nuts1", "nuts2", "nuts3", "degurba", "city"];

fn engine_error(source: &str, e: impl std::fmt::Display) -> DataError {
    DataError::Unreadable {
        file: PathBuf::from(format!("input store, source {source}")),
        reason: e.to_string(),
    }
}

async fn open(input: &SourceInput) -> Result<SessionContext, PipelineError> {
    // Reproducible releases: every file (one country-year) is scanned whole by one partition
    // and batches are not redistributed, so each cell's sums are added in file order whatever
    // the thread count; the cells and units are then sorted by key.
    let config = SessionConfig::new()
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .with_repartition_file_scans(false)
        .with_round_robin_repartition(false)
        .set_bool("datafusion.sql_parser.enable_ident_normalization", false)
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        );
    let ctx = SessionContext::new_with_config(config);
    let paths: Vec<String> = input
        .files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    // The harmonised schema of this version: partitions imported before a concept was added
    // read it as missing (null), never as an unknown column.
    let schema = incity_data::ingest::harmonised_schema();
    let df = ctx
        .read_parquet(paths, ParquetReadOptions::default().schema(&schema))
        .await
        .map_err(|e| engine_error(&input.source, e))?;
    ctx.register_table("h", df.into_view())
        .map_err(|e| engine_error(&input.source, e))?;
    Ok(ctx)
}

/// Column `i` of a batch as plain strings (whatever string type the engine produced).
fn strings(
    b: &datafusion::arrow::record_batch::RecordBatch,
    i: usize,
) -> Result<datafusion::arrow::array::StringArray, PipelineError> {
    let cast = datafusion::arrow::compute::cast(
        b.column(i),
        &datafusion::arrow::datatypes::DataType::Utf8,
    )
    .map_err(|e| PipelineError::Internal(e.to_string()))?;
    Ok(cast.as_string::<i32>().clone())
}

/// Column `i` as f64 / i64 / i32 (cast if needed).
fn numbers<T: datafusion::arrow::datatypes::ArrowPrimitiveType>(
    b: &datafusion::arrow::record_batch::RecordBatch,
    i: usize,
) -> Result<datafusion::arrow::array::PrimitiveArray<T>, PipelineError> {
    let cast = datafusion::arrow::compute::cast(b.column(i), &T::DATA_TYPE)
        .map_err(|e| PipelineError::Internal(e.to_string()))?;
    Ok(cast.as_primitive::<T>().clone())
}

/// The key columns of a query row: year, design and domain columns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    year: i32,
    stratum: String,
    psu: String,
    /// Geography codes by level (degree of urbanisation as `AT-DEG1`).
    geo: [Option<String>; 6],
    groups: Vec<Option<String>>,
    /// Male or female (the harmonised codes `M`, `F`).
    sex: Sex,
}

/// One group of the first query: a (year, PSU, domain columns) cell.
struct Cell {
    key: Key,
    n: Vec<i64>,
    w: Vec<f64>,
    y: Vec<f64>,
}

/// Runs a query over the source's table.
async fn query(
    ctx: &SessionContext,
    input: &SourceInput,
    sql: &str,
) -> Result<Vec<datafusion::arrow::record_batch::RecordBatch>, PipelineError> {
    ctx.sql(sql)
        .await
        .map_err(|e| engine_error(&input.source, e))?
        .collect()
        .await
        .map_err(|e| engine_error(&input.source, e).into())
}

/// The keys (columns of [`key_sql`]) of every row of a batch (`None` where year or sex is
/// missing), and the index of the first column after them.
fn read_keys(
    b: &datafusion::arrow::record_batch::RecordBatch,
    groupings: usize,
) -> Result<(Vec<Option<Key>>, usize), PipelineError> {
    let year = numbers::<Int32Type>(b, 0)?;
    let (stratum, psu) = (strings(b, 1)?, strings(b, 2)?);
    let geo: Vec<_> = (0..GEO_COLUMNS.len())
        .map(|j| strings(b, 3 + j))
        .collect::<Result<_, _>>()?;
    let grp: Vec<_> = (0..groupings)
        .map(|j| strings(b, 3 + GEO_COLUMNS.len() + j))
        .collect::<Result<_, _>>()?;
    let sex = strings(b, 3 + GEO_COLUMNS.len() + groupings)?;
    let keys = (0..b.num_rows())
        .map(|r| {
            if year.is_null(r) || sex.is_null(r) {
                return Ok(None);
            }
            let sex = match sex.value(r) {
                "M" => Sex::Male,
                "F" => Sex::Female,
                other => {
                    return Err(PipelineError::Internal(format!(
                        "the input store holds sex `{other}`; the harmonised codes are M and F"
                    )))
                }
            };
            let opt = |a: &datafusion::arrow::array::StringArray| {
                (!a.is_null(r)).then(|| a.value(r).to_string())
            };
            let country = opt(&geo[0]);
            let degurba = degurba_geo(country.as_deref(), opt(&geo[4]).as_deref());
            Ok(Some(Key {
                year: year.value(r),
                stratum: stratum.value(r).to_string(),
                psu: psu.value(r).to_string(),
                geo: [
                    country,
                    opt(&geo[1]),
                    opt(&geo[2]),
                    opt(&geo[3]),
                    degurba,
                    opt(&geo[5]),
                ],
                groups: grp.iter().map(opt).collect(),
                sex,
            }))
        })
        .collect::<Result<_, PipelineError>>()?;
    Ok((keys, 4 + GEO_COLUMNS.len() + groupings))
}

fn key_sql(grouping_columns: &[String]) -> String {
    let mut cols = vec![
        "year".to_string(),
        "COALESCE(stratum, '') AS stratum".to_string(),
        "COALESCE(psu, household_id, person_id) AS psu".to_string(),
    ];
    cols.extend(GEO_COLUMNS.iter().map(|c| c.to_string()));
    cols.extend(grouping_columns.iter().cloned());
    cols.push("sex".to_string());
    cols.join(", ")
}

fn degurba_geo(country: Option<&str>, degurba: Option<&str>) -> Option<String> {
    Some(format!("{}-DEG{}", country?, degurba?))
}

/// Computes every indicator of `catalogue` for one source, for every year and, when
/// `pool_years` is 2 or more, for every run of that many consecutive years; `progress` gets a
/// line per step.
pub async fn compute_source(
    input: &SourceInput,
    catalogue: &Catalogue,
    rules: &RuleSet,
    pool_years: u32,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SourceFigures, PipelineError> {
    let rules = CountryRules::new(rules);
    let mut not_computed: Vec<(String, String)> = Vec::new();
    let mut refuse = |id: &str, reason: String| {
        progress(&format!("{}: {id} not computed: {reason}", input.source));
        not_computed.push((id.to_string(), reason));
    };
    let provided = provided_columns(input)?;
    let mut indicators: Vec<&Indicator> = Vec::new();
    for i in catalogue
        .indicators
        .iter()
        .filter(|i| i.source.code() == input.source)
    {
        let missing: Vec<String> = i
            .columns()
            .into_iter()
            .filter(|c| !provided.contains(c))
            .collect();
        if missing.is_empty() {
            indicators.push(i);
            continue;
        }
        refuse(
            &i.id,
            format!(
                "it needs {}, which no imported {} file provides (map {} in the mapping, or derive {})",
                missing.join(", "),
                input.source,
                if missing.len() == 1 { "it" } else { "them" },
                if missing.len() == 1 { "it" } else { "them" },
            ),
        );
    }
    if indicators.is_empty() || input.files.is_empty() {
        return Ok(SourceFigures {
            not_computed,
            ..SourceFigures::default()
        });
    }
    let ctx = open(input).await?;
    // Files that give age in bands only: indicators whose age range cuts a band are refused.
    if provided.contains("age_range") {
        let bands = age_bands(&ctx, input).await?;
        indicators.retain(|i| match i.age_band_conflict(&bands) {
            None => true,
            Some(reason) => {
                refuse(&i.id, reason);
                false
            }
        });
        if indicators.is_empty() {
            return Ok(SourceFigures {
                not_computed,
                ..SourceFigures::default()
            });
        }
    }
    let groupings: Vec<String> = catalogue.groupings.iter().map(|g| g.id.clone()).collect();
    let shares: Vec<&Indicator> = indicators
        .iter()
        .copied()
        .filter(|i| i.statistic == StatisticKind::Share)
        .collect();
    let others: Vec<&Indicator> = indicators
        .iter()
        .copied()
        .filter(|i| i.statistic != StatisticKind::Share)
        .collect();
    let mut figures = Vec::new();
    let mut direct_inputs = Vec::new();
    let mut changes = Vec::new();
    if !shares.is_empty() {
        progress(&format!(
            "{}: one scan for {} share indicators",
            input.source,
            shares.len()
        ));
        let cells = scan_share_cells(&ctx, input, &shares, &groupings).await?;
        let (f, d) = estimate_shares(input, catalogue, &shares, &cells, &rules, pool_years)?;
        figures.extend(f);
        direct_inputs.extend(d);
        changes = changes::estimate_share_changes(input, catalogue, &shares, &cells, &rules)?;
    }
    if !others.is_empty() {
        progress(&format!(
            "{}: one scan for {} median / poverty indicators",
            input.source,
            others.len()
        ));
        let (f, d) =
            estimate_nonlinear_indicators(&ctx, input, catalogue, &others, &rules, pool_years)
                .await?;
        figures.extend(f);
        direct_inputs.extend(d);
    }
    Ok(SourceFigures {
        figures,
        direct_inputs,
        changes,
        not_computed,
    })
}

/// The age bands of a source whose files give age in bands (sorted, distinct).
async fn age_bands(
    ctx: &SessionContext,
    input: &SourceInput,
) -> Result<Vec<incity_indicators::age_bands::AgeBand>, PipelineError> {
    use datafusion::arrow::array::AsArray;
    let batches = query(
        ctx,
        input,
        "SELECT DISTINCT CAST(age_range AS VARCHAR) AS b FROM h WHERE age_range IS NOT NULL",
    )
    .await?;
    let mut bands = Vec::new();
    for b in &batches {
        let column = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .map_err(|e| engine_error(&input.source, e))?;
        let texts = column.as_string::<i32>();
        bands.extend(
            (0..texts.len())
                .filter(|&r| !texts.is_null(r))
                .filter_map(|r| incity_reference::concepts::parse_age_band(texts.value(r))),
        );
    }
    bands.sort_unstable();
    bands.dedup();
    Ok(bands)
}

/// The harmonised columns that hold a value in at least one row of the source's partitions
/// (from the Parquet statistics: a column whose null count equals the row count in every
/// partition was provided by no mapping). A partition without statistics provides all.
fn provided_columns(
    input: &SourceInput,
) -> Result<std::collections::BTreeSet<String>, PipelineError> {
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    let mut provided = std::collections::BTreeSet::new();
    for path in &input.files {
        let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| DataError::Unreadable {
            file: path.clone(),
            reason: e.to_string(),
        })?;
        let meta = reader.metadata();
        let schema = meta.file_metadata().schema_descr();
        for (i, column) in schema.columns().iter().enumerate() {
            let has_value = meta.row_groups().iter().any(|rg| {
                let c = rg.column(i);
                match c.statistics().and_then(|s| s.null_count_opt()) {
                    Some(nulls) => (nulls as i64) < rg.num_rows(),
                    None => true,
                }
            });
            if has_value {
                provided.insert(column.name().to_string());
            }
        }
    }
    Ok(provided)
}

/// The figures of one source, and the direct estimates the small-area models take as input.
#[derive(Debug, Default)]
pub struct SourceFigures {
    pub figures: Vec<Figure>,
    /// Every level share of the levels small-area models use, *before* the publication rules
    /// (also for cells whose figure is suppressed). Model input only: never stored or shown.
    pub direct_inputs: Vec<DirectInput>,
    /// Changes of the share levels between the source's single years.
    pub changes: Vec<incity_indicators::ChangeFigure>,
    /// Indicators of the source not computed, with the reason (the columns no imported file
    /// provides, or an age range the input's age bands cannot give).
    pub not_computed: Vec<(String, String)>,
}

/// A direct estimate as a small-area model's input.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectInput {
    pub indicator: String,
    pub period: Period,
    pub level: GeoLevel,
    pub geo: String,
    pub grouping: String,
    pub group: String,
    pub sex: Sex,
    pub estimate: f64,
    /// Design-based variance (NaN when not estimable).
    pub variance: f64,
    /// Respondents.
    pub n: u64,
    /// Weighted population of the domain.
    pub population: f64,
}

/// Levels whose share estimates are kept as model inputs: the areas of the models and the
/// countries (whose direct estimates are a covariate).
pub const MODEL_INPUT_LEVELS: [GeoLevel; 4] = [
    GeoLevel::Country,
    GeoLevel::Nuts2,
    GeoLevel::Nuts3,
    GeoLevel::City,
];

/// A reference period: one year, or consecutive years pooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub first: i32,
    pub last: i32,
}

impl Period {
    fn contains(&self, year: i32) -> bool {
        (self.first..=self.last).contains(&year)
    }

    fn years(&self) -> f64 {
        f64::from(self.last - self.first + 1)
    }
}

/// The periods to compute: every year present, and, when `pool_years` is 2 or more, every run
/// of that many consecutive years present (`2022-2024`).
pub fn periods(years: &std::collections::BTreeSet<i32>, pool_years: u32) -> Vec<Period> {
    let mut out: Vec<Period> = years
        .iter()
        .map(|&y| Period { first: y, last: y })
        .collect();
    if pool_years >= 2 {
        let span = pool_years as i32 - 1;
        for &last in years {
            if (last - span..=last).all(|y| years.contains(&y)) {
                out.push(Period {
                    first: last - span,
                    last,
                });
            }
        }
    }
    out
}

/// For each key of a period, a bit per geographic level: set where the key has a geography at
/// that level **and** that level is coded for its country in every year of the period. A
/// pooled figure of a NUTS 3 region or a city thus exists only where each year's sample codes
/// that level for the country (otherwise it would describe part of the period only).
fn coded_levels(period: Period, keys: &[&Key]) -> Vec<u8> {
    let mut years_coded: BTreeMap<(&str, usize), std::collections::BTreeSet<i32>> = BTreeMap::new();
    for k in keys {
        let Some(country) = &k.geo[0] else { continue };
        for (l, g) in k.geo.iter().enumerate() {
            if g.is_some() {
                years_coded
                    .entry((country.as_str(), l))
                    .or_default()
                    .insert(k.year);
            }
        }
    }
    let all = (period.last - period.first + 1) as usize;
    keys.iter()
        .map(|k| {
            let Some(country) = &k.geo[0] else { return 0 };
            (0..GEO_COLUMNS.len())
                .filter(|&l| {
                    k.geo[l].is_some()
                        && years_coded
                            .get(&(country.as_str(), l))
                            .is_some_and(|y| y.len() == all)
                })
                .fold(0u8, |mask, l| mask | (1 << l))
        })
        .collect()
}

/// Stratum key of a period's design: strata of different years and countries are different
/// strata (the samples of different years and countries are drawn independently, and their
/// stratum and PSU codes are only unique within a country's file).
fn period_stratum(year: i32, country: &str, stratum: &str) -> String {
    format!("{year}/{country}/{stratum}")
}

/// The sample of one period, from the keys of its records (share cells or units): the design
/// (every stratum and PSU, with the source's lonely-PSU rule; collapsing merges strata only
/// within a country's sample of one year), each record's PSU, and the levels each record's
/// country codes in every year of the period ([`coded_levels`]).
fn period_sample(
    period: Period,
    keys: &[&Key],
    lonely_psu: LonelyPsuRule,
) -> Result<(SampleDesign, Vec<PsuRef>, Vec<u8>), PipelineError> {
    let mut builder = DesignBuilder::default();
    let refs: Vec<PsuRef> = keys
        .iter()
        .map(|k| {
            let country = k.geo[0].as_deref().unwrap_or("");
            builder.psu_in_group(
                &period_stratum(k.year, country, &k.stratum),
                &format!("{}/{country}", k.year),
                &k.psu,
            )
        })
        .collect();
    let design = builder.build(lonely_psu, None)?;
    Ok((design, refs, coded_levels(period, keys)))
}

/// The estimation tasks of share indicators: (indicator, level, grouping) for every share
/// indicator, geographic level, and the total population (`None`) and every grouping.
fn share_tasks(shares: usize, groupings: usize) -> Vec<(usize, usize, Option<usize>)> {
    (0..shares)
        .flat_map(|k| {
            (0..GeoLevel::ALL.len()).flat_map(move |l| {
                std::iter::once(None)
                    .chain((0..groupings).map(Some))
                    .map(move |g| (k, l, g))
            })
        })
        .collect()
}

/// Domain keys: (geo, group, sex).
type DomainKey = (String, String, Sex);

/// A grouping's reference group when it is a group of another grouping: (index of that
/// grouping, group code). A person outside the grouping's own groups but in that group is
/// in the reference domain (the groups are disjoint from it: the duration of residence is
/// coded for the foreign-born only); its level is estimated to form the gaps and published
/// by its own grouping.
fn borrowed_reference(catalogue: &Catalogue, g: Option<usize>) -> Option<(usize, &str)> {
    let grouping = &catalogue.groupings[g?];
    let other = grouping.reference_grouping.as_deref()?;
    let index = catalogue.groupings.iter().position(|x| x.id == other)?;
    Some((index, grouping.reference.as_str()))
}

/// Each domain's gap partner: the domain of the reference group with the same geography and
/// sex ([`incity_estimation::gap_pairs`], shared with `incity estimate --gap`).
fn gap_pairs(keys: &[DomainKey], reference: &str) -> Vec<(usize, usize)> {
    incity_estimation::gap_pairs(keys, reference, |k| k.1.as_str(), |k| (&k.0, &k.2))
}

/// The publication rules of each country, looked up once (shared by the estimation threads).
struct CountryRules<'a> {
    set: &'a RuleSet,
    by_country: Mutex<BTreeMap<String, PublicationRules>>,
}

impl<'a> CountryRules<'a> {
    fn new(set: &'a RuleSet) -> Self {
        CountryRules {
            set,
            by_country: Mutex::new(BTreeMap::new()),
        }
    }

    /// The rules for a figure of geography `geo` (country, NUTS, `AT-DEG1` or city code: all
    /// begin with the country code).
    fn of(&self, geo: &str) -> Result<PublicationRules, PipelineError> {
        let country = geo.get(..2).unwrap_or(geo);
        let mut by_country = self
            .by_country
            .lock()
            .map_err(|_| PipelineError::Internal("publication rules: a thread panicked".into()))?;
        if let Some(r) = by_country.get(country) {
            return Ok(*r);
        }
        let r = self.set.rules_for(country)?;
        by_country.insert(country.to_string(), r);
        Ok(r)
    }
}

/// What the figures of one estimation task share.
struct TaskFigures<'a> {
    indicator: &'a str,
    source: Source,
    period: Period,
    level: GeoLevel,
    grouping: String,
}

impl TaskFigures<'_> {
    /// A domain's direct estimate as a small-area model's input, when its level is one the
    /// models use.
    fn model_input(&self, key: &DomainKey, pv: &PointAndVariance) -> Option<DirectInput> {
        MODEL_INPUT_LEVELS
            .contains(&self.level)
            .then(|| DirectInput {
                indicator: self.indicator.to_string(),
                period: self.period,
                level: self.level,
                geo: key.0.clone(),
                grouping: self.grouping.clone(),
                group: key.1.clone(),
                sex: key.2,
                estimate: pv.estimate,
                variance: pv.variance,
                n: pv.n,
                population: pv.population,
            })
    }

    /// A domain's level.
    fn level(&self, key: DomainKey, estimate: Estimate) -> Figure {
        self.figure(key, Measure::Level, None, estimate)
    }

    /// The gap (difference or ratio) of domain `key` to the domain of the reference group
    /// with the same geography and sex.
    fn gap(
        &self,
        key: DomainKey,
        measure: Measure,
        reference: &DomainKey,
        estimate: Estimate,
    ) -> Figure {
        self.figure(key, measure, Some(reference.1.clone()), estimate)
    }

    /// Domain `key` minus its country's domain of the same group and sex.
    fn country_difference(&self, key: DomainKey, estimate: Estimate) -> Figure {
        self.figure(key, Measure::CountryDifference, None, estimate)
    }

    fn figure(
        &self,
        key: DomainKey,
        measure: Measure,
        reference_group: Option<String>,
        estimate: Estimate,
    ) -> Figure {
        Figure {
            indicator: self.indicator.to_string(),
            source: self.source,
            first_year: self.period.first,
            year: self.period.last,
            geo_level: self.level,
            geo: key.0,
            grouping: self.grouping.clone(),
            group: key.1,
            reference_group,
            sex: key.2,
            measure,
            estimate,
            method: FigureMethod::Direct,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(year: i32, country: &str, nuts3: Option<&str>, city: Option<&str>) -> Key {
        Key {
            year,
            stratum: "s".into(),
            psu: "p".into(),
            geo: [
                Some(country.into()),
                None,
                None,
                nuts3.map(String::from),
                None,
                city.map(String::from),
            ],
            groups: Vec::new(),
            sex: Sex::Male,
        }
    }

    #[test]
    fn pooled_levels_need_every_year_coded() {
        let keys = [
            key(2023, "AT", None, Some("AT001C")),
            key(2024, "AT", Some("AT130"), Some("AT001C")),
            key(2024, "BE", Some("BE100"), None),
        ];
        let refs: Vec<&Key> = keys.iter().collect();
        let (nuts3, city) = (1u8 << 3, 1u8 << 5);
        // Pooled 2023-2024: Austria codes cities in both years but NUTS 3 only in 2024;
        // Belgium has no 2023 record at all.
        let pooled = coded_levels(
            Period {
                first: 2023,
                last: 2024,
            },
            &refs,
        );
        assert_eq!(pooled[1] & nuts3, 0);
        assert_ne!(pooled[1] & city, 0);
        assert_ne!(pooled[0] & 1, 0, "the country itself is coded every year");
        assert_eq!(pooled[2], 0);
        // A single year: whatever is coded counts.
        let single = coded_levels(
            Period {
                first: 2024,
                last: 2024,
            },
            &refs[1..],
        );
        assert_ne!(single[0] & nuts3, 0);
        assert_ne!(single[1] & nuts3, 0);
    }

    #[test]
    fn periods_are_the_years_and_the_complete_runs() {
        let years: std::collections::BTreeSet<i32> = [2019, 2021, 2022, 2023].into();
        let p = periods(&years, 3);
        assert_eq!(p.len(), 5);
        assert_eq!(
            p[4],
            Period {
                first: 2021,
                last: 2023
            }
        );
        assert_eq!(periods(&years, 0).len(), 4);
    }
}
