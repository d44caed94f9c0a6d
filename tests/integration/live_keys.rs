//! Property test of the system-user key (security review, item 2): the key is three typed
//! columns, so no choice of system ids, organisations and external references — separators
//! included — makes two different keys find each other's system user. Runs on the real store
//! (SQLite; the same queries run on PostgreSQL in the HTTP suites).

use proptest::prelude::*;
use tilgang::domain::request::live_key;
use tilgang::domain::system::System;
use tilgang::store::system::insert_system;
use tilgang::store::system_user::{SystemUserRecord, insert_system_user};
use tilgang::store::{Store, migrate};

const SYSTEM_IDS: [&str; 4] = [
    "317219253_a",
    "317219253_a|315287138",
    "317219253_a|315287138|312882930",
    "317219253_a||",
];
const ORGS: [&str; 2] = ["315287138", "312882930"];

fn part() -> impl Strategy<Value = String> {
    // Short strings over an alphabet rich in separators, so collisions of a joined key are
    // likely whenever a key is built by concatenation.
    proptest::collection::vec(prop_oneof!["\\|", "3", "1", "5", "_", ":", "k"], 0..6)
        .prop_map(|v| v.concat())
}

fn triple() -> impl Strategy<Value = (usize, usize, String)> {
    (0..SYSTEM_IDS.len(), 0..ORGS.len(), part())
}

fn user(id: usize, t: &(usize, usize, String)) -> SystemUserRecord {
    SystemUserRecord {
        id: format!("u{id}"),
        system_internal_id: format!("internal-{}", t.0),
        system_id: SYSTEM_IDS[t.0].into(),
        party_org_no: ORGS[t.1].into(),
        party_id: 1,
        external_ref: t.2.clone(),
        integration_title: "t".into(),
        user_type: tilgang::domain::request::SystemUserType::Standard,
        rights: vec![],
        access_packages: vec![],
        created_at: 0,
        updated_at: 0,
        is_deleted: false,
        seq: 0,
        vendor_org: "317219253".into(),
    }
}

async fn store() -> (Store, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("tilgang-keys-{}", uuid::Uuid::new_v4().simple()));
    let store = Store::connect(&format!("sqlite://{}/t.db", dir.display()))
        .await
        .unwrap();
    migrate::run(&store).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for (i, id) in SYSTEM_IDS.iter().enumerate() {
        let system = System {
            internal_id: format!("internal-{i}"),
            system_id: (*id).into(),
            vendor_org: "317219253".into(),
            name: Default::default(),
            description: Default::default(),
            rights: vec![],
            access_packages: vec![],
            client_ids: vec![],
            is_visible: false,
            allowed_redirect_urls: vec![],
            is_deleted: false,
        };
        insert_system(&mut tx, &system, 0).await.unwrap();
    }
    tx.commit().await.unwrap();
    (store, dir)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn distinct_keys_never_find_each_others_system_user(
        triples in proptest::collection::vec(triple(), 1..8)
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (store, dir) = store().await;
            let mut stored: Vec<(usize, usize, String)> = Vec::new();
            for (i, t) in triples.iter().enumerate() {
                let mut tx = store.begin().await.unwrap();
                let result = insert_system_user(&mut tx, &user(i, t), "test", 0).await;
                if stored.contains(t) {
                    // The same key twice: the unique index refuses the second.
                    assert!(result.is_err_and(|e| e.is_unique_violation()), "{t:?}");
                } else {
                    result.unwrap();
                    tx.commit().await.unwrap();
                    stored.push(t.clone());
                }
            }
            for t in triples.iter() {
                let found = store
                    .live_system_user(live_key(SYSTEM_IDS[t.0], ORGS[t.1], &t.2))
                    .await
                    .unwrap()
                    .expect("every stored key finds its system user");
                assert_eq!(
                    (found.system_id.as_str(), found.party_org_no.as_str(), found.external_ref.as_str()),
                    (SYSTEM_IDS[t.0], ORGS[t.1], t.2.as_str())
                );
            }
            // A key made by moving text across the separators finds nothing that was not
            // stored under exactly that key.
            for (s, system_id) in SYSTEM_IDS.iter().enumerate() {
                for (o, org) in ORGS.iter().enumerate() {
                    for t in &triples {
                        let probe = (s, o, t.2.clone());
                        let found = store
                            .live_system_user(live_key(system_id, org, &t.2))
                            .await
                            .unwrap();
                        assert_eq!(found.is_some(), stored.contains(&probe), "{probe:?}");
                    }
                }
            }
            store.close().await;
            let _ = std::fs::remove_dir_all(dir);
        });
    }
}
