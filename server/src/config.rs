//! Server configuration: one struct, every option a flag and an environment variable.

use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Sitrep incident-coordination server.
#[derive(Parser, Debug, Clone)]
#[command(name = "sitrep", version, about)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "SITREP_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Folder for the embedded database and other local state; created if missing.
    #[arg(long, env = "SITREP_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database to use: `postgres://…` for several replicas; default is the embedded
    /// SQLite file `<data-dir>/sitrep.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Folder with the built browser bundle and static files (JS, WASM, CSS).
    #[arg(long, env = "SITREP_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// The URL people use to reach Sitrep, for links in notifications
    /// (default: http://<listen>).
    #[arg(long, env = "SITREP_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// SMTP server for email notifications: smtp://host:port (plain),
    /// smtp://host?tls=required (STARTTLS) or smtps://user:pass@host (TLS).
    #[arg(long, env = "SITREP_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Sender address of notification emails.
    #[arg(
        long,
        env = "SITREP_SMTP_FROM",
        default_value = "Sitrep <sitrep@localhost>"
    )]
    pub smtp_from: String,

    /// Requests per second each client address may make to the status pages
    /// (bursts of four times that); 0 turns the limit off, e.g. behind a proxy that
    /// limits instead. Sign-ups are limited separately (5, then one per 2 minutes).
    #[arg(long, env = "SITREP_STATUS_RATE_LIMIT", default_value_t = 20)]
    pub status_rate_limit: u32,

    /// Wait after a failed delivery before retrying, in milliseconds; doubles per failure.
    #[arg(long, env = "SITREP_RETRY_BASE_MS", default_value_t = 5000)]
    pub retry_base_ms: u64,

    /// How long a server's claim on a delivery lasts, in seconds. Longer than the
    /// slowest attempt (10 s timeouts); after a crash, another replica sends what the
    /// crashed one had claimed once this passes, with the same idempotency key.
    #[arg(long, env = "SITREP_DELIVERY_LEASE", default_value_t = 60)]
    pub delivery_lease: u64,

    /// How many events a live viewer may fall behind on one incident before its
    /// connection is closed with a "resume from your last seq" reason.
    #[arg(long, env = "SITREP_LIVE_QUEUE", default_value_t = app::live::hub::QUEUE_CAPACITY)]
    pub live_queue: usize,

    /// Seconds a live viewer's socket may refuse frames (a client that stopped
    /// reading) before the connection is dropped; the viewer resumes from its last seq.
    #[arg(long, env = "SITREP_LIVE_WRITE_TIMEOUT", default_value_t = app::live::hub::WRITE_TIMEOUT.as_secs())]
    pub live_write_timeout: u64,

    /// Fill an empty database with demo teams, systems and incidents.
    #[arg(long, env = "SITREP_DEMO")]
    pub demo: bool,

    /// Log output: readable text, or JSON lines for log collectors.
    #[arg(long, env = "SITREP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Mark the session cookie `Secure` (sent over HTTPS only). Default: on when the
    /// public URL is https://.
    #[arg(long, env = "SITREP_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,

    /// The first-run setup token (default: a random one printed in the log). Only
    /// used while nobody can sign in.
    #[arg(long, env = "SITREP_SETUP_TOKEN", hide_env_values = true)]
    pub setup_token: Option<String>,

    /// Serve Prometheus metrics at /metrics to scrapers sending this bearer token
    /// (default: /metrics is off).
    #[arg(long, env = "SITREP_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// An operator task instead of serving (uses the same database options).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Operator tasks: `sitrep user add …`, `sitrep token create …`, `sitrep backup …`.
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// People who can sign in.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Copies the embedded database to a new file while the server keeps running
    /// (PostgreSQL: use pg_dump).
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: PathBuf,
    },
    /// Replaces the embedded database with a backup, once it is checked; the server
    /// must be stopped. The replaced database is kept beside it.
    Restore {
        /// A file made by `sitrep backup`.
        #[arg(long)]
        from: PathBuf,
    },
    #[command(flatten)]
    Remote(RemoteCommand),
}

/// An engineer's commands against a running server, over its API with an API token
/// (`sitrep login` saves both).
#[derive(Subcommand, Debug, Clone)]
pub enum RemoteCommand {
    /// Signs this terminal in to a Sitrep server with an API token, and saves both
    /// (in ~/.config/sitrep/cli.json, or SITREP_CLI_CONFIG) for the other commands.
    Login {
        /// The server, e.g. https://sitrep.example.com.
        #[arg(long)]
        url: String,
        /// An API token (create one in Settings, or with `sitrep token create`).
        #[arg(long, env = "SITREP_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Declares an incident.
    Declare {
        #[arg(long)]
        title: String,
        /// P1, P2 or P3.
        #[arg(long)]
        severity: String,
        /// An affected system's slug (repeat for several).
        #[arg(long)]
        system: Vec<String>,
        /// An impacted account's slug (repeat for several).
        #[arg(long)]
        account: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        /// Print the incident as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Posts to an incident's timeline.
    Post {
        /// The incident, e.g. INC-12 (or 12).
        incident: String,
        text: String,
        /// update, note, action or finding.
        #[arg(long, default_value = "update")]
        kind: String,
        /// Print the entry as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Moves an incident to a status: investigating, identified, fixing, monitoring
    /// or resolved.
    Status {
        incident: String,
        status: String,
        /// Why (needed when moving back).
        #[arg(long)]
        reason: Option<String>,
        /// Print the incident as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lists incidents, newest first.
    Ls {
        /// Only those not resolved.
        #[arg(long)]
        open: bool,
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Shows an incident's latest entries and follows new ones live (Ctrl-C stops);
    /// reconnects by itself after a dropped connection.
    Tail {
        incident: String,
        /// One JSON entry per line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum UserCommand {
    /// Adds a person (or updates the one with that email).
    Add {
        #[arg(long)]
        email: String,
        /// Display name (default: the email's local part).
        #[arg(long, default_value = "")]
        name: String,
        /// admin, engineer, cs or viewer.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (first line); without it the person
        /// cannot sign in yet.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Changes a person's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum TokenCommand {
    /// Creates an API token acting as the user and prints it (shown once).
    Create {
        /// The user's email.
        #[arg(long)]
        user: String,
        /// What it is for, e.g. "alertmanager".
        #[arg(long)]
        name: String,
    },
    /// Revokes a token by id: it stops working at once.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// Whether session cookies are `Secure`.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies.unwrap_or_else(|| {
            self.public_url
                .as_deref()
                .is_some_and(|url| url.starts_with("https://"))
        })
    }

    /// The database URL in effect: the configured one, or the embedded SQLite file.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("sitrep.db").display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_embedded_sqlite_in_the_data_dir() {
        let config = Config::try_parse_from(["sitrep", "--data-dir", "/tmp/x"]).unwrap();
        assert_eq!(
            config.effective_database_url(),
            "sqlite:///tmp/x/sitrep.db?mode=rwc"
        );
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.log_format, LogFormat::Text);
    }

    #[test]
    fn database_url_overrides_the_default() {
        let config =
            Config::try_parse_from(["sitrep", "--database-url", "postgres://db/sitrep"]).unwrap();
        assert_eq!(config.effective_database_url(), "postgres://db/sitrep");
    }

    #[test]
    fn bad_listen_address_is_rejected_by_name() {
        let err = Config::try_parse_from(["sitrep", "--listen", "nowhere"]).unwrap_err();
        assert!(err.to_string().contains("--listen"), "{err}");
    }
}
