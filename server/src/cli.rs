//! Operator tasks run from the command line against the configured database:
//! `sitrep user add|set-role`, `sitrep token create|revoke`, `sitrep backup|restore`.
//! Each prints one result line; changes are audited as done by "operator (command
//! line)". The engineer's commands (`login`, `post`, `tail`, …) go to `remote`.

use crate::config::{Command, Config, TokenCommand, UserCommand};
use app::clock::SystemClock;
use app::identity::model::UserRole;
use app::identity::service as identity;
use std::io::BufRead;
use std::sync::Arc;

const OPERATOR: &str = "operator (command line)";

/// Runs one task; returns what to print.
pub async fn run(config: &Config, command: &Command) -> anyhow::Result<String> {
    let url = config.effective_database_url();
    match command {
        // These two work on the database file itself, migrating nothing.
        Command::Backup { to } => crate::backup::backup(&url, to).await,
        Command::Restore { from } => crate::backup::restore(&url, from).await,
        Command::Remote(task) => {
            crate::remote::run(task).await?;
            Ok(String::new())
        }
        Command::User(task) => people(config, Task::User(task)).await,
        Command::Token(task) => people(config, Task::Token(task)).await,
    }
}

/// The tasks that go through the identity service (and so its audit log).
enum Task<'a> {
    User(&'a UserCommand),
    Token(&'a TokenCommand),
}

async fn people(config: &Config, task: Task<'_>) -> anyhow::Result<String> {
    if config.database_url.is_none() {
        crate::ensure_writable_dir(&config.data_dir)?;
    }
    let db = crate::open_database(&config.effective_database_url()).await?;
    let state = crate::app_state(
        config,
        db.clone(),
        Arc::new(SystemClock),
        config.listen,
        Arc::default(),
    );
    let result = match task {
        Task::User(UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
        }) => {
            let role: UserRole = role.parse().map_err(anyhow::Error::msg)?;
            let password = if *password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let user =
                identity::save_user(&state, (email, name), role, password.as_deref(), OPERATOR)
                    .await
                    .map_err(anyhow::Error::msg)?;
            format!(
                "user {} ({}) saved with role {}{}",
                user.email,
                user.display_name,
                user.role,
                if password.is_some() {
                    ", password set"
                } else {
                    ""
                }
            )
        }
        Task::User(UserCommand::SetRole { email, role }) => {
            let role: UserRole = role.parse().map_err(anyhow::Error::msg)?;
            identity::set_role(&state, email, role, OPERATOR)
                .await
                .map_err(anyhow::Error::msg)?;
            format!("{email} is now {role}")
        }
        Task::Token(TokenCommand::Create { user, name }) => {
            let (id, secret) = identity::create_token(&state, user, name, OPERATOR)
                .await
                .map_err(anyhow::Error::msg)?;
            format!("token {id} for {user} ({name}); shown once, keep it safe:\n{secret}")
        }
        Task::Token(TokenCommand::Revoke { id }) => {
            identity::revoke_token(&state, *id, OPERATOR)
                .await
                .map_err(anyhow::Error::msg)?;
            format!("token {id} revoked")
        }
    };
    db.close().await;
    Ok(result)
}
