//! `incity estimate`: a design-based estimate of one statistic from a survey file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::ValueEnum;
use incity_data::survey::{
    aggregation_sql, estimate, estimate_from_aggregates, DesignColumns, EstimateRequest,
    EstimateRow, EstimateTable, SqlDialect, Statistic, VarianceChoice,
};
use incity_estimation::{LonelyPsuRule, ProportionRules, PublicationRules, QuantileRule};

#[derive(Clone, Copy, ValueEnum)]
enum VarianceArg {
    Linearization,
    Jk1,
    Jkn,
    Bootstrap,
    Supplied,
}

#[derive(Clone, Copy, ValueEnum)]
enum LonelyArg {
    /// Refuse: a stratum with one PSU is an error (as R survey by default).
    Fail,
    /// The stratum contributes no variance.
    Certainty,
    /// The lonely PSU's total is a deviation from the grand mean (R survey's `adjust`).
    Adjust,
    /// The stratum gets the average variance of the other strata.
    Average,
    /// Merge with the neighbouring stratum in label order.
    Collapse,
}

#[derive(Clone, Copy, ValueEnum)]
enum ShareRulesArg {
    /// Shares judged by the NCHS proportion standards on the Korn-Graubard interval.
    Nchs,
    /// Shares judged by the CV bands like any other figure.
    Cv,
}

#[derive(Clone, Copy, ValueEnum)]
enum QuantileRuleArg {
    /// Inverse of the weighted distribution function (R survey `qrule = "math"`).
    Math,
    /// Weighted interpolation (R survey `qrule = "hf7"`).
    Hf7,
    /// EU-SILC rule: mean of the two values when the cumulative share hits p exactly.
    Eusilc,
}

#[derive(Clone, Copy, ValueEnum)]
enum SqlDialectArg {
    /// PostgreSQL.
    Postgres,
    /// Standard SQL (text keys as VARCHAR(255)).
    Ansi,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Csv,
    Json,
}

