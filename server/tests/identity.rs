//! Signing in: operator tasks that add people and tokens, sessions (cookie flags,
//! rotation, idle and absolute expiry, sign-out everywhere), API tokens (revocation
//! effective at once), throttled failures, and the audit record of each. Against
//! SQLite and PostgreSQL.

mod common;

use app::clock::ManualClock;
use chrono::{Duration, Utc};
use common::{Backend, Options, TestApp, SETUP_TOKEN};
use serde_json::{json, Value};
use std::sync::Arc;

for_each_backend!(
    operators_add_people_who_then_sign_in,
    session_cookie_flags_and_rotation,
    sessions_expire_when_idle_and_absolutely,
    sign_out_everywhere_ends_every_session,
    revoked_tokens_stop_working_at_once,
    failed_sign_ins_are_throttled_and_audited,
    secure_cookie_when_served_over_https,
    first_run_needs_the_setup_token,
    sign_in_page_functions_set_and_clear_the_cookie,
    people_manage_their_own_tokens_and_admins_all,
    catalog_changes_and_imports_are_audited,
    people_choose_the_zone_their_times_are_shown_in,
);

const PASSWORD: &str = "correct horse battery staple";

/// Adds a person with a password through the operator task.
fn add_user(app: &TestApp, email: &str, role: &str) {
    let (ok, output) = app.task(
        &[
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Dana Lee",
            "--role",
            role,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{output}");
    assert!(output.contains("password set"), "{output}");
}

/// Signs in; returns the status, the Set-Cookie header and the body.
async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    cookie: Option<&str>,
) -> (u16, String, Value) {
    let mut request = app
        .anon
        .post(app.url("/api/v1/session"))
        .json(&json!({"email": email, "password": password}));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        set_cookie,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// The `name=value` part of a Set-Cookie header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn me(app: &TestApp, header: (&str, &str)) -> (u16, Value) {
    let response = app
        .anon
        .get(app.url("/api/v1/me"))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn audit_actions(app: &TestApp, admin_cookie: &str) -> Vec<String> {
    let response = app
        .anon
        .get(app.url("/api/v1/audit?limit=500"))
        .header("Cookie", admin_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let entries: Vec<Value> = response.json().await.unwrap();
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn operators_add_people_who_then_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, "Dana@Example.com", "admin");
    let (ok, output) = app.task(
        &[
            "user",
            "add",
            "--email",
            "sam@example.com",
            "--role",
            "engineer",
        ],
        "",
    );
    assert!(ok, "{output}");
    let (ok, output) = app.task(
        &["user", "add", "--email", "x@example.com", "--role", "root"],
        "",
    );
    assert!(!ok && output.contains("unknown role"), "{output}");
    let (ok, output) = app.task(
        &[
            "user",
            "add",
            "--email",
            "y@example.com",
            "--role",
            "cs",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!ok && output.contains("At least 12 characters"), "{output}");

    let (status, cookie, user) = sign_in(&app, "dana@example.com", PASSWORD, None).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["role"], "admin");
    assert_eq!(user["email"], "dana@example.com");
    let cookie = cookie_pair(&cookie);
    let (status, who) = me(&app, ("Cookie", &cookie)).await;
    assert_eq!(
        (status, who["display_name"].as_str()),
        (200, Some("Dana Lee"))
    );

    let (ok, output) = app.task(
        &[
            "user",
            "set-role",
            "--email",
            "dana@example.com",
            "--role",
            "viewer",
        ],
        "",
    );
    assert!(ok, "{output}");
    let (_, who) = me(&app, ("Cookie", &cookie)).await;
    assert_eq!(
        who["role"], "viewer",
        "a role change applies to live sessions"
    );
    let (status, _, _) = sign_in(&app, "sam@example.com", "", None).await;
    assert_eq!(status, 401, "no password set: cannot sign in");
    let (status, body) = me(&app, ("Cookie", "sitrep_session=made-up")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthenticated");
}

async fn session_cookie_flags_and_rotation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, "dana@example.com", "engineer");
    let (status, set_cookie, _) = sign_in(&app, "dana@example.com", PASSWORD, None).await;
    assert_eq!(status, 200);
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
        assert!(set_cookie.contains(flag), "{flag} in {set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain-HTTP test server: {set_cookie}"
    );
    let first = cookie_pair(&set_cookie);

    // Signing in again from the same browser gives a new session and ends the old one.
    let (status, again, _) = sign_in(&app, "dana@example.com", PASSWORD, Some(&first)).await;
    assert_eq!(status, 200);
    let second = cookie_pair(&again);
    assert_ne!(first, second);
    assert_eq!(
        me(&app, ("Cookie", &first)).await.0,
        401,
        "old session ended"
    );
    assert_eq!(me(&app, ("Cookie", &second)).await.0, 200);

    let response = app
        .anon
        .delete(app.url("/api/v1/session"))
        .header("Cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let cleared = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(me(&app, ("Cookie", &second)).await.0, 401, "signed out");
}

async fn sessions_expire_when_idle_and_absolutely(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::spawn_with(
        backend,
        Options {
            clock: Some(clock.clone()),
            ..Options::default()
        },
    )
    .await;
    add_user(&app, "dana@example.com", "engineer");
    let (_, set_cookie, _) = sign_in(&app, "dana@example.com", PASSWORD, None).await;
    let idle = cookie_pair(&set_cookie);
    clock.advance(Duration::hours(11));
    assert_eq!(
        me(&app, ("Cookie", &idle)).await.0,
        200,
        "11 h idle: still signed in"
    );
    clock.advance(Duration::hours(12) + Duration::minutes(1));
    assert_eq!(me(&app, ("Cookie", &idle)).await.0, 401, "12 h idle: ended");

    let (_, set_cookie, _) = sign_in(&app, "dana@example.com", PASSWORD, None).await;
    let busy = cookie_pair(&set_cookie);
    // Used every 10 hours, it still ends 14 days after sign-in.
    for _ in 0..33 {
        clock.advance(Duration::hours(10));
        assert_eq!(me(&app, ("Cookie", &busy)).await.0, 200);
    }
    clock.advance(Duration::hours(10));
    assert_eq!(me(&app, ("Cookie", &busy)).await.0, 401, "past 14 days");
}

async fn sign_out_everywhere_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, "dana@example.com", "admin");
    let laptop = cookie_pair(&sign_in(&app, "dana@example.com", PASSWORD, None).await.1);
    let phone = cookie_pair(&sign_in(&app, "dana@example.com", PASSWORD, None).await.1);
    let response = app
        .anon
        .post(app.url("/api/v1/session/everywhere"))
        .header("Cookie", &phone)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sessions_ended"], 2);
    assert_eq!(me(&app, ("Cookie", &laptop)).await.0, 401);
    assert_eq!(me(&app, ("Cookie", &phone)).await.0, 401);
    let admin = cookie_pair(&sign_in(&app, "dana@example.com", PASSWORD, None).await.1);
    assert!(audit_actions(&app, &admin)
        .await
        .contains(&"logout.everywhere".to_owned()));
}

