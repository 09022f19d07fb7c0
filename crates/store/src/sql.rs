//! SQL that both databases accept, written once: `$n` placeholders (SQLite reads `$1` as the
//! first argument, as PostgreSQL does) and multi-row `VALUES` lists. sqlx's query builder
//! writes `?` for its `Any` driver, which PostgreSQL refuses, so the lists are written here.

/// Which database a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `VALUES` rows for `rows` rows of `columns` values: `($1, $2, …), ($k+1, …)` for
/// PostgreSQL, `(?, ?, …), (?, …)` for SQLite. (SQLite finds a named parameter such as `$7`
/// by a linear search of the names before it, so a statement of 25,000 numbered parameters
/// costs quadratic time to prepare; `?` is positional.)
pub(crate) fn values(backend: Backend, rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            match backend {
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&(r * columns + c + 1).to_string());
                }
                Backend::Sqlite => out.push('?'),
            }
        }
        out.push(')');
    }
    out
}

/// The pool options shared by both stores: slow statements are logged at debug level (a
/// multi-row insert's text is tens of kilobytes).
pub(crate) fn quiet(options: sqlx::any::AnyConnectOptions) -> sqlx::any::AnyConnectOptions {
    use sqlx::ConnectOptions;
    options.log_slow_statements(log::LevelFilter::Debug, std::time::Duration::from_secs(1))
}

/// A year read from a 64-bit integer column.
pub(crate) fn year(r: &sqlx::any::AnyRow, i: usize) -> Result<i32, crate::StoreError> {
    use sqlx::Row;
    let v: i64 = r.get(i);
    i32::try_from(v).map_err(|_| crate::StoreError::Corrupt(format!("year {v}")))
}

/// The URL the pool connects with. For PostgreSQL, prepared statements are not cached
/// (`statement-cache-capacity=0`): sqlx 0.8.6's `Any` driver declares a NULL double as
/// `float4` (sqlx-core `any/arguments.rs`), and a statement prepared with that NULL would
/// then refuse a number in the same place ("incorrect binary data format"). Each statement is
/// prepared with the types of its own arguments instead.
pub(crate) fn connect_url(url: &str) -> String {
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !postgres || url.contains("statement-cache-capacity=") {
        return url.to_string();
    }
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}statement-cache-capacity=0")
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_numbered_row_by_row() {
        use super::Backend::*;
        assert_eq!(super::values(Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::values(Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(super::values(Postgres, 1, 1), "($1)");
    }
}
