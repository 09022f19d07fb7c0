//! Published tables in the database: flags kept, confidential observations without numbers,
//! a reload replaces the dataset, and a failed load changes nothing.

mod support;

use incity_store::{PublishedObservation, PublishedTableRecord};

fn obs(
    key: &[&str],
    time: &str,
    value: Option<f64>,
    flags: &str,
    confidential: bool,
) -> PublishedObservation {
    PublishedObservation {
        key: key.iter().map(|s| s.to_string()).collect(),
        time: time.into(),
        value,
        value_text: value.map(|v| v.to_string()).unwrap_or_else(|| ":".into()),
        flags: flags.into(),
        confidential,
    }
}

fn table(observations: Vec<PublishedObservation>) -> PublishedTableRecord {
    PublishedTableRecord {
        dataset: "LFSA_ERGAN".into(),
        format: "Eurostat TSV".into(),
        source_file: "lfsa_ergan.tsv".into(),
        sha256: "abc".into(),
        dimensions: vec!["unit".into(), "citizen".into(), "geo".into()],
        observations,
    }
}

#[tokio::test]
async fn published_tables_keep_flags_and_never_store_confidential_numbers() {
    for (store, _dir) in support::both().await {
        let t = table(vec![
            obs(&["PC", "FOR", "AT"], "2024", Some(68.9), "", false),
            obs(&["PC", "FOR", "LU"], "2024", Some(72.4), "b", false),
            // A confidential observation that (wrongly) carries a number: stored without it.
            obs(&["PC", "NAT", "MT"], "2024", Some(12.3), "c", true),
        ]);
        store.load_published(&t).await.unwrap();
        let stored = store
            .published_observations("LFSA_ERGAN", None)
            .await
            .unwrap();
        assert_eq!(stored.len(), 3);
        let lu = stored.iter().find(|o| o.key[2] == "LU").unwrap();
        assert_eq!((lu.value, lu.flags.as_str()), (Some(72.4), "b"));
        let mt = stored.iter().find(|o| o.key[2] == "MT").unwrap();
        assert_eq!(
            (mt.value, mt.confidential, mt.flags.as_str()),
            (None, true, "c")
        );
        assert!(mt.value_text.is_empty() || mt.value_text == ":");
        let at = store
            .published_observations("LFSA_ERGAN", Some("AT"))
            .await
            .unwrap();
        assert_eq!(at.len(), 1);
        // A reload replaces the dataset.
        store
            .load_published(&table(vec![obs(
                &["PC", "FOR", "AT"],
                "2024",
                Some(70.0),
                "p",
                false,
            )]))
            .await
            .unwrap();
        let tables = store.published_tables().await.unwrap();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].observations, 1);
        // A load that fails midway (a duplicated observation) changes nothing.
        let dup = table(vec![
            obs(&["PC", "FOR", "SE"], "2024", Some(1.0), "", false),
            obs(&["PC", "FOR", "SE"], "2024", Some(2.0), "", false),
        ]);
        assert!(store.load_published(&dup).await.is_err());
        let after = store
            .published_observations("LFSA_ERGAN", None)
            .await
            .unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].value, Some(70.0));
    }
}
