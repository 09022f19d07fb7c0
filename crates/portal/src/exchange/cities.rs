//! A city's page in the exchange: how it monitors integration, its practices, needs and
//! offers, its published tables, and, for its editors, the forms that change them.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use incity_exchange::content::{CityPage, ExchangeItem, ItemKind, Practice, Topic};
use incity_exchange::{Account, Action};
use incity_store::exchange::{Actor, StoredPractice};
use maud::{html, Markup};
use serde::Deserialize;

use super::{city, exchange_page, field_errors, found, PageForm, Visitor};
use crate::error::PortalError;
use crate::AppState;

/// The account acting on `geo`'s content: signed in (401), the form's token (403), an editor
/// of that city (403).
pub(crate) fn city_editor<'v>(
    visitor: &'v Visitor,
    geo: &str,
    csrf: &str,
) -> Result<&'v Account, PortalError> {
    let account = visitor.acting(csrf)?;
    if account.may(&Action::EditCity(geo)) {
        Ok(account)
    } else {
        Err(PortalError::Forbidden(format!(
            "Only the editors of {geo} may change its page."
        )))
    }
}

fn topic_options(selected: Option<Topic>) -> Markup {
    html! {
        @for t in Topic::ALL {
            option value=(t.code()) selected[selected == Some(t)] { (t.label()) }
        }
    }
}

fn parse_topic(code: &str) -> Result<Topic, PortalError> {
    Topic::from_code(code).ok_or_else(|| {
        PortalError::Unprocessable(format!("topic `{code}`: not one of the exchange's topics"))
    })
}

/// Free text as written, line by line ("not stated" when empty).
fn text_block(text: &str) -> Markup {
    html! {
        @if text.trim().is_empty() { span.note { "not stated" } }
        @for line in text.lines() { (line) br; }
    }
}

