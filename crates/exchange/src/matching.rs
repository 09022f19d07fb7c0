//! "Cities to talk to": for one city, the cities whose offers meet its needs, whose needs its
//! offers meet, and its statistical peers, each with the reasons.
//!
//! A need and an offer meet when they have the same [`Topic`](crate::content::Topic): topics
//! are a closed vocabulary, so matching is exact and explainable (the page shows the two texts
//! side by side; free-text similarity would rank by words, not by what cities can do).
//! Statistical peers come from benchmarking (the nearest areas of other countries on the
//! context variables) and are passed in, so this module depends on nothing else.

use std::collections::BTreeMap;

use crate::content::{ItemKind, Topic};

/// A need or offer of some city, as the matching reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CityItem {
    pub city: String,
    pub kind: ItemKind,
    pub topic: Topic,
    pub text: String,
}

/// A statistical peer of the city: another city close on the context variables.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticalPeer {
    pub city: String,
    /// The standardised distance (smaller is closer).
    pub distance: f64,
    /// 1 for the closest.
    pub rank: usize,
}

/// Why to talk to a city.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// It offers what you need.
    TheyOffer {
        topic: Topic,
        their_offer: String,
        your_need: String,
    },
    /// It needs what you offer.
    TheyNeed {
        topic: Topic,
        their_need: String,
        your_offer: String,
    },
    /// It is a statistical peer.
    Peer { distance: f64, rank: usize },
}

/// A city to talk to and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub city: String,
    pub reasons: Vec<Reason>,
}

impl Suggestion {
    fn exchange_reasons(&self) -> usize {
        self.reasons
            .iter()
            .filter(|r| !matches!(r, Reason::Peer { .. }))
            .count()
    }
}

/// The cities `city` could talk to: every city (other than itself) with a matching need or
/// offer, or among its peers. Ordered by the number of needs and offers that meet (more
/// first), then statistical peers by rank, then city code.
pub fn cities_to_talk_to(
    city: &str,
    items: &[CityItem],
    peers: &[StatisticalPeer],
) -> Vec<Suggestion> {
    let mine: Vec<&CityItem> = items.iter().filter(|i| i.city == city).collect();
    let mut found: BTreeMap<&str, Vec<Reason>> = BTreeMap::new();
    for theirs in items.iter().filter(|i| i.city != city) {
        for my in mine.iter().filter(|m| m.topic == theirs.topic) {
            let reason = match (my.kind, theirs.kind) {
                (ItemKind::Need, ItemKind::Offer) => Reason::TheyOffer {
                    topic: theirs.topic,
                    their_offer: theirs.text.clone(),
                    your_need: my.text.clone(),
                },
                (ItemKind::Offer, ItemKind::Need) => Reason::TheyNeed {
                    topic: theirs.topic,
                    their_need: theirs.text.clone(),
                    your_offer: my.text.clone(),
                },
                _ => continue,
            };
            found.entry(&theirs.city).or_default().push(reason);
        }
    }
    for p in peers.iter().filter(|p| p.city != city) {
        found.entry(&p.city).or_default().push(Reason::Peer {
            distance: p.distance,
            rank: p.rank,
        });
    }
    let mut out: Vec<Suggestion> = found
        .into_iter()
        .map(|(c, reasons)| Suggestion {
            city: c.to_string(),
            reasons,
        })
        .collect();
    let peer_rank = |s: &Suggestion| {
        s.reasons
            .iter()
            .find_map(|r| match r {
                Reason::Peer { rank, .. } => Some(*rank),
                _ => None,
            })
            .unwrap_or(usize::MAX)
    };
    out.sort_by(|a, b| {
        b.exchange_reasons()
            .cmp(&a.exchange_reasons())
            .then(peer_rank(a).cmp(&peer_rank(b)))
            .then(a.city.cmp(&b.city))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(city: &str, kind: ItemKind, topic: Topic, text: &str) -> CityItem {
        CityItem {
            city: city.into(),
            kind,
            topic,
            text: text.into(),
        }
    }

    #[test]
    fn needs_meet_offers_of_the_same_topic_and_peers_follow() {
        use ItemKind::*;
        let items = [
            item("AT002C", Need, Topic::Housing, "overcrowding by district"),
            item("AT002C", Offer, Topic::SurveyData, "our city survey"),
            item("DE004C", Offer, Topic::Housing, "register-based housing"),
            item("DE004C", Need, Topic::SurveyData, "a local survey design"),
            item("NL002C", Offer, Topic::Housing, "rent burden method"),
            item("NL002C", Offer, Topic::Health, "health monitor"),
            item("BE001C", Need, Topic::Housing, "also lacks housing data"),
        ];
        let peers = [
            StatisticalPeer {
                city: "CZ001C".into(),
                distance: 0.4,
                rank: 1,
            },
            StatisticalPeer {
                city: "NL002C".into(),
                distance: 0.6,
                rank: 2,
            },
        ];
        let s = cities_to_talk_to("AT002C", &items, &peers);
        let cities: Vec<&str> = s.iter().map(|x| x.city.as_str()).collect();
        // Düsseldorf meets two (housing offer, survey need); Utrecht one and is a peer;
        // Prague only a peer; Brussels, which needs what Graz needs, is no match.
        assert_eq!(cities, ["DE004C", "NL002C", "CZ001C"]);
        assert_eq!(
            s[0].reasons,
            [
                Reason::TheyOffer {
                    topic: Topic::Housing,
                    their_offer: "register-based housing".into(),
                    your_need: "overcrowding by district".into()
                },
                Reason::TheyNeed {
                    topic: Topic::SurveyData,
                    their_need: "a local survey design".into(),
                    your_offer: "our city survey".into()
                }
            ]
        );
        assert_eq!(s[1].reasons.len(), 2);
        assert!(matches!(s[1].reasons[1], Reason::Peer { rank: 2, .. }));
        assert!(cities_to_talk_to("FR001C", &items, &[]).is_empty());
    }
}
