//! `sitrep backup` and `sitrep restore`, run as the real binary: a backup taken while
//! the server is written to holds every post acknowledged before it began, with no
//! holes; a restore checks the file before it touches anything, refuses a database
//! in use, and keeps the one it replaces. PostgreSQL is pointed to pg_dump.

mod common;

use common::{Backend, TestApp};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backup_under_write_load_holds_every_post_acknowledged_before_it() {
        super::a_backup_under_write_load_holds_every_post_acknowledged_before_it().await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn restore_refuses_a_database_the_server_is_using() {
        super::restore_refuses_a_database_the_server_is_using().await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn restore_checks_the_file_before_touching_the_database() {
        super::restore_checks_the_file_before_touching_the_database().await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn backup_never_overwrites_and_names_a_missing_database() {
        super::backup_never_overwrites_and_names_a_missing_database().await
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn backup_and_restore_point_to_the_postgres_tools() {
        super::backup_and_restore_point_to_the_postgres_tools().await
    }
}

/// Runs `sitrep --data-dir DIR ARGS…`; returns (succeeded, stdout + stderr).
fn sitrep_in(data_dir: &Path, args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("sitrep runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

async fn declare(app: &TestApp) -> String {
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Checkout errors", "severity": "P1"}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    incident["key"].as_str().unwrap().to_owned()
}

/// One post a writer had acknowledged: (writer, its n-th post, when the 201 came).
type Ack = (usize, usize, Instant);

async fn a_backup_under_write_load_holds_every_post_acknowledged_before_it() {
    const WRITERS: usize = 4;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let key = declare(&app).await;

    // Writers post one after another, each waiting for its 201, until told to stop.
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let refused = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/api/v1/incidents/{key}/timeline")),
        );
        let (acks, refused, stop) = (acks.clone(), refused.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let body =
                    json!({"body": format!("writer {writer} post {n}: rolled back node {n}")});
                match client.post(&url).json(&body).send().await {
                    Ok(response) if response.status() == 201 => {
                        acks.lock().unwrap().push((writer, n, Instant::now()));
                        n += 1;
                    }
                    _ => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    // A history of some size first, so the copy takes a while.
    while acks.lock().unwrap().len() < 800 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("sitrep-2026-12-07.db");
    let started = Instant::now();
    let (ok, output) =
        tokio::task::block_in_place(|| app.task(&["backup", "--to", path_arg(&file)], ""));
    let finished = Instant::now();
    assert!(ok, "{output}");
    assert!(
        output.contains(&format!("written to {}", file.display()))
            && output.contains("1 incidents"),
        "{output}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(refused.load(Ordering::Relaxed), 0, "every post was taken");
    let acks = acks.lock().unwrap().clone();
    let during = acks
        .iter()
        .filter(|(_, _, at)| *at > started && *at < finished)
        .count();
    assert!(during > 0, "posts were acknowledged while the backup ran");
    assert!(
        !backups.path().join("sitrep-2026-12-07.db.partial").exists(),
        "nothing left beside the backup"
    );

    // Restored into an empty data dir and served from there.
    let restored_dir = tempfile::tempdir().unwrap();
    let (ok, output) = sitrep_in(restored_dir.path(), &["restore", "--from", path_arg(&file)]);
    assert!(ok, "{output}");
    assert!(output.contains("restored "), "{output}");
    let restored = app.on_data_dir(restored_dir).await;
    let mut present: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for entry in restored.timeline(&key).await {
        let body = entry["body"].as_str().unwrap_or_default();
        if let Some(rest) = body.strip_prefix("writer ") {
            let (writer, rest) = rest.split_once(" post ").unwrap();
            let n = rest.split_once(':').unwrap().0;
            present
                .entry(writer.parse().unwrap())
                .or_default()
                .insert(n.parse().unwrap());
        }
    }
    let before: Vec<&Ack> = acks.iter().filter(|(_, _, at)| *at < started).collect();
    for (writer, n, _) in &before {
        assert!(
            present.get(writer).is_some_and(|posts| posts.contains(n)),
            "writer {writer}'s post {n} was acknowledged before the backup began but is not in it"
        );
    }
    // One instant's copy: each writer's posts in it are its first k, without holes.
    for (writer, posts) in &present {
        let count = posts.len();
        assert_eq!(
            posts.iter().copied().collect::<Vec<_>>(),
            (0..count).collect::<Vec<_>>(),
            "writer {writer}'s posts in the backup have holes"
        );
    }
    let total: usize = present.values().map(BTreeSet::len).sum();
    println!(
        "{} posts acknowledged before the backup began, {during} while it ran ({} ms); \
         the backup holds {total}, all {} of the former",
        before.len(),
        (finished - started).as_millis(),
        before.len()
    );
    // The restored server takes new posts after the restored ones.
    let (status, entry) = restored
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": "after the restore"}),
        )
        .await;
    assert_eq!(status, 201, "{entry}");
}

async fn restore_refuses_a_database_the_server_is_using() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let key = declare(&app).await;
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("backup.db");
    let (ok, output) = app.task(&["backup", "--to", path_arg(&file)], "");
    assert!(ok, "{output}");

    let (ok, output) = app.task(&["restore", "--from", path_arg(&file)], "");
    assert!(!ok, "{output}");
    assert!(
        output.contains("is in use: stop the server"),
        "names the reason: {output}"
    );
    let left: Vec<String> = std::fs::read_dir(app.data_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("restoring") || name.contains("before-restore"))
        .collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
    // The server did not notice.
    let (status, entry) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": "still here"}),
        )
        .await;
    assert_eq!(status, 201, "{entry}");
}

async fn restore_checks_the_file_before_touching_the_database() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    declare(&app).await;
    let files = tempfile::tempdir().unwrap();
    let good = files.path().join("good.db");
    let (ok, output) = app.task(&["backup", "--to", path_arg(&good)], "");
    assert!(ok, "{output}");

    // The target: a data dir holding a restored database, with no server on it.
    let target = tempfile::tempdir().unwrap();
    let (ok, output) = sitrep_in(target.path(), &["restore", "--from", path_arg(&good)]);
    assert!(ok, "{output}");
    assert!(
        !output.contains("kept as"),
        "nothing was replaced: {output}"
    );
    let database = target.path().join("sitrep.db");
    let original = std::fs::read(&database).unwrap();

    let text = files.path().join("notes.txt");
    std::fs::write(&text, "this is a post-mortem, not a database").unwrap();
    let empty = files.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let truncated = files.path().join("truncated.db");
    std::fs::write(&truncated, &std::fs::read(&good).unwrap()[..8192]).unwrap();
    let foreign = files.path().join("foreign.db");
    let newer = files.path().join("newer.db");
    std::fs::copy(&good, &newer).unwrap();
    {
        use sqlx::{Connection, Executor};
        let mut db =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", foreign.display()))
                .await
                .unwrap();
        db.execute("CREATE TABLE recipes (name TEXT)")
            .await
            .unwrap();
        db.close().await.unwrap();
        let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", newer.display()))
            .await
            .unwrap();
        db.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101000000, 'from the future', TRUE, x'00', 1)",
        )
        .await
        .unwrap();
        db.close().await.unwrap();
    }

    for (file, expected) in [
        (&text, "is not a SQLite database"),
        (&empty, "is not a SQLite database"),
        (&truncated, "is damaged"),
        (&foreign, "is a SQLite database but not a Sitrep backup"),
        (&newer, "was made by a newer Sitrep"),
        (&files.path().join("missing.db"), "cannot read"),
    ] {
        let (ok, output) = sitrep_in(target.path(), &["restore", "--from", path_arg(file)]);
        assert!(!ok, "{} refused: {output}", file.display());
        assert!(
            output.contains(expected) && output.contains(&file.display().to_string()),
            "{}: expected {expected:?} naming the file, got {output}",
            file.display()
        );
        assert_eq!(
            output.trim().lines().count(),
            1,
            "one line says why: {output}"
        );
        assert_eq!(
            std::fs::read(&database).unwrap(),
            original,
            "the database is untouched after refusing {}",
            file.display()
        );
        let names: Vec<String> = std::fs::read_dir(target.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["sitrep.db"], "nothing beside the database");
    }

    // A good backup replaces it, and the replaced one is kept, whole.
    let (ok, output) = sitrep_in(target.path(), &["restore", "--from", path_arg(&good)]);
    assert!(ok, "{output}");
    let kept: Vec<_> = std::fs::read_dir(target.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().contains("sitrep.db.before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "{output}");
    assert!(
        output.contains(&format!("kept as {}", kept[0].display())),
        "{output}"
    );
    assert_eq!(std::fs::read(&kept[0]).unwrap(), original);
}

async fn backup_never_overwrites_and_names_a_missing_database() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let files = tempfile::tempdir().unwrap();
    let taken = files.path().join("taken.db");
    std::fs::write(&taken, "yesterday's backup").unwrap();
    let (ok, output) = app.task(&["backup", "--to", path_arg(&taken)], "");
    assert!(!ok, "{output}");
    assert!(
        output.contains("already exists: a backup never overwrites"),
        "{output}"
    );
    assert_eq!(std::fs::read(&taken).unwrap(), b"yesterday's backup");

    let empty = tempfile::tempdir().unwrap();
    let file = files.path().join("new.db");
    let (ok, output) = sitrep_in(empty.path(), &["backup", "--to", path_arg(&file)]);
    assert!(!ok, "{output}");
    assert!(
        output.contains("there is no database at") && output.contains("nothing to back up"),
        "{output}"
    );
    assert!(!file.exists() && !empty.path().join("sitrep.db").exists());
}

async fn backup_and_restore_point_to_the_postgres_tools() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("backup.db");
    let (ok, output) = app.task(&["backup", "--to", path_arg(&file)], "");
    assert!(!ok && output.contains("use pg_dump"), "{output}");
    assert!(!file.exists());
    std::fs::write(&file, "a dump").unwrap();
    let (ok, output) = app.task(&["restore", "--from", path_arg(&file)], "");
    assert!(!ok && output.contains("use pg_restore"), "{output}");
}
