//! The exchange's database on SQLite and on a real PostgreSQL server (the URL of a server in
//! `INCITY_TEST_POSTGRES_URL`; `scripts/test.sh` starts one): the same scenarios on both.

use incity_exchange::content::{CityPage, ExchangeItem, ItemKind, Practice, Topic};
use incity_exchange::{Account, Role};
use incity_store::exchange::{new_postgres_database, Actor, Backend, ExchangeStore, NewAccount};
use incity_store::{PublishedObservation, PublishedTableRecord, StoreError};

/// A fresh SQLite database and a fresh PostgreSQL database.
async fn both() -> Vec<(ExchangeStore, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = ExchangeStore::open(&format!(
        "sqlite://{}/exchange.sqlite",
        dir.path().display()
    ))
    .await
    .unwrap();
    let server = std::env::var("INCITY_TEST_POSTGRES_URL").expect(
        "INCITY_TEST_POSTGRES_URL: the URL of a PostgreSQL server (scripts/test.sh starts one)",
    );
    let postgres = ExchangeStore::open(&new_postgres_database(&server).await.unwrap())
        .await
        .unwrap();
    assert_eq!(sqlite.backend(), Backend::Sqlite);
    assert_eq!(postgres.backend(), Backend::Postgres);
    vec![(sqlite, Some(dir)), (postgres, None)]
}

async fn account(store: &ExchangeStore, name: &str, role: Role, city: Option<&str>) -> Account {
    let id = store
        .create_account(
            Actor::CommandLine,
            &NewAccount {
                name: name.into(),
                display_name: format!("{name} (display)"),
                role,
                city: city.map(String::from),
                password_hash: incity_exchange::password::hash("a long password").unwrap(),
            },
        )
        .await
        .unwrap();
    let (a, _) = store.account_by_name(name).await.unwrap().unwrap();
    assert_eq!(a.id, id);
    a
}

#[tokio::test]
async fn accounts_sessions_and_the_audit_log() {
    for (store, _dir) in both().await {
        let admin = account(&store, "admin", Role::Administrator, None).await;
        let graz = account(&store, "graz", Role::CityEditor, Some("AT002C")).await;
        assert_eq!(graz.city.as_deref(), Some("AT002C"));
        let again = store
            .create_account(
                Actor::Account(&admin),
                &NewAccount {
                    name: "graz".into(),
                    display_name: "x".into(),
                    role: Role::Coordinator,
                    city: None,
                    password_hash: "x".into(),
                },
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        // A city editor without a city is refused by the schema itself.
        let no_city = store
            .create_account(
                Actor::Account(&admin),
                &NewAccount {
                    name: "nocity".into(),
                    display_name: "x".into(),
                    role: Role::CityEditor,
                    city: None,
                    password_hash: "x".into(),
                },
            )
            .await;
        assert!(matches!(no_city, Err(StoreError::Sql(_))), "{no_city:?}");

        store
            .create_session("d1", graz.id, "csrf1", 100, 200)
            .await
            .unwrap();
        store
            .create_session("d2", graz.id, "csrf2", 100, 200)
            .await
            .unwrap();
        let s = store.session("d1", 150).await.unwrap().unwrap();
        assert_eq!((s.account.id, s.csrf_token.as_str()), (graz.id, "csrf1"));
        assert!(store.session("d1", 200).await.unwrap().is_none(), "expired");
        assert!(store.session("nope", 150).await.unwrap().is_none());

        // A password change ends the other sessions, keeps the one that made it.
        store
            .set_password(Actor::Account(&graz), graz.id, "new hash", Some("d1"))
            .await
            .unwrap();
        assert!(store.session("d1", 150).await.unwrap().is_some());
        assert!(store.session("d2", 150).await.unwrap().is_none());
        assert_eq!(
            store.account_by_name("graz").await.unwrap().unwrap().1,
            "new hash"
        );

        // Revoking ends every session and stops the account.
        assert!(store
            .revoke_account(Actor::Account(&admin), graz.id)
            .await
            .unwrap());
        assert!(!store
            .revoke_account(Actor::Account(&admin), graz.id)
            .await
            .unwrap());
        assert!(store.session("d1", 150).await.unwrap().is_none());
        assert!(
            !store
                .account_by_name("graz")
                .await
                .unwrap()
                .unwrap()
                .0
                .active
        );
        assert_eq!(
            store.active_accounts_with(Role::CityEditor).await.unwrap(),
            0
        );

        let log = store.audit_log(10).await.unwrap();
        let actions: Vec<(&str, &str, &str)> = log
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str(), e.entity_id.as_str()))
            .collect();
        let (admin_id, graz_id) = (admin.id.to_string(), graz.id.to_string());
        assert_eq!(
            actions,
            [
                ("admin", "revoke", graz_id.as_str()),
                ("graz", "change-password", graz_id.as_str()),
                ("(command line)", "create", graz_id.as_str()),
                ("(command line)", "create", admin_id.as_str()),
            ]
        );
        assert_eq!(log[0].before.as_deref(), Some("active: yes"));
        assert_eq!(log[0].after.as_deref(), Some("active: no"));
        assert!(!log[1].after.as_deref().unwrap().contains("new hash"));
        assert!(log[2].after.as_deref().unwrap().contains("city: AT002C"));

        store
            .record_login_attempt("graz", "10.0.0.1", 100, false)
            .await
            .unwrap();
        store
            .record_login_attempt("graz", "10.0.0.2", 150, false)
            .await
            .unwrap();
        store
            .record_login_attempt("graz", "10.0.0.1", 160, true)
            .await
            .unwrap();
        store
            .record_login_attempt("anna", "10.0.0.1", 170, false)
            .await
            .unwrap();
        assert_eq!(
            store
                .failed_logins_since("graz", "10.0.0.1", 120)
                .await
                .unwrap(),
            (1, 1)
        );
        assert_eq!(
            store
                .failed_logins_since("graz", "10.0.0.1", 0)
                .await
                .unwrap(),
            (2, 2)
        );
        // A day later the old attempts are forgotten.
        let later = 170 + incity_store::exchange::LOGIN_ATTEMPTS_KEPT + 1;
        store
            .record_login_attempt("graz", "10.0.0.1", later, false)
            .await
            .unwrap();
        assert_eq!(
            store
                .failed_logins_since("graz", "10.0.0.1", 0)
                .await
                .unwrap(),
            (1, 1)
        );
    }
}