#[derive(clap::Args)]
pub(crate) struct EstimateArgs {
    /// Survey file: .csv (header row; empty fields are missing values), .parquet, or a SAS
    /// (.sas7bdat), Stata (.dta) or SPSS (.sav) file (declared missing values are missing).
    #[arg(long, required_unless_present_any = ["input_store", "emit_sql", "from_aggregates"])]
    data: Option<PathBuf>,
    /// Instead of --data: a data directory whose input store (after `incity import`) holds
    /// the records; with --partition, the harmonised records of one source, country and year,
    /// under the catalogue's concept names (`age`, `ilo_status`, `birth_group`, `weight`,
    /// `stratum`, `psu`, ...), so that an indicator's conditions apply as written.
    #[arg(long, conflicts_with = "data", requires = "partition")]
    input_store: Option<PathBuf>,
    /// With --input-store: SOURCE/COUNTRY/YEAR, e.g. lfs/AT/2024.
    #[arg(long, requires = "input_store")]
    partition: Option<String>,
    /// Instead of estimating: print the query that reduces the records of --table to
    /// per-(domain, stratum, PSU) sums, for the office's own database (totals, means, ratios
    /// and shares; needs --psu). Plain names in --stat, --where and --derive are columns.
    #[arg(long, value_enum, conflicts_with_all = ["data", "input_store", "from_aggregates"], requires = "table")]
    emit_sql: Option<SqlDialectArg>,
    /// With --emit-sql: the table holding the records (NAME or SCHEMA.NAME).
    #[arg(long, requires = "emit_sql")]
    table: Option<String>,
    /// Instead of --data: the result of the --emit-sql query (CSV with its header), from which
    /// the estimate is made as from the records.
    #[arg(long, conflicts_with_all = ["data", "input_store"])]
    from_aggregates: Option<PathBuf>,
    /// Column of survey weights.
    #[arg(long)]
    weight: String,
    /// Column of strata.
    #[arg(long)]
    strata: Option<String>,
    /// Column of primary sampling units (without it, each record is its own PSU).
    #[arg(long)]
    psu: Option<String>,
    /// Column of the finite population correction: population number of PSUs in the stratum
    /// (> 1) or the sampling fraction (<= 1).
    #[arg(long)]
    fpc: Option<String>,
    /// Rule for strata with a single PSU.
    #[arg(long, value_enum, default_value = "fail")]
    lonely_psu: LonelyArg,
    /// Variance method.
    #[arg(long, value_enum, default_value = "linearization")]
    variance: VarianceArg,
    /// Number of bootstrap replicates.
    #[arg(long, default_value_t = 500)]
    replicates: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replicate weight columns for `--variance supplied` (comma separated).
    #[arg(long, value_delimiter = ',')]
    replicate_weights: Vec<String>,
    /// Scale of supplied replicate weights (variance = scale · Σ (θ_r - θ̄)²).
    #[arg(long, default_value_t = 1.0)]
    replicate_scale: f64,
    /// Centre replicates on the full-sample estimate instead of their mean.
    #[arg(long)]
    mse: bool,
    /// total(X) | mean(X) | ratio(X, Y) | share(CONDITION) | quantile(X, P) | median(X) | arpr(X) | gini(X)
    #[arg(long)]
    stat: String,
    /// Rule for quantile(X, P).
    #[arg(long, value_enum, default_value = "math")]
    quantile_rule: QuantileRuleArg,
    /// SQL condition selecting the domain, e.g. "AGE BETWEEN 20 AND 64".
    #[arg(long = "where")]
    condition: Option<String>,
    /// Domain columns (comma separated).
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Gap to a reference level: COL=REFERENCE_LEVEL.
    #[arg(long)]
    gap: Option<String>,
    /// Column whose levels each get their own poverty threshold (arpr).
    #[arg(long)]
    country: Option<String>,
    /// Derived column usable in --by: NAME=SQL expression (repeatable), e.g.
    /// "band=CASE WHEN AGE < 25 THEN 'young' ELSE 'older' END".
    #[arg(long = "derive")]
    derive: Vec<String>,
    /// Suppress figures with fewer respondents than this.
    #[arg(long, default_value_t = PublicationRules::DEFAULT.suppress_below_n)]
    min_n: u64,
    /// Flag figures with fewer respondents than this.
    #[arg(long, default_value_t = PublicationRules::DEFAULT.flag_below_n)]
    flag_n: u64,
    /// Flag figures whose CV exceeds this (fraction).
    #[arg(long, default_value_t = 0.20)]
    flag_cv: f64,
    /// Suppress figures whose CV exceeds this (fraction).
    #[arg(long, default_value_t = 0.35)]
    suppress_cv: f64,
    /// How shares are judged: NCHS proportion standards (effective sample size 30,
    /// Korn-Graubard width 0.30, relative width 130 % above 0.05) or the CV bands.
    #[arg(long, value_enum, default_value = "nchs")]
    share_rules: ShareRulesArg,
    /// Flag figures with fewer design degrees of freedom (0: no such rule).
    #[arg(long, default_value_t = 8)]
    flag_df: usize,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    #[arg(long, value_enum, default_value = "csv")]
    output_format: OutputFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) async fn run(a: EstimateArgs) -> anyhow::Result<()> {
    let statistic: Statistic = a.stat.parse()?;
    let gap = match &a.gap {
        None => None,
        Some(g) => match g.split_once('=') {
            Some((col, level)) if !col.is_empty() && !level.is_empty() => {
                Some((col.to_string(), level.to_string()))
            }
            _ => bail!("--gap `{g}`: expected COLUMN=REFERENCE_LEVEL"),
        },
    };
    if matches!(a.variance, VarianceArg::Bootstrap) && a.replicates < 2 {
        bail!("--replicates must be at least 2");
    }
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!("--confidence must lie strictly between 0 and 1");
    }
    let mut derived = Vec::new();
    for d in &a.derive {
        match d.split_once('=') {
            Some((name, sql)) if !name.trim().is_empty() && !sql.trim().is_empty() => {
                derived.push((name.trim().to_string(), sql.to_string()))
            }
            _ => bail!("--derive `{d}`: expected NAME=SQL_EXPRESSION"),
        }
    }
    let data = match (&a.data, &a.input_store, &a.partition, &a.from_aggregates) {
        (Some(file), _, _, _) => file.clone(),
        (None, Some(dir), Some(partition), _) => partition_file(dir, partition)?,
        (None, None, _, Some(aggregates)) => aggregates.clone(),
        _ if a.emit_sql.is_some() => PathBuf::new(),
        _ => bail!(
            "give --data FILE, --input-store DIR with --partition SOURCE/COUNTRY/YEAR, or \
             --from-aggregates FILE"
        ),
    };
    let request = EstimateRequest {
        data,
        design: DesignColumns {
            weight: a.weight.clone(),
            strata: a.strata.clone(),
            psu: a.psu.clone(),
            fpc: a.fpc.clone(),
            lonely_psu: match a.lonely_psu {
                LonelyArg::Fail => LonelyPsuRule::Fail,
                LonelyArg::Certainty => LonelyPsuRule::Certainty,
                LonelyArg::Adjust => LonelyPsuRule::Adjust,
                LonelyArg::Average => LonelyPsuRule::Average,
                LonelyArg::Collapse => LonelyPsuRule::Collapse,
            },
        },
        variance: match a.variance {
            VarianceArg::Linearization => VarianceChoice::Linearization,
            VarianceArg::Jk1 => VarianceChoice::Jk1,
            VarianceArg::Jkn => VarianceChoice::Jkn,
            VarianceArg::Bootstrap => VarianceChoice::Bootstrap {
                replicates: a.replicates,
                seed: a.seed,
            },
            VarianceArg::Supplied => VarianceChoice::Supplied {
                columns: a.replicate_weights.clone(),
                scale: a.replicate_scale,
            },
        },
        mse: a.mse,
        statistic,
        quantile_rule: match a.quantile_rule {
            QuantileRuleArg::Math => QuantileRule::InverseCdf,
            QuantileRuleArg::Hf7 => QuantileRule::Interpolated,
            QuantileRuleArg::Eusilc => QuantileRule::EuSilc,
        },
        condition: a.condition.clone(),
        by: a.by.clone(),
        gap,
        country: a.country.clone(),
        rules: PublicationRules {
            suppress_below_n: a.min_n,
            flag_below_n: a.flag_n,
            flag_above_cv: Some(a.flag_cv),
            suppress_above_cv: Some(a.suppress_cv),
            population_thresholds: None,
            proportions: match a.share_rules {
                ShareRulesArg::Nchs => Some(ProportionRules::NCHS),
                ShareRulesArg::Cv => None,
            },
            flag_below_df: (a.flag_df > 0).then_some(a.flag_df),
        },
        confidence: a.confidence,
        derived,
    };
    if let (Some(dialect), Some(table)) = (a.emit_sql, &a.table) {
        let dialect = match dialect {
            SqlDialectArg::Postgres => SqlDialect::Postgres,
            SqlDialectArg::Ansi => SqlDialect::Ansi,
        };
        let sql = aggregation_sql(&request, table, dialect)?;
        return write_output(a.out.as_deref(), &format!("{sql}\n"));
    }
    let table = match &a.from_aggregates {
        Some(aggregates) => estimate_from_aggregates(&request, aggregates).await?,
        None => estimate(&request).await?,
    };
    let text = match a.output_format {
        OutputFormat::Csv => to_csv(&table)?,
        OutputFormat::Json => to_json(&table)?,
    };
    write_output(a.out.as_deref(), &text)
}

