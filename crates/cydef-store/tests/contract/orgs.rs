//! Organisations.

use std::sync::Arc;

use cydef_model::role::ids;
use cydef_model::{EntityRef, NewOrganisation, Organisation};
use cydef_store::{OrgScope, Store};

use crate::fixtures::{
    assert_conflict, assert_in_use, assert_not_found, assert_recent, create_org, create_user,
    new_org, seed,
};

fn full_org(name: &str, uuid: &str) -> NewOrganisation {
    NewOrganisation {
        uuid: Some(uuid.to_owned()),
        name: name.to_owned(),
        description: "Computer Incident Response Center Luxembourg".to_owned(),
        org_type: "CSIRT".to_owned(),
        nationality: "Luxembourg".to_owned(),
        sector: "Government".to_owned(),
        contacts: "info@circl.lu".to_owned(),
        local: true,
        restricted_to_domain: vec!["circl.lu".to_owned(), "example.lu".to_owned()],
        landingpage: "https://www.circl.lu/".to_owned(),
    }
}

fn assert_matches_request(org: &Organisation, req: &NewOrganisation) {
    assert_eq!(Some(&org.uuid), req.uuid.as_ref());
    assert_eq!(org.name, req.name);
    assert_eq!(org.description, req.description);
    assert_eq!(org.org_type, req.org_type);
    assert_eq!(org.nationality, req.nationality);
    assert_eq!(org.sector, req.sector);
    assert_eq!(org.contacts, req.contacts);
    assert_eq!(org.local, req.local);
    assert_eq!(org.restricted_to_domain, req.restricted_to_domain);
    assert_eq!(org.landingpage, req.landingpage);
}

fn names(list: &[(Organisation, i64)]) -> Vec<&str> {
    list.iter().map(|(o, _)| o.name.as_str()).collect()
}

async fn crud(store: Arc<dyn Store>) {
    let uuid = "55f6ea5e-2c60-40e5-964f-47a8950d210f";
    let req = full_org("CIRCL", uuid);
    let created = store.create_org(&req, 42).await.expect("create org");
    assert!(created.id > 0);
    assert_matches_request(&created, &req);
    assert_eq!(created.created_by, 42);
    assert_recent(created.date_created, "date_created");
    assert_eq!(created.date_modified, created.date_created);

    // Lookups.
    assert_eq!(
        store
            .get_org(EntityRef::Id(created.id))
            .await
            .expect("by id"),
        created
    );
    let by_uuid = EntityRef::Uuid(uuid::Uuid::parse_str(uuid).expect("uuid"));
    assert_eq!(store.get_org(by_uuid).await.expect("by uuid"), created);
    for spelling in ["CIRCL", "circl", "CiRcL", "  circl  "] {
        let found = store
            .find_org_by_name(spelling)
            .await
            .expect("find by name");
        assert_eq!(
            found.as_ref(),
            Some(&created),
            "find_org_by_name({spelling:?})"
        );
    }
    assert_eq!(store.find_org_by_name("CIRC").await.expect("find"), None);

    // Update: replaces the writable fields, keeps id, uuid (when None) and creation.
    let mut change = full_org("CIRCL (renamed)", uuid);
    change.uuid = None;
    change.description = "Changed".to_owned();
    change.local = false;
    change.restricted_to_domain = vec![];
    change.landingpage = String::new();
    let updated = store
        .update_org(created.id, &change)
        .await
        .expect("update org");
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.uuid, uuid, "uuid: None keeps the stored uuid");
    assert_eq!(updated.name, "CIRCL (renamed)");
    assert_eq!(updated.description, "Changed");
    assert!(!updated.local);
    assert!(updated.restricted_to_domain.is_empty());
    assert_eq!(updated.landingpage, "");
    assert_eq!(updated.date_created, created.date_created);
    assert_eq!(updated.created_by, 42);
    assert!(updated.date_modified >= created.date_modified);
    assert_eq!(
        store.get_org(EntityRef::Id(created.id)).await.expect("get"),
        updated
    );
    assert_eq!(
        store.find_org_by_name("CIRCL").await.expect("find"),
        None,
        "old name is gone"
    );

    // Update with a new uuid changes it.
    let new_uuid = uuid::Uuid::new_v4().hyphenated().to_string();
    change.uuid = Some(new_uuid.clone());
    let updated = store
        .update_org(created.id, &change)
        .await
        .expect("update uuid");
    assert_eq!(updated.uuid, new_uuid);
    assert_not_found(store.get_org(by_uuid).await);

    // Delete.
    store.delete_org(created.id).await.expect("delete org");
    assert_not_found(store.get_org(EntityRef::Id(created.id)).await);
    assert_eq!(
        store
            .find_org_by_name("CIRCL (renamed)")
            .await
            .expect("find"),
        None
    );
    assert_not_found(store.delete_org(created.id).await);
    assert_not_found(store.update_org(created.id, &change).await);
    assert!(store
        .list_orgs(OrgScope::All, None)
        .await
        .expect("list")
        .is_empty());
}
contract_test!(crud => sqlite_orgs_crud, postgres_orgs_crud);

