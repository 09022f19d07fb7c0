#!/usr/bin/env python3
"""Derive data/synthetic/europe.toml, the parameters of incity's synthetic Europe, from the
real public files shipped in data/ (Eurostat tables, NUTS code lists and boundaries).

Every value taken from a table names the table in a comment; values that are not in the
shipped tables are marked `plausible` and explained in data/synthetic/README.md.
Run from the repository root: python3 scripts/derive-synthetic-parameters.py
"""
import csv
import json
import math

COUNTRIES = ["AT", "BE", "ES", "FI", "FR", "HU", "IT", "NL", "PT", "SE"]
# City code -> NUTS 3 (2021) of the city's core; checked against the NUTS names by
# crates/data/tests/geography.rs.
CITIES = {
    "AT001C": "AT130", "AT002C": "AT221", "AT003C": "AT312", "AT004C": "AT323", "AT005C": "AT332",
    "BE001C": "BE100", "BE002C": "BE211", "BE003C": "BE234", "BE004C": "BE32B", "BE005C": "BE332",
    "ES001C": "ES300", "ES002C": "ES511", "ES003C": "ES523", "ES004C": "ES618", "ES005C": "ES243",
    "FI001C": "FI1B1", "FI002C": "FI197", "FI003C": "FI1C1", "FI004C": "FI1D9",
    "FR001C": "FR101", "FR002C": "FRK26", "FR003C": "FRE11", "FR004C": "FRL04", "FR006C": "FRJ23",
    "HU001C": "HU110", "HU004C": "HU231", "HU005C": "HU321", "HU006C": "HU333",
    "IT001C": "ITI43", "IT002C": "ITC4C", "IT003C": "ITF33", "IT004C": "ITC11", "IT006C": "ITC33",
    "NL001C": "NL329", "NL037C": "NL33C", "NL017C": "NL332", "NL042C": "NL310", "NL014C": "NL414",
    "PT001C": "PT170", "PT002C": "PT11A", "PT003C": "PT112", "PT005C": "PT16E",
    "SE001C": "SE110", "SE002C": "SE232", "SE003C": "SE224", "SE006C": "SE121",
}
# Statistik Austria, 1 January 2024 (Austria is absent from the shipped city extracts):
# plausible, documented in data/synthetic/README.md.
AUSTRIA_CITIES = {
    "AT001C": ("Wien", 2005760, 0.40), "AT002C": ("Graz", 303270, 0.27),
    "AT003C": ("Linz", 211000, 0.30), "AT004C": ("Salzburg", 157000, 0.31),
    "AT005C": ("Innsbruck", 131000, 0.29),
}
AUSTRIA_POPULATION = 9158750  # Statistik Austria, 1 January 2024 (plausible here)
# Yearly EU-LFS persons and EU-SILC households in the real samples vary by country; these
# plausible sizes keep their order (larger countries larger, small countries oversampled).
LFS_PERSONS = {"AT": 42000, "BE": 36000, "ES": 150000, "FI": 22000, "FR": 190000, "HU": 50000,
               "IT": 210000, "NL": 60000, "PT": 36000, "SE": 40000}
FOREIGN_BORN_PLAUSIBLE = {"AT": 0.26, "ES": 0.18, "FI": 0.09, "HU": 0.07}
EU_SHARE_PLAUSIBLE = {"AT": 0.45, "BE": 0.45, "ES": 0.25, "FI": 0.30, "FR": 0.20, "HU": 0.45,
                      "IT": 0.30, "NL": 0.22, "PT": 0.20, "SE": 0.25}
SILC_HOUSEHOLDS = {"AT": 6000, "BE": 6000, "ES": 15000, "FI": 9000, "FR": 11000, "HU": 7500,
                   "IT": 17000, "NL": 11000, "PT": 12000, "SE": 5500}


def sdmx(path):
    with open(path, encoding="utf-8-sig") as f:
        yield from csv.DictReader(f)


def latest(rows, key):
    best = {}
    for r in rows:
        if not r["OBS_VALUE"]:
            continue
        k = key(r)
        if k is None:
            continue
        y = int(r["TIME_PERIOD"])
        if k not in best or best[k][0] < y:
            best[k] = (y, float(r["OBS_VALUE"]))
    return best


