//! Bulk import of customer accounts from a CRM's CSV export: preview, apply,
//! re-import without duplicates, rejected rows with line numbers, and files refused
//! as a whole. Against SQLite and PostgreSQL.

mod common;

use common::{Backend, TestApp};
use serde_json::{json, Value};

for_each_backend!(
    preview_writes_nothing_and_apply_creates,
    reimport_updates_by_crm_id_without_duplicates,
    malformed_rows_are_rejected_with_line_numbers,
    unusable_files_are_refused_and_write_nothing,
    explicit_column_mapping_through_json,
    an_sla_policy_column_gives_accounts_their_contract,
);

/// A Salesforce-style export: its own header names, a BOM, quoted commas, a column
/// Sitrep does not use.
const EXPORT: &str = "\u{feff}Account ID,Account Name,Customer Tier,CSM Email,CSM Name,Contact Emails,Industry\r\n\
    0015g01,\"Acme, Inc.\",Enterprise,priya@example.com,Priya Raman,ops@acme.example;cto@acme.example,Retail\r\n\
    0015g02,Wayne Enterprises,business,,,,Defense\r\n\
    0015g03,Oscorp,Standard,li@example.com,Li Wei,,Biotech\r\n";

async fn import(app: &TestApp, csv: &str, apply: bool) -> (u16, Value) {
    app.post_raw(
        &format!("/accounts/import?apply={apply}"),
        "text/csv; charset=utf-8",
        csv.as_bytes().to_vec(),
    )
    .await
}

fn slugs(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect()
}

async fn account_count(app: &TestApp) -> usize {
    let (status, accounts) = app.get("/accounts").await;
    assert_eq!(status, 200);
    accounts.as_array().unwrap().len()
}

async fn preview_writes_nothing_and_apply_creates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, preview) = import(&app, EXPORT, false).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["applied"], false);
    assert_eq!(
        slugs(&preview["created"]),
        ["acme-inc", "wayne-enterprises", "oscorp"]
    );
    assert_eq!(preview["created"][0]["line"], 2);
    assert_eq!(preview["created"][0]["tier"], "enterprise");
    let mapped: Vec<Value> = preview["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].clone())
        .collect();
    assert_eq!(
        mapped,
        [
            json!("crm_id"),
            json!("name"),
            json!("tier"),
            json!("csm_email"),
            json!("csm_name"),
            json!("contact_emails"),
            Value::Null
        ]
    );
    assert_eq!(account_count(&app).await, 0, "a preview writes nothing");

    let (status, applied) = import(&app, EXPORT, true).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["applied"], true);
    let (_, accounts) = app.get("/accounts").await;
    let acme = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["slug"] == "acme-inc")
        .unwrap();
    assert_eq!(acme["name"], "Acme, Inc.");
    assert_eq!(acme["crm_id"], "0015g01");
    assert_eq!(acme["csm"]["display_name"], "Priya Raman");
    assert_eq!(
        acme["contact_emails"],
        json!(["ops@acme.example", "cto@acme.example"])
    );
    // Imported accounts are usable at once.
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Exports fail", "severity": "P2", "accounts": ["acme-inc"]}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    assert_eq!(incident["impacted_tier"], "enterprise");
}

async fn reimport_updates_by_crm_id_without_duplicates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, _) = import(&app, EXPORT, true).await;
    assert_eq!(status, 200);
    // The next export: Acme renamed, Wayne upgraded, Oscorp as it was, one newcomer
    // whose derived slug is taken; no contact column this time.
    let next = "CRM ID,Name,Tier,CSM Email\n\
        0015g01,Acme Holdings,enterprise,priya@example.com\n\
        0015g02,Wayne Enterprises,Enterprise,\n\
        0015g03,Oscorp,standard,li@example.com\n\
        0015g04,Oscorp,business,\n";
    let (status, preview) = import(&app, next, false).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        slugs(&preview["updated"]),
        ["acme-inc", "wayne-enterprises"]
    );
    assert_eq!(preview["updated"][0]["changes"], json!(["name"]));
    assert_eq!(preview["updated"][1]["changes"], json!(["tier"]));
    assert_eq!(slugs(&preview["unchanged"]), ["oscorp"]);
    assert_eq!(slugs(&preview["created"]), ["oscorp-2"]);

    let (status, applied) = import(&app, next, true).await;
    assert_eq!(status, 200, "{applied}");
    let (status, again) = import(&app, next, true).await;
    assert_eq!(status, 200);
    assert_eq!(again["created"], json!([]), "a third run creates nothing");
    assert_eq!(again["updated"], json!([]));
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 4);

    let (_, accounts) = app.get("/accounts").await;
    assert_eq!(accounts.as_array().unwrap().len(), 4, "{accounts}");
    let acme = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["crm_id"] == "0015g01")
        .unwrap();
    assert_eq!(acme["name"], "Acme Holdings");
    assert_eq!(acme["slug"], "acme-inc", "slugs stay stable");
    assert_eq!(
        acme["contact_emails"],
        json!(["ops@acme.example", "cto@acme.example"]),
        "a column the export lacks is left alone"
    );
}

