//! The exchange's database: accounts, sessions, login attempts, the audit log ([this
//! module](self)), and what cities write ([`content`]): city pages, practices, needs and
//! offers, network recommendations and uploaded tables.
//!
//! One code for SQLite and PostgreSQL: sqlx's `Any` driver, chosen by the URL
//! (`sqlite://FILE` or `postgres://…`), statements with `$1` placeholders (both databases
//! accept them), only 64-bit integers, doubles and text as column types, and one schema per
//! database in `migrations-exchange/` (the same tables and constraints).
//!
//! Every change is one transaction that also writes its audit-log row (who, what, when,
//! before, after), so a change without its record cannot be stored.

mod content;

pub use content::{CityTable, StoredItem, StoredPractice, StoredRecommendation};

use incity_exchange::{Account, Role};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Row};
use std::str::FromStr;

use crate::StoreError;

pub use crate::sql::Backend;

/// The exchange database.
#[derive(Clone)]
pub struct ExchangeStore {
    pool: AnyPool,
    backend: Backend,
}

/// How long sign-in attempts are kept, in seconds (a day).
pub const LOGIN_ATTEMPTS_KEPT: i64 = 24 * 3600;

/// Who made a change: an account, or the command line (the first administrator).
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    Account(&'a Account),
    CommandLine,
}

impl Actor<'_> {
    fn id(&self) -> Option<i64> {
        match self {
            Actor::Account(a) => Some(a.id),
            Actor::CommandLine => None,
        }
    }

    fn name(&self) -> &str {
        match self {
            Actor::Account(a) => &a.name,
            Actor::CommandLine => "(command line)",
        }
    }
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub city: Option<String>,
    /// The Argon2id PHC string of the first password.
    pub password_hash: String,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A session as a request finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub account: Account,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Now, as the store writes times (RFC 3339, UTC, seconds).
