//! The served release, held in memory.
//!
//! A release is immutable once published, so the portal reads it from the store once, when it
//! starts and whenever the store serves another release, and answers every request from the
//! index built here: no page or API answer queries the database. Rendered answers are kept
//! too ([`ResponseCache`]), and dropped with the release they were rendered from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue};
use incity_indicators::administrative::AdministrativeFigure;
use incity_indicators::official::{OfficialFigure, TableObservation};
use incity_indicators::rules::RuleSet;
use incity_indicators::{
    catalogue, Catalogue, ChangeFigure, Figure, FigureMethod, GeoLevel, Measure, Sex,
};
use incity_store::{FigureFilter, Store, StoreError, StoredRelease};

/// What identifies one figure of a release (the store's primary key without the release).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FigureKey {
    pub(crate) indicator: String,
    pub(crate) first_year: i32,
    pub(crate) year: i32,
    pub(crate) geo: String,
    pub(crate) group: String,
    pub(crate) reference_group: Option<String>,
    pub(crate) sex: Sex,
    pub(crate) measure: Measure,
    pub(crate) model_based: bool,
}

impl FigureKey {
    pub(crate) fn of(f: &Figure) -> FigureKey {
        FigureKey {
            indicator: f.indicator.clone(),
            first_year: f.first_year,
            year: f.year,
            geo: f.geo.clone(),
            group: f.group.clone(),
            reference_group: f.reference_group.clone(),
            sex: f.sex,
            measure: f.measure,
            model_based: f.method != FigureMethod::Direct,
        }
    }

    /// The same cell in another area.
    pub(crate) fn at(&self, geo: &str) -> FigureKey {
        FigureKey {
            geo: geo.to_string(),
            ..self.clone()
        }
    }

    /// The same cell estimated by the other method.
    pub(crate) fn with_model(&self, model_based: bool) -> FigureKey {
        FigureKey {
            model_based,
            ..self.clone()
        }
    }
}

/// The served release and its indexes. `release` is `None` before the first publication.
pub(crate) struct Served {
    pub(crate) release: Option<StoredRelease>,
    /// Every figure of the release, in display order (see [`in_display_order`]).
    pub(crate) figures: Vec<Figure>,
    by_indicator_level: HashMap<(String, GeoLevel), Vec<usize>>,
    by_geo: HashMap<String, Vec<usize>>,
    by_cell: HashMap<FigureKey, usize>,
    /// Officially published country figures per indicator (`[[published]]` definitions).
    pub(crate) official: HashMap<String, Vec<OfficialFigure>>,
    /// The publication rules the release was computed with, when incity ships them.
    pub(crate) rules: Option<RuleSet>,
    /// Reference periods `(first_year, year)` in the release, newest first.
    pub(crate) periods: Vec<(i32, i32)>,
    /// The changes between single years, by area (in the store's order: indicator, group,
    /// sex, years).
    changes: HashMap<String, Vec<ChangeFigure>>,
    /// Figures of the administrative indicators (two tables of counts), by area, computed
    /// from the stored tables when the release is loaded.
    administrative: HashMap<String, Vec<AdministrativeFigure>>,
    /// The entity tag of every answer rendered from this release.
    pub(crate) etag: HeaderValue,
    pub(crate) responses: ResponseCache,
}

impl Served {
    /// Reads the store's current release and indexes it.
    pub(crate) async fn load(store: &Store) -> Result<Served, StoreError> {
        let release = store.current_release().await?;
        let figures = match &release {
            Some(r) => store.figures(r.id, &FigureFilter::default()).await?,
            None => Vec::new(),
        };
        let mut official = HashMap::new();
        if release.is_some() {
            for ind in catalogue() {
                let figures = official_figures(store, &ind.id).await?;
                if !figures.is_empty() {
                    official.insert(ind.id.clone(), figures);
                }
            }
        }
        let rules = release
            .as_ref()
            .and_then(|r| RuleSet::of_release(&r.provenance.rules));
        let mut changes: HashMap<String, Vec<ChangeFigure>> = HashMap::new();
        if let Some(r) = &release {
            for c in store.changes(r.id, None, None).await? {
                changes.entry(c.geo.clone()).or_default().push(c);
            }
        }
        let mut served = Served::index(release, figures, official, rules);
        served.changes = changes;
        if served.release.is_some() {
            let (figures, problems) = store.administrative_figures(Catalogue::embedded()).await?;
            for (indicator, problem) in problems {
                tracing::warn!("administrative indicator {indicator}: {problem}");
            }
            for f in figures {
                served
                    .administrative
                    .entry(f.geo.clone())
                    .or_default()
                    .push(f);
            }
        }
        Ok(served)
    }

