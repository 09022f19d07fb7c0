//! What cities write, stored: city pages, practices, needs and offers, network
//! recommendations, and the tables city editors upload (staged, then published on
//! confirmation). Every change names the city it belongs to, and a row of another city is
//! never changed through it (the `WHERE city = …` of every update and delete).

use incity_exchange::content::{
    CityPage, ExchangeItem, ItemKind, NetworkRecommendation, Practice, Topic,
};
use sqlx::Row;

use super::{audit, now_text, Actor, ExchangeStore};
use crate::{PublishedObservation, PublishedTableRecord, StoreError};

/// A practice as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPractice {
    pub id: i64,
    pub city: String,
    pub practice: Practice,
    /// Hidden by a coordinator: not shown to readers.
    pub hidden: bool,
    pub updated_at: String,
}

/// A need or offer as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    pub id: i64,
    pub city: String,
    pub item: ExchangeItem,
    pub created_at: String,
}

/// A network recommendation as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecommendation {
    pub id: i64,
    pub recommendation: NetworkRecommendation,
    pub author: String,
    pub created_at: String,
}

/// A table a city editor uploaded (without its observations).
#[derive(Debug, Clone, PartialEq)]
pub struct CityTable {
    pub id: i64,
    pub city: String,
    pub dataset: String,
    pub format: String,
    pub source_file: String,
    pub sha256: String,
    pub dimensions: Vec<String>,
    /// Published (shown on the city page) or waiting for the editor's confirmation.
    pub published: bool,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub observations: i64,
}

fn topic(code: String) -> Result<Topic, StoreError> {
    Topic::from_code(&code).ok_or_else(|| StoreError::Corrupt(format!("unknown topic `{code}`")))
}

/// Rows of observations written by one statement (7 values each).
const OBSERVATIONS_PER_INSERT: usize = 1000;