async fn revoked_tokens_stop_working_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, "dana@example.com", "admin");
    let (ok, output) = app.task(
        &[
            "token",
            "create",
            "--user",
            "dana@example.com",
            "--name",
            "alertmanager",
        ],
        "",
    );
    assert!(ok, "{output}");
    let token = output.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("sitrep_t_"), "{output}");
    let id = output.split_whitespace().nth(1).unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    let (status, who) = me(&app, ("Authorization", &bearer)).await;
    assert_eq!(
        (status, who["email"].as_str()),
        (200, Some("dana@example.com"))
    );
    assert_eq!(
        me(&app, ("Authorization", "Bearer sitrep_t_forged"))
            .await
            .0,
        401
    );

    let (ok, output) = app.task(&["token", "revoke", "--id", &id], "");
    assert!(ok, "{output}");
    assert_eq!(
        me(&app, ("Authorization", &bearer)).await.0,
        401,
        "revoked: refused at once"
    );
    let (ok, output) = app.task(&["token", "revoke", "--id", "999999"], "");
    assert!(!ok && output.contains("not found"), "{output}");

    let admin = cookie_pair(&sign_in(&app, "dana@example.com", PASSWORD, None).await.1);
    let actions = audit_actions(&app, &admin).await;
    for action in [
        "token.created",
        "token.revoked",
        "token.used_after_revoke",
        "user.saved",
        "login",
    ] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} in {actions:?}"
        );
    }
}

