//! What each view shows, as data: the explorer's selection, a profile's blocks, a comparison's
//! rows. The HTML page, the CSV download and the JSON answer of a view are all rendered from
//! the same value here, so "download this data" gives exactly what the page shows.

use incity_benchmark::peers::{
    contexts, parse_variables, peers, ContextVariable, PeerError, Peers,
};
use incity_benchmark::ranks::{rank_figures, Coverage, RankInterval};
use incity_estimation::Flag;
use incity_indicators::{
    catalogue, geo_name, Catalogue, Figure, FigureMethod, GeoLevel, Indicator, Measure, Sex,
};
use serde::Deserialize;
use std::collections::HashMap;

use crate::error::PortalError;
use crate::served::{FigureKey, Served};

/// Which figure of a cell a view shows when the cell has a direct and a model-based figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MethodChoice {
    /// The direct figure, whatever its flag.
    Direct,
    /// The model-based figure (cells without one show nothing).
    Model,
    /// The direct figure where published without a flag; otherwise the model-based figure where
    /// it is published; otherwise the direct figure with its flag.
    Best,
}

impl MethodChoice {
    pub(crate) const ALL: [MethodChoice; 3] = [
        MethodChoice::Best,
        MethodChoice::Direct,
        MethodChoice::Model,
    ];

    pub(crate) fn code(self) -> &'static str {
        match self {
            MethodChoice::Direct => "direct",
            MethodChoice::Model => "model",
            MethodChoice::Best => "best",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            MethodChoice::Direct => "direct figures only",
            MethodChoice::Model => "model-based figures only",
            MethodChoice::Best => {
                "direct where published without a flag, else model-based where published"
            }
        }
    }

    pub(crate) fn parse(s: Option<&str>) -> Result<MethodChoice, PortalError> {
        match s.filter(|s| !s.is_empty()) {
            None => Ok(MethodChoice::Best),
            Some(s) => MethodChoice::ALL
                .into_iter()
                .find(|m| m.code() == s)
                .ok_or_else(|| {
                    PortalError::BadRequest(format!(
                        "unknown method `{s}`: expected best, direct or model"
                    ))
                }),
        }
    }

    /// The figure of `direct`'s cell this choice shows.
    pub(crate) fn pick<'a>(self, served: &'a Served, direct: &'a Figure) -> Option<&'a Figure> {
        let model = || served.cell(&FigureKey::of(direct).with_model(true));
        match self {
            MethodChoice::Direct => Some(direct),
            MethodChoice::Model => model(),
            MethodChoice::Best if direct.estimate.flag == Flag::Reliable => Some(direct),
            MethodChoice::Best => Some(
                model()
                    .filter(|m| m.estimate.flag != Flag::Suppressed)
                    .unwrap_or(direct),
            ),
        }
    }
}

pub(crate) fn parse_sex(s: Option<&str>) -> Result<Sex, PortalError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(Sex::Total),
        Some(code) => Sex::from_code(code).ok_or_else(|| {
            PortalError::BadRequest(format!("unknown sex `{code}`: expected T, M or F"))
        }),
    }
}

pub(crate) fn parse_level(s: Option<&str>, default: GeoLevel) -> Result<GeoLevel, PortalError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => GeoLevel::from_code(s).ok_or_else(|| {
            PortalError::BadRequest(format!(
                "unknown level `{s}`: expected one of {}",
                GeoLevel::ALL.map(|l| l.code()).join(", ")
            ))
        }),
    }
}

pub(crate) fn find_indicator(id: &str) -> Result<&'static Indicator, PortalError> {
    catalogue()
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| PortalError::NotFound(format!("There is no indicator `{id}`.")))
}

