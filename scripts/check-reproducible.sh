#!/usr/bin/env bash
# Checks that two builds of incity publish the same release from the same inputs, to the bit
# (and, when they do not, says which figures and columns differ):
# the default synthetic data are generated and imported once (with the first binary), each
# binary computes a release in its own copy of the data directory, and the CSV exports are
# compared byte for byte.
#
#   scripts/check-reproducible.sh BASE_BINARY NEW_BINARY [WORK_DIR]
#
# Exports written before gaps had their own `reference_group` column (a gap's group was
# `a minus b` / `a over b`) are brought to the current columns first, so a release from before
# that change can be compared with one after it.
set -euo pipefail
base=$1
new=$2
work=${3:-$(mktemp -d)}
mkdir -p "$work"
"$base" generate --out "$work/demo" --no-truth >/dev/null 2>&1
"$base" import --data-dir "$work/data" --mapping eu-lfs "$work"/demo/lfs_*.csv >/dev/null 2>&1
"$base" import --data-dir "$work/data" --mapping eu-silc "$work/demo/silc_d.csv" \
  "$work/demo/silc_r.csv" "$work/demo/silc_h.csv" "$work/demo/silc_p.csv" >/dev/null 2>&1
for table in "$work"/demo/register_*.csv; do
  "$base" import-table --data-dir "$work/data" "$table" >/dev/null 2>&1
done
for which in base new; do
  bin=${!which}
  rm -rf "${work:?}/$which"
  cp -r "$work/data" "$work/$which"
  "$bin" compute --data-dir "$work/$which" >/dev/null 2>&1
  "$bin" export --data-dir "$work/$which" --format csv --out "$work/$which.csv" >/dev/null 2>&1
done
python3 - "$work/base.csv" <<'PY'
import csv, sys
path = sys.argv[1]
rows = list(csv.reader(open(path, newline="")))
header = rows[0]
if "reference_group" not in header:
    g, m = header.index("group"), header.index("measure")
    words = {"difference": " minus ", "ratio": " over "}
    out = [header[: g + 1] + ["reference_group"] + header[g + 1 :]]
    for r in rows[1:]:
        group, reference = r[g], ""
        if r[m] in words:
            group, reference = r[g].split(words[r[m]])
        out.append(r[:g] + [group, reference] + r[g + 1 :])
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(out)
PY
if cmp -s "$work/base.csv" "$work/new.csv"; then
  echo "identical: $(($(wc -l <"$work/new.csv") - 1)) figures, sha256 $(sha256sum "$work/new.csv" | cut -d' ' -f1)"
else
  echo "DIFFERENT: $work/base.csv and $work/new.csv" >&2
  python3 - "$work/base.csv" "$work/new.csv" >&2 <<'PY'
import csv, sys
from collections import Counter
a = list(csv.DictReader(open(sys.argv[1], newline="")))
b = list(csv.DictReader(open(sys.argv[2], newline="")))
if len(a) != len(b):
    print(f"{len(a)} figures before, {len(b)} after")
    sys.exit()
pairs = [(x, y) for x, y in zip(a, b) if x != y]
print(f"{len(pairs)} of {len(a)} figures differ")
print("by indicator and measure:", Counter((x["indicator"], x["measure"]) for x, _ in pairs).most_common())
print("columns that change:", Counter(k for x, y in pairs for k in x if x[k] != y[k]).most_common())
print("flags that change:", Counter((x["flag"], y["flag"]) for x, y in pairs if x["flag"] != y["flag"]).most_common())
def ratios(f):
    r = []
    for x, y in pairs:
        try:
            old, new = f(x), f(y)
        except ValueError:
            continue
        if old != 0:
            r.append(new / old)
    r.sort()
    return f"min {r[0]:.4f}, median {r[len(r) // 2]:.4f}, max {r[-1]:.4f} ({len(r)} figures)" if r else "none"
print("df after / before:", ratios(lambda f: float(f["df"])))
print("interval width after / before:", ratios(lambda f: float(f["ci_high"]) - float(f["ci_low"])))
PY
  exit 1
fi
