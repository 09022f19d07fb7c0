//! The synthetic Europe's parameters that claim a Eurostat source equal that source: every
//! national employment and unemployment rate, median income, health share and foreign-citizen
//! education share, and every city's population and foreign-born share, read back from the
//! shipped Eurostat files with incity's own SDMX-CSV reader.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use incity_data::published::PublishedTable;
use incity_synthetic::Parameters;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

/// Latest non-missing value per series key (dimension values other than time), as
/// (year, value).
fn latest(
    table: &PublishedTable,
    filter: &dyn Fn(&[String]) -> bool,
) -> HashMap<Vec<String>, (i32, f64)> {
    let mut out: HashMap<Vec<String>, (i32, f64)> = HashMap::new();
    for o in &table.observations {
        let (Some(v), Ok(y)) = (o.value, o.time.parse::<i32>()) else {
            continue;
        };
        if !filter(&o.key) {
            continue;
        }
        let e = out.entry(o.key.clone()).or_insert((y, v));
        if y > e.0 {
            *e = (y, v);
        }
    }
    out
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 5e-5, "{what}: parameter {a}, Eurostat {b}");
}

#[test]
fn national_parameters_equal_the_shipped_eurostat_tables() {
    let params = Parameters::embedded();
    let read =
        |f: &str| PublishedTable::read(&repo(&format!("data/eurostat/national/{f}"))).unwrap();
    // LFSA_ERGAN / LFSA_URGAN: coded dimensions freq, unit, sex, age, citizen, geo.
    for (file, field_nat, field_for) in [
        (
            "employment_rates_yearly.csv",
            "employment_nationals",
            "employment_foreigners",
        ),
        (
            "unemployment_rates_yearly.csv",
            "unemployment_nationals",
            "unemployment_foreigners",
        ),
    ] {
        let t = read(file);
        let (sex, cit, geo) = (
            t.dimension("sex").unwrap(),
            t.dimension("citizen").unwrap(),
            t.dimension("geo").unwrap(),
        );
        let values = latest(&t, &|k| k[sex] == "T");
        for c in &params.country {
            let get = |citizen: &str| {
                values
                    .iter()
                    .find(|(k, _)| k[cit] == citizen && k[geo] == c.code)
                    .map(|(_, v)| v.1 / 100.0)
                    .unwrap()
            };
            let (nat, foreign) = match field_nat {
                "employment_nationals" => (c.employment_nationals, c.employment_foreigners),
                _ => (c.unemployment_nationals, c.unemployment_foreigners),
            };
            close(nat, get("NAT"), &format!("{} {field_nat}", c.code));
            close(foreign, get("FOR"), &format!("{} {field_for}", c.code));
        }
    }
    // ILC_DI15 and HLTH_SILC_24 (labels only: countries by English name).
    let income = read("mean_and_median_income_by_citizenship.csv");
    let health = read("self_perceived_health_by_citizenship.csv");
    let (icit, igeo) = (
        income.dimension("citizen").unwrap(),
        income.dimension("geo").unwrap(),
    );
    let (hcit, hgeo, hlev) = (
        health.dimension("citizen").unwrap(),
        health.dimension("geo").unwrap(),
        health.dimension("lev_perc").unwrap(),
    );
    let inc = latest(&income, &|_| true);
    let hea = latest(&health, &|k| k[hlev] == "Very good or good");
    for c in &params.country {
        let find = |m: &HashMap<Vec<String>, (i32, f64)>, cit: usize, geo: usize, who: &str| {
            m.iter()
                .find(|(k, _)| k[cit] == who && k[geo] == c.name)
                .map(|(_, v)| v.1)
                .unwrap()
        };
        close(
            c.median_income_nationals,
            find(&inc, icit, igeo, "Reporting country"),
            &format!("{} income", c.code),
        );
        close(
            c.median_income_foreigners,
            find(&inc, icit, igeo, "Foreign country"),
            &format!("{} income", c.code),
        );
        close(
            c.good_health_nationals,
            find(&hea, hcit, hgeo, "Reporting country") / 100.0,
            &format!("{} health", c.code),
        );
        close(
            c.good_health_foreigners,
            find(&hea, hcit, hgeo, "Foreign country") / 100.0,
            &format!("{} health", c.code),
        );
    }
}

#[test]
fn city_parameters_equal_the_shipped_city_statistics() {
    let params = Parameters::embedded();
    let pop =
        PublishedTable::read(&repo("data/eurostat/cities/urb_cpop1_page_linear_2_0.csv")).unwrap();
    let fb =
        PublishedTable::read(&repo("data/eurostat/cities/urb_cpopcb_page_linear_2_0.csv")).unwrap();
    let by = |t: &PublishedTable| -> HashMap<(String, String), f64> {
        let c = t.dimension("cities").unwrap();
        t.observations
            .iter()
            .filter_map(|o| o.value.map(|v| ((o.key[c].clone(), o.time.clone()), v)))
            .collect()
    };
    let (pop, fb) = (by(&pop), by(&fb));
    let mut checked = 0;
    for city in params.city.iter().filter(|c| !c.code.starts_with("AT")) {
        // The latest year with both the population and the foreign-born.
        let year = fb
            .keys()
            .filter(|(c, y)| *c == city.code && pop.contains_key(&(c.clone(), y.clone())))
            .map(|(_, y)| y.clone())
            .max()
            .unwrap();
        let p = pop[&(city.code.clone(), year.clone())];
        assert_eq!(city.population, p.trunc(), "{} population", city.code);
        close(
            city.foreign_born_share,
            fb[&(city.code.clone(), year)] / p,
            &format!("{} foreign-born share", city.code),
        );
        checked += 1;
    }
    assert_eq!(checked, 41);
}