async fn uuid_assigned_when_missing(store: Arc<dyn Store>) {
    let a = store.create_org(&new_org("A"), 1).await.expect("create");
    let b = store.create_org(&new_org("B"), 1).await.expect("create");
    let ua = uuid::Uuid::parse_str(&a.uuid).expect("assigned uuid is a UUID");
    assert_eq!(
        a.uuid,
        ua.hyphenated().to_string(),
        "stored hyphenated lower-case"
    );
    assert_ne!(a.uuid, b.uuid);
    assert_ne!(a.id, b.id);
    assert!(a.restricted_to_domain.is_empty());
    assert_eq!(a.description, "");
}
contract_test!(uuid_assigned_when_missing => sqlite_orgs_uuid_assigned_when_missing, postgres_orgs_uuid_assigned_when_missing);

async fn list_scope_and_search(store: Arc<dyn Store>) {
    let seed = seed(&store).await; // "ORGNAME", local, with the admin
    let alpha = store
        .create_org(
            &NewOrganisation {
                description: "national cert".into(),
                ..new_org("Alpha CERT")
            },
            1,
        )
        .await
        .expect("create");
    let beta = store
        .create_org(
            &NewOrganisation {
                sector: "Finance".into(),
                ..new_org("beta csirt")
            },
            1,
        )
        .await
        .expect("create");
    let gamma = store
        .create_org(
            &NewOrganisation {
                local: false,
                nationality: "Luxembourg".into(),
                ..new_org("Gamma External")
            },
            1,
        )
        .await
        .expect("create");
    create_user(&store, alpha.id, ids::USER, "a1@alpha.test").await;
    create_user(&store, alpha.id, ids::USER, "a2@alpha.test").await;

    let all = store
        .list_orgs(OrgScope::All, None)
        .await
        .expect("list all");
    assert_eq!(
        names(&all),
        vec!["Alpha CERT", "beta csirt", "Gamma External", "ORGNAME"]
    );
    let counts: Vec<i64> = all.iter().map(|(_, n)| *n).collect();
    assert_eq!(counts, vec![2, 0, 0, 1], "user counts per org");
    assert_eq!(all[0].0, alpha);

    let local = store
        .list_orgs(OrgScope::Local, None)
        .await
        .expect("list local");
    assert_eq!(names(&local), vec!["Alpha CERT", "beta csirt", "ORGNAME"]);
    let external = store
        .list_orgs(OrgScope::External, None)
        .await
        .expect("list external");
    assert_eq!(names(&external), vec!["Gamma External"]);
    assert_eq!(external[0].0, gamma);

    // Substring search, case-insensitive, over name and a few other fields.
    let search = |scope, s: &'static str| {
        let store = Arc::clone(&store);
        async move { store.list_orgs(scope, Some(s)).await.expect("search") }
    };
    assert_eq!(
        names(&search(OrgScope::All, "CERT").await),
        vec!["Alpha CERT"]
    );
    assert_eq!(
        names(&search(OrgScope::All, "cSiRt").await),
        vec!["beta csirt"]
    );
    assert_eq!(
        names(&search(OrgScope::All, "a c").await),
        vec!["Alpha CERT", "beta csirt"]
    );
    assert_eq!(
        names(&search(OrgScope::All, "finance").await),
        vec!["beta csirt"]
    );
    assert_eq!(
        names(&search(OrgScope::All, "national").await),
        vec!["Alpha CERT"]
    );
    assert_eq!(
        names(&search(OrgScope::All, "luxem").await),
        vec!["Gamma External"]
    );
    assert!(search(OrgScope::Local, "luxem").await.is_empty());
    assert!(search(OrgScope::All, "nothing like this").await.is_empty());
    let everything = search(OrgScope::All, "").await;
    assert_eq!(everything.len(), 4, "empty search matches everything");
    assert_eq!(store.org_user_count(alpha.id).await.expect("count"), 2);
    assert_eq!(store.org_user_count(beta.id).await.expect("count"), 0);
    assert_eq!(
        store
            .org_user_count(seed.admin_org_id)
            .await
            .expect("count"),
        1
    );
}
contract_test!(list_scope_and_search => sqlite_orgs_list_scope_and_search, postgres_orgs_list_scope_and_search);

