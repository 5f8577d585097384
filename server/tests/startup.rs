//! The `sitrep` binary's start-up and shutdown behaviour, run as a real process.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sitrep() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    command.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    command
}

/// Runs the binary to completion and returns (exit code, stderr).
fn run_to_exit(command: &mut Command) -> (Option<i32>, String) {
    let output = command.output().expect("binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_option_with_its_environment_variable() {
    let output = sitrep().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--listen",
        "SITREP_LISTEN",
        "--data-dir",
        "SITREP_DATA_DIR",
        "--database-url",
        "DATABASE_URL",
        "--site-root",
        "SITREP_SITE_ROOT",
        "--log-format",
        "SITREP_LOG_FORMAT",
    ] {
        assert!(help.contains(needle), "--help mentions {needle}:\n{help}");
    }
}

#[test]
fn bad_database_url_fails_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run_to_exit(
        sitrep()
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--listen=127.0.0.1:0")
            .env("DATABASE_URL", "mysql://nope"),
    );
    assert_eq!(code, Some(1));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot open the database at mysql://nope"),
        "{stderr}"
    );
    assert!(
        stderr.contains("must start with sqlite: or postgres:"),
        "{stderr}"
    );
}

#[test]
fn unreachable_postgres_fails_without_hanging_and_hides_the_password() {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 on loopback: nothing listens, so the connection is refused at once.
    let started = Instant::now();
    let (code, stderr) = run_to_exit(
        sitrep()
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--listen=127.0.0.1:0")
            .env(
                "DATABASE_URL",
                "postgres://sitrep:hunter2@127.0.0.1:9/sitrep",
            ),
    );
    assert_eq!(code, Some(1));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        stderr.contains("cannot open the database at postgres://sitrep:***@127.0.0.1:9/sitrep"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"));
}

#[test]
fn taken_port_fails_with_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run_to_exit(
        sitrep()
            .arg("--data-dir")
            .arg(dir.path())
            .arg(format!("--listen={addr}")),
    );
    assert_eq!(code, Some(1));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

#[test]
fn unusable_data_dir_fails_with_one_clear_line() {
    // A path below a regular file can never become a directory, even for root.
    let file = tempfile::NamedTempFile::new().unwrap();
    let data_dir = file.path().join("data");
    let (code, stderr) = run_to_exit(
        sitrep()
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--listen=127.0.0.1:0"),
    );
    assert_eq!(code, Some(1));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot create data dir {}", data_dir.display())),
        "{stderr}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = sitrep()
        .arg("--data-dir")
        .arg(dir.path())
        .arg(format!("--listen=127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        dir.path().join("sitrep.db").exists(),
        "embedded database created in the data dir"
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
    let mut log = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains(&format!("listening on http://127.0.0.1:{port}")),
        "{log}"
    );
    assert!(log.contains("shutting down"), "{log}");
}