/// A period parameter: `2024` or `2022-2024`; `None` for the release's newest.
fn parse_period(s: Option<&str>, served: &Served) -> Result<(i32, i32), PortalError> {
    let newest = served
        .periods
        .iter()
        .find(|(first, last)| first == last)
        .or(served.periods.first())
        .copied();
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return newest.ok_or_else(no_release);
    };
    let bad = || {
        PortalError::BadRequest(format!(
            "unknown period `{s}`: expected a year such as 2024 or a pooled period such as 2023-2024{}",
            match served.periods.is_empty() {
                true => String::new(),
                false => format!(
                    " (this release: {})",
                    served
                        .periods
                        .iter()
                        .map(|p| period_code(*p))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        ))
    };
    let period = match s.split_once('-') {
        Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
        None => {
            let y = s.parse().map_err(|_| bad())?;
            (y, y)
        }
    };
    if !served.periods.contains(&period) {
        return Err(bad());
    }
    Ok(period)
}

pub(crate) fn period_code((first, last): (i32, i32)) -> String {
    if first == last {
        format!("{last}")
    } else {
        format!("{first}-{last}")
    }
}

pub(crate) fn no_release() -> PortalError {
    PortalError::NotFound("No release has been published yet; run `incity compute`.".into())
}

/// A measure parameter (`level`, `difference`, `ratio`, `country_difference`); `None` when
/// absent or empty.
pub(crate) fn parse_measure(s: Option<&str>) -> Result<Option<Measure>, PortalError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(m) => Measure::from_code(m).map(Some).ok_or_else(|| {
            PortalError::BadRequest(format!(
                "unknown measure `{m}`: expected level, difference, ratio or country_difference"
            ))
        }),
    }
}

/// Rank intervals' coverage parameter (named `name`): `marginal` (default) or `simultaneous`.
pub(crate) fn parse_coverage(name: &str, s: Option<&str>) -> Result<Coverage, PortalError> {
    match s.filter(|s| !s.is_empty()) {
        None | Some("marginal") => Ok(Coverage::Marginal),
        Some("simultaneous") => Ok(Coverage::Simultaneous),
        Some(r) => Err(PortalError::BadRequest(format!(
            "unknown {name} `{r}`: expected marginal or simultaneous"
        ))),
    }
}

/// A target group and what is measured for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject {
    pub(crate) group: String,
    pub(crate) measure: Measure,
    /// The reference group of the group's grouping (the gap's other side; marked on charts).
    pub(crate) reference_group: Option<String>,
}

