//! Tables a city editor uploads: read exactly as `incity import-table` reads them (the CLI's
//! [`TableReader`](super::TableReader)), checked to hold only the editor's city, staged whole
//! in one transaction, shown to the city's editors for confirmation, and published only then.
//! A file over its size limit is refused before it is read; nothing is half-loaded.

use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use incity_exchange::Action;
use incity_store::exchange::Actor;
use maud::{html, Markup};
use serde::Deserialize;

use super::cities::city_editor;
use super::{city, exchange_page, found, PageForm, Visitor};
use crate::error::PortalError;
use crate::AppState;

/// The largest table file accepted.
pub(crate) const FILE_LIMIT: usize = 2 * 1024 * 1024;
/// The largest mapping file accepted.
pub(crate) const MAPPING_LIMIT: usize = 64 * 1024;
/// The largest upload request (file, mapping and form fields).
pub(crate) const REQUEST_LIMIT: usize = FILE_LIMIT + MAPPING_LIMIT + 64 * 1024;
/// The most observations one table may have.
pub(crate) const OBSERVATION_LIMIT: usize = 100_000;
/// Rows of another area listed in the refusal (all are counted).
const LISTED_PROBLEMS: usize = 20;

pub(crate) fn upload_form(code: &str, csrf: &str) -> Markup {
    html! {
        details {
            summary { "Upload a table" }
            p.note {
                "An administrative table of the city: a CSV file with an admin-table mapping (TOML, as for "
                code { "incity import-table --mapping" } "), or a Eurostat TSV or SDMX-CSV file without one. "
                "At most " (FILE_LIMIT / 1024 / 1024) " MB and " (OBSERVATION_LIMIT) " observations; every row must be of this city ("
                (code) "). It is checked like " code { "incity import-table" } ", shown to you, and published only when you confirm."
            }
            form.stacked method="post" action={ "/cities/" (code) "/tables" } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(csrf);
                label for="table-file" { "Table file" }
                input #table-file type="file" name="file" accept=".csv,.tsv,.txt" required;
                label for="mapping-file" { "Mapping (for a CSV administrative table)" }
                input #mapping-file type="file" name="mapping" accept=".toml";
                button type="submit" { "Check the table" }
            }
        }
    }
}

/// A file name safe to write: its last component, with only `A-Z a-z 0-9 . _ -`.
fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if cleaned.trim_matches(['.', '_']).is_empty() {
        "upload.csv".into()
    } else {
        cleaned
    }
}

