//! The HTML pages, one module per page family. Every page is rendered from the served
//! release in memory ([`Served`](crate::served::Served)) and has a CSV download of exactly the
//! figures it shows; its JSON twin lives in [`api`](crate::api).

pub(crate) mod compare;
pub(crate) mod explore;
pub(crate) mod home;
pub(crate) mod indicators;
pub(crate) mod profile;
pub(crate) mod reference;
pub(crate) mod toolbox;

use std::sync::Arc;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use incity_indicators::{figure_table, Figure};

use crate::error::PortalError;
use crate::served::Served;
use crate::views::no_release;

/// The served release as handlers receive it (see [`crate::http`]).
pub(crate) type ServedRelease = axum::Extension<Arc<Served>>;

/// The figures as CSV, the columns of `incity export --format csv`; a suppressed figure has
/// no number.
pub(crate) fn csv_download(
    served: &Served,
    figures: &[Figure],
    file_name: &str,
) -> Result<Response, PortalError> {
    let release = served.release.as_ref().ok_or_else(no_release)?;
    let mut out = Vec::new();
    figure_table::write_csv(&mut out, release.id, release.provenance.synthetic, figures)
        .map_err(|e| PortalError::Internal(format!("CSV: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        out,
    )
        .into_response())
}
