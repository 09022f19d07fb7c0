//! The network's view of the exchange: the overview (cities taking part, the network's
//! recommendations, recent practices with the coordinators' curation), and for one city the
//! cities to talk to, with the reasons.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use incity_exchange::content::{NetworkRecommendation, Topic};
use incity_exchange::matching::{cities_to_talk_to, CityItem, Reason, StatisticalPeer};
use incity_exchange::Action;
use incity_store::exchange::Actor;
use maud::{html, Markup};
use serde::Deserialize;

use super::{city, exchange_page, field_errors, found, PageForm, Visitor};
use crate::error::PortalError;
use crate::views::{PeerParams, PeerSearch};
use crate::AppState;

fn city_name(code: &str) -> String {
    city(code)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|_| code.to_string())
}

pub(crate) async fn overview(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Markup, PortalError> {
    let store = &state.exchange()?.store;
    let curator = visitor.account().is_some_and(|a| a.may(&Action::Curate));
    let cities = store.cities_with_content().await?;
    let recommendations = store.recommendations().await?;
    let practices = store.practices(None, curator).await?;
    let csrf = visitor.csrf();
    let body = html! {
        h1 { "City-to-city exchange" }
        p { "How cities monitor the integration of their immigrant residents, what they have learnt, what they lack and what they can share. Each city's page is kept by its editors; the network's coordinators curate the recommendations." }
        section aria-labelledby="cities" {
            h2 #cities { "Cities taking part" }
            @if cities.is_empty() { p { "No city has written its page yet." } }
            ul.columns { @for c in &cities { li { a href={ "/cities/" (c) } { (city_name(c)) } } } }
        }
        section aria-labelledby="network-recommendations" {
            h2 #network-recommendations { "Recommendations of the network" }
            p.note { "Written by the network's coordinators. The recommendations drawn from the figures themselves are on the " a href="/recommendations" { "toolbox's recommendations page" } "." }
            @if recommendations.is_empty() { p { "None yet." } }
            @for r in &recommendations {
                article {
                    h3 { (r.recommendation.title) }
                    p.note { (r.recommendation.topic.label()) " · " (r.author) ", " (super::when(&r.created_at)) }
                    p { @for line in r.recommendation.text.lines() { (line) br; } }
                }
            }
            @if curator {
                details {
                    summary { "Add a recommendation" }
                    form.stacked method="post" action="/exchange/recommendations" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="rec-title" { "Title" }
                        input #rec-title name="title" required;
                        label for="rec-topic" { "Topic" }
                        select #rec-topic name="topic" { @for t in Topic::ALL { option value=(t.code()) { (t.label()) } } }
                        label for="rec-text" { "Recommendation" }
                        textarea #rec-text name="text" rows="4" required {}
                        button type="submit" { "Publish" }
                    }
                }
            }
        }
        section aria-labelledby="recent-practices" {
            h2 #recent-practices { "Practices" }
            @if practices.is_empty() { p { "No practice shared yet." } }
            ul {
                @for p in &practices {
                    li {
                        a href={ "/cities/" (p.city) "#practices" } { (p.practice.title) }
                        " — " (city_name(&p.city)) ", " (p.practice.topic.label())
                        @if p.hidden { " " strong { "(hidden from readers)" } }
                        @if curator {
                            " "
                            form.inline method="post" action={ "/exchange/practices/" (p.id) @if p.hidden { "/show" } @else { "/hide" } } {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" aria-label={ @if p.hidden { "Show " } @else { "Hide " } (p.practice.title) } {
                                    @if p.hidden { "Show" } @else { "Hide" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(exchange_page(&state, &visitor, "Exchange", body))
}

#[derive(Deserialize)]
pub(crate) struct RecommendationFields {
    #[serde(default)]
    csrf: String,
    title: String,
    topic: String,
    text: String,
}

fn curator<'v>(
    visitor: &'v Visitor,
    csrf: &str,
) -> Result<&'v incity_exchange::Account, PortalError> {
    let account = visitor.acting(csrf)?;
    if account.may(&Action::Curate) {
        Ok(account)
    } else {
        Err(PortalError::Forbidden(
            "Only the network's coordinators may do this.".into(),
        ))
    }
}

pub(crate) async fn add_recommendation(
    State(state): State<AppState>,
    visitor: Visitor,
    PageForm(f): PageForm<RecommendationFields>,
) -> Result<Response, PortalError> {
    let account = curator(&visitor, &f.csrf)?;
    let r = NetworkRecommendation {
        title: f.title,
        topic: Topic::from_code(&f.topic).ok_or_else(|| {
            PortalError::Unprocessable(format!(
                "topic `{}`: not one of the exchange's topics",
                f.topic
            ))
        })?,
        text: f.text,
    };
    r.check().map_err(|e| field_errors(&e))?;
    state
        .exchange()?
        .store
        .add_recommendation(Actor::Account(account), &r)
        .await?;
    Ok(Redirect::to("/exchange#network-recommendations").into_response())
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn set_hidden(
    state: AppState,
    visitor: Visitor,
    id: i64,
    csrf: &str,
    hidden: bool,
) -> Result<Response, PortalError> {
    let account = curator(&visitor, csrf)?;
    found(
        state
            .exchange()?
            .store
            .set_practice_hidden(Actor::Account(account), id, hidden)
            .await?,
        || format!("There is no practice {id}."),
    )?;
    Ok(Redirect::to("/exchange#recent-practices").into_response())
}

pub(crate) async fn hide_practice(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    PageForm(f): PageForm<CsrfOnly>,
) -> Result<Response, PortalError> {
    set_hidden(state, visitor, id, &f.csrf, true).await
}

pub(crate) async fn show_practice(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<i64>,
    PageForm(f): PageForm<CsrfOnly>,
) -> Result<Response, PortalError> {
    set_hidden(state, visitor, id, &f.csrf, false).await
}

/// The cities whose offers meet this city's needs (and the reverse), and its statistical
/// peers in other countries from the served release.
pub(crate) async fn talk_to(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(geo): Path<String>,
) -> Result<Markup, PortalError> {
    let (code, name) = city(&geo)?;
    let items: Vec<CityItem> = state
        .exchange()?
        .store
        .items(None)
        .await?
        .into_iter()
        .map(|i| CityItem {
            city: i.city,
            kind: i.item.kind,
            topic: i.item.topic,
            text: i.item.text,
        })
        .collect();
    let served = state.served();
    let params = PeerParams {
        variables: None,
        k: Some(5),
        other_countries: Some(true),
    };
    let (peers, peer_note) = match PeerSearch::run(&served, code, &params) {
        Ok(search) => {
            let names: Vec<String> = search
                .variables
                .iter()
                .map(|(v, _)| v.label().to_string())
                .collect();
            (
                search
                    .found
                    .peers
                    .iter()
                    .enumerate()
                    .map(|(i, p)| StatisticalPeer {
                        city: p.geo.clone(),
                        distance: p.distance,
                        rank: i + 1,
                    })
                    .collect(),
                format!(
                    "Statistical peers: the five cities of other countries nearest to {name} in {} (standardised, equal weights; {}).",
                    names.join(", "),
                    search.year
                ),
            )
        }
        Err(e) => (Vec::new(), format!("No statistical peers: {}", e.parts().1)),
    };
    let suggestions = cities_to_talk_to(code, &items, &peers);
    let body = html! {
        h1 { "Cities for " (name) " to talk to" }
        p { "Cities whose offers meet " (name) "'s needs (same topic), whose needs its offers meet, and its statistical peers. " a href={ "/cities/" (code) } { "Back to " (name) "'s page" } }
        p.note { (peer_note) }
        @if suggestions.is_empty() { p { "No city matches yet: add what the city lacks and what it can share on its page." } }
        ol {
            @for s in &suggestions {
                li {
                    a href={ "/cities/" (s.city) } { (city_name(&s.city)) } " (" (s.city) ")"
                    ul {
                        @for r in &s.reasons {
                            li { (reason_text(r)) }
                        }
                    }
                }
            }
        }
    };
    Ok(exchange_page(
        &state,
        &visitor,
        &format!("Cities for {name} to talk to"),
        body,
    ))
}

fn reason_text(r: &Reason) -> Markup {
    match r {
        Reason::TheyOffer {
            topic,
            their_offer,
            your_need,
        } => html! {
            "Offers what you lack (" (topic.label()) "): “" (their_offer) "” — you lack “" (your_need) "”"
        },
        Reason::TheyNeed {
            topic,
            their_need,
            your_offer,
        } => html! {
            "Lacks what you can share (" (topic.label()) "): “" (their_need) "” — you offer “" (your_offer) "”"
        },
        Reason::Peer { distance, rank } => html! {
            "Statistical peer, number " (rank) " (distance " (format!("{distance:.2}")) ")"
        },
    }
}