fn parse_subject(group: Option<&str>, measure: Option<&str>) -> Result<Subject, PortalError> {
    let catalogue = Catalogue::embedded();
    let group = group.filter(|s| !s.is_empty()).unwrap_or("non_eu_born");
    let measure = parse_measure(measure)?.unwrap_or(Measure::Level);
    if group == "total" {
        if measure.is_gap() {
            return Err(PortalError::BadRequest(
                "the total population has no gap: use measure=level".into(),
            ));
        }
        return Ok(Subject {
            group: group.into(),
            measure,
            reference_group: None,
        });
    }
    let grouping = catalogue
        .groupings
        .iter()
        .find(|g| g.groups.iter().any(|x| x.code == group))
        .ok_or_else(|| {
            PortalError::BadRequest(format!(
                "unknown group `{group}`: expected total or one of {}",
                catalogue
                    .groupings
                    .iter()
                    .flat_map(|g| g.groups.iter().map(|x| x.code.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    if measure.is_gap() && grouping.reference == group {
        return Err(PortalError::BadRequest(format!(
            "`{group}` is the reference group of its grouping: it has no gap, use measure=level"
        )));
    }
    let reference_group = (grouping.reference != group && measure != Measure::CountryDifference)
        .then(|| grouping.reference.clone());
    Ok(Subject {
        group: group.into(),
        measure,
        reference_group,
    })
}

/// The explorer's parameters, as in its URL.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExploreParams {
    /// Indicator id (default `employment_rate_20_64`).
    pub(crate) indicator: Option<String>,
    /// `country`, `nuts1`, `nuts2` (default), `nuts3`, `degurba` or `city`.
    pub(crate) level: Option<String>,
    /// Target group (default `non_eu_born`), or `total`.
    pub(crate) group: Option<String>,
    /// `level` (default), `difference` (gap to the reference group) or `ratio`.
    pub(crate) measure: Option<String>,
    /// `T` (default), `M` or `F`.
    pub(crate) sex: Option<String>,
    /// `2024` or a pooled period `2023-2024` (default: the newest single year).
    pub(crate) period: Option<String>,
    /// `best` (default), `direct` or `model`.
    pub(crate) method: Option<String>,
    /// Sort column: `area` (default), `code`, `estimate`, `cv`, `n`.
    pub(crate) sort: Option<String>,
    /// `asc` (default for area and code) or `desc`.
    pub(crate) order: Option<String>,
    /// Rank intervals: `marginal` (default; each area's own) or `simultaneous` (all areas'
    /// together).
    pub(crate) ranks: Option<String>,
}

/// A checked explorer selection.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    pub(crate) indicator: &'static Indicator,
    pub(crate) level: GeoLevel,
    pub(crate) subject: Subject,
    pub(crate) sex: Sex,
    pub(crate) period: (i32, i32),
    pub(crate) method: MethodChoice,
    pub(crate) sort: SortKey,
    pub(crate) descending: bool,
    pub(crate) ranks: Coverage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortKey {
    Area,
    Code,
    Estimate,
    Cv,
    Respondents,
}

impl SortKey {
    pub(crate) const ALL: [SortKey; 5] = [
        SortKey::Area,
        SortKey::Code,
        SortKey::Estimate,
        SortKey::Cv,
        SortKey::Respondents,
    ];

    pub(crate) fn code(self) -> &'static str {
        match self {
            SortKey::Area => "area",
            SortKey::Code => "code",
            SortKey::Estimate => "estimate",
            SortKey::Cv => "cv",
            SortKey::Respondents => "n",
        }
    }
}

impl Selection {
    pub(crate) fn parse(p: &ExploreParams, served: &Served) -> Result<Selection, PortalError> {
        let indicator = find_indicator(p.indicator.as_deref().unwrap_or("employment_rate_20_64"))
            .map_err(|e| PortalError::BadRequest(e.parts().1))?;
        let sort = match p.sort.as_deref().filter(|s| !s.is_empty()) {
            None => SortKey::Area,
            Some(s) => SortKey::ALL
                .into_iter()
                .find(|k| k.code() == s)
                .ok_or_else(|| {
                    PortalError::BadRequest(format!(
                        "unknown sort `{s}`: expected area, code, estimate, cv or n"
                    ))
                })?,
        };
        let descending = match p.order.as_deref().filter(|s| !s.is_empty()) {
            None => false,
            Some("asc") => false,
            Some("desc") => true,
            Some(o) => {
                return Err(PortalError::BadRequest(format!(
                    "unknown order `{o}`: expected asc or desc"
                )))
            }
        };
        let ranks = parse_coverage("ranks", p.ranks.as_deref())?;
        Ok(Selection {
            ranks,
            indicator,
            level: parse_level(p.level.as_deref(), GeoLevel::Nuts2)?,
            subject: parse_subject(p.group.as_deref(), p.measure.as_deref())?,
            sex: parse_sex(p.sex.as_deref())?,
            period: parse_period(p.period.as_deref(), served)?,
            method: MethodChoice::parse(p.method.as_deref())?,
            sort,
            descending,
        })
    }

    /// The URL query of this selection with one parameter changed (`None` keeps all).
    pub(crate) fn query_with(&self, key: &str, value: &str) -> String {
        let mut pairs = vec![
            ("indicator", self.indicator.id.as_str().to_string()),
            ("level", self.level.code().to_string()),
            ("group", self.subject.group.clone()),
            ("measure", self.subject.measure.code().to_string()),
            ("sex", self.sex.code().to_string()),
            ("period", period_code(self.period)),
            ("method", self.method.code().to_string()),
            ("sort", self.sort.code().to_string()),
            (
                "order",
                if self.descending { "desc" } else { "asc" }.to_string(),
            ),
            (
                "ranks",
                match self.ranks {
                    Coverage::Marginal => "marginal",
                    Coverage::Simultaneous => "simultaneous",
                }
                .to_string(),
            ),
        ];
        for (k, v) in pairs.iter_mut() {
            if *k == key {
                *v = value.to_string();
            }
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    pub(crate) fn query(&self) -> String {
        self.query_with("", "")
    }

    fn matches(&self, f: &Figure) -> bool {
        f.method == FigureMethod::Direct
            && f.sex == self.sex
            && (f.first_year, f.year) == self.period
            && f.group == self.subject.group
            && f.measure == self.subject.measure
    }

    pub(crate) fn euro(&self) -> bool {
        self.indicator.unit == "euro"
    }
}

/// Percent-encodes a query value.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One area of the explorer.
pub(crate) struct ExploreRow<'a> {
    pub(crate) geo: &'a str,
    pub(crate) name: String,
    /// The figure shown (by the selection's method choice); `None`: the cell has no figure of
    /// that method.
    pub(crate) shown: Option<&'a Figure>,
    /// The direct figure of the cell.
    pub(crate) direct: &'a Figure,
    /// For a group's level: the reference group's level in the same area, by the same method
    /// (marked on the chart).
    pub(crate) reference: Option<&'a Figure>,
}

pub(crate) fn explore<'a>(served: &'a Served, s: &Selection) -> Vec<ExploreRow<'a>> {
    let mut rows: Vec<ExploreRow<'a>> = served
        .of_indicator(&s.indicator.id, s.level)
        .filter(|f| s.matches(f))
        .map(|direct| {
            let shown = s.method.pick(served, direct);
            let reference = match (&s.subject.reference_group, s.subject.measure) {
                (Some(r), Measure::Level) => {
                    let key = FigureKey {
                        group: r.clone(),
                        ..FigureKey::of(direct)
                    };
                    served
                        .cell(&key)
                        .and_then(|rd| s.method.pick(served, rd))
                        .filter(|r| r.estimate.figures.is_some())
                }
                _ => None,
            };
            ExploreRow {
                geo: direct.geo.as_str(),
                name: geo_name(&direct.geo).unwrap_or_default(),
                shown,
                direct,
                reference,
            }
        })
        .collect();
    let value = |r: &ExploreRow, k: SortKey| -> Option<f64> {
        let x = r.shown.and_then(|f| f.estimate.figures)?;
        match k {
            SortKey::Estimate => Some(x.estimate),
            SortKey::Cv => x.cv,
            SortKey::Respondents => Some(x.n as f64),
            _ => None,
        }
    };
    match s.sort {
        SortKey::Area => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.geo.cmp(b.geo))),
        SortKey::Code => rows.sort_by(|a, b| a.geo.cmp(b.geo)),
        k => rows.sort_by(|a, b| match (value(a, k), value(b, k)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.geo.cmp(b.geo),
        }),
    }
    if s.descending {
        // Not-published rows stay last.
        let published = rows.iter().filter(|r| value(r, s.sort).is_some()).count();
        match s.sort {
            SortKey::Area | SortKey::Code => rows.reverse(),
            _ => rows[..published].reverse(),
        }
    }
    rows
}

/// Each published row's rank (1 = highest value) and its 95 % rank interval, over the rows with
/// a published figure and a standard error (or RMSE for a model-based figure).
pub(crate) fn ranks_of<'a>(
    rows: &[ExploreRow<'a>],
    coverage: Coverage,
) -> HashMap<&'a str, RankInterval> {
    let shown: Vec<&'a Figure> = rows.iter().filter_map(|r| r.shown).collect();
    let Ok(ranking) = rank_figures(&shown, 0.95, coverage) else {
        return HashMap::new();
    };
    ranking
        .ranked
        .into_iter()
        .map(|r| (r.figure.geo.as_str(), r.interval))
        .collect()
}