    /// The administrative figures of an area (indicator in catalogue order, newest year
    /// first, then group and sex).
    pub(crate) fn administrative_of(&self, geo: &str) -> &[AdministrativeFigure] {
        self.administrative.get(geo).map_or(&[], Vec::as_slice)
    }

    fn index(
        release: Option<StoredRelease>,
        figures: Vec<Figure>,
        official: HashMap<String, Vec<OfficialFigure>>,
        rules: Option<RuleSet>,
    ) -> Served {
        let figures = in_display_order(figures);
        let mut by_indicator_level: HashMap<(String, GeoLevel), Vec<usize>> = HashMap::new();
        let mut by_geo: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_cell = HashMap::with_capacity(figures.len());
        let mut periods = Vec::new();
        for (i, f) in figures.iter().enumerate() {
            by_indicator_level
                .entry((f.indicator.clone(), f.geo_level))
                .or_default()
                .push(i);
            by_geo.entry(f.geo.clone()).or_default().push(i);
            by_cell.insert(FigureKey::of(f), i);
            if !periods.contains(&(f.first_year, f.year)) {
                periods.push((f.first_year, f.year));
            }
        }
        periods.sort_by_key(|p| std::cmp::Reverse((p.1, p.0)));
        let etag = match &release {
            Some(r) => format!("\"release-{}\"", r.id),
            None => "\"no-release\"".to_string(),
        };
        Served {
            release,
            figures,
            by_indicator_level,
            by_geo,
            by_cell,
            official,
            rules,
            periods,
            changes: HashMap::new(),
            administrative: HashMap::new(),
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"release\"")),
            responses: ResponseCache::default(),
        }
    }

    /// The figures of an indicator at a level, in display order.
    pub(crate) fn of_indicator(
        &self,
        indicator: &str,
        level: GeoLevel,
    ) -> impl Iterator<Item = &Figure> {
        self.by_indicator_level
            .get(&(indicator.to_string(), level))
            .into_iter()
            .flatten()
            .map(|&i| &self.figures[i])
    }

    /// The figures of an area, in display order.
    pub(crate) fn of_geo(&self, geo: &str) -> impl Iterator<Item = &Figure> {
        self.by_geo
            .get(geo)
            .into_iter()
            .flatten()
            .map(|&i| &self.figures[i])
    }

    /// The changes of an area's figures between single years.
    pub(crate) fn changes_of(&self, geo: &str) -> &[ChangeFigure] {
        self.changes.get(geo).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn has_geo(&self, geo: &str) -> bool {
        self.by_geo.contains_key(geo)
    }

    pub(crate) fn cell(&self, key: &FigureKey) -> Option<&Figure> {
        self.by_cell.get(key).map(|&i| &self.figures[i])
    }

    /// The level an area's figures are at.
    pub(crate) fn level_of(&self, geo: &str) -> Option<GeoLevel> {
        self.of_geo(geo).next().map(|f| f.geo_level)
    }

    /// The areas of a level with at least one figure, sorted by code.
    pub(crate) fn geos_at(&self, level: GeoLevel) -> Vec<&str> {
        let mut geos: Vec<&str> = self
            .by_geo
            .iter()
            .filter(|(_, ix)| {
                ix.first()
                    .is_some_and(|&i| self.figures[i].geo_level == level)
            })
            .map(|(g, _)| g.as_str())
            .collect();
        geos.sort_unstable();
        geos
    }
}