async fn failed_sign_ins_are_throttled_and_audited(backend: Backend) {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::spawn_with(
        backend,
        Options {
            clock: Some(clock.clone()),
            ..Options::default()
        },
    )
    .await;
    add_user(&app, "dana@example.com", "admin");
    for _ in 0..5 {
        let (status, _, body) = sign_in(&app, "dana@example.com", "wrong password!", None).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["message"], "Wrong email or password");
    }
    let (status, _, body) = sign_in(&app, "dana@example.com", PASSWORD, None).await;
    assert_eq!(
        status, 429,
        "the right password is refused while throttled: {body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("this account") && message.contains("try again in 16 minutes"),
        "{message}"
    );
    let (status, _, _) = sign_in(&app, "nobody@example.com", "whatever at all", None).await;
    assert_eq!(
        status, 401,
        "an unknown email gets the same answer as a wrong password"
    );

    clock.advance(Duration::minutes(16));
    let (status, set_cookie, _) = sign_in(&app, "dana@example.com", PASSWORD, None).await;
    assert_eq!(status, 200, "the window has passed");
    let admin = cookie_pair(&set_cookie);
    let actions = audit_actions(&app, &admin).await;
    assert_eq!(actions.iter().filter(|a| *a == "login.failed").count(), 6);
    assert_eq!(
        actions.iter().filter(|a| *a == "login.throttled").count(),
        1
    );
    assert_eq!(actions[0], "login", "newest first");

    // Reading the audit log needs the permission.
    add_user(&app, "sam@example.com", "engineer");
    let engineer = cookie_pair(&sign_in(&app, "sam@example.com", PASSWORD, None).await.1);
    let response = app
        .anon
        .get(app.url("/api/v1/audit"))
        .header("Cookie", &engineer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (status, _) = app
        .api_as(&app.anon, reqwest::Method::GET, "/audit", None)
        .await;
    assert_eq!(status, 401);
}

async fn secure_cookie_when_served_over_https(backend: Backend) {
    // The harness's public URL is https://…; with no explicit setting, cookies are Secure.
    let app = TestApp::spawn_with(
        backend,
        Options {
            secure_cookies: None,
            ..Options::default()
        },
    )
    .await;
    add_user(&app, "dana@example.com", "engineer");
    let (status, set_cookie, _) = sign_in(&app, "dana@example.com", PASSWORD, None).await;
    assert_eq!(status, 200);
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
}

async fn first_run_needs_the_setup_token(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            anonymous: true,
            ..Default::default()
        },
    )
    .await;
    let setup = |token: &'static str| {
        [
            ("token", token),
            ("email", "dana@example.com"),
            ("display_name", "Dana Lee"),
            ("password", PASSWORD),
        ]
    };
    let response = app.call("needs_setup", &[]).await;
    assert_eq!(response.json::<Value>().await.unwrap(), json!(true));
    let response = app.call("complete_setup", &setup("a-guess")).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body.to_string().contains("not the setup token"), "{body}");
    assert_eq!(
        sign_in(&app, "dana@example.com", PASSWORD, None).await.0,
        401,
        "nothing created"
    );

    let response = app.call("complete_setup", &setup(SETUP_TOKEN)).await;
    assert_eq!(response.status(), 200);
    let cookie = cookie_pair(response.headers()["set-cookie"].to_str().unwrap());
    let (status, who) = me(&app, ("Cookie", &cookie)).await;
    assert_eq!(
        (status, who["role"].as_str()),
        (200, Some("admin")),
        "signed in as the first admin"
    );

    let response = app.call("complete_setup", &setup(SETUP_TOKEN)).await;
    assert_eq!(response.status(), 409, "a second setup is refused");
    let response = app.call("needs_setup", &[]).await;
    assert_eq!(response.json::<Value>().await.unwrap(), json!(false));
    let actions = audit_actions(&app, &cookie).await;
    for action in ["setup.refused", "setup.first_admin", "login"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} in {actions:?}"
        );
    }
    // A restart with someone able to sign in offers no setup.
    let app = app.restart().await;
    let response = app.call("complete_setup", &setup(SETUP_TOKEN)).await;
    assert_eq!(response.status(), 409);
}

