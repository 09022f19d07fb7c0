//! Storage of releases, and of the city-to-city exchange ([`exchange`]), in an embedded
//! SQLite database or in PostgreSQL, through one code (sqlx's `Any` driver, [`Store::open_url`]).
//!
//! Publishing is atomic: a release's provenance, all its figures and the switch of the served
//! release are written in one transaction, so a failed or interrupted run leaves the previous
//! release served. A suppressed figure is stored without any number (enforced by a `CHECK`
//! constraint as well as by the type [`Estimate`]).
//!
//! It knows releases through `incity-indicators`' types and nothing of microdata, DataFusion or
//! HTTP. Entry points: [`Store::open`], [`Store::publish`], [`Store::figures`].

mod administrative;
pub mod exchange;
mod sql;

pub use administrative::AdministrativeFigures;

use std::path::Path;
use std::str::FromStr;

use incity_estimation::{Estimate, Figures, Flag};
use incity_indicators::{
    ChangeFigure, Figure, FigureMethod, GeoLevel, Measure, Provenance, Release, Sex, Source,
};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub use crate::sql::Backend;
use crate::sql::{values, year};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data are invalid: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
}

impl Store {
    /// Which database this store is in.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

/// A release as stored: its id and provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRelease {
    pub id: i64,
    pub provenance: Provenance,
}

/// Which figures to read.
#[derive(Debug, Clone, Default)]
pub struct FigureFilter {
    pub indicator: Option<String>,
    pub geo_level: Option<GeoLevel>,
    pub geo: Option<String>,
    pub sex: Option<Sex>,
}

/// Published observations written by one `INSERT` statement (8 bound values each).
const OBSERVATIONS_PER_INSERT: usize = 2000;