def main():
    names = {}
    with open("data/geo/NUTS2021_hilma-api.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter=";"):
            names[r["NUTS_ID"]] = r["NAME_LATN"]
    urbn = {}
    with open("data/geo/boundaries/NUTS_RG_60M_2021_4326_LEVL_3.geojson", encoding="utf-8") as f:
        for feat in json.load(f)["features"]:
            p = feat["properties"]
            urbn[p["NUTS_ID"]] = int(p["URBN_TYPE"]) if p["URBN_TYPE"] else 2

    e = "data/eurostat/national/"
    emp = latest(sdmx(e + "employment_rates_yearly.csv"),
                 lambda r: (r["geo"], r["citizen"]) if r["sex"] == "T" else None)
    unemp = latest(sdmx(e + "unemployment_rates_yearly.csv"),
                   lambda r: (r["geo"], r["citizen"]) if r["sex"] == "T" else None)
    inc = latest(sdmx(e + "mean_and_median_income_by_citizenship.csv"),
                 lambda r: (r["geo"], r["citizen"]))
    health = latest(sdmx(e + "self_perceived_health_by_citizenship.csv"),
                    lambda r: (r["geo"], r["citizen"]) if r["lev_perc"] == "Very good or good" else None)
    edu = latest(sdmx(e + "population_by_educational_attainment_level_and_citizenship.csv"),
                 lambda r: (r["geo"], r["isced11"]))
    c = "data/eurostat/cities/"
    pop_rows = list(sdmx(c + "urb_cpop1_page_linear_2_0.csv"))
    fb_rows = list(sdmx(c + "urb_cpopcb_page_linear_2_0.csv"))
    pop_by = {(r["cities"], int(r["TIME_PERIOD"])): float(r["OBS_VALUE"]) for r in pop_rows if r["OBS_VALUE"]}
    city_names = {r["cities"]: r["Geopolitical entity (declaring)"] for r in pop_rows}
    fb_by = {(r["cities"], int(r["TIME_PERIOD"])): float(r["OBS_VALUE"]) for r in fb_rows if r["OBS_VALUE"]}

    out = []
    w = out.append
    w("# incity synthetic Europe: parameters. GENERATED by scripts/derive-synthetic-parameters.py")
    w("# from the real public files in data/ (Source: Eurostat; NUTS 2021 (c) EuroGeographics).")
    w("# Values marked `plausible` are not in the shipped tables; see data/synthetic/README.md.")
    w("# Everything generated from these parameters is SYNTHETIC.")
    w("")
    for cc in COUNTRIES:
        label = english(cc)  # the labels-only SDMX files name countries in English
        # DEMO_POPPCCTB gives the sex split within each group, not the group's share of the
        # population; the national foreign-born share is URB_CPOPCB / URB_CPOP1 at country
        # level where both exist for one year, otherwise plausible.
        both = [y for (k, y) in fb_by if k == cc and (k, y) in pop_by]
        if both:
            y = max(both)
            fb_share, fb_note = fb_by[(cc, y)] / pop_by[(cc, y)], f"URB_CPOPCB / URB_CPOP1 {y}"
        else:
            fb_share, fb_note = FOREIGN_BORN_PLAUSIBLE[cc], "plausible"
        if cc == "AT":
            population, pop_year = AUSTRIA_POPULATION, 2024
        else:
            pop_year = max(y for (k, y) in pop_by if k == cc)
            population = pop_by[(cc, pop_year)]
        w("[[country]]")
        w(f'code = "{cc}"')
        w(f'name = "{english(cc)}"')
        w(f"population = {int(population)}  # {'plausible (Statistik Austria)' if cc == 'AT' else 'URB_CPOP1 DE1001V ' + str(pop_year)}")
        w(f"foreign_born_share = {fb_share:.4f}  # {fb_note}")
        w(f"eu_share_of_foreign_born = {EU_SHARE_PLAUSIBLE[cc]:.2f}  # plausible")
        w(f"employment_nationals = {emp[(cc, 'NAT')][1] / 100:.4f}  # LFSA_ERGAN 15-64 {emp[(cc, 'NAT')][0]}")
        w(f"employment_foreigners = {emp[(cc, 'FOR')][1] / 100:.4f}  # LFSA_ERGAN 15-64 {emp[(cc, 'FOR')][0]}")
        w(f"unemployment_nationals = {unemp[(cc, 'NAT')][1] / 100:.4f}  # LFSA_URGAN 15-64 {unemp[(cc, 'NAT')][0]}")
        w(f"unemployment_foreigners = {unemp[(cc, 'FOR')][1] / 100:.4f}  # LFSA_URGAN 15-64 {unemp[(cc, 'FOR')][0]}")
        mi_n = inc[(label, "Reporting country")]
        mi_f = inc[(label, "Foreign country")]
        w(f"median_income_nationals = {mi_n[1]:.0f}  # ILC_DI15 EUR {mi_n[0]}")
        w(f"median_income_foreigners = {mi_f[1]:.0f}  # ILC_DI15 EUR {mi_f[0]}")
        h_n = health[(label, "Reporting country")]
        h_f = health[(label, "Foreign country")]
        w(f"good_health_nationals = {h_n[1] / 100:.4f}  # HLTH_SILC_24 {h_n[0]}")
        w(f"good_health_foreigners = {h_f[1] / 100:.4f}  # HLTH_SILC_24 {h_f[0]}")
        lo = edu[(cc, "ED0-2")]
        hi = edu[(cc, "ED5-8")]
        w(f"low_education_foreigners = {lo[1] / 100:.4f}  # EDAT_LFS_9911 15-64 {lo[0]}")
        w(f"tertiary_education_foreigners = {hi[1] / 100:.4f}  # EDAT_LFS_9911 15-64 {hi[0]}")
        w(f"lfs_persons = {LFS_PERSONS[cc]}  # plausible")
        w(f"silc_households = {SILC_HOUSEHOLDS[cc]}  # plausible")
        w("")
    for cc in COUNTRIES:
        nuts2 = sorted(k for k in names if k.startswith(cc) and len(k) == 4 and not k.endswith("ZZ"))
        for r in nuts2:
            n3 = [k for k in names if k.startswith(r) and len(k) == 5]
            types = [urbn.get(k, 2) for k in n3]
            w("[[region]]")
            w(f'code = "{r}"')
            w(f'name = "{esc(names[r])}"')
            w(f"nuts3 = {len(n3)}  # NUTS 2021 code list")
            w(f"urban_rural = [{types.count(1)}, {types.count(2)}, {types.count(3)}]  # NUTS 3 URBN_TYPE: predominantly urban, intermediate, rural")
            w("")
    for code, n3 in CITIES.items():
        if code.startswith("AT"):
            name, population, share = AUSTRIA_CITIES[code]
            note = "plausible (Statistik Austria 2024)"
            year = 2024
        else:
            years = [y for (k, y) in fb_by if k == code and (k, y) in pop_by]
            year = max(years)
            population = pop_by[(code, year)]
            share = fb_by[(code, year)] / population
            name = city_names[code]
            note = f"URB_CPOP1 DE1001V and URB_CPOPCB DE2009V {year}"
        w("[[city]]")
        w(f'code = "{code}"')
        w(f'name = "{esc(name)}"')
        w(f'nuts3 = "{n3}"')
        w(f"population = {int(population)}  # {note}")
        w(f"foreign_born_share = {share:.4f}  # {note}")
        w("")
    with open("data/synthetic/europe.toml", "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    with open("data/geo/cities.csv", "w", encoding="utf-8", newline="") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["city_code", "name", "country", "nuts3_2021"])
        for code, n3 in CITIES.items():
            name = AUSTRIA_CITIES[code][0] if code.startswith("AT") else city_names[code]
            cw.writerow([code, name, code[:2], n3])


def esc(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def names_alt(cc):
    return {"AT": "Austria", "BE": "Belgium", "ES": "Spain", "FI": "Finland", "FR": "France",
            "HU": "Hungary", "IT": "Italy", "NL": "Netherlands", "PT": "Portugal",
            "SE": "Sweden"}[cc]


english = names_alt

if __name__ == "__main__":
    main()