async fn sign_in_page_functions_set_and_clear_the_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_user(&app, "dana@example.com", "engineer");
    let response = app
        .call(
            "sign_in",
            &[
                ("email", "dana@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(response.status(), 401);
    let response = app
        .call(
            "sign_in",
            &[("email", "DANA@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    let cookie = cookie_pair(&set_cookie);
    let response = app
        .anon
        .post(app.url("/api/fn/current_user"))
        .header("Accept", "application/json")
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], "dana@example.com");
    let response = app.anon.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(
        response.status(),
        303,
        "signed out: pages send you to sign in"
    );
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Fadmin%2Faudit"
    );
    // The form (without JavaScript) carries `next` on, but only to this site.
    for (next, landing) in [("/admin/audit", "/admin/audit"), ("//evil.example", "/")] {
        let response = app
            .anon
            .post(app.url("/api/fn/sign_in"))
            .header("Accept", "text/html")
            .header("Referer", app.url("/login"))
            .form(&[
                ("email", "dana@example.com"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "{next}");
        assert_eq!(response.headers()["location"], landing, "{next}");
    }

    let response = app
        .anon
        .post(app.url("/api/fn/sign_out"))
        .header("Accept", "application/json")
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(me(&app, ("Cookie", &cookie)).await.0, 401);
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .anon
        .request(method, app.url(&format!("/api/v1{path}")))
        .header("Cookie", cookie);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json::<Value>().await.unwrap_or(Value::Null),
    )
}

async fn people_manage_their_own_tokens_and_admins_all(backend: Backend) {
    use reqwest::Method;
    let app = TestApp::spawn(backend).await;
    let mut cookies = Vec::new();
    for (email, role) in [
        ("sam@example.com", "engineer"),
        ("eve@example.com", "engineer"),
        ("vic@example.com", "viewer"),
        ("ada@example.com", "admin"),
    ] {
        add_user(&app, email, role);
        cookies.push(cookie_pair(&sign_in(&app, email, PASSWORD, None).await.1));
    }
    let [sam, eve, vic, ada] = [&cookies[0], &cookies[1], &cookies[2], &cookies[3]];
    let (status, created) = call(
        &app,
        Method::POST,
        "/tokens",
        sam,
        Some(json!({"name": "laptop script"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let bearer = format!("Bearer {}", created["token"].as_str().unwrap());
    assert_eq!(me(&app, ("Authorization", &bearer)).await.0, 200);

    let (_, listed) = call(&app, Method::GET, "/tokens", sam, None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "laptop script");
    assert!(
        listed[0]["last_used_at"].is_string(),
        "last use is shown: {listed}"
    );
    assert!(
        listed[0].get("token").is_none(),
        "the secret is never shown again"
    );
    let (_, others) = call(&app, Method::GET, "/tokens", eve, None).await;
    assert_eq!(others, json!([]), "only one's own");

    let (status, refusal) = call(&app, Method::DELETE, &format!("/tokens/{id}"), eve, None).await;
    assert_eq!(status, 403, "not eve's token: {refusal}");
    assert!(refusal["error"]["message"]
        .as_str()
        .unwrap()
        .contains("manage_users"));
    let (status, refusal) = call(
        &app,
        Method::POST,
        "/tokens",
        vic,
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, 403, "viewers have no tokens: {refusal}");
    assert!(refusal["error"]["message"]
        .as_str()
        .unwrap()
        .contains("manage_own_tokens"));
    let (status, _) = app.api_as(&app.anon, Method::GET, "/tokens", None).await;
    assert_eq!(status, 401);

    let (_, all) = call(&app, Method::GET, "/tokens", ada, None).await;
    assert_eq!(all[0]["user"], "sam@example.com", "admins see everyone's");
    let (status, _) = call(&app, Method::DELETE, &format!("/tokens/{id}"), ada, None).await;
    assert_eq!(status, 204);
    assert_eq!(
        me(&app, ("Authorization", &bearer)).await.0,
        401,
        "revoked at once"
    );
    let (_, listed) = call(&app, Method::GET, "/tokens", sam, None).await;
    assert!(listed[0]["revoked_at"].is_string());
}

async fn catalog_changes_and_imports_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (path, body) in [
        ("/teams", json!({"slug": "payments", "name": "Payments"})),
        (
            "/systems",
            json!({"slug": "payments-api", "name": "Payments API", "team": "payments"}),
        ),
        (
            "/accounts",
            json!({"slug": "acme", "name": "Acme", "tier": "enterprise"}),
        ),
    ] {
        let (status, created) = app.post(path, body).await;
        assert_eq!(status, 201, "{created}");
    }
    // The CSM column names the admin without a name: the catalog must not rename her.
    let csv = format!(
        "Account ID,Account Name,Tier,CSM Email\nCRM-1,Globex,business,{}\n",
        common::ADMIN_EMAIL
    );
    let (status, preview) = app
        .post_raw("/accounts/import", "text/csv", csv.as_bytes().to_vec())
        .await;
    assert_eq!(status, 200, "{preview}");
    let (status, applied) = app
        .post_raw(
            "/accounts/import?apply=true",
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(status, 200, "{applied}");

    let (_, log) = app.get("/audit").await;
    let records: Vec<(String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] != "token.created")
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["target"].as_str().unwrap().to_owned(),
                r["actor"].as_str().unwrap().to_owned(),
            )
        })
        .take(4)
        .collect();
    let by = common::ADMIN_EMAIL.to_owned();
    assert_eq!(
        records,
        [
            ("accounts.imported".into(), "accounts".into(), by.clone()),
            ("account.created".into(), "acme".into(), by.clone()),
            ("system.created".into(), "payments-api".into(), by.clone()),
            ("team.created".into(), "payments".into(), by),
        ],
        "newest first; a preview writes nothing, so it is not a change"
    );
    assert_eq!(log[0]["detail"]["created"], 1);
    assert_eq!(log[0]["ip"], "127.0.0.1");
    let (_, me) = app.get("/me").await;
    assert_eq!(
        me["display_name"],
        common::ADMIN_NAME,
        "named by the catalog, not renamed"
    );
}

/// Every `<time datetime=…>shown</time>` of a page: (instant, shown text).
fn shown_times(html: &str) -> Vec<(chrono::DateTime<Utc>, String)> {
    html.split("<time datetime=\"")
        .skip(1)
        .map(|rest| {
            let (at, rest) = rest.split_once('"').unwrap();
            let shown = rest
                .split_once('>')
                .unwrap()
                .1
                .split_once("</time>")
                .unwrap()
                .0;
            (at.parse().unwrap(), shown.to_owned())
        })
        .collect()
}

async fn page_as(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap().replace("<!>", "")
}

/// Pages show times in the browser's zone unless the person names one in their
/// settings: then the server renders them in it (and tells the browser through
/// `<html data-zone>`). A zone that is not one is refused on its field.
async fn people_choose_the_zone_their_times_are_shown_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _, person) = app.person("engineer", "Dana Lee");
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Search is slow", "severity": "P2"}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let war_room = format!("/incidents/{}", incident["key"].as_str().unwrap());

    let (_, me) = app.api_as(&person, reqwest::Method::GET, "/me", None).await;
    assert_eq!(
        (me["time_zone"].as_str(), me["zone_from_browser"].as_bool()),
        (Some("UTC"), Some(true))
    );
    let html = page_as(&app, &person, &war_room).await;
    assert!(!html.contains("data-zone"), "nobody chose a zone yet");
    let times = shown_times(&html);
    assert!(!times.is_empty());
    for (at, shown) in &times {
        assert_eq!(shown, &at.format("%Y-%m-%d %H:%M UTC").to_string());
    }

    let (status, refused) = app
        .api_as(
            &person,
            reqwest::Method::PUT,
            "/me/time-zone",
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["time_zone"]
            .as_str()
            .unwrap()
            .contains("Unknown time zone \"Mars/Olympus\""),
        "{refused}"
    );
    let (_, me) = app.api_as(&person, reqwest::Method::GET, "/me", None).await;
    assert_eq!(
        me["zone_from_browser"], true,
        "a refused setting changes nothing"
    );

    let (status, me) = app
        .api_as(
            &person,
            reqwest::Method::PUT,
            "/me/time-zone",
            Some(json!({"time_zone": "Asia/Kolkata"})),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (me["time_zone"].as_str(), me["zone_from_browser"].as_bool()),
        (Some("Asia/Kolkata"), Some(false))
    );
    let html = page_as(&app, &person, &war_room).await;
    assert!(html.contains(r#"data-zone="Asia/Kolkata""#));
    for (at, shown) in shown_times(&html) {
        let local = at.with_timezone(&chrono_tz::Asia::Kolkata);
        assert_eq!(shown, local.format("%Y-%m-%d %H:%M IST").to_string());
    }
    // Only their pages: the admin still reads UTC.
    let (_, admins) = app.page(&war_room).await;
    assert!(!admins.contains("data-zone"));

    // The settings page's form: back to the browser's zone, which the page sends.
    let response = person
        .post(app.url("/api/fn/set_time_zone"))
        .header("Accept", "application/json")
        .form(&[
            ("shown_in", "browser"),
            ("time_zone", "Asia/Kolkata"),
            ("browser_zone", "Europe/Berlin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, me) = app.api_as(&person, reqwest::Method::GET, "/me", None).await;
    assert_eq!(
        (me["time_zone"].as_str(), me["zone_from_browser"].as_bool()),
        (Some("Europe/Berlin"), Some(true))
    );
    assert!(!page_as(&app, &person, &war_room)
        .await
        .contains("data-zone"));
    let settings = page_as(&app, &person, "/settings").await;
    assert!(
        settings.contains("your browser&#x27;s zone") || settings.contains("your browser's zone"),
        "{settings}"
    );
    assert!(
        settings.contains("Europe/Berlin"),
        "drafts use the browser's zone it sent"
    );
}
