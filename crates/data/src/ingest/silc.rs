//! The EU-SILC user database: the four files joined by their ids.
//!
//! D (household register, `DB030`), R (personal register, `RB030`, household `RB040`),
//! H (household data, `HB030`) and P (personal data of persons 16+, `PB030`, household
//! `PX030`), each keyed within country and year (`xB020`, `xB010`). D, H and P are held in
//! memory (they are at most household- and person-sized); R is streamed, and each R record is
//! joined to its household's D and H records and to its own P record. R and D are required;
//! a concept whose file was not given (H or P) is missing in every row and named in the
//! report. Integrity problems are rejections like any other: a duplicated id, an R person
//! whose household is not in D, an H household not in D, a P person not in R or living in
//! another household than in R, a D household without any person.
//!
//! Where a user holds only the P file (with or without H), as some public-use extracts are
//! delivered, P is streamed instead of R and joined to H through `PX030`; the report's notes
//! say what that leaves out (children, regions and degree of urbanisation, the sample design:
//! households become the PSUs of one stratum), and an H household without any person in P is
//! a rejection.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::checks::Checks;
use super::composition::{required_rooms_by_household, REQUIRED_ROOMS};
use super::harmonise::{Harmoniser, Origin, RowSink};
use super::raw::{for_each_record, open_raw, RawFile};
use super::report::{LoadReport, ReadOptions, Rejection};
use crate::mapping::Mapping;
use crate::DataError;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    D,
    R,
    H,
    P,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::D => 'D',
            Kind::R => 'R',
            Kind::H => 'H',
            Kind::P => 'P',
        }
    }
    fn id_column(self) -> &'static str {
        match self {
            Kind::D => "DB030",
            Kind::R => "RB030",
            Kind::H => "HB030",
            Kind::P => "PB030",
        }
    }
}

/// (country, year, id) of a record.
type Key = (String, String, String);
/// Line and index in the arena.
type Held = (u64, u32);

/// The fields of many records in one buffer (no allocation per field).
#[derive(Default)]
struct Arena {
    text: String,
    /// End offset of every field in `text`, record after record.
    ends: Vec<u64>,
    /// Missing (a Parquet null) per field.
    nulls: Vec<bool>,
    columns: usize,
}

impl Arena {
    fn push(&mut self, fields: &[Option<&str>]) -> u32 {
        let index = (self.ends.len() / self.columns.max(1)) as u32;
        for f in fields {
            self.text.push_str(f.unwrap_or(""));
            self.ends.push(self.text.len() as u64);
            self.nulls.push(f.is_none());
        }
        index
    }

    fn field(&self, record: u32, column: usize) -> Option<&str> {
        let k = record as usize * self.columns + column;
        if self.nulls[k] {
            return None;
        }
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        Some(&self.text[start..self.ends[k] as usize])
    }
}

struct Keyed {
    file: usize,
    header: Vec<String>,
    records: HashMap<Key, Held>,
    arena: Arena,
}

fn column(header: &[String], name: &str, path: &Path) -> Result<usize, DataError> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| DataError::UnknownColumn {
            file: path.to_path_buf(),
            column: name.to_string(),
            role: "EU-SILC key column".into(),
            available: header.join(", "),
        })
}