async fn duplicate_name_conflicts(store: Arc<dyn Store>) {
    let circl = create_org(&store, "CIRCL").await;
    assert_conflict(store.create_org(&new_org("circl"), 1).await, "name");
    assert_conflict(store.create_org(&new_org("CIRCL"), 1).await, "name");
    let other = create_org(&store, "Other").await;
    assert_conflict(store.update_org(other, &new_org("Circl")).await, "name");
    // Renaming an org to its own name in another case is fine.
    let renamed = store
        .update_org(circl, &new_org("circl"))
        .await
        .expect("recase own name");
    assert_eq!(renamed.name, "circl");
    assert_eq!(
        store
            .list_orgs(OrgScope::All, None)
            .await
            .expect("list")
            .len(),
        2
    );
}
contract_test!(duplicate_name_conflicts => sqlite_orgs_duplicate_name_conflicts, postgres_orgs_duplicate_name_conflicts);

async fn duplicate_uuid_conflicts(store: Arc<dyn Store>) {
    let uuid = uuid::Uuid::new_v4().hyphenated().to_string();
    let first = NewOrganisation {
        uuid: Some(uuid.clone()),
        ..new_org("First")
    };
    store.create_org(&first, 1).await.expect("create");
    let second = NewOrganisation {
        uuid: Some(uuid.clone()),
        ..new_org("Second")
    };
    assert_conflict(store.create_org(&second, 1).await, "uuid");
    let other = create_org(&store, "Third").await;
    assert_conflict(
        store
            .update_org(
                other,
                &NewOrganisation {
                    uuid: Some(uuid),
                    ..new_org("Third")
                },
            )
            .await,
        "uuid",
    );
    assert_eq!(
        store
            .list_orgs(OrgScope::All, None)
            .await
            .expect("list")
            .len(),
        2
    );
}
contract_test!(duplicate_uuid_conflicts => sqlite_orgs_duplicate_uuid_conflicts, postgres_orgs_duplicate_uuid_conflicts);

async fn delete_in_use(store: Arc<dyn Store>) {
    let seed = seed(&store).await;
    assert_in_use(store.delete_org(seed.admin_org_id).await);
    let org = create_org(&store, "Busy").await;
    let user = create_user(&store, org, ids::USER, "busy@busy.test").await;
    assert_in_use(store.delete_org(org).await);
    assert_eq!(
        store
            .get_org(EntityRef::Id(org))
            .await
            .expect("still there")
            .name,
        "Busy"
    );
    store.delete_user(user).await.expect("delete user");
    store.delete_org(org).await.expect("delete now-empty org");
    assert_not_found(store.get_org(EntityRef::Id(org)).await);
}
contract_test!(delete_in_use => sqlite_orgs_delete_in_use, postgres_orgs_delete_in_use);

