//! What pages and the API share: the served release, the query parameters (level, area,
//! sex) and the figures and published figures they select.

use incity_indicators::official::{OfficialFigure, TableObservation};
use incity_indicators::{catalogue, Figure, GeoLevel, Indicator, Sex};
use incity_store::{FigureFilter, StoredRelease};
use serde::Deserialize;

use crate::error::PortalError;
use crate::AppState;

/// The served release, or a 404 naming what to run when none has been published.
pub(crate) async fn current(state: &AppState) -> Result<StoredRelease, PortalError> {
    state.store.current_release().await?.ok_or_else(|| {
        PortalError::NotFound("No release has been published yet; run `incity compute`.".into())
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct LevelQuery {
    pub(crate) level: Option<String>,
    pub(crate) geo: Option<String>,
    /// `T` (default), `M`, `F`, or `all`.
    pub(crate) sex: Option<String>,
}

pub(crate) fn sex_filter(q: &LevelQuery) -> Result<Option<Sex>, PortalError> {
    match q.sex.as_deref() {
        None => Ok(Some(Sex::Total)),
        Some("all") => Ok(None),
        Some(code) => Sex::from_code(code).map(Some).ok_or_else(|| {
            PortalError::BadRequest(format!("unknown sex `{code}`: expected T, M, F or all"))
        }),
    }
}

pub(crate) fn find_indicator(id: &str) -> Result<&'static Indicator, PortalError> {
    catalogue()
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| PortalError::NotFound(format!("There is no indicator `{id}`.")))
}

pub(crate) fn parse_level(q: &LevelQuery) -> Result<GeoLevel, PortalError> {
    match q.level.as_deref() {
        None => Ok(GeoLevel::Nuts2),
        Some(s) => GeoLevel::from_code(s).ok_or_else(|| {
            PortalError::BadRequest(format!(
                "unknown level `{s}`: expected one of {}",
                GeoLevel::ALL.map(|l| l.code()).join(", ")
            ))
        }),
    }
}

/// The published figures of an indicator's `[[published]]` definitions at a level (national
/// tables: the country level only). A definition that does not fit the loaded table is logged
/// and skipped, so a page never fails because of a table.
pub(crate) async fn official_figures(
    state: &AppState,
    ind: &Indicator,
    level: GeoLevel,
) -> Result<Vec<OfficialFigure>, PortalError> {
    if level != GeoLevel::Country || ind.published.is_empty() {
        return Ok(Vec::new());
    }
    let tables = state.store.published_tables().await?;
    let mut out = Vec::new();
    for def in &ind.published {
        let Some(table) = tables.iter().find(|t| t.dataset == def.dataset) else {
            continue;
        };
        let observations = state
            .store
            .published_observations(&def.dataset, None)
            .await?;
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

pub(crate) async fn figures_for(
    state: &AppState,
    id: &str,
    q: &LevelQuery,
) -> Result<(StoredRelease, Vec<Figure>), PortalError> {
    let ind = find_indicator(id)?;
    let level = parse_level(q)?;
    let release = current(state).await?;
    let figures = state
        .store
        .figures(
            release.id,
            &FigureFilter {
                indicator: Some(ind.id.to_string()),
                geo_level: Some(level),
                geo: q.geo.clone(),
                sex: sex_filter(q)?,
            },
        )
        .await?;
    Ok((release, figures))
}
