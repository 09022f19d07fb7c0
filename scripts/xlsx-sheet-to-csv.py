#!/usr/bin/env python3
"""Write one worksheet of an .xlsx workbook as CSV, using only the standard library.

Used once to derive data/geo/nuts_changes_2016_2021.csv from Eurostat's NUTS 2021 workbook
(see data/geo/README.md). Usage: xlsx-sheet-to-csv.py WORKBOOK.xlsx "SHEET NAME" > out.csv
"""
import csv
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}


def column_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def main(path, sheet_name):
    z = zipfile.ZipFile(path)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    rid = None
    for s in wb.find("m:sheets", NS):
        if s.get("name") == sheet_name:
            rid = s.get("{%s}id" % NS["r"])
    if rid is None:
        sys.exit("no sheet named %r" % sheet_name)
    target = targets[rid].lstrip("/")
    if not target.startswith("xl/"):
        target = "xl/" + target
    sheet = ET.fromstring(z.read(target))
    out = csv.writer(sys.stdout, lineterminator="\n")
    for row in sheet.iter("{%s}row" % NS["m"]):
        cells = {}
        for c in row.findall("m:c", NS):
            v = c.find("m:v", NS)
            if c.get("t") == "s" and v is not None:
                text = shared[int(v.text)]
            elif c.get("t") == "inlineStr":
                text = "".join(t.text or "" for t in c.iter("{%s}t" % NS["m"]))
            else:
                text = v.text if v is not None else ""
            cells[column_index(c.get("r"))] = text.strip()
        if cells and any(cells.values()):
            width = max(cells) + 1
            out.writerow([cells.get(i, "") for i in range(width)])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