/// The figures a list of rows shows (for downloads): the shown figure of each row.
pub(crate) fn shown_figures(rows: &[ExploreRow]) -> Vec<Figure> {
    rows.iter().filter_map(|r| r.shown.cloned()).collect()
}

/// The country an area belongs to (`AT002C`, `AT22`, `AT-DEG1` → `AT`).
pub(crate) fn country_of(geo: &str) -> &str {
    geo.get(..2).unwrap_or(geo)
}

/// One row of a profile or a comparison: a cell (indicator, period, group, measure) and its
/// figure in each area shown (by the method choice), `None` where the release has none.
pub(crate) struct CellRow<'a> {
    pub(crate) indicator: &'static Indicator,
    pub(crate) subject: Subject,
    pub(crate) period: (i32, i32),
    pub(crate) figures: Vec<Option<&'a Figure>>,
}

/// The figures rows show, row by row (for downloads).
pub(crate) fn figures_in(rows: &[CellRow]) -> Vec<Figure> {
    rows.iter()
        .flat_map(|r| r.figures.iter().flatten().map(|f| (*f).clone()))
        .collect()
}

/// The cells the `anchors` have (sex `sex`, direct figures), each with its figure in every
/// area of `geos` (by the method choice); by indicator in catalogue order, then in the
/// anchors' display order.
pub(crate) fn cells_across<'a>(
    served: &'a Served,
    anchors: &[&str],
    geos: &[&str],
    sex: Sex,
    method: MethodChoice,
    indicator: Option<&str>,
) -> Vec<CellRow<'a>> {
    let mut rows = Vec::new();
    for ind in catalogue() {
        if indicator.is_some_and(|i| i != ind.id) {
            continue;
        }
        let mut seen: std::collections::HashSet<FigureKey> = std::collections::HashSet::new();
        for anchor in anchors {
            // The differences from the country are not cells of their own: a profile shows
            // each beside its level ([`crate::pages::profile::Profile::versus_country`]).
            let anchor_figures = served.of_geo(anchor).filter(|f| {
                f.indicator == ind.id
                    && f.sex == sex
                    && f.method == FigureMethod::Direct
                    && f.measure != Measure::CountryDifference
            });
            for f in anchor_figures {
                let key = FigureKey::of(f).at("");
                if !seen.insert(key.clone()) {
                    continue;
                }
                let figures = geos
                    .iter()
                    .map(|g| {
                        served
                            .cell(&key.at(g))
                            .and_then(|direct| method.pick(served, direct))
                    })
                    .collect();
                rows.push(CellRow {
                    indicator: ind,
                    subject: Subject {
                        group: f.group.clone(),
                        measure: f.measure,
                        reference_group: f.reference_group.clone(),
                    },
                    period: (f.first_year, f.year),
                    figures,
                });
            }
        }
    }
    rows
}