/// Reads the EU-SILC user database: the files identified by their id columns, D, H and P held
/// in memory, R streamed and joined record by record, then the records no join used.
///
/// The R stream (about 150 lines) stays in one closure: each R record borrows its fields and
/// the D, H and P arenas' fields into one joined record, and the rejections, the household
/// counts and the P records used are filled as it goes.
pub(crate) fn read_udb(
    mapping: &Mapping,
    files: &[PathBuf],
    options: &ReadOptions,
    sink: &mut dyn RowSink,
    progress: &mut dyn FnMut(&Path, u64),
    report: &mut LoadReport,
) -> Result<(), DataError> {
    let (kinds, raws) = identify_files(files, mapping)?;
    let index_of = |kind: Kind| kinds.iter().find(|(k, _)| *k == kind).map(|(_, i)| *i);
    let limit = options.report_limit;
    // The streamed file: R (the full user database), or P when only P and H are given.
    let driver = if index_of(Kind::R).is_some() {
        Kind::R
    } else {
        report.notes.push(PERSONS_AND_HOUSEHOLDS_ONLY.to_string());
        Kind::P
    };
    let dl = driver.letter();

    // Load D, H and P (unless streamed) into memory.
    let mut keyed: HashMap<char, Keyed> = HashMap::new();
    for kind in [Kind::D, Kind::H, Kind::P]
        .into_iter()
        .filter(|k| *k != driver)
    {
        let Some(fi) = index_of(kind) else { continue };
        let table = load_keyed(
            kind, fi, &raws[fi], &files[fi], mapping, progress, report, limit,
        )?;
        keyed.insert(kind.letter(), table);
    }
    reject_households_not_in_d(&keyed, files, report, limit);

    // The joined record's columns: D, R, H, P, each owned by its file.
    let r_index = index_of(driver).unwrap_or(0);
    let order: Vec<(char, usize)> = [Kind::D, Kind::R, Kind::H, Kind::P]
        .into_iter()
        .filter_map(|k| index_of(k).map(|i| (k.letter(), i)))
        .collect();
    let JoinedHeader {
        header,
        owners,
        owner_file,
        offsets,
    } = joined_header(&order, dl, &raws, &keyed, files);
    let (mut header, mut owners, mut owner_file) = (header, owners, owner_file);
    // Linked columns (`RB220>PB210`: the PB210 of the person whose id RB220 holds, a parent
    // living in the household), appended to the joined record. An empty id, or an id whose
    // person has no P record (a parent who gave no personal interview), is a missing value:
    // the child is then grouped by the other parent, or not at all.
    let mut links: Vec<(usize, usize)> = Vec::new();
    if let (Kind::R, Some(p)) = (driver, keyed.get(&'P')) {
        for spec in mapping.columns.values() {
            for name in spec.columns() {
                let Some((link, target)) = name.split_once('>') else {
                    continue;
                };
                if header.iter().any(|h| h == name) {
                    continue;
                }
                let r_header = &raws[r_index].header;
                let path_r = &files[r_index];
                let l = column(r_header, link, path_r)?;
                let t = column(&p.header, target, &files[p.file])?;
                links.push((l, t));
                header.push(name.to_string());
                owners.push(files[p.file].display().to_string());
                owner_file.push(('P', p.file));
            }
        }
    }
    // The household's required rooms (`@required_rooms`), computed from all its R members in
    // a first pass over R.
    let wants_rooms = mapping
        .columns
        .values()
        .any(|spec| spec.columns().contains(&REQUIRED_ROOMS));
    let rooms = if wants_rooms && driver == Kind::R {
        header.push(REQUIRED_ROOMS.to_string());
        owners.push(files[r_index].display().to_string());
        owner_file.push(('R', r_index));
        Some(required_rooms_by_household(
            &raws[r_index],
            &files[r_index],
            mapping,
            progress,
        )?)
    } else {
        None
    };
    let given: String = order.iter().map(|(l, _)| *l).collect();
    let harmoniser = Harmoniser::new(
        mapping,
        &header,
        &mut report.unavailable_concepts,
        &given,
        &owners,
    )?;

    // Stream R (or P).
    let raw_r = &raws[r_index];
    let path_r = files[r_index].clone();
    let household_column = if driver == Kind::R { "RB040" } else { "PX030" };
    let (rc, ry, rid, rhh) = (
        column(&raw_r.header, &format!("{dl}B020"), &path_r)?,
        column(&raw_r.header, &format!("{dl}B010"), &path_r)?,
        column(&raw_r.header, driver.id_column(), &path_r)?,
        column(&raw_r.header, household_column, &path_r)?,
    );
    let px030 = keyed
        .get(&'P')
        .and_then(|p| p.header.iter().position(|h| h == "PX030"));
    let mut checks = Checks::new(harmoniser.labels(&header));
    let mut pending: Vec<(Origin, String, String, String)> = Vec::new();
    let parquet_r = raw_r.parquet;
    let mut household_members: HashMap<Key, u64> = HashMap::new();
    // Which P records an R person used (by arena index).
    let mut used_p = vec![false; keyed.get(&'P').map(|p| p.records.len()).unwrap_or(0)];
    for_each_record(
        raw_r,
        &mut |done| progress(&path_r, done),
        &mut |line, fields| {
            report.files[r_index].rows_read += 1;
            pending.clear();
            let origin_r = Origin {
                file: r_index,
                line,
            };
            if fields.is_empty() {
                pending.push((
                    origin_r,
                    "record".into(),
                    String::new(),
                    format!("{} fields as in the header", raw_r.header.len()),
                ));
            } else {
                let get = |i: usize| fields[i].filter(|v| !mapping.is_missing(v)).unwrap_or("");
                let (country, year) = (get(rc).to_string(), get(ry).to_string());
                let hh = (country.clone(), year.clone(), get(rhh).to_string());
                let person = (country, year, get(rid).to_string());
                // The joined record borrows every field from R and the arenas.
                let mut unified: Vec<Option<&str>> = vec![None; header.len()];
                let mut lines: [Option<u64>; 4] = [None; 4];
                let slot = |letter: char| "DRHP".find(letter).unwrap_or(1);
                lines[slot(dl)] = Some(line);
                let off_r = offsets[&dl];
                unified[off_r..off_r + fields.len()].copy_from_slice(fields);
                if let Some(d) = keyed.get(&'D') {
                    match d.records.get(&hh) {
                        Some((line_d, index)) => {
                            lines[slot('D')] = Some(*line_d);
                            let off = offsets[&'D'];
                            for k in 0..d.arena.columns {
                                unified[off + k] = d.arena.field(*index, k);
                            }
                            *household_members.entry(hh.clone()).or_default() += 1;
                        }
                        None => pending.push((
                            origin_r,
                            household_column.into(),
                            hh.2.clone(),
                            format!("a household of the D file ({} {})", hh.0, hh.1),
                        )),
                    }
                }
                if let Some(h) = keyed.get(&'H') {
                    match h.records.get(&hh) {
                        Some((hl, index)) => {
                            lines[slot('H')] = Some(*hl);
                            let off = offsets[&'H'];
                            for k in 0..h.arena.columns {
                                unified[off + k] = h.arena.field(*index, k);
                            }
                            if driver == Kind::P {
                                *household_members.entry(hh.clone()).or_default() += 1;
                            }
                        }
                        None => pending.push((
                            origin_r,
                            household_column.into(),
                            hh.2.clone(),
                            format!("a household of the H file ({} {})", hh.0, hh.1),
                        )),
                    }
                }
                if let Some(p) = keyed.get(&'P') {
                    if let Some((pl, index)) = p.records.get(&person) {
                        used_p[*index as usize] = true;
                        lines[slot('P')] = Some(*pl);
                        if let Some(x) = px030 {
                            let in_p = p.arena.field(*index, x).unwrap_or("");
                            if in_p != hh.2 {
                                pending.push((
                                    Origin {
                                        file: p.file,
                                        line: *pl,
                                    },
                                    "PX030".into(),
                                    in_p.to_string(),
                                    format!(
                                        "the household of person {} in the R file ({})",
                                        person.2, hh.2
                                    ),
                                ));
                            }
                        }
                        let off = offsets[&'P'];
                        for k in 0..p.arena.columns {
                            unified[off + k] = p.arena.field(*index, k);
                        }
                    }
                }
                if let Some(p) = keyed.get(&'P') {
                    let first_link = header.len() - links.len() - usize::from(rooms.is_some());
                    for (k, (l, t)) in links.iter().enumerate() {
                        let linked = fields[*l]
                            .filter(|v| !mapping.is_missing(v))
                            .and_then(|id| {
                                p.records
                                    .get(&(person.0.clone(), person.1.clone(), id.to_string()))
                            })
                            .and_then(|(_, index)| p.arena.field(*index, *t));
                        unified[first_link + k] = linked;
                    }
                }
                if let Some(rooms) = &rooms {
                    unified[header.len() - 1] = rooms.get(&hh).map(String::as_str);
                }
                if pending.is_empty() {
                    let origin_of = |col: usize| {
                        let (letter, fi) = owner_file[col];
                        Origin {
                            file: fi,
                            line: lines[slot(letter)].unwrap_or(line),
                        }
                    };
                    let row = harmoniser.apply(&unified, &origin_of, origin_r, &mut pending);
                    if pending.is_empty() {
                        checks.check(&row, origin_r, files, &mut pending);
                    }
                    if pending.is_empty() {
                        report.files[r_index].rows_accepted += 1;
                        if report.is_clean() {
                            let year = row[1].as_deref().and_then(|y| y.parse().ok()).unwrap_or(0);
                            sink.accept(row[0].as_deref().unwrap_or(""), year, &row)?;
                        }
                        return Ok(());
                    }
                }
            }
            report.files[r_index].rows_rejected += 1;
            for (o, column, value, expected) in pending.drain(..) {
                report.reject(
                    limit,
                    Rejection {
                        file: files[o.file].clone(),
                        line: o.line,
                        parquet: parquet_r,
                        column,
                        value,
                        expected,
                    },
                );
            }
            Ok(())
        },
    )?;
    reject_unjoined(
        &keyed,
        driver,
        &used_p,
        &household_members,
        files,
        report,
        limit,
    );
    for (kind, fi) in &kinds {
        if *kind != driver {
            let f = &mut report.files[*fi];
            f.rows_accepted = f.rows_read.saturating_sub(f.rows_rejected);
        }
    }
    Ok(())
}