impl ExchangeStore {
    /// A city's page, with when and by whom it was last changed.
    pub async fn city_page(
        &self,
        city: &str,
    ) -> Result<Option<(CityPage, String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT p.monitoring_since, p.indicators, p.sources, p.frequency, \
             p.local_indicators, p.networks, p.updated_at, a.display_name \
             FROM city_pages p JOIN accounts a ON a.id = p.updated_by WHERE p.city = $1",
        )
        .bind(city)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| {
            (
                CityPage {
                    monitoring_since: r
                        .get::<Option<i64>, _>(0)
                        .and_then(|y| i32::try_from(y).ok()),
                    indicators: r.get(1),
                    sources: r.get(2),
                    frequency: r.get(3),
                    local_indicators: r.get(4),
                    networks: r.get(5),
                },
                r.get(6),
                r.get(7),
            )
        }))
    }

    /// The cities that have a page, a practice, a need or an offer.
    pub async fn cities_with_content(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query(
            "SELECT city FROM city_pages UNION SELECT city FROM practices WHERE hidden = 0 \
             UNION SELECT city FROM exchange_items ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
    }

    /// Writes a city's page (the whole page; the old one goes to the audit log).
    pub async fn save_city_page(
        &self,
        actor: Actor<'_>,
        city: &str,
        page: &CityPage,
    ) -> Result<(), StoreError> {
        let before = self.city_page(city).await?.map(|(p, _, _)| p.audit());
        let Some(account) = actor.id() else {
            return Err(StoreError::Conflict(
                "a city page is written by an account".into(),
            ));
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO city_pages (city, monitoring_since, indicators, sources, frequency, \
             local_indicators, networks, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (city) DO UPDATE SET monitoring_since = excluded.monitoring_since, \
             indicators = excluded.indicators, sources = excluded.sources, \
             frequency = excluded.frequency, local_indicators = excluded.local_indicators, \
             networks = excluded.networks, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(city)
        .bind(page.monitoring_since.map(i64::from))
        .bind(&page.indicators)
        .bind(&page.sources)
        .bind(&page.frequency)
        .bind(&page.local_indicators)
        .bind(&page.networks)
        .bind(now_text())
        .bind(account)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "save",
            "city-page",
            city,
            before,
            Some(page.audit()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Practices, of one city or of all, newest first; hidden ones only with `with_hidden`.
    pub async fn practices(
        &self,
        city: Option<&str>,
        with_hidden: bool,
    ) -> Result<Vec<StoredPractice>, StoreError> {
        self.practices_where(city, None, with_hidden).await
    }

    /// Practices by city and id (either or both), newest first.
    async fn practices_where(
        &self,
        city: Option<&str>,
        id: Option<i64>,
        with_hidden: bool,
    ) -> Result<Vec<StoredPractice>, StoreError> {
        let mut sql = String::from(
            "SELECT id, city, title, topic, description, results, contact, hidden, updated_at \
             FROM practices WHERE 1 = 1",
        );
        if !with_hidden {
            sql.push_str(" AND hidden = 0");
        }
        let mut n = 0;
        for (present, column) in [(city.is_some(), "city"), (id.is_some(), "id")] {
            if present {
                n += 1;
                sql.push_str(&format!(" AND {column} = ${n}"));
            }
        }
        sql.push_str(" ORDER BY id DESC");
        let mut q = sqlx::query(&sql);
        if let Some(c) = city {
            q = q.bind(c);
        }
        if let Some(i) = id {
            q = q.bind(i);
        }
        q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                Ok(StoredPractice {
                    id: r.get(0),
                    city: r.get(1),
                    practice: Practice {
                        title: r.get(2),
                        topic: topic(r.get(3))?,
                        description: r.get(4),
                        results: r.get(5),
                        contact: r.get(6),
                    },
                    hidden: r.get::<i64, _>(7) == 1,
                    updated_at: r.get(8),
                })
            })
            .collect()
    }

    async fn practice(&self, id: i64) -> Result<Option<StoredPractice>, StoreError> {
        Ok(self.practices_where(None, Some(id), true).await?.pop())
    }

    pub async fn add_practice(
        &self,
        actor: Actor<'_>,
        city: &str,
        practice: &Practice,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO practices (city, title, topic, description, results, contact, hidden, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id",
        )
        .bind(city)
        .bind(&practice.title)
        .bind(practice.topic.code())
        .bind(&practice.description)
        .bind(&practice.results)
        .bind(&practice.contact)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        audit(
            &mut tx,
            actor,
            "create",
            "practice",
            &id.to_string(),
            None,
            Some(practice.audit()),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a practice of `city`; `false` if `city` has no practice `id`.
    pub async fn update_practice(
        &self,
        actor: Actor<'_>,
        city: &str,
        id: i64,
        practice: &Practice,
    ) -> Result<bool, StoreError> {
        let Some(old) = self.practice(id).await?.filter(|p| p.city == city) else {
            return Ok(false);
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE practices SET title = $1, topic = $2, description = $3, results = $4, \
             contact = $5, updated_at = $6 WHERE id = $7 AND city = $8",
        )
        .bind(&practice.title)
        .bind(practice.topic.code())
        .bind(&practice.description)
        .bind(&practice.results)
        .bind(&practice.contact)
        .bind(now_text())
        .bind(id)
        .bind(city)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "update",
            "practice",
            &id.to_string(),
            Some(old.practice.audit()),
            Some(practice.audit()),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes a practice of `city`; `false` if `city` has no practice `id`.
    pub async fn delete_practice(
        &self,
        actor: Actor<'_>,
        city: &str,
        id: i64,
    ) -> Result<bool, StoreError> {
        let Some(old) = self.practice(id).await?.filter(|p| p.city == city) else {
            return Ok(false);
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM practices WHERE id = $1 AND city = $2")
            .bind(id)
            .bind(city)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "delete",
            "practice",
            &id.to_string(),
            Some(old.practice.audit()),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Hides or shows a practice of any city (curation); `false` if there is no practice `id`.
    pub async fn set_practice_hidden(
        &self,
        actor: Actor<'_>,
        id: i64,
        hidden: bool,
    ) -> Result<bool, StoreError> {
        let Some(old) = self.practice(id).await? else {
            return Ok(false);
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE practices SET hidden = $1 WHERE id = $2")
            .bind(i64::from(hidden))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let state = |h: bool| Some(format!("hidden: {}", if h { "yes" } else { "no" }));
        audit(
            &mut tx,
            actor,
            if hidden { "hide" } else { "show" },
            "practice",
            &id.to_string(),
            state(old.hidden),
            state(hidden),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Needs and offers, of one city or of all, oldest first.
    pub async fn items(&self, city: Option<&str>) -> Result<Vec<StoredItem>, StoreError> {
        let sql = format!(
            "SELECT id, city, kind, topic, text, created_at FROM exchange_items {} ORDER BY id",
            if city.is_some() {
                "WHERE city = $1"
            } else {
                ""
            }
        );
        let mut q = sqlx::query(&sql);
        if let Some(c) = city {
            q = q.bind(c);
        }
        q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                let kind: String = r.get(2);
                Ok(StoredItem {
                    id: r.get(0),
                    city: r.get(1),
                    item: ExchangeItem {
                        kind: ItemKind::from_code(&kind).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown item kind `{kind}`"))
                        })?,
                        topic: topic(r.get(3))?,
                        text: r.get(4),
                    },
                    created_at: r.get(5),
                })
            })
            .collect()
    }

    pub async fn add_item(
        &self,
        actor: Actor<'_>,
        city: &str,
        item: &ExchangeItem,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO exchange_items (city, kind, topic, text, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(city)
        .bind(item.kind.code())
        .bind(item.topic.code())
        .bind(&item.text)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        audit(
            &mut tx,
            actor,
            "create",
            item.kind.code(),
            &id.to_string(),
            None,
            Some(item.audit()),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Deletes a need or offer of `city`; `false` if `city` has no item `id`.
    pub async fn delete_item(
        &self,
        actor: Actor<'_>,
        city: &str,
        id: i64,
    ) -> Result<bool, StoreError> {
        let Some(old) = self
            .items(Some(city))
            .await?
            .into_iter()
            .find(|i| i.id == id)
        else {
            return Ok(false);
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM exchange_items WHERE id = $1 AND city = $2")
            .bind(id)
            .bind(city)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "delete",
            old.item.kind.code(),
            &id.to_string(),
            Some(old.item.audit()),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The network's recommendations, newest first.
    pub async fn recommendations(&self) -> Result<Vec<StoredRecommendation>, StoreError> {
        sqlx::query(
            "SELECT r.id, r.title, r.topic, r.text, a.display_name, r.created_at \
             FROM network_recommendations r JOIN accounts a ON a.id = r.author_id \
             ORDER BY r.id DESC",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(StoredRecommendation {
                id: r.get(0),
                recommendation: NetworkRecommendation {
                    title: r.get(1),
                    topic: topic(r.get(2))?,
                    text: r.get(3),
                },
                author: r.get(4),
                created_at: r.get(5),
            })
        })
        .collect()
    }

    pub async fn add_recommendation(
        &self,
        actor: Actor<'_>,
        recommendation: &NetworkRecommendation,
    ) -> Result<i64, StoreError> {
        let Some(author) = actor.id() else {
            return Err(StoreError::Conflict(
                "a recommendation is written by an account".into(),
            ));
        };
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO network_recommendations (title, topic, text, author_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&recommendation.title)
        .bind(recommendation.topic.code())
        .bind(&recommendation.text)
        .bind(author)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        audit(
            &mut tx,
            actor,
            "create",
            "recommendation",
            &id.to_string(),
            None,
            Some(recommendation.audit()),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stages an uploaded table of `city`, all observations in one transaction (an error
    /// leaves nothing). It is shown only once published. A confidential observation is
    /// stored without its number.
    pub async fn stage_city_table(
        &self,
        actor: Actor<'_>,
        city: &str,
        table: &PublishedTableRecord,
    ) -> Result<i64, StoreError> {
        let Some(uploader) = actor.id() else {
            return Err(StoreError::Conflict(
                "a table is uploaded by an account".into(),
            ));
        };
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO city_tables (city, dataset, format, source_file, sha256, dimensions, \
             status, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) \
             RETURNING id",
        )
        .bind(city)
        .bind(&table.dataset)
        .bind(&table.format)
        .bind(&table.source_file)
        .bind(&table.sha256)
        .bind(table.dimensions.join(","))
        .bind(uploader)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        for chunk in table.observations.chunks(OBSERVATIONS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO city_table_observations \
                 (table_id, series_key, time_period, value, value_text, flags, confidential) \
                 VALUES {}",
                crate::sql::values(self.backend, chunk.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for o in chunk {
                let (value, value_text) = o.stored_value();
                q = q
                    .bind(id)
                    .bind(o.key.join("\t"))
                    .bind(o.time.clone())
                    .bind(value)
                    .bind(value_text)
                    .bind(o.flags.clone())
                    .bind(i64::from(o.confidential));
            }
            q.execute(&mut *tx).await?;
        }
        let after = format!(
            "dataset: {}\nfile: {}\nsha256: {}\nobservations: {}\nstatus: pending",
            table.dataset,
            table.source_file,
            table.sha256,
            table.observations.len()
        );
        audit(
            &mut tx,
            actor,
            "upload",
            "city-table",
            &id.to_string(),
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The tables of a city (pending ones only with `with_pending`), newest first.
    pub async fn city_tables(
        &self,
        city: &str,
        with_pending: bool,
    ) -> Result<Vec<CityTable>, StoreError> {
        let sql = format!(
            "SELECT t.id, t.city, t.dataset, t.format, t.source_file, t.sha256, t.dimensions, \
             t.status, a.display_name, t.uploaded_at, \
             (SELECT COUNT(*) FROM city_table_observations o WHERE o.table_id = t.id) \
             FROM city_tables t JOIN accounts a ON a.id = t.uploaded_by WHERE t.city = $1 {} \
             ORDER BY t.id DESC",
            if with_pending {
                ""
            } else {
                "AND t.status = 'published'"
            }
        );
        Ok(sqlx::query(&sql)
            .bind(city)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| CityTable {
                id: r.get(0),
                city: r.get(1),
                dataset: r.get(2),
                format: r.get(3),
                source_file: r.get(4),
                sha256: r.get(5),
                dimensions: r.get::<String, _>(6).split(',').map(String::from).collect(),
                published: r.get::<String, _>(7) == "published",
                uploaded_by: r.get(8),
                uploaded_at: r.get(9),
                observations: r.get(10),
            })
            .collect())
    }

    /// The observations of a table of `city` (empty if it has no table `id`).
    pub async fn city_table_observations(
        &self,
        city: &str,
        id: i64,
    ) -> Result<Vec<PublishedObservation>, StoreError> {
        Ok(sqlx::query(
            "SELECT o.series_key, o.time_period, o.value, o.value_text, o.flags, o.confidential \
             FROM city_table_observations o JOIN city_tables t ON t.id = o.table_id \
             WHERE t.id = $1 AND t.city = $2 ORDER BY o.series_key, o.time_period",
        )
        .bind(id)
        .bind(city)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| PublishedObservation::from_row(&r))
        .collect())
    }

    /// Publishes a staged table of `city`, replacing its published table of the same
    /// dataset, in one transaction; `false` if `city` has no staged table `id`.
    pub async fn publish_city_table(
        &self,
        actor: Actor<'_>,
        city: &str,
        id: i64,
    ) -> Result<bool, StoreError> {
        let Some(table) = self
            .city_tables(city, true)
            .await?
            .into_iter()
            .find(|t| t.id == id && !t.published)
        else {
            return Ok(false);
        };
        let mut tx = self.pool.begin().await?;
        let replaced: Vec<i64> = sqlx::query(
            "SELECT id FROM city_tables WHERE city = $1 AND dataset = $2 AND status = 'published'",
        )
        .bind(city)
        .bind(&table.dataset)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
        for old in &replaced {
            sqlx::query("DELETE FROM city_table_observations WHERE table_id = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM city_tables WHERE id = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE city_tables SET status = 'published', published_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let replaced_text = replaced
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        audit(
            &mut tx,
            actor,
            "publish",
            "city-table",
            &id.to_string(),
            Some(format!("status: pending\nreplaces: {replaced_text}")),
            Some(format!("status: published\ndataset: {}", table.dataset)),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Discards a staged table of `city`; `false` if `city` has no staged table `id`.
    pub async fn discard_city_table(
        &self,
        actor: Actor<'_>,
        city: &str,
        id: i64,
    ) -> Result<bool, StoreError> {
        let Some(table) = self
            .city_tables(city, true)
            .await?
            .into_iter()
            .find(|t| t.id == id && !t.published)
        else {
            return Ok(false);
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM city_table_observations WHERE table_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM city_tables WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "discard",
            "city-table",
            &id.to_string(),
            Some(format!("status: pending\ndataset: {}", table.dataset)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
