//! What the benchmark binaries (`api-bench`, `live-bench`) share: a release server
//! started as its own process on a fresh database, signed in as an admin through an
//! API token made with the operator tasks, and a few measuring helpers.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running `sitrep` process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// e.g. `http://127.0.0.1:41234`
    pub base: String,
    /// `Bearer …` for an admin.
    pub authorization: String,
    _data_dir: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts `binary` on a free loopback port: on a new SQLite database in a temp dir,
    /// or on `database_url`. `extra` are more command-line options for the server.
    pub async fn start(
        binary: &Path,
        database_url: Option<&str>,
        extra: &[&str],
    ) -> anyhow::Result<ServerProcess> {
        let data_dir = tempfile::tempdir()?;
        let email = format!("bench-{}@example.com", std::process::id());
        task(
            binary,
            data_dir.path(),
            database_url,
            &[
                "user",
                "add",
                "--email",
                &email,
                "--name",
                "Bench Admin",
                "--role",
                "admin",
            ],
        )?;
        let token = task(
            binary,
            data_dir.path(),
            database_url,
            &["token", "create", "--user", &email, "--name", "bench"],
        )?;
        let token = token.lines().last().unwrap_or_default().trim().to_owned();

        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut command = server_command(binary, data_dir.path(), database_url);
        command
            .env("SITREP_LISTEN", format!("127.0.0.1:{port}"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
            authorization: format!("Bearer {token}"),
            _data_dir: data_dir,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }

    /// An HTTP client that sends the admin's token with every request.
    pub fn client(&self, idle_per_host: usize) -> anyhow::Result<reqwest::Client> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, self.authorization.parse()?);
        Ok(reqwest::Client::builder()
            .default_headers(headers)
            .pool_max_idle_per_host(idle_per_host)
            .build()?)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = client.get(format!("{}/readyz", self.base)).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("server not ready after 30 s")
    }
}

fn server_command(binary: &Path, data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut command = Command::new(binary);
    command
        .env("SITREP_DATA_DIR", data_dir)
        .env("RUST_LOG", "error")
        // Every bench client comes from one loopback address: the per-address
        // status page limit would measure itself, not the page.
        .env("SITREP_STATUS_RATE_LIMIT", "0")
        .env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command
}

/// Runs an operator task (`sitrep user add …`) against the server's database.
fn task(
    binary: &Path,
    data_dir: &Path,
    database_url: Option<&str>,
    args: &[&str],
) -> anyhow::Result<String> {
    let output = server_command(binary, data_dir, database_url)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "sitrep {}: {text}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(text)
}

/// A process's resident memory in KiB, from /proc (0 once it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The `p` quantile (0.0–1.0) of sorted values, nearest rank.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Some(sorted[index])
}

/// How a benchmark names its database in what it prints.
pub fn backend_name(database_url: Option<&str>) -> &'static str {
    if database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// The default server binary, next to the benchmark's own.
pub fn sibling_binary(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// What one operation measured.
pub struct Measured {
    pub requests: usize,
    pub errors: usize,
    /// Sorted.
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
}

impl Measured {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `request` from `clients` tasks for `duration`.
pub async fn measure<F, Fut>(clients: usize, duration: Duration, request: F) -> Measured
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (request, stop) = (request.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut n) = (Vec::new(), 0, 0);
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = request(client, n).await;
                latencies.push(t.elapsed());
                errors += usize::from(!ok);
                n += 1;
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut measured = Measured {
        requests: 0,
        errors: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        if let Ok((latencies, errors)) = task.await {
            measured.requests += latencies.len();
            measured.errors += errors;
            measured.latencies.extend(latencies);
        }
    }
    measured.elapsed = started.elapsed();
    measured.latencies.sort();
    measured
}

/// The `p` quantile of sorted durations, in milliseconds.
pub fn ms(sorted: &[Duration], p: f64) -> f64 {
    percentile(sorted, p).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentile_takes_the_nearest_rank() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.5), Some(51));
        assert_eq!(percentile(&values, 0.99), Some(99));
        assert_eq!(percentile(&values, 1.0), Some(100));
        assert_eq!(percentile::<u32>(&[], 0.5), None);
    }
}
