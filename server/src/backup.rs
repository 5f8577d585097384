//! Backup and restore of the embedded SQLite database: `sitrep backup --to FILE`
//! while the server runs, `sitrep restore --from FILE` while it is stopped.
//!
//! A backup is SQLite's `VACUUM INTO`: one read transaction, so the copy is the
//! database as of one instant (every write committed before it began, none half
//! done), taken without stopping writers. It is written beside its target and renamed
//! into place only once it passes `integrity_check`, so a backup file that exists is
//! whole. PostgreSQL has its own tools (`pg_dump`); both commands say so.

use anyhow::{bail, Context};
use app::db::{migrator, Backend};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

const POSTGRES_BACKUP: &str = "`sitrep backup` copies the embedded SQLite database; for \
    PostgreSQL use pg_dump, e.g. pg_dump --format=custom --file=sitrep.dump \"$DATABASE_URL\" \
    (README: Backups)";
const POSTGRES_RESTORE: &str = "`sitrep restore` restores the embedded SQLite database; for \
    PostgreSQL use pg_restore, e.g. pg_restore --clean --if-exists --dbname=\"$DATABASE_URL\" \
    sitrep.dump (README: Backups)";

/// What a database holds, for the line each command prints.
struct Contents {
    incidents: i64,
    entries: i64,
    schema: i64,
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} incidents, {} timeline entries, schema version {}",
            self.incidents, self.entries, self.schema
        )
    }
}

/// Copies the database at `database_url` to `to`, which must not exist yet.
pub async fn backup(database_url: &str, to: &Path) -> anyhow::Result<String> {
    let source = sqlite_file(database_url, POSTGRES_BACKUP)?;
    if !source.exists() {
        bail!(
            "there is no database at {}: nothing to back up (check --data-dir or DATABASE_URL)",
            source.display()
        );
    }
    if to.exists() {
        bail!(
            "{} already exists: a backup never overwrites a file, choose a new name",
            to.display()
        );
    }
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&partial);

    let mut db = open(&source, Duration::from_secs(5)).await?;
    sqlx::query("VACUUM INTO $1")
        .bind(partial.display().to_string())
        .execute(&mut db)
        .await
        .with_context(|| format!("cannot write the backup to {}", partial.display()))?;
    db.close().await?;

    let contents = keep_if_whole(&partial, to).await?;
    std::fs::rename(&partial, to)?;
    sync_dir(to)?;
    let size = std::fs::metadata(to)?.len();
    Ok(format!(
        "backup of {} written to {} ({}): {contents}",
        source.display(),
        to.display(),
        bytes(size)
    ))
}

/// Replaces the database at `database_url` with the backup `from`, after checking
/// that it is a whole Sitrep backup this version can open and that nothing is using
/// the database. The replaced database is kept beside it.
pub async fn restore(database_url: &str, from: &Path) -> anyhow::Result<String> {
    let target = sqlite_file(database_url, POSTGRES_RESTORE)?;
    let mut header = [0u8; 16];
    let readable = std::fs::File::open(from)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut header))
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::UnexpectedEof => anyhow::anyhow!(
                "{} is not a SQLite database (a file made by `sitrep backup`)",
                from.display()
            ),
            _ => anyhow::Error::new(err).context(format!("cannot read {}", from.display())),
        });
    readable?;
    if &header != b"SQLite format 3\0" {
        bail!(
            "{} is not a SQLite database (a file made by `sitrep backup`)",
            from.display()
        );
    }

    // The checks run on the copy that will be installed, never on the backup itself
    // (opening a database can write beside it).
    if let Some(dir) = target.parent() {
        crate::ensure_writable_dir(dir)?;
    }
    let restoring = with_suffix(&target, ".restoring");
    std::fs::copy(from, &restoring)
        .with_context(|| format!("cannot copy {} to {}", from.display(), restoring.display()))?;
    let contents = keep_if_whole(&restoring, from).await?;

    let kept = if target.exists() {
        if let Err(err) = take_over(&target).await {
            let _ = std::fs::remove_file(&restoring);
            return Err(err);
        }
        let kept = with_suffix(
            &target,
            &chrono::Utc::now()
                .format(".before-restore-%Y%m%dT%H%M%SZ")
                .to_string(),
        );
        std::fs::rename(&target, &kept)
            .with_context(|| format!("cannot move {} aside", target.display()))?;
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&restoring, &target)
        .with_context(|| format!("cannot move the restored copy to {}", target.display()))?;
    sync_dir(&target)?;
    Ok(format!(
        "restored {} into {}: {contents}{}",
        from.display(),
        target.display(),
        match kept {
            Some(kept) => format!("; the database it replaced is kept as {}", kept.display()),
            None => String::new(),
        }
    ))
}