pub(crate) fn now_text() -> String {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0);
    now.unwrap_or_else(|_| time::OffsetDateTime::now_utc())
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl ExchangeStore {
    /// Opens the exchange database at `url` (`sqlite://PATH` creates the file if needed;
    /// `postgres://USER@HOST:PORT/DB`) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<ExchangeStore, StoreError> {
        sqlx::any::install_default_drivers();
        let open_error = |source| StoreError::Open {
            path: redact(url),
            source,
        };
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if let Some(parent) = std::path::Path::new(path).parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            Backend::Sqlite
        } else {
            return Err(StoreError::Corrupt(format!(
                "exchange database `{}`: expected a sqlite:// or postgres:// URL",
                redact(url)
            )));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => crate::sql::connect_url(url),
        };
        let options = crate::sql::quiet(AnyConnectOptions::from_str(&url).map_err(open_error)?);
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .connect_with(options)
            .await
            .map_err(open_error)?;
        if backend == Backend::Sqlite {
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON"] {
                sqlx::query(pragma).execute(&pool).await?;
            }
        }
        match backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations-exchange/sqlite")
                    .run(&pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations-exchange/postgres")
                    .run(&pool)
                    .await?
            }
        }
        Ok(ExchangeStore { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Creates an account (the name must be new) and records it.
    pub async fn create_account(
        &self,
        actor: Actor<'_>,
        new: &NewAccount,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let taken: i64 = sqlx::query("SELECT COUNT(*) FROM accounts WHERE name = $1")
            .bind(&new.name)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        if taken > 0 {
            return Err(StoreError::Conflict(format!(
                "an account named `{}` exists",
                new.name
            )));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO accounts (name, display_name, role, city, password_hash, active, \
             created_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
        )
        .bind(&new.name)
        .bind(&new.display_name)
        .bind(new.role.code())
        .bind(new.city.as_deref())
        .bind(&new.password_hash)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        let after = format!(
            "name: {}\ndisplay_name: {}\nrole: {}\ncity: {}",
            new.name,
            new.display_name,
            new.role.code(),
            new.city.as_deref().unwrap_or("")
        );
        audit(
            &mut tx,
            actor,
            "create",
            "account",
            &id.to_string(),
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The account of a login name with its password hash (revoked ones too: the caller
    /// refuses them).
    pub async fn account_by_name(
        &self,
        name: &str,
    ) -> Result<Option<(Account, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "{ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((account_from_row(&r)?, r.get::<String, _>(6))))
            .transpose()
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        sqlx::query(&format!("{ACCOUNT_COLUMNS} FROM accounts ORDER BY name"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(account_from_row)
            .collect()
    }

    /// How many active accounts have `role`.
    pub async fn active_accounts_with(&self, role: Role) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM accounts WHERE role = $1 AND active = 1")
                .bind(role.code())
                .fetch_one(&self.pool)
                .await?
                .get(0),
        )
    }

    /// Revokes an account and ends its sessions; `false` if there is no such active account.
    pub async fn revoke_account(&self, actor: Actor<'_>, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE accounts SET active = 0, revoked_at = $1 WHERE id = $2 AND active = 1",
        )
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "revoke",
            "account",
            &id.to_string(),
            Some("active: yes".into()),
            Some("active: no".into()),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets an account's password hash and ends every session of the account except
    /// `keep_session` (the one that changed it, given as its digest).
    pub async fn set_password(
        &self,
        actor: Actor<'_>,
        account_id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_digest <> $2")
            .bind(account_id)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "change-password",
            "account",
            &account_id.to_string(),
            Some("password: (hash not recorded)".into()),
            Some("password: changed".into()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts a session (the token's digest is stored, never the token).
    pub async fn create_session(
        &self,
        token_digest: &str,
        account_id: i64,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_digest, account_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_digest)
        .bind(account_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session of a token digest: not expired, of an active account.
    pub async fn session(
        &self,
        token_digest: &str,
        now: i64,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT a.id, a.name, a.display_name, a.role, a.city, a.active, s.csrf_token, \
             s.expires_at FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.token_digest = $1 AND s.expires_at > $2 AND a.active = 1",
        )
        .bind(token_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Session {
                account: account_from_row(&r)?,
                csrf_token: r.get(6),
                expires_at: r.get(7),
            })
        })
        .transpose()
    }

    /// Ends a session (and every expired one).
    pub async fn end_session(&self, token_digest: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_digest = $1 OR expires_at <= $2")
            .bind(token_digest)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a sign-in attempt, and forgets attempts older than [`LOGIN_ATTEMPTS_KEPT`]
    /// seconds (the rate limit looks back minutes; the table must not grow for ever).
    pub async fn record_login_attempt(
        &self,
        name: &str,
        address: &str,
        at: i64,
        succeeded: bool,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_attempts WHERE at < $1")
            .bind(at - LOGIN_ATTEMPTS_KEPT)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO login_attempts (name, address, at, succeeded) VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(address)
        .bind(at)
        .bind(i64::from(succeeded))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Failed sign-in attempts since `since`: for the name, and from the address.
    pub async fn failed_logins_since(
        &self,
        name: &str,
        address: &str,
        since: i64,
    ) -> Result<(i64, i64), StoreError> {
        let count = |column: &'static str, value: String| {
            let pool = self.pool.clone();
            async move {
                let n: i64 = sqlx::query(&format!(
                    "SELECT COUNT(*) FROM login_attempts WHERE {column} = $1 AND at >= $2 \
                     AND succeeded = 0"
                ))
                .bind(value)
                .bind(since)
                .fetch_one(&pool)
                .await?
                .get(0);
                Ok::<i64, StoreError>(n)
            }
        };
        Ok((
            count("name", name.to_string()).await?,
            count("address", address.to_string()).await?,
        ))
    }

    /// The newest `limit` rows of the audit log, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(sqlx::query(
            "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| AuditEntry {
            id: r.get(0),
            at: r.get(1),
            actor: r.get(2),
            action: r.get(3),
            entity: r.get(4),
            entity_id: r.get(5),
            before: r.get(6),
            after: r.get(7),
        })
        .collect())
    }
}

const ACCOUNT_COLUMNS: &str = "SELECT id, name, display_name, role, city, active";

fn account_from_row(r: &sqlx::any::AnyRow) -> Result<Account, StoreError> {
    let role: String = r.get(3);
    Ok(Account {
        id: r.get(0),
        name: r.get(1),
        display_name: r.get(2),
        role: Role::from_code(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role `{role}`")))?,
        city: r.get(4),
        active: r.get::<i64, _>(5) == 1,
    })
}

/// Writes one audit-log row inside the change's transaction.
pub(crate) async fn audit(
    tx: &mut AnyConnection,
    actor: Actor<'_>,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<String>,
    after: Option<String>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor, action, entity, entity_id, before, after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now_text())
    .bind(actor.id())
    .bind(actor.name())
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(before)
    .bind(after)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A database URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Creates a new, empty database on the PostgreSQL server at `server_url` (any database URL
/// of that server, with a role allowed to create databases) and returns its URL: for tests
/// and trial set-ups that need a database of their own.
pub async fn new_postgres_database(server_url: &str) -> Result<String, StoreError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(server_url)
        .await
        .map_err(|source| StoreError::Open {
            path: redact(server_url),
            source,
        })?;
    let name = format!("incity_{}", &incity_exchange::token::new_token()[..16]);
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let base = server_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(server_url);
    Ok(format!("{base}/{name}"))
}