#[tokio::test]
async fn city_content_changes_only_through_its_city_and_is_audited() {
    for (store, _dir) in both().await {
        let graz = account(&store, "graz", Role::CityEditor, Some("AT002C")).await;
        let wien = account(&store, "wien", Role::CityEditor, Some("AT001C")).await;
        let coordinator = account(&store, "coord", Role::Coordinator, None).await;
        let page = CityPage {
            monitoring_since: Some(2012),
            indicators: "employment, <b>education</b>".into(),
            ..CityPage::default()
        };
        store
            .save_city_page(Actor::Account(&graz), "AT002C", &page)
            .await
            .unwrap();
        let page2 = CityPage {
            frequency: "every two years".into(),
            ..page.clone()
        };
        store
            .save_city_page(Actor::Account(&graz), "AT002C", &page2)
            .await
            .unwrap();
        let (stored, _, by) = store.city_page("AT002C").await.unwrap().unwrap();
        assert_eq!((stored, by.as_str()), (page2.clone(), "graz (display)"));
        let log = store.audit_log(1).await.unwrap();
        assert_eq!(log[0].before.as_deref(), Some(page.audit().as_str()));
        assert_eq!(log[0].after.as_deref(), Some(page2.audit().as_str()));

        let practice = Practice {
            title: "Welcome desk".into(),
            topic: Topic::Employment,
            description: "One desk for newcomers".into(),
            results: String::new(),
            contact: "integration office".into(),
        };
        let id = store
            .add_practice(Actor::Account(&graz), "AT002C", &practice)
            .await
            .unwrap();
        let changed = Practice {
            title: "Changed by Vienna".into(),
            ..practice.clone()
        };
        assert!(!store
            .update_practice(Actor::Account(&wien), "AT001C", id, &changed)
            .await
            .unwrap());
        assert!(!store
            .delete_practice(Actor::Account(&wien), "AT001C", id)
            .await
            .unwrap());
        assert_eq!(
            store.practices(Some("AT002C"), false).await.unwrap()[0].practice,
            practice
        );
        assert!(store
            .set_practice_hidden(Actor::Account(&coordinator), id, true)
            .await
            .unwrap());
        assert!(store
            .practices(Some("AT002C"), false)
            .await
            .unwrap()
            .is_empty());
        assert!(store.practices(Some("AT002C"), true).await.unwrap()[0].hidden);

        let need = ExchangeItem {
            kind: ItemKind::Need,
            topic: Topic::Housing,
            text: "overcrowding by district".into(),
        };
        let item = store
            .add_item(Actor::Account(&graz), "AT002C", &need)
            .await
            .unwrap();
        assert!(!store
            .delete_item(Actor::Account(&wien), "AT001C", item)
            .await
            .unwrap());
        assert_eq!(store.items(None).await.unwrap().len(), 1);
        assert!(store
            .delete_item(Actor::Account(&graz), "AT002C", item)
            .await
            .unwrap());
        assert!(store.items(Some("AT002C")).await.unwrap().is_empty());
        assert_eq!(store.cities_with_content().await.unwrap(), ["AT002C"]);
    }
}