/// Each file's kind with its index in the load, and the opened files in load order.
type GivenFiles = (Vec<(Kind, usize)>, Vec<RawFile>);

/// The files of a load by kind (from the id column their header has): at most one of each,
/// D and R required.
fn identify_files(files: &[PathBuf], mapping: &Mapping) -> Result<GivenFiles, DataError> {
    let mut kinds: Vec<(Kind, usize)> = Vec::new();
    let mut raws = Vec::new();
    for (fi, path) in files.iter().enumerate() {
        let raw = open_raw(path, &mapping.value_labels)?;
        let kind = [Kind::D, Kind::R, Kind::H, Kind::P]
            .into_iter()
            .find(|k| raw.header.iter().any(|h| h == k.id_column()))
            .ok_or_else(|| DataError::BadValue {
                file: path.clone(),
                line: 1,
                column: "header".into(),
                value: raw
                    .header
                    .iter()
                    .take(4)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
                expected:
                    "an EU-SILC D, R, H or P file (a header with DB030, RB030, HB030 or PB030)"
                        .into(),
            })?;
        if let Some((_, other)) = kinds.iter().find(|(k, _)| *k == kind) {
            return Err(DataError::Design(format!(
                "two EU-SILC {} files given: {} and {}",
                kind.letter(),
                files[*other].display(),
                path.display()
            )));
        }
        kinds.push((kind, fi));
        raws.push(raw);
    }
    let has = |kind: Kind| kinds.iter().any(|(k, _)| *k == kind);
    let persons_and_households = has(Kind::P) && !has(Kind::D) && !has(Kind::R);
    if !persons_and_households {
        for required in [Kind::D, Kind::R] {
            if !has(required) {
                return Err(DataError::Design(format!(
                    "the EU-SILC {} file is required (a header with {}): give the D and R files of the user database, or the P file alone or with H (persons 16+ only, national figures)",
                    required.letter(),
                    required.id_column()
                )));
            }
        }
    }
    Ok((kinds, raws))
}

