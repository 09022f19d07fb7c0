#!/usr/bin/env python3
"""Cuts the example files of the indicator modules out of a generated synthetic Europe.

usage: module-examples.py GENERATED_DIR MODULES_DIR COUNTRY YEAR NUMERATOR:DENOMINATOR:ID ...

Keeps one country's records (EU-LFS: COUNTRY; EU-SILC: DB020, RB020, HB020, PB020) and, for
each administrative indicator, its two SDMX-CSV tables' rows of that country (geo codes
starting with the country code). Whole households and strata stay together, since a
country's sample is a complete sample of its own design. Used by scripts/make-modules.sh.
"""
import csv
import os
import sys


def cut(src, dst, column, keep):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    rows = 0
    with open(src, newline="") as f, open(dst, "w", newline="") as out:
        reader = csv.reader(f)
        header = next(reader)
        at = header.index(column)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for row in reader:
            if keep(row[at]):
                writer.writerow(row)
                rows += 1
    if rows == 0:
        sys.exit(f"{src}: no row of the chosen country in column {column}")
    print(f"{dst}: {rows} rows")


def main():
    gen, modules, country, year = sys.argv[1:5]
    same = lambda v: v == country
    cut(f"{gen}/lfs_{year}.csv", f"{modules}/examples/lfs/lfs_{country}_{year}.csv", "COUNTRY", same)
    for letter, column in [("d", "DB020"), ("r", "RB020"), ("h", "HB020"), ("p", "PB020")]:
        cut(f"{gen}/silc_{letter}.csv", f"{modules}/examples/silc/silc_{letter}_{country}.csv", column, same)
    for spec in sys.argv[5:]:
        numerator, denominator, indicator = spec.split(":")
        for dataset in sorted({numerator, denominator}):
            name = f"{dataset.lower()}_{year}.csv"
            cut(f"{gen}/{name}", f"{modules}/examples/administrative/{indicator}/{name}", "geo",
                lambda v: v.startswith(country))


main()
