//! `sitrep`: starts the server. Everything of substance lives in the library.

use clap::Parser;
use server::config::{Command, Config};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    // The engineer's commands print only their results (`--json` output stays clean).
    if !matches!(config.command, Some(Command::Remote(_))) {
        server::telemetry::init(config.log_format);
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line that says what failed and why.
            eprintln!("sitrep: error: {err:#}");
            // Scripts tell a refusal from a sign-in or network problem by the code.
            let failure = err.downcast_ref::<server::remote::Failure>();
            ExitCode::from(failure.map_or(1, server::remote::Failure::exit_code))
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    if let Some(command) = &config.command {
        let result = server::cli::run(&config, command).await?;
        if !result.is_empty() {
            println!("{result}");
        }
        return Ok(());
    }
    // Each live war room holds a socket: allow as many as the system lets this process.
    if let Ok(limit) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::debug!(limit, "open-file limit");
    }
    let shutdown = server::shutdown_signal();
    let server = server::Server::build(&config).await?;
    tracing::info!(
        database = server.backend(),
        "Sitrep is listening on http://{} — open it in a browser",
        server.local_addr()
    );
    server.serve(shutdown).await
}