/// The report's note on a load of P (and H) without D and R.
pub const PERSONS_AND_HOUSEHOLDS_ONLY: &str = "P and H files without D and R: persons aged 16 and over only (children are not in the P file: child indicators cannot be computed, and a poverty threshold is the median of persons 16+, not of all persons as Eurostat's); no region or degree of urbanisation (they are in D): national figures only; no strata or PSUs (D): households are the PSUs of one stratum per country, so standard errors ignore the stratification and any clustering of the design; the weight is the personal weight PB040";

/// Reads a D, H or P file into memory, keyed by (country, year, id); empty records, records
/// without an id and duplicated ids are rejected.
#[allow(clippy::too_many_arguments)]
fn load_keyed(
    kind: Kind,
    fi: usize,
    raw: &RawFile,
    path: &Path,
    mapping: &Mapping,
    progress: &mut dyn FnMut(&Path, u64),
    report: &mut LoadReport,
    limit: usize,
) -> Result<Keyed, DataError> {
    let l = kind.letter();
    let (ci, yi, ii) = (
        column(&raw.header, &format!("{l}B020"), path)?,
        column(&raw.header, &format!("{l}B010"), path)?,
        column(&raw.header, kind.id_column(), path)?,
    );
    let mut table = Keyed {
        file: fi,
        header: raw.header.clone(),
        records: HashMap::new(),
        arena: Arena {
            columns: raw.header.len(),
            ..Arena::default()
        },
    };
    let mut rejections = Vec::new();
    let fr = &mut report.files[fi];
    for_each_record(
        raw,
        &mut |done| progress(path, done),
        &mut |line, fields| {
            fr.rows_read += 1;
            if fields.is_empty() {
                rejections.push(Rejection {
                    file: path.to_path_buf(),
                    line,
                    parquet: raw.parquet,
                    column: "record".into(),
                    value: String::new(),
                    expected: format!("{} fields as in the header", raw.header.len()),
                });
                return Ok(());
            }
            let get = |i: usize| fields[i].filter(|v| !mapping.is_missing(v)).unwrap_or("");
            let key = (
                get(ci).to_string(),
                get(yi).to_string(),
                get(ii).to_string(),
            );
            if key.2.is_empty() {
                rejections.push(Rejection {
                    file: path.to_path_buf(),
                    line,
                    parquet: raw.parquet,
                    column: kind.id_column().into(),
                    value: String::new(),
                    expected: "an identifier; the field is missing".into(),
                });
                return Ok(());
            }
            if let Some((first, _)) = table.records.get(&key) {
                rejections.push(Rejection {
                    file: path.to_path_buf(),
                    line,
                    parquet: raw.parquet,
                    column: kind.id_column().into(),
                    value: key.2.clone(),
                    expected: format!(
                        "an id not already used in {} {} (first on line {first})",
                        key.0, key.1
                    ),
                });
                return Ok(());
            }
            let index = table.arena.push(fields);
            table.records.insert(key, (line, index));
            Ok(())
        },
    )?;
    report.files[fi].rows_rejected += rejections.len() as u64;
    for r in rejections {
        report.reject(limit, r);
    }
    Ok(table)
}

