//! `sitrep`: starts the server. Everything of substance lives in the library.

use clap::Parser;
use server::config::Config;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    server::telemetry::init(config.log_format);
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line that says what failed and why.
            eprintln!("sitrep: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    if let Some(command) = &config.command {
        println!("{}", server::cli::run(&config, command).await?);
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