pub(crate) async fn city_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(geo): Path<String>,
) -> Result<Markup, PortalError> {
    let (code, name) = city(&geo)?;
    let store = &state.exchange()?.store;
    let editor = visitor
        .account()
        .is_some_and(|a| a.may(&Action::EditCity(code)));
    let page = store.city_page(code).await?;
    let practices = store.practices(Some(code), false).await?;
    let items = store.items(Some(code)).await?;
    let tables = store.city_tables(code, editor).await?;
    let has_profile = state.served().has_geo(code);
    let csrf = visitor.csrf();
    let current = page.as_ref().map(|p| p.0.clone()).unwrap_or_default();
    let body = html! {
        h1 { (name) " in the exchange" }
        p {
            @if has_profile { a href={ "/profile/" (code) } { "Figures for " (name) } " · " }
            a href={ "/cities/" (code) "/talk-to" } { "Cities to talk to" }
        }
        section aria-labelledby="monitoring" {
            h2 #monitoring { "Integration monitoring" }
            @match &page {
                Some((p, updated, by)) => {
                    dl.fields {
                        dt { "Since" } dd { (p.monitoring_since.map(|y| y.to_string()).unwrap_or_else(|| "not stated".into())) }
                        dt { "Indicators" } dd { (text_block(&p.indicators)) }
                        dt { "Sources" } dd { (text_block(&p.sources)) }
                        dt { "Frequency" } dd { (text_block(&p.frequency)) }
                        dt { "Local indicators" } dd { (text_block(&p.local_indicators)) }
                        dt { "Networks and projects" } dd { (text_block(&p.networks)) }
                    }
                    p.note { "Written by the city's editors; last changed " (super::when(updated)) " by " (by) "." }
                }
                None => p { (name) " has not described its monitoring yet." }
            }
            @if editor {
                details {
                    summary { "Edit the monitoring description" }
                    form.stacked method="post" action={ "/cities/" (code) "/page" } {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="since" { "Monitoring since (year)" }
                        input #since name="monitoring_since" inputmode="numeric" value=(current.monitoring_since.map(|y| y.to_string()).unwrap_or_default());
                        label for="indicators" { "Indicators monitored" }
                        textarea #indicators name="indicators" rows="3" { (current.indicators) }
                        label for="sources" { "Sources" }
                        textarea #sources name="sources" rows="3" { (current.sources) }
                        label for="frequency" { "Frequency" }
                        input #frequency name="frequency" value=(current.frequency);
                        label for="local" { "Local indicators" }
                        textarea #local name="local_indicators" rows="3" { (current.local_indicators) }
                        label for="networks" { "Networks and projects" }
                        textarea #networks name="networks" rows="3" { (current.networks) }
                        button type="submit" { "Save" }
                    }
                }
            }
        }
        section aria-labelledby="practices" {
            h2 #practices { "Practices" }
            @if practices.is_empty() { p { "No practice shared yet." } }
            @for p in &practices { (practice_card(code, p, editor, csrf)) }
            @if editor {
                details {
                    summary { "Share a practice" }
                    (practice_form(code, None, csrf))
                }
            }
        }
        section aria-labelledby="needs-offers" {
            h2 #needs-offers { "What we lack and what we can share" }
            div.cols {
                @for (kind, heading) in [(ItemKind::Need, "We lack"), (ItemKind::Offer, "We can share")] {
                    div {
                        h3 { (heading) }
                        ul {
                            @for i in items.iter().filter(|i| i.item.kind == kind) {
                                li {
                                    strong { (i.item.topic.label()) } ": " (i.item.text)
                                    @if editor {
                                        " "
                                        form.inline method="post" action={ "/cities/" (code) "/items/" (i.id) "/delete" } {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button type="submit" aria-label={ "Remove: " (i.item.text) } { "Remove" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if editor {
                details {
                    summary { "Add a need or an offer" }
                    form.stacked method="post" action={ "/cities/" (code) "/items" } {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="item-kind" { "Kind" }
                        select #item-kind name="kind" { option value="need" { "We lack" } option value="offer" { "We can share" } }
                        label for="item-topic" { "Topic" }
                        select #item-topic name="topic" { (topic_options(None)) }
                        label for="item-text" { "What" }
                        textarea #item-text name="text" rows="2" required {}
                        button type="submit" { "Add" }
                    }
                }
            }
        }
        section aria-labelledby="tables" {
            h2 #tables { "Tables of the city" }
            @if tables.is_empty() { p { "No table published by the city yet." } }
            ul {
                @for t in &tables {
                    li {
                        a href={ "/cities/" (code) "/tables/" (t.id) } { (t.dataset) }
                        " — " (t.observations) " observations, " (t.source_file) ", uploaded " (super::when(&t.uploaded_at)) " by " (t.uploaded_by)
                        @if !t.published { " " strong { "(not published: waiting for confirmation)" } }
                    }
                }
            }
            @if editor { (super::uploads::upload_form(code, csrf)) }
        }
    };
    Ok(exchange_page(
        &state,
        &visitor,
        &format!("{name} in the exchange"),
        body,
    ))
}

fn practice_card(code: &str, p: &StoredPractice, editor: bool, csrf: &str) -> Markup {
    html! {
        article.practice {
            h3 { (p.practice.title) }
            p.note { (p.practice.topic.label()) " · updated " (super::when(&p.updated_at)) }
            p { (text_block(&p.practice.description)) }
            @if !p.practice.results.is_empty() { p { strong { "Results: " } (text_block(&p.practice.results)) } }
            p { strong { "Contact: " } (p.practice.contact) }
            @if editor {
                details {
                    summary { "Edit “" (p.practice.title) "”" }
                    (practice_form(code, Some(p), csrf))
                }
                form.inline method="post" action={ "/cities/" (code) "/practices/" (p.id) "/delete" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" aria-label={ "Delete the practice " (p.practice.title) } { "Delete" }
                }
            }
        }
    }
}

fn practice_form(code: &str, p: Option<&StoredPractice>, csrf: &str) -> Markup {
    let id = p.map(|p| p.id.to_string()).unwrap_or_else(|| "new".into());
    let action = match p {
        Some(p) => format!("/cities/{code}/practices/{}", p.id),
        None => format!("/cities/{code}/practices"),
    };
    let v = p.map(|p| &p.practice);
    html! {
        form.stacked method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            label for={ "p-title-" (id) } { "Title" }
            input id={ "p-title-" (id) } name="title" required value=(v.map(|v| v.title.as_str()).unwrap_or(""));
            label for={ "p-topic-" (id) } { "Topic" }
            select id={ "p-topic-" (id) } name="topic" { (topic_options(v.map(|v| v.topic))) }
            label for={ "p-description-" (id) } { "Description" }
            textarea id={ "p-description-" (id) } name="description" rows="4" required { (v.map(|v| v.description.as_str()).unwrap_or("")) }
            label for={ "p-results-" (id) } { "Results" }
            textarea id={ "p-results-" (id) } name="results" rows="3" { (v.map(|v| v.results.as_str()).unwrap_or("")) }
            label for={ "p-contact-" (id) } { "Contact" }
            input id={ "p-contact-" (id) } name="contact" required value=(v.map(|v| v.contact.as_str()).unwrap_or(""));
            button type="submit" { @if p.is_some() { "Save" } @else { "Share" } }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct PageFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    monitoring_since: String,
    #[serde(default)]
    indicators: String,
    #[serde(default)]
    sources: String,
    #[serde(default)]
    frequency: String,
    #[serde(default)]
    local_indicators: String,
    #[serde(default)]
    networks: String,
}

fn back(code: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/cities/{code}#{anchor}")).into_response()
}

pub(crate) async fn save_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(geo): Path<String>,
    PageForm(f): PageForm<PageFields>,
) -> Result<Response, PortalError> {
    let (code, _) = city(&geo)?;
    let account = city_editor(&visitor, code, &f.csrf)?;
    let since = f.monitoring_since.trim();
    let page = CityPage {
        monitoring_since: if since.is_empty() {
            None
        } else {
            Some(since.parse().map_err(|_| {
                PortalError::Unprocessable(format!("monitoring since `{since}`: expected a year"))
            })?)
        },
        indicators: f.indicators,
        sources: f.sources,
        frequency: f.frequency,
        local_indicators: f.local_indicators,
        networks: f.networks,
    };
    page.check().map_err(|e| field_errors(&e))?;
    state
        .exchange()?
        .store
        .save_city_page(Actor::Account(account), code, &page)
        .await?;
    Ok(back(code, "monitoring"))
}

#[derive(Deserialize)]
pub(crate) struct PracticeFields {
    #[serde(default)]
    csrf: String,
    title: String,
    topic: String,
    description: String,
    #[serde(default)]
    results: String,
    contact: String,
}

impl PracticeFields {
    fn practice(self) -> Result<Practice, PortalError> {
        let p = Practice {
            title: self.title,
            topic: parse_topic(&self.topic)?,
            description: self.description,
            results: self.results,
            contact: self.contact,
        };
        p.check().map_err(|e| field_errors(&e))?;
        Ok(p)
    }
}

pub(crate) async fn add_practice(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(geo): Path<String>,
    PageForm(f): PageForm<PracticeFields>,
) -> Result<Response, PortalError> {
    let (code, _) = city(&geo)?;
    let account = city_editor(&visitor, code, &f.csrf)?;
    let practice = f.practice()?;
    state
        .exchange()?
        .store
        .add_practice(Actor::Account(account), code, &practice)
        .await?;
    Ok(back(code, "practices"))
}

pub(crate) async fn update_practice(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((geo, id)): Path<(String, i64)>,
    PageForm(f): PageForm<PracticeFields>,
) -> Result<Response, PortalError> {
    let (code, _) = city(&geo)?;
    let account = city_editor(&visitor, code, &f.csrf)?;
    let practice = f.practice()?;
    found(
        state
            .exchange()?
            .store
            .update_practice(Actor::Account(account), code, id, &practice)
            .await?,
        || format!("{code} has no practice {id}."),
    )?;
    Ok(back(code, "practices"))
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn delete_practice(
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
            .delete_practice(Actor::Account(account), code, id)
            .await?,
        || format!("{code} has no practice {id}."),
    )?;
    Ok(back(code, "practices"))
}

#[derive(Deserialize)]
pub(crate) struct ItemFields {
    #[serde(default)]
    csrf: String,
    kind: String,
    topic: String,
    text: String,
}

pub(crate) async fn add_item(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(geo): Path<String>,
    PageForm(f): PageForm<ItemFields>,
) -> Result<Response, PortalError> {
    let (code, _) = city(&geo)?;
    let account = city_editor(&visitor, code, &f.csrf)?;
    let item = ExchangeItem {
        kind: ItemKind::from_code(&f.kind).ok_or_else(|| {
            PortalError::Unprocessable(format!("kind `{}`: expected need or offer", f.kind))
        })?,
        topic: parse_topic(&f.topic)?,
        text: f.text,
    };
    item.check().map_err(|e| field_errors(&e))?;
    state
        .exchange()?
        .store
        .add_item(Actor::Account(account), code, &item)
        .await?;
    Ok(back(code, "needs-offers"))
}

pub(crate) async fn delete_item(
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
            .delete_item(Actor::Account(account), code, id)
            .await?,
        || format!("{code} has no need or offer {id}."),
    )?;
    Ok(back(code, "needs-offers"))
}