/// Rejects the households of the H file that are not in the D file.
fn reject_households_not_in_d(
    keyed: &HashMap<char, Keyed>,
    files: &[PathBuf],
    report: &mut LoadReport,
    limit: usize,
) {
    if let (Some(h), Some(d)) = (keyed.get(&'H'), keyed.get(&'D')) {
        let mut bad = Vec::new();
        for (key, (line, _)) in &h.records {
            if !d.records.contains_key(key) {
                bad.push(Rejection {
                    file: files[h.file].clone(),
                    line: *line,
                    parquet: false,
                    column: "HB030".into(),
                    value: key.2.clone(),
                    expected: format!("a household of the D file ({} {})", key.0, key.1),
                });
            }
        }
        bad.sort_by_key(|r| r.line);
        report.files[h.file].rows_rejected += bad.len() as u64;
        for r in bad {
            report.reject(limit, r);
        }
    }
}

/// The joined record's columns, who owns each (for messages) and where each file's start.
struct JoinedHeader {
    header: Vec<String>,
    owners: Vec<String>,
    owner_file: Vec<(char, usize)>,
    offsets: HashMap<char, usize>,
}

fn joined_header(
    order: &[(char, usize)],
    streamed: char,
    raws: &[RawFile],
    keyed: &HashMap<char, Keyed>,
    files: &[PathBuf],
) -> JoinedHeader {
    let mut header = Vec::new();
    let mut owners = Vec::new();
    let mut owner_file = Vec::new();
    let mut offsets: HashMap<char, usize> = HashMap::new();
    for (letter, fi) in order {
        offsets.insert(*letter, header.len());
        let cols = if *letter == streamed {
            raws[*fi].header.clone()
        } else {
            keyed[letter].header.clone()
        };
        for c in cols {
            header.push(c);
            owners.push(files[*fi].display().to_string());
            owner_file.push((*letter, *fi));
        }
    }
    JoinedHeader {
        header,
        owners,
        owner_file,
        offsets,
    }
}

/// After the R stream: the persons of the P file no R record used, and the households of the
/// D file without a person in R (after a P stream: the households of H without a person in P).
fn reject_unjoined(
    keyed: &HashMap<char, Keyed>,
    streamed: Kind,
    used_p: &[bool],
    household_members: &HashMap<Key, u64>,
    files: &[PathBuf],
    report: &mut LoadReport,
    limit: usize,
) {
    let mut late = Vec::new();
    if let Some(p) = keyed.get(&'P') {
        for (key, (line, index)) in &p.records {
            if !used_p[*index as usize] {
                late.push((
                    p.file,
                    Rejection {
                        file: files[p.file].clone(),
                        line: *line,
                        parquet: false,
                        column: "PB030".into(),
                        value: key.2.clone(),
                        expected: format!("a person of the R file ({} {})", key.0, key.1),
                    },
                ));
            }
        }
    }
    let households = if streamed == Kind::R {
        keyed.get(&'D').map(|d| (d, "DB030", "R"))
    } else {
        keyed.get(&'H').map(|h| (h, "HB030", "P"))
    };
    if let Some((table, id, persons)) = households {
        for (key, (line, _)) in &table.records {
            if !household_members.contains_key(key) {
                late.push((
                    table.file,
                    Rejection {
                        file: files[table.file].clone(),
                        line: *line,
                        parquet: false,
                        column: id.into(),
                        value: key.2.clone(),
                        expected: format!(
                            "a household with at least one person in the {persons} file"
                        ),
                    },
                ));
            }
        }
    }
    late.sort_by_key(|(file, r)| (*file, r.line));
    for (fi, r) in late {
        report.files[fi].rows_rejected += 1;
        report.reject(limit, r);
    }
}