async fn malformed_rows_are_rejected_with_line_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csv = "crm_id,name,tier,csm_email,slug\n\
        A1,Good One,enterprise,,\n\
        A2,Bad Tier,gold,,\n\
        ,No Id,business,,\n\
        A4,Too,Few\n\
        A1,Repeated Id,business,,\n\
        A6,Bad Email,standard,not-an-email,\n\
        A7,\"Quoted\nOver Lines\",standard,,\n\
        A8,Bad Slug,standard,,Bad Slug!\n\
        A9,!!!,standard,,\n\
        A10,Good Two,business,,\n";
    let (status, report) = import(&app, csv, true).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        slugs(&report["created"]),
        ["good-one", "quoted-over-lines", "good-two"]
    );
    assert_eq!(
        report["created"][2]["line"], 12,
        "line numbers count the quoted newline"
    );
    let rejected: Vec<(u64, String)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["reasons"].to_string()))
        .collect();
    let lines: Vec<u64> = rejected.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 10, 11], "{report}");
    for (line, expected) in [
        (3, "unknown tier"),
        (4, "CRM id is empty"),
        (5, "has 3 values"),
        (6, "also on line 2"),
        (7, "not an email address"),
        (10, "slug"),
        (11, "slug"),
    ] {
        let (_, reasons) = rejected.iter().find(|(l, _)| *l == line).unwrap();
        assert!(reasons.contains(expected), "line {line}: {reasons}");
    }
    assert_eq!(
        account_count(&app).await,
        3,
        "only the good rows were written"
    );
}

async fn unusable_files_are_refused_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (csv, expected) in [
        ("", "empty"),
        ("Company,Plan\nAcme,enterprise\n", "No column for crm_id"),
        ("id,name\n1,Acme\n", "No column for tier"),
    ] {
        let (status, refusal) = import(&app, csv, true).await;
        assert_eq!(status, 422, "{csv:?}: {refusal}");
        let message = refusal["error"]["fields"]["csv"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains(expected), "{csv:?}: {refusal}");
    }
    let (status, refusal) = app
        .post_raw(
            "/accounts/import",
            "application/octet-stream",
            b"id,name,tier".to_vec(),
        )
        .await;
    assert_eq!(status, 415, "{refusal}");
    let (status, refusal) = app
        .post_raw(
            "/accounts/import",
            "application/json",
            b"{\"csv\": \"id,name".to_vec(),
        )
        .await;
    assert_eq!(status, 400, "malformed JSON: {refusal}");
    // Not UTF-8 (Latin-1 é): the row is rejected, not garbled.
    let mut latin1 = b"id,name,tier\nA1,Caf".to_vec();
    latin1.extend([0xE9, b',']);
    latin1.extend(b"standard\n");
    let (status, report) = app
        .post_raw("/accounts/import?apply=true", "text/csv", latin1)
        .await;
    assert_eq!(status, 200, "{report}");
    assert!(report["rejected"][0]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("not UTF-8"));
    assert_eq!(account_count(&app).await, 0);
}

async fn explicit_column_mapping_through_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csv = "Ref,Customer,Level\nR-1,Initech,business\n";
    let (status, refusal) = app
        .post("/accounts/import", json!({"csv": csv, "apply": true}))
        .await;
    assert_eq!(status, 422, "{refusal}");
    let (status, refusal) = app
        .post(
            "/accounts/import",
            json!({"csv": csv, "columns": {"crm_id": "Reference"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(refusal["error"]["fields"]["columns"]
        .as_str()
        .unwrap()
        .contains("no column \"Reference\""));
    let (status, report) = app
        .post(
            "/accounts/import",
            json!({"csv": csv, "apply": true, "columns": {"crm_id": "Ref", "tier": "Level"}}),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(slugs(&report["created"]), ["initech"]);
    assert_eq!(account_count(&app).await, 1);
}

/// An "SLA Policy" column gives each account its own contract policy; an unknown
/// policy rejects the row, naming it; a re-import changes it.
async fn an_sla_policy_column_gives_accounts_their_contract(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csv = "Account ID,Account Name,Tier,SLA Policy\n\
        c1,Acme,enterprise,Business-Hours\n\
        c2,Globex,enterprise,gold\n\
        c3,Initech,business,\n";
    let (status, report) = import(&app, csv, true).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["columns"][3]["field"], "sla_policy");
    assert_eq!(slugs(&report["created"]), ["acme", "initech"]);
    let reason = report["rejected"][0]["reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with(r#"sla_policy: No SLA policy is called "gold""#),
        "{reason}"
    );
    let (_, accounts) = app.get("/accounts").await;
    let policy = |slug: &str| {
        accounts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["slug"] == slug)
            .map(|a| a["sla_policy"].clone())
            .unwrap()
    };
    assert_eq!(policy("acme"), json!("business-hours"));
    assert_eq!(policy("initech"), Value::Null);

    // Acme's clocks run on its contract, not the enterprise default.
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Exports fail", "severity": "P1", "accounts": ["acme"]}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap();
    let (_, clocks) = app.get(&format!("/incidents/{key}/sla")).await;
    assert_eq!(
        clocks[0]["policy"], "Business hours (Mon-Fri 09-17 UTC)",
        "{clocks}"
    );

    // Back to the tier's default: an update naming the changed field.
    let again = "Account ID,Account Name,Tier,SLA Policy\nc1,Acme,enterprise,\n";
    let (status, report) = import(&app, again, true).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(slugs(&report["updated"]), ["acme"]);
    assert_eq!(report["updated"][0]["changes"], json!(["sla_policy"]));
    let (_, accounts) = app.get("/accounts").await;
    let acme = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["slug"] == "acme")
        .unwrap();
    assert_eq!(acme["sla_policy"], Value::Null);
}