/// Why the figures of one row may not be comparable beyond what holds for the whole
/// comparison ([`comparison_notes`]): their methods or periods differ.
pub(crate) fn comparability_notes(row: &CellRow, geos: &[&str]) -> Vec<String> {
    let mut notes = Vec::new();
    let present: Vec<(&str, &Figure)> = geos
        .iter()
        .zip(&row.figures)
        .filter_map(|(g, f)| f.map(|f| (*g, f)))
        .collect();
    let methods: Vec<&str> = present.iter().map(|(_, f)| f.method_label()).collect();
    if methods.windows(2).any(|w| w[0] != w[1]) {
        notes.push(format!(
            "methods differ ({}): a model-based figure borrows strength from a model over all areas of its level, and its interval rests on the model's MSE",
            present
                .iter()
                .map(|(g, f)| format!("{g} {}", f.method_label()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let periods: Vec<String> = present.iter().map(|(_, f)| f.period()).collect();
    if periods.windows(2).any(|w| w[0] != w[1]) {
        notes.push(format!("reference periods differ ({})", periods.join(", ")));
    }
    notes
}

/// What holds for every figure of an indicator in a comparison of `geos`
/// ([`incity_benchmark::comparison_notes`], with each area's level from the release).
pub(crate) fn comparison_notes(
    indicator: &Indicator,
    geos: &[&str],
    served: &Served,
) -> Vec<String> {
    let areas: Vec<(&str, Option<GeoLevel>)> =
        geos.iter().map(|g| (*g, served.level_of(g))).collect();
    incity_benchmark::comparison_notes(indicator, &areas)
}

/// The peer search's parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PeerParams {
    /// Variables and weights, `name:weight` separated by commas (default: population,
    /// foreign_born_share, non_eu_born_share, unemployment_rate, median_income, weights 1).
    /// Names: population, foreign_born_share, non_eu_born_share, unemployment_rate,
    /// employment_rate, median_income.
    pub(crate) variables: Option<String>,
    /// How many peers (default 5, at most 20).
    pub(crate) k: Option<usize>,
    /// Only areas of other countries (default true).
    pub(crate) other_countries: Option<bool>,
}

/// A checked peer search and its answer.
pub(crate) struct PeerSearch {
    pub(crate) geo: String,
    pub(crate) year: i32,
    pub(crate) variables: Vec<(ContextVariable, f64)>,
    pub(crate) other_countries: bool,
    pub(crate) found: Peers,
}

impl PeerSearch {
    pub(crate) fn run(
        served: &Served,
        geo: &str,
        p: &PeerParams,
    ) -> Result<PeerSearch, PortalError> {
        let level = served.level_of(geo).ok_or_else(|| {
            PortalError::NotFound(format!("The served release has no figure for `{geo}`."))
        })?;
        let variables = parse_variables(p.variables.as_deref().unwrap_or(""))
            .map_err(|e| PortalError::BadRequest(e.to_string()))?;
        let k = p.k.unwrap_or(5);
        if k == 0 || k > 20 {
            return Err(PortalError::BadRequest(format!("k {k}: expected 1 to 20")));
        }
        let year = served
            .periods
            .iter()
            .find(|(a, b)| a == b)
            .map(|p| p.1)
            .ok_or_else(no_release)?;
        let other_countries = p.other_countries.unwrap_or(true);
        let contexts = contexts(
            catalogue()
                .iter()
                .flat_map(|i| served.of_indicator(&i.id, level)),
            level,
            year,
        );
        let found = peers(&contexts, geo, &variables, k, other_countries).map_err(|e| match e {
            PeerError::UnknownArea(_) | PeerError::TargetLacks { .. } => {
                PortalError::Unavailable(e.to_string())
            }
            _ => PortalError::BadRequest(e.to_string()),
        })?;
        Ok(PeerSearch {
            geo: geo.to_string(),
            year,
            variables,
            other_countries,
            found,
        })
    }
}