/// The published figures of an indicator's `[[published]]` definitions (national tables: the
/// country level). A definition that does not fit the loaded table is logged and skipped, so a
/// page never fails because of a table.
async fn official_figures(
    store: &Store,
    indicator: &str,
) -> Result<Vec<OfficialFigure>, StoreError> {
    let Some(ind) = catalogue().iter().find(|i| i.id == indicator) else {
        return Ok(Vec::new());
    };
    if ind.published.is_empty() {
        return Ok(Vec::new());
    }
    let tables = store.published_tables().await?;
    let mut out = Vec::new();
    for def in &ind.published {
        let Some(table) = tables.iter().find(|t| t.dataset == def.dataset) else {
            continue;
        };
        let observations = store.published_observations(&def.dataset, None).await?;
        let selected = def.select(
            &table.dimensions,
            observations.iter().map(|o| TableObservation {
                key: &o.key,
                time: &o.time,
                value: o.value,
                flags: &o.flags,
                confidential: o.confidential,
            }),
        );
        match selected {
            Ok(figures) => out.extend(figures),
            Err(e) => tracing::warn!("indicator {}: {e}", ind.id),
        }
    }
    Ok(out)
}

/// Newest period first (a year, then the pooled period ending in it); rows of one area
/// together: all persons, the groups in catalogue order, then the gaps; a model-based figure
/// right after the direct one of its cell.
pub(crate) fn in_display_order(mut figures: Vec<Figure>) -> Vec<Figure> {
    let catalogue = Catalogue::embedded();
    let group_position: HashMap<&str, (usize, usize)> = catalogue
        .groupings
        .iter()
        .enumerate()
        .flat_map(|(gi, g)| {
            g.groups
                .iter()
                .enumerate()
                .map(move |(i, group)| (group.code.as_str(), (gi + 1, i)))
        })
        .collect();
    let rank = |f: &Figure| {
        let (grouping, pos) = group_position
            .get(f.group.as_str())
            .copied()
            .unwrap_or((0, 0));
        (grouping, f.measure.is_gap(), pos, f.measure)
    };
    figures.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.year),
            std::cmp::Reverse(a.first_year),
            a.geo.as_str(),
            a.sex,
            rank(a),
            a.group.as_str(),
            a.method != FigureMethod::Direct,
        )
            .cmp(&(
                std::cmp::Reverse(b.year),
                std::cmp::Reverse(b.first_year),
                b.geo.as_str(),
                b.sex,
                rank(b),
                b.group.as_str(),
                b.method != FigureMethod::Direct,
            ))
    });
    figures
}

/// A rendered answer: its headers and body.
#[derive(Clone)]
pub(crate) struct CachedResponse {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Answers rendered from one release, by request URI (path and query).
///
/// Bounded by entries and bytes: once full, further answers are rendered per request and not
/// kept (the pages people open repeatedly are few; a crawler walking every combination of
/// parameters must not grow the process without bound).
#[derive(Default)]
pub(crate) struct ResponseCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    entries: HashMap<String, Arc<CachedResponse>>,
    bytes: usize,
}

/// At most this many answers are kept per release.
const CACHE_ENTRIES: usize = 4096;
/// At most this many body bytes are kept per release.
const CACHE_BYTES: usize = 256 << 20;
/// Larger answers are never kept.
pub(crate) const CACHE_LARGEST: usize = 4 << 20;

impl ResponseCache {
    pub(crate) fn get(&self, uri: &str) -> Option<Arc<CachedResponse>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.entries.get(uri).cloned()
    }

    pub(crate) fn insert(&self, uri: &str, response: CachedResponse) {
        let size = response.body.len();
        if size > CACHE_LARGEST {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.entries.len() >= CACHE_ENTRIES || inner.bytes + size > CACHE_BYTES {
            return;
        }
        if inner
            .entries
            .insert(uri.to_string(), Arc::new(response))
            .is_none()
        {
            inner.bytes += size;
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keeps_answers_up_to_its_bounds() {
        let cache = ResponseCache::default();
        let answer = |n: usize| CachedResponse {
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; n]),
        };
        cache.insert("/a", answer(10));
        assert_eq!(cache.get("/a").map(|r| r.body.len()), Some(10));
        cache.insert("/big", answer(CACHE_LARGEST + 1));
        assert!(cache.get("/big").is_none());
        for i in 0..CACHE_ENTRIES + 10 {
            cache.insert(&format!("/p{i}"), answer(1));
        }
        assert_eq!(cache.len(), CACHE_ENTRIES);
        assert!(cache.get("/a").is_some(), "kept answers stay");
    }
}
