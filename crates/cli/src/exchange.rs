//! The city-to-city exchange from the command line: where its database is (`--exchange-database`,
//! shared with `serve`), the first administrator (`incity exchange add-admin`), and the table
//! reader the portal checks uploads with (the one `incity import-table` uses).

use std::io::BufRead;
use std::path::Path;

use anyhow::{bail, Context};
use incity_exchange::{password, Role};
use incity_store::exchange::{Actor, ExchangeStore, NewAccount};

use crate::tables::table_record;

#[derive(clap::Args, Clone)]
pub(crate) struct ExchangeDatabaseArg {
    /// The exchange's database: `sqlite://FILE` or `postgres://USER:PASSWORD@HOST:PORT/DB`
    /// (default: exchange.sqlite in the data directory).
    #[arg(long, env = "INCITY_EXCHANGE_DATABASE")]
    pub(crate) exchange_database: Option<String>,
}

impl ExchangeDatabaseArg {
    pub(crate) fn url(&self, data_dir: &Path) -> String {
        self.exchange_database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("exchange.sqlite").display()))
    }
}

#[derive(clap::Args)]
pub(crate) struct ExchangeArgs {
    #[command(subcommand)]
    command: ExchangeCommand,
}

#[derive(clap::Subcommand)]
enum ExchangeCommand {
    /// Create an administrator account (the first one, from which the others are created in
    /// the portal). The password is read from INCITY_ADMIN_PASSWORD or, if unset, from the
    /// first line of standard input.
    AddAdmin {
        #[command(flatten)]
        data: crate::DataDirArg,
        #[command(flatten)]
        database: ExchangeDatabaseArg,
        /// The name to sign in with.
        #[arg(long)]
        name: String,
        /// The name shown on pages and in the audit log (default: the name).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List the accounts (name, role, city, active).
    Accounts {
        #[command(flatten)]
        data: crate::DataDirArg,
        #[command(flatten)]
        database: ExchangeDatabaseArg,
    },
}

pub(crate) async fn run(a: ExchangeArgs) -> anyhow::Result<()> {
    match a.command {
        ExchangeCommand::AddAdmin {
            data,
            database,
            name,
            display_name,
        } => {
            let password = match std::env::var("INCITY_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .context("reading the password from standard input")?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            if let Err(e) = password::check_new(&password, &name) {
                bail!("{e}");
            }
            let store = ExchangeStore::open(&database.url(&data.data_dir)).await?;
            let id = store
                .create_account(
                    Actor::CommandLine,
                    &NewAccount {
                        display_name: display_name.unwrap_or_else(|| name.clone()),
                        name: name.clone(),
                        role: Role::Administrator,
                        city: None,
                        password_hash: password::hash(&password)?,
                    },
                )
                .await?;
            println!("administrator `{name}` created (account {id})");
            Ok(())
        }
        ExchangeCommand::Accounts { data, database } => {
            let store = ExchangeStore::open(&database.url(&data.data_dir)).await?;
            for a in store.accounts().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    a.name,
                    a.role.code(),
                    a.city.as_deref().unwrap_or("-"),
                    if a.active { "active" } else { "revoked" }
                );
            }
            Ok(())
        }
    }
}

/// Reads uploaded tables with the readers and the record of `incity import-table`.
pub(crate) struct ImportTableReader;

impl incity_portal::TableReader for ImportTableReader {
    fn read(
        &self,
        file: &Path,
        mapping: Option<&str>,
    ) -> Result<incity_store::PublishedTableRecord, String> {
        use incity_data::published::PublishedTable;
        let table = match mapping {
            Some(text) => {
                let m =
                    incity_data::mapping::AdminTableMapping::parse(text, "the uploaded mapping")
                        .map_err(|e| e.to_string())?;
                PublishedTable::read_admin_csv(file, &m)
            }
            None => PublishedTable::read(file),
        }
        .map_err(|e| e.to_string())?;
        let sha = incity_data::sha256_file(file).map_err(|e| e.to_string())?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(table_record(&table, name, sha))
    }
}

/// The portal's exchange over the database at `url`.
pub(crate) async fn open_exchange(
    url: &str,
    secure_cookies: bool,
) -> anyhow::Result<incity_portal::Exchange> {
    let store = ExchangeStore::open(url).await?;
    if store.active_accounts_with(Role::Administrator).await? == 0 {
        tracing::warn!(
            "the exchange has no administrator: create one with `incity exchange add-admin --name NAME`"
        );
    }
    Ok(incity_portal::Exchange::new(
        store,
        std::sync::Arc::new(ImportTableReader),
        secure_cookies,
    ))
}