fn write_output(out: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}

const RESULT_COLUMNS: [&str; 11] = [
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "cv",
    "n",
    "population",
    "deff",
    "df",
    "flag",
    "flag_reason",
];

fn result_fields(row: &incity_data::survey::EstimateRow) -> Vec<String> {
    // Not estimable (a 0 % share's standard error) and infinite degrees of freedom (the
    // normal quantile) are empty fields.
    let num = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let reason = row
        .estimate
        .reason
        .map(|r| r.code().to_string())
        .unwrap_or_default();
    match row.estimate.figures {
        Some(f) => vec![
            f.estimate.to_string(),
            num(Some(f.se)),
            f.ci_low.to_string(),
            f.ci_high.to_string(),
            num(f.cv),
            f.n.to_string(),
            f.population.to_string(),
            num(f.deff),
            degrees_of_freedom(f.df),
            row.estimate.flag.code().to_string(),
            reason,
        ],
        None => {
            let mut v = vec![String::new(); 9];
            v.push(row.estimate.flag.code().to_string());
            v.push(reason);
            v
        }
    }
}

/// Degrees of freedom as written: empty for the normal quantile (infinite).
fn degrees_of_freedom(df: usize) -> String {
    if df == usize::MAX {
        String::new()
    } else {
        df.to_string()
    }
}