fn table(values: &[(&str, Option<f64>, bool)]) -> PublishedTableRecord {
    PublishedTableRecord {
        dataset: "city_registrations".into(),
        format: "admin-csv".into(),
        source_file: "registrations.csv".into(),
        sha256: "ab".repeat(32),
        dimensions: vec!["citizen".into(), "geo".into()],
        observations: values
            .iter()
            .map(|(c, v, confidential)| PublishedObservation {
                key: vec![c.to_string(), "AT002C".into()],
                time: "2024".into(),
                value: *v,
                value_text: v.map(|x| x.to_string()).unwrap_or_default(),
                flags: String::new(),
                confidential: *confidential,
            })
            .collect(),
    }
}

#[tokio::test]
async fn uploaded_tables_are_shown_only_once_published_and_replace_the_earlier_one() {
    for (store, _dir) in both().await {
        let graz = account(&store, "graz", Role::CityEditor, Some("AT002C")).await;
        let wien = account(&store, "wien", Role::CityEditor, Some("AT001C")).await;
        let first = store
            .stage_city_table(
                Actor::Account(&graz),
                "AT002C",
                &table(&[("EU", Some(10.0), false)]),
            )
            .await
            .unwrap();
        assert!(
            store.city_tables("AT002C", false).await.unwrap().is_empty(),
            "staged only"
        );
        assert!(!store
            .publish_city_table(Actor::Account(&wien), "AT001C", first)
            .await
            .unwrap());
        assert!(store
            .publish_city_table(Actor::Account(&graz), "AT002C", first)
            .await
            .unwrap());
        assert!(!store
            .publish_city_table(Actor::Account(&graz), "AT002C", first)
            .await
            .unwrap());
        let second = store
            .stage_city_table(
                Actor::Account(&graz),
                "AT002C",
                &table(&[("EU", Some(12.0), false), ("NEU", Some(3.0), true)]),
            )
            .await
            .unwrap();
        let shown = store.city_tables("AT002C", false).await.unwrap();
        assert_eq!(shown.iter().map(|t| t.id).collect::<Vec<_>>(), [first]);
        assert!(store
            .publish_city_table(Actor::Account(&graz), "AT002C", second)
            .await
            .unwrap());
        let shown = store.city_tables("AT002C", false).await.unwrap();
        assert_eq!(
            shown
                .iter()
                .map(|t| (t.id, t.observations))
                .collect::<Vec<_>>(),
            [(second, 2)]
        );
        let obs = store
            .city_table_observations("AT002C", second)
            .await
            .unwrap();
        assert_eq!(obs[0].value, Some(12.0));
        assert_eq!(
            (obs[1].value, obs[1].confidential),
            (None, true),
            "no number kept"
        );
        assert!(store
            .city_table_observations("AT001C", second)
            .await
            .unwrap()
            .is_empty());
        let third = store
            .stage_city_table(
                Actor::Account(&graz),
                "AT002C",
                &table(&[("EU", Some(1.0), false)]),
            )
            .await
            .unwrap();
        assert!(store
            .discard_city_table(Actor::Account(&graz), "AT002C", third)
            .await
            .unwrap());
        assert_eq!(store.city_tables("AT002C", true).await.unwrap().len(), 1);
        let actions: Vec<String> = store
            .audit_log(6)
            .await
            .unwrap()
            .iter()
            .map(|e| e.action.clone())
            .collect();
        assert_eq!(
            actions,
            ["discard", "upload", "publish", "upload", "publish", "upload"]
        );
    }
}