/// Figures written by one `INSERT` statement.
const FIGURES_PER_INSERT: usize = 1000;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating if needed) the SQLite database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Store::open_url(&format!("sqlite://{}", path.display())).await
    }

    /// Opens the database at `url`, `sqlite://FILE` (created if needed) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB`, and brings its schema up to date
    /// (`migrations/` for SQLite, `migrations-postgres/` for PostgreSQL: the same tables,
    /// constraints and, with `COLLATE "C"`, the same order of text).
    pub async fn open_url(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let url = if let Some(path) = url.strip_prefix("sqlite://") {
            if let Some(parent) = Path::new(path.split('?').next().unwrap_or(path)).parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            if path.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            }
        } else if postgres {
            sql::connect_url(url)
        } else {
            return Err(StoreError::Corrupt(format!(
                "database `{url}`: expected a sqlite:// or postgres:// URL"
            )));
        };
        let open_error = |source| StoreError::Open {
            path: exchange::redact(&url),
            source,
        };
        let options = sql::quiet(AnyConnectOptions::from_str(&url).map_err(open_error)?);
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        if postgres {
            sqlx::migrate!("./migrations-postgres").run(&pool).await?;
        } else {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
            sqlx::migrate!("./migrations").run(&pool).await?;
        }
        let backend = if postgres {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        Ok(Self { pool, backend })
    }

    /// Writes a release and makes it the served one, all in one transaction.
    pub async fn publish(&self, release: &Release) -> Result<i64, StoreError> {
        self.publish_with(release, || {}).await
    }

    /// [`publish`](Self::publish), calling `before_commit` inside the transaction after every
    /// row is written and before the commit: the point where a crash must leave the store
    /// unchanged (the CLI's crash-test pause point is there).
    pub async fn publish_with(
        &self,
        release: &Release,
        before_commit: impl FnOnce(),
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let p = &release.provenance;
        let id: i64 = sqlx::query(
            "INSERT INTO releases (input_file, input_sha256, source, synthetic, generator_seed, \
             catalogue_version, method, software_version, started_at, finished_at, inputs, rules) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(&p.input_file)
        .bind(&p.input_sha256)
        .bind(&p.source)
        .bind(i64::from(p.synthetic))
        .bind(p.generator_seed.map(|s| s as i64))
        .bind(&p.catalogue_version)
        .bind(&p.method)
        .bind(&p.software_version)
        .bind(p.started_at)
        .bind(p.finished_at)
        .bind(p.inputs.join("\n"))
        .bind(&p.rules)
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        // Multi-row inserts: one statement per FIGURES_PER_INSERT figures (SQLite allows
        // 32,766 bound values per statement, PostgreSQL 65,535; a figure binds 25).
        for chunk in release.figures.chunks(FIGURES_PER_INSERT) {
            let sql = format!(
                "INSERT INTO figures (release_id, indicator, source, first_year, year, geo_level, \
                 geo, grouping, grp, reference_group, sex, measure, method, model, flag, \
                 flag_reason, estimate, se, ci_low, ci_high, cv, n, population, deff, df) \
                 VALUES {}",
                values(self.backend, chunk.len(), 25)
            );
            let mut q = sqlx::query(&sql);
            for f in chunk {
                let fig = f.estimate.figures;
                q = q
                    .bind(id)
                    .bind(&f.indicator)
                    .bind(f.source.code())
                    .bind(f.first_year)
                    .bind(f.year)
                    .bind(f.geo_level.code())
                    .bind(&f.geo)
                    .bind(&f.grouping)
                    .bind(&f.group)
                    .bind(&f.reference_group)
                    .bind(f.sex.code())
                    .bind(f.measure.code())
                    .bind(f.method.code())
                    .bind(f.method.model())
                    .bind(f.estimate.flag.code())
                    .bind(f.estimate.reason.map(|r| r.code()))
                    .bind(fig.map(|x| x.estimate))
                    .bind(fig.and_then(|x| x.se.is_finite().then_some(x.se)))
                    .bind(fig.map(|x| x.ci_low))
                    .bind(fig.map(|x| x.ci_high))
                    .bind(fig.and_then(|x| x.cv))
                    .bind(fig.map(|x| x.n as i64))
                    .bind(fig.map(|x| x.population))
                    .bind(fig.and_then(|x| x.deff))
                    .bind(fig.and_then(|x| i64::try_from(x.df).ok()));
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in release.changes.chunks(FIGURES_PER_INSERT) {
            let sql = format!(
                "INSERT INTO changes (release_id, indicator, source, from_year, to_year, \
                 geo_level, geo, grouping, grp, sex, flag, flag_reason, estimate, se, ci_low, \
                 ci_high, n, population, df, covariance, shared_psus) VALUES {}",
                values(self.backend, chunk.len(), 21)
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                let fig = c.estimate.figures;
                q = q
                    .bind(id)
                    .bind(&c.indicator)
                    .bind(c.source.code())
                    .bind(c.from_year)
                    .bind(c.to_year)
                    .bind(c.geo_level.code())
                    .bind(&c.geo)
                    .bind(&c.grouping)
                    .bind(&c.group)
                    .bind(c.sex.code())
                    .bind(c.estimate.flag.code())
                    .bind(c.estimate.reason.map(|r| r.code()))
                    .bind(fig.map(|x| x.estimate))
                    .bind(fig.and_then(|x| x.se.is_finite().then_some(x.se)))
                    .bind(fig.map(|x| x.ci_low))
                    .bind(fig.map(|x| x.ci_high))
                    .bind(fig.map(|x| x.n as i64))
                    .bind(fig.map(|x| x.population))
                    .bind(fig.and_then(|x| i64::try_from(x.df).ok()))
                    .bind(c.covariance.code())
                    .bind(c.shared_psus as i64);
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO current_release (singleton, release_id) VALUES (1, $1) \
             ON CONFLICT (singleton) DO UPDATE SET release_id = excluded.release_id",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        before_commit();
        tx.commit().await?;
        Ok(id)
    }

    /// The release the portal serves, if any.
    pub async fn current_release(&self) -> Result<Option<StoredRelease>, StoreError> {
        let row = sqlx::query(
            "SELECT r.id, r.input_file, r.input_sha256, r.source, r.synthetic, r.generator_seed, \
             r.catalogue_version, r.method, r.software_version, r.started_at, r.finished_at, \
             r.inputs, r.rules \
             FROM current_release c JOIN releases r ON r.id = c.release_id",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| StoredRelease {
            id: r.get(0),
            provenance: Provenance {
                input_file: r.get(1),
                input_sha256: r.get(2),
                source: r.get(3),
                synthetic: r.get::<i64, _>(4) == 1,
                generator_seed: r.get::<Option<i64>, _>(5).map(|s| s as u64),
                catalogue_version: r.get(6),
                method: r.get(7),
                software_version: r.get(8),
                started_at: r.get(9),
                finished_at: r.get(10),
                inputs: r.get::<String, _>(11).lines().map(String::from).collect(),
                rules: r.get(12),
            },
        }))
    }

    /// Number of releases ever published.
    pub async fn release_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT count(*) FROM releases")
            .fetch_one(&self.pool)
            .await?
            .get(0))
    }

    /// Figures of a release, ordered by indicator, level, geography and group.
    pub async fn figures(
        &self,
        release_id: i64,
        filter: &FigureFilter,
    ) -> Result<Vec<Figure>, StoreError> {
        let rows = sqlx::query(
            "SELECT indicator, geo_level, geo, grp, measure, flag, estimate, se, ci_low, ci_high, \
             cv, n, population, deff, source, year, grouping, sex, first_year, df, flag_reason, \
             method, model, reference_group \
             FROM figures \
             WHERE release_id = $1 \
             AND ($2 IS NULL OR indicator = $3) AND ($4 IS NULL OR geo_level = $5) \
             AND ($6 IS NULL OR geo = $7) AND ($8 IS NULL OR sex = $9) \
             ORDER BY indicator, year, first_year DESC, geo_level, geo, sex, grouping, measure, grp, \
             reference_group, method",
        )
        .bind(release_id)
        .bind(&filter.indicator)
        .bind(&filter.indicator)
        .bind(filter.geo_level.map(|l| l.code()))
        .bind(filter.geo_level.map(|l| l.code()))
        .bind(&filter.geo)
        .bind(&filter.geo)
        .bind(filter.sex.map(Sex::code))
        .bind(filter.sex.map(Sex::code))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(figure_from_row).collect()
    }
}

impl Store {
    /// The changes of a release (of one indicator and area when given), ordered by indicator,
    /// area, group, sex and years.
    pub async fn changes(
        &self,
        release_id: i64,
        indicator: Option<&str>,
        geo: Option<&str>,
    ) -> Result<Vec<ChangeFigure>, StoreError> {
        let rows = sqlx::query(
            "SELECT indicator, source, from_year, to_year, geo_level, geo, grouping, grp, sex, \
             flag, flag_reason, estimate, se, ci_low, ci_high, n, population, df, covariance, \
             shared_psus FROM changes WHERE release_id = $1 \
             AND ($2 IS NULL OR indicator = $3) AND ($4 IS NULL OR geo = $5) \
             ORDER BY indicator, geo_level, geo, grouping, grp, sex, from_year, to_year",
        )
        .bind(release_id)
        .bind(indicator)
        .bind(indicator)
        .bind(geo)
        .bind(geo)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(change_from_row).collect()
    }
}

fn change_from_row(r: AnyRow) -> Result<ChangeFigure, StoreError> {
    let corrupt =
        |what: &str, code: String| StoreError::Corrupt(format!("unknown {what} `{code}`"));
    let code = |i: usize| -> String { r.get(i) };
    let source = Source::from_code(&code(1)).ok_or_else(|| corrupt("source", code(1)))?;
    let geo_level = GeoLevel::from_code(&code(4)).ok_or_else(|| corrupt("level", code(4)))?;
    let sex = Sex::from_code(&code(8)).ok_or_else(|| corrupt("sex", code(8)))?;
    let flag = Flag::from_code(&code(9)).ok_or_else(|| corrupt("flag", code(9)))?;
    let covariance = incity_estimation::CovarianceBasis::from_code(&code(18))
        .ok_or_else(|| corrupt("covariance basis", code(18)))?;
    let figures = if flag == Flag::Suppressed {
        None
    } else {
        let num = |i: usize| -> Result<f64, StoreError> {
            r.get::<Option<f64>, _>(i)
                .ok_or_else(|| StoreError::Corrupt("published change without value".into()))
        };
        Some(Figures {
            estimate: num(11)?,
            se: r.get::<Option<f64>, _>(12).unwrap_or(f64::NAN),
            ci_low: num(13)?,
            ci_high: num(14)?,
            cv: None,
            n: r.get::<Option<i64>, _>(15).unwrap_or(0) as u64,
            population: num(16)?,
            deff: None,
            df: r
                .get::<Option<i64>, _>(17)
                .and_then(|d| usize::try_from(d).ok())
                .unwrap_or(usize::MAX),
        })
    };
    Ok(ChangeFigure {
        indicator: r.get(0),
        source,
        from_year: year(&r, 2)?,
        to_year: year(&r, 3)?,
        geo_level,
        geo: r.get(5),
        grouping: r.get(6),
        group: r.get(7),
        sex,
        estimate: Estimate {
            flag,
            reason: r
                .get::<Option<String>, _>(10)
                .and_then(|c| incity_estimation::FlagReason::from_code(&c)),
            figures,
        },
        covariance,
        shared_psus: r.get::<i64, _>(19) as usize,
    })
}

fn figure_from_row(r: AnyRow) -> Result<Figure, StoreError> {
    let flag_code: String = r.get(5);
    let flag = Flag::from_code(&flag_code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown flag `{flag_code}`")))?;
    let measure_code: String = r.get(4);
    let measure = Measure::from_code(&measure_code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown measure `{measure_code}`")))?;
    let source_code: String = r.get(14);
    let source = Source::from_code(&source_code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown source `{source_code}`")))?;
    let sex_code: String = r.get(17);
    let sex = Sex::from_code(&sex_code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown sex `{sex_code}`")))?;
    let level_code: String = r.get(1);
    let geo_level = GeoLevel::from_code(&level_code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown level `{level_code}`")))?;
    let figures = if flag == Flag::Suppressed {
        None
    } else {
        let num = |i: usize| -> Result<f64, StoreError> {
            r.get::<Option<f64>, _>(i)
                .ok_or_else(|| StoreError::Corrupt("published figure without value".into()))
        };
        Some(Figures {
            estimate: num(6)?,
            se: r.get::<Option<f64>, _>(7).unwrap_or(f64::NAN),
            ci_low: num(8)?,
            ci_high: num(9)?,
            cv: r.get(10),
            n: r.get::<Option<i64>, _>(11).unwrap_or(0) as u64,
            population: num(12)?,
            deff: r.get(13),
            df: r
                .get::<Option<i64>, _>(19)
                .and_then(|d| usize::try_from(d).ok())
                .unwrap_or(usize::MAX),
        })
    };
    let method = match (
        r.get::<String, _>(21).as_str(),
        r.get::<Option<String>, _>(22),
    ) {
        ("direct", None) => FigureMethod::Direct,
        ("model", Some(model)) => FigureMethod::ModelBased { model },
        (m, _) => return Err(StoreError::Corrupt(format!("unknown figure method `{m}`"))),
    };
    Ok(Figure {
        method,
        indicator: r.get(0),
        source,
        first_year: year(&r, 18)?,
        year: year(&r, 15)?,
        geo_level,
        geo: r.get(2),
        grouping: r.get(16),
        group: r.get(3),
        reference_group: r.get(23),
        sex,
        measure,
        estimate: Estimate {
            flag,
            reason: r
                .get::<Option<String>, _>(20)
                .and_then(|c| incity_estimation::FlagReason::from_code(&c)),
            figures,
        },
    })
}

/// A published table to store (built by the caller from a reader's output).
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedTableRecord {
    pub dataset: String,
    pub format: String,
    pub source_file: String,
    pub sha256: String,
    pub dimensions: Vec<String>,
    pub observations: Vec<PublishedObservation>,
}

/// One stored observation of a published table.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedObservation {
    /// Dimension codes in the order of [`PublishedTableRecord::dimensions`].
    pub key: Vec<String>,
    pub time: String,
    pub value: Option<f64>,
    pub value_text: String,
    pub flags: String,
    pub confidential: bool,
}

impl PublishedObservation {
    /// The number and text a store keeps: none for a confidential observation (its text only
    /// `:` or empty), whatever the input said.
    pub(crate) fn stored_value(&self) -> (Option<f64>, String) {
        if self.confidential {
            (None, if self.value_text == ":" { ":" } else { "" }.into())
        } else {
            (self.value, self.value_text.clone())
        }
    }

    /// An observation read as `series_key, time_period, value, value_text, flags,
    /// confidential`.
    pub(crate) fn from_row(r: &AnyRow) -> PublishedObservation {
        PublishedObservation {
            key: r
                .get::<String, _>(0)
                .split('\t')
                .map(String::from)
                .collect(),
            time: r.get(1),
            value: r.get(2),
            value_text: r.get(3),
            flags: r.get(4),
            confidential: r.get::<i64, _>(5) == 1,
        }
    }
}

/// A stored published table (without its observations).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTable {
    pub id: i64,
    pub dataset: String,
    pub format: String,
    pub source_file: String,
    pub sha256: String,
    pub dimensions: Vec<String>,
    pub observations: i64,
}

impl Store {
    /// Stores a published table, replacing an earlier load of the same dataset, in one
    /// transaction: on any error nothing changes. A confidential observation is stored
    /// without its number whatever the input says.
    pub async fn load_published(&self, table: &PublishedTableRecord) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM published_tables WHERE dataset = $1")
            .bind(&table.dataset)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query(
            "INSERT INTO published_tables (dataset, format, source_file, sha256, dimensions, loaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&table.dataset)
        .bind(&table.format)
        .bind(&table.source_file)
        .bind(&table.sha256)
        .bind(table.dimensions.join(","))
        .bind(exchange::now_text())
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        let geo = table
            .dimensions
            .iter()
            .position(|d| d == "geo" || d == "cities");
        for chunk in table.observations.chunks(OBSERVATIONS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO published_observations \
                 (table_id, series_key, geo, time_period, value, value_text, flags, confidential) \
                 VALUES {}",
                values(self.backend, chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for o in chunk {
                let (value, value_text) = o.stored_value();
                q = q
                    .bind(id)
                    .bind(o.key.join("\t"))
                    .bind(geo.and_then(|g| o.key.get(g)).cloned())
                    .bind(o.time.clone())
                    .bind(value)
                    .bind(value_text)
                    .bind(o.flags.clone())
                    .bind(i64::from(o.confidential));
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The stored published tables.
    pub async fn published_tables(&self) -> Result<Vec<StoredTable>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.dataset, t.format, t.source_file, t.sha256, t.dimensions, \
             (SELECT COUNT(*) FROM published_observations o WHERE o.table_id = t.id) \
             FROM published_tables t ORDER BY t.dataset",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredTable {
                id: r.get(0),
                dataset: r.get(1),
                format: r.get(2),
                source_file: r.get(3),
                sha256: r.get(4),
                dimensions: r.get::<String, _>(5).split(',').map(String::from).collect(),
                observations: r.get(6),
            })
            .collect())
    }

    /// Observations of a published dataset for one geography (all, if `geo` is `None`).
    pub async fn published_observations(
        &self,
        dataset: &str,
        geo: Option<&str>,
    ) -> Result<Vec<PublishedObservation>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.series_key, o.time_period, o.value, o.value_text, o.flags, o.confidential \
             FROM published_observations o JOIN published_tables t ON t.id = o.table_id \
             WHERE t.dataset = $1 AND ($2 IS NULL OR o.geo = $3) \
             ORDER BY o.series_key, o.time_period",
        )
        .bind(dataset)
        .bind(geo)
        .bind(geo)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PublishedObservation::from_row(&r))
            .collect())
    }
}