/// A row's `--by` values as printed: a gap's gap column reads `LEVEL minus REFERENCE`.
fn domain_fields(t: &EstimateTable, row: &EstimateRow) -> Vec<String> {
    let mut fields = row.domain.clone();
    if let (Some(reference), Some(column)) = (&row.reference, t.gap_column) {
        if let Some(level) = fields.get_mut(column) {
            *level = format!("{level} minus {reference}");
        }
    }
    fields
}

fn to_csv(t: &EstimateTable) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = t.by.iter().map(String::as_str).collect();
    header.extend(RESULT_COLUMNS);
    w.write_record(&header)?;
    for row in &t.rows {
        let mut rec = domain_fields(t, row);
        rec.extend(result_fields(row));
        w.write_record(&rec)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

fn to_json(t: &EstimateTable) -> anyhow::Result<String> {
    let rows: Vec<serde_json::Value> = t
        .rows
        .iter()
        .map(|row| {
            let mut m = serde_json::Map::new();
            for (k, v) in t.by.iter().zip(domain_fields(t, row)) {
                m.insert(k.clone(), serde_json::Value::String(v));
            }
            m.insert("is_gap".into(), row.is_gap().into());
            if let Some(r) = &row.reference {
                m.insert("reference".into(), r.clone().into());
            }
            if let Some(f) = row.estimate.figures {
                m.insert("estimate".into(), f.estimate.into());
                m.insert("se".into(), f.se.into());
                m.insert("ci_low".into(), f.ci_low.into());
                m.insert("ci_high".into(), f.ci_high.into());
                m.insert("cv".into(), f.cv.into());
                m.insert("n".into(), f.n.into());
                m.insert("population".into(), f.population.into());
                m.insert("deff".into(), f.deff.into());
                // Infinite degrees of freedom (normal quantile): null.
                m.insert(
                    "df".into(),
                    (f.df != usize::MAX).then_some(f.df as u64).into(),
                );
            }
            m.insert("flag".into(), row.estimate.flag.code().into());
            m.insert(
                "flag_reason".into(),
                row.estimate.reason.map(|r| r.code()).into(),
            );
            serde_json::Value::Object(m)
        })
        .collect();
    Ok(serde_json::to_string_pretty(&rows)? + "\n")
}

/// The Parquet file of one partition (SOURCE/COUNTRY/YEAR) of the input store in `data_dir`.
fn partition_file(data_dir: &std::path::Path, spec: &str) -> anyhow::Result<PathBuf> {
    let parts: Vec<&str> = spec.split('/').collect();
    let [source, country, year] = parts[..] else {
        bail!("--partition {spec}: expected SOURCE/COUNTRY/YEAR, e.g. lfs/AT/2024");
    };
    let year: i32 = year
        .parse()
        .with_context(|| format!("--partition {spec}: the year `{year}` is not a number"))?;
    let root = data_dir.join("inputs");
    if !root.is_dir() {
        bail!(
            "{} holds no input store: run `incity import --data-dir {}` first",
            data_dir.display(),
            data_dir.display()
        );
    }
    let store = incity_data::inputs::InputStore::open(&root)?;
    let manifest = store.manifest()?;
    match manifest
        .partition
        .iter()
        .find(|p| p.source == source && p.country == country && p.year == year)
    {
        Some(p) => Ok(store.partition_path(p)),
        None => {
            let held: Vec<String> = manifest
                .partition
                .iter()
                .map(|p| format!("{}/{}/{}", p.source, p.country, p.year))
                .collect();
            bail!(
                "--partition {spec}: the input store in {} has no such partition (it holds: {})",
                data_dir.display(),
                if held.is_empty() {
                    "nothing".to_string()
                } else {
                    held.join(", ")
                }
            )
        }
    }
}