async fn missing_not_found(store: Arc<dyn Store>) {
    create_org(&store, "Exists").await;
    assert_not_found(store.get_org(EntityRef::Id(9999)).await);
    assert_not_found(store.get_org(EntityRef::Uuid(uuid::Uuid::new_v4())).await);
    assert_eq!(store.find_org_by_name("Missing").await.expect("find"), None);
    assert_not_found(store.update_org(9999, &new_org("Missing")).await);
    assert_not_found(store.delete_org(9999).await);
    assert_eq!(store.org_user_count(9999).await.expect("count"), 0);
}
contract_test!(missing_not_found => sqlite_orgs_missing_not_found, postgres_orgs_missing_not_found);

async fn unicode_round_trip(store: Arc<dyn Store>) {
    let names_in = [
        "🛡️ Cyber Défense 🚀",
        "Ünïcödé 組織",
        "Ωμέγα — «CERT»",
        "emoji only 🦀🦀",
    ];
    for name in names_in {
        let req = NewOrganisation {
            description: format!("описание {name}"),
            contacts: "☎ +352 ✉".to_owned(),
            restricted_to_domain: vec!["bücher.example".to_owned()],
            ..new_org(name)
        };
        let created = store.create_org(&req, 1).await.expect("create unicode org");
        assert_eq!(created.name, name);
        assert_eq!(created.description, req.description);
        assert_eq!(created.contacts, req.contacts);
        assert_eq!(created.restricted_to_domain, req.restricted_to_domain);
        let got = store.get_org(EntityRef::Id(created.id)).await.expect("get");
        assert_eq!(got, created);
        let found = store
            .find_org_by_name(name)
            .await
            .expect("find")
            .expect("found by exact name");
        assert_eq!(found, created);
        // ASCII letters inside a Unicode name still compare case-insensitively.
        let upper_ascii: String = name.chars().map(|c| c.to_ascii_uppercase()).collect();
        let found = store.find_org_by_name(&upper_ascii).await.expect("find");
        assert_eq!(
            found.map(|o| o.id),
            Some(created.id),
            "find {upper_ascii:?}"
        );
    }
    let listed = store
        .list_orgs(OrgScope::All, Some("組織"))
        .await
        .expect("search");
    assert_eq!(names(&listed), vec!["Ünïcödé 組織"]);
    let listed = store
        .list_orgs(OrgScope::All, Some("🦀"))
        .await
        .expect("search");
    assert_eq!(names(&listed), vec!["emoji only 🦀🦀"]);
    assert_conflict(store.create_org(&new_org("Ünïcödé 組織"), 1).await, "name");
    // A substring in the name's own spelling finds it, non-ASCII capitals
    // included; ASCII letters match in any case.
    for (search, want) in [
        ("Ünïcödé", "Ünïcödé 組織"),
        ("ÜNïCöDé 組", "Ünïcödé 組織"),
        ("CYBER Défense", "🛡️ Cyber Défense 🚀"),
        ("Ωμέγα", "Ωμέγα — «CERT»"),
        ("«cert»", "Ωμέγα — «CERT»"),
    ] {
        let listed = store
            .list_orgs(OrgScope::All, Some(search))
            .await
            .expect("search");
        assert_eq!(names(&listed), vec![want], "search {search:?}");
    }
    // Not part of the contract: case-folding of non-ASCII letters ("ü" vs
    // "Ü") in find_org_by_name, the unique-name rule and search. PostgreSQL's
    // LOWER() folds them (locale-dependent), SQLite's folds ASCII only.
}
contract_test!(unicode_round_trip => sqlite_orgs_unicode_round_trip, postgres_orgs_unicode_round_trip);