struct Upload {
    csrf: String,
    file: Option<(String, Vec<u8>)>,
    mapping: Option<Vec<u8>>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, PortalError> {
    let too_large = |what: &str, limit: usize| {
        PortalError::PayloadTooLarge(format!(
            "The {what} is larger than {} KB: nothing was stored.",
            limit / 1024
        ))
    };
    let malformed = |e: axum::extract::multipart::MultipartError| match e.status().as_u16() {
        413 => too_large("upload", REQUEST_LIMIT),
        _ => PortalError::BadRequest(format!("The upload is malformed: {}", e.body_text())),
    };
    let mut upload = Upload {
        csrf: String::new(),
        file: None,
        mapping: None,
    };
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(String::from);
        let limit = match name.as_str() {
            "file" => FILE_LIMIT,
            "mapping" => MAPPING_LIMIT,
            _ => 1024,
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large(
                    if name == "mapping" {
                        "mapping"
                    } else {
                        "table file"
                    },
                    limit,
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => upload.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "file" if !bytes.is_empty() => {
                upload.file = Some((safe_file_name(file_name.as_deref().unwrap_or("")), bytes))
            }
            "mapping" if !bytes.is_empty() => upload.mapping = Some(bytes),
            _ => {}
        }
    }
    Ok(upload)
}

/// Checks and stages an uploaded table: 401 without a session, 403 for another city or a
/// wrong form token, 413 over the limits, 422 with the reader's or the city check's problems.
pub(crate) async fn upload(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(geo): Path<String>,
    multipart: Multipart,
) -> Result<Response, PortalError> {
    let (code, _) = city(&geo)?;
    let account = visitor.signed_in()?;
    if !account.may(&Action::EditCity(code)) {
        return Err(PortalError::Forbidden(format!(
            "Only the editors of {code} may upload its tables."
        )));
    }
    let upload = read_upload(multipart).await?;
    let account = city_editor(&visitor, code, &upload.csrf)?;
    let Some((file_name, bytes)) = upload.file else {
        return Err(PortalError::Unprocessable("No table file was sent.".into()));
    };
    let mapping = match upload.mapping {
        Some(m) => Some(
            String::from_utf8(m)
                .map_err(|_| PortalError::Unprocessable("The mapping is not UTF-8 text.".into()))?,
        ),
        None => None,
    };
    let exchange = state.exchange()?;
    let reader = exchange.tables.clone();
    let record = tokio::task::spawn_blocking(move || -> Result<_, PortalError> {
        let dir = tempfile::tempdir().map_err(|e| PortalError::Internal(e.to_string()))?;
        let path = dir.path().join(&file_name);
        std::fs::write(&path, &bytes).map_err(|e| PortalError::Internal(e.to_string()))?;
        let prefix = format!("{}/", dir.path().display());
        reader
            .read(&path, mapping.as_deref())
            .map_err(|e| PortalError::Unprocessable(e.replace(&prefix, "")))
    })
    .await
    .map_err(|e| PortalError::Internal(e.to_string()))??;
    let n = record.observations.len();
    if n == 0 {
        return Err(PortalError::Unprocessable(
            "The table has no observation.".into(),
        ));
    }
    if n > OBSERVATION_LIMIT {
        return Err(PortalError::PayloadTooLarge(format!(
            "The table has {n} observations, at most {OBSERVATION_LIMIT} are accepted: nothing was stored."
        )));
    }
    let Some(geo_dim) = record
        .dimensions
        .iter()
        .position(|d| d == "geo" || d == "cities")
    else {
        return Err(PortalError::Unprocessable(format!(
            "The table has no geo dimension (dimensions: {}): a city's table names its city on every row.",
            record.dimensions.join(", ")
        )));
    };
    let others: Vec<String> = record
        .observations
        .iter()
        .filter(|o| o.key.get(geo_dim).map(String::as_str) != Some(code))
        .map(|o| format!("{} {}", o.key.join(","), o.time))
        .collect();
    if !others.is_empty() {
        return Err(PortalError::Unprocessable(format!(
            "{} of {n} observations are not of {code}, e.g. {}: upload only your city's rows; nothing was stored.",
            others.len(),
            others[..others.len().min(LISTED_PROBLEMS)].join("; ")
        )));
    }
    let id = exchange
        .store
        .stage_city_table(Actor::Account(account), code, &record)
        .await?;
    Ok(Redirect::to(&format!("/cities/{code}/tables/{id}")).into_response())
}

/// A table of a city: published ones to everyone, a staged one only to the city's editors,
/// with the buttons to publish or discard it. A confidential observation shows its flag only.
pub(crate) async fn table_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((geo, id)): Path<(String, i64)>,
) -> Result<Markup, PortalError> {
    let (code, name) = city(&geo)?;
    let editor = visitor
        .account()
        .is_some_and(|a| a.may(&Action::EditCity(code)));
    let store = &state.exchange()?.store;
    let Some(table) = store
        .city_tables(code, editor)
        .await?
        .into_iter()
        .find(|t| t.id == id)
    else {
        return Err(PortalError::NotFound(format!("{code} has no table {id}.")));
    };
    let observations = store.city_table_observations(code, id).await?;
    let csrf = visitor.csrf();
    let body = html! {
        h1 { (table.dataset) ": " (name) }
        p { a href={ "/cities/" (code) "#tables" } { "Back to " (name) "'s page" } }
        p {
            (table.observations) " observations from " code { (table.source_file) } " (" (table.format) ", SHA-256 " code { (&table.sha256[..12.min(table.sha256.len())]) } "…), uploaded " (table.uploaded_at) " by " (table.uploaded_by) "."
        }
        @if !table.published {
            p.synthetic role="status" { strong { "Not published." } " The table is valid. Check it, then publish it on the city's page or discard it." }
            form.inline method="post" action={ "/cities/" (code) "/tables/" (id) "/publish" } {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Publish" }
            }
            " "
            form.inline method="post" action={ "/cities/" (code) "/tables/" (id) "/discard" } {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Discard" }
            }
        }
        div.scroll { table {
            thead { tr { @for d in &table.dimensions { th { (d) } } th { "Period" } th { "Value" } th { "Flags" } } }
            tbody {
                @for o in observations.iter().take(1000) {
                    tr {
                        @for k in &o.key { td { (k) } }
                        td { (o.time) }
                        @if o.confidential { td { span.flag-c { "confidential" } } }
                        @else { td.num { (o.value_text) } }
                        td { (o.flags) }
                    }
                }
            }
        } }
        @if observations.len() > 1000 { p.note { "The first 1,000 of " (observations.len()) " observations." } }
    };
    Ok(exchange_page(
        &state,
        &visitor,
        &format!("{} · {name}", table.dataset),
        body,
    ))
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn publish(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((geo, id)): Path<(String, i64)>,
    PageForm(f): PageForm<CsrfOnly>,
) -> Result<Response, PortalError> {
    let (code, _) = city(&geo)?;
    let account = city_editor(&visitor, code, &f.csrf)?;
    found(
        state
            .exchange()?
            .store
            .publish_city_table(Actor::Account(account), code, id)
            .await?,
        || format!("{code} has no table {id} to publish."),
    )?;
    Ok(Redirect::to(&format!("/cities/{code}/tables/{id}")).into_response())
}

pub(crate) async fn discard(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((geo, id)): Path<(String, i64)>,
    PageForm(f): PageForm<CsrfOnly>,
) -> Result<Response, PortalError> {
    let (code, _) = city(&geo)?;
    let account = city_editor(&visitor, code, &f.csrf)?;
    found(
        state
            .exchange()?
            .store
            .discard_city_table(Actor::Account(account), code, id)
            .await?,
        || format!("{code} has no table {id} to discard."),
    )?;
    Ok(Redirect::to(&format!("/cities/{code}#tables")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn uploaded_file_names_cannot_leave_the_folder() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\x\\reg 2024.csv"), "reg_2024.csv");
        assert_eq!(safe_file_name(".."), "upload.csv");
        assert_eq!(safe_file_name(""), "upload.csv");
    }
}