/// The SQLite file a database URL names; PostgreSQL URLs are refused with `hint`.
fn sqlite_file(database_url: &str, hint: &str) -> anyhow::Result<PathBuf> {
    match Backend::from_url(database_url)? {
        Backend::Postgres => bail!("{hint}"),
        Backend::Sqlite => Ok(SqliteConnectOptions::from_str(database_url)?
            .get_filename()
            .to_path_buf()),
    }
}

async fn open(path: &Path, busy: Duration) -> anyhow::Result<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(busy)
        .connect()
        .await
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Checks the database `copy` (of `named`) and writes it to disk; removes it when it
/// fails, so no copy that is not whole is left.
async fn keep_if_whole(copy: &Path, named: &Path) -> anyhow::Result<Contents> {
    let checked = async {
        let contents = check(copy, named).await?;
        std::fs::File::open(copy)?.sync_all()?;
        anyhow::Ok(contents)
    }
    .await;
    if checked.is_err() {
        let _ = std::fs::remove_file(copy);
    }
    checked
}

/// Checks that the database `copy` (a copy of `named`) is whole and a schema this
/// version knows.
async fn check(copy: &Path, named: &Path) -> anyhow::Result<Contents> {
    let mut db = open(copy, Duration::ZERO)
        .await
        .with_context(|| format!("{} is damaged", named.display()))?;
    let checked = check_open(&mut db, named).await;
    db.close().await?;
    checked
}

async fn check_open(db: &mut SqliteConnection, named: &Path) -> anyhow::Result<Contents> {
    let not_sitrep = || {
        format!(
            "{} is a SQLite database but not a Sitrep backup",
            named.display()
        )
    };
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *db)
        .await
        .with_context(|| format!("{} is damaged", named.display()))?;
    if integrity != "ok" {
        bail!("{} is damaged: {integrity}", named.display());
    }
    let applied = sqlx::query("SELECT version, checksum, success FROM _sqlx_migrations")
        .fetch_all(&mut *db)
        .await
        .with_context(not_sitrep)?;
    let known = migrator(Backend::Sqlite);
    let mut schema = 0;
    for row in applied {
        let version: i64 = row.get("version");
        let checksum: Vec<u8> = row.get("checksum");
        let Some(migration) = known.iter().find(|m| m.version == version) else {
            bail!(
                "{} was made by a newer Sitrep (its schema version {version} is unknown to \
                 this one, {}): restore it with that version",
                named.display(),
                env!("CARGO_PKG_VERSION")
            );
        };
        if *migration.checksum != checksum[..] || !row.get::<bool, _>("success") {
            bail!(
                "{}: schema version {version} differs from this Sitrep's",
                not_sitrep()
            );
        }
        schema = schema.max(version);
    }
    let (incidents, entries) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM incidents), (SELECT COUNT(*) FROM timeline_entries)",
    )
    .fetch_one(&mut *db)
    .await
    .with_context(not_sitrep)?;
    Ok(Contents {
        incidents,
        entries,
        schema,
    })
}

/// Makes sure no other connection has `target` open, by leaving WAL mode: SQLite
/// allows that only to the database's sole user (and checkpoints the WAL into the
/// file as it does, so the file alone is the whole database).
async fn take_over(target: &Path) -> anyhow::Result<()> {
    let in_use = || {
        format!(
            "the database {} is in use: stop the server (and any other sitrep process) \
             before restoring",
            target.display()
        )
    };
    let mut db = open(target, Duration::ZERO).await.with_context(in_use)?;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut db)
        .await
        .with_context(in_use)?;
    db.close().await?;
    if mode != "delete" {
        bail!("{}", in_use());
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes a rename in `path`'s folder durable.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

fn bytes(size: u64) -> String {
    match size {
        0..1_000_000 => format!("{:.1} KB", size as f64 / 1e3),
        _ => format!("{:.1} MB", size as f64 / 1e6),
    }
}
