//! `offload-api`: start the gateway (`serve`, the default), or read and reset per-install usage
//! (`usage show | reset | top`). Configuration comes from `OFFLOAD_*` variables; with none at
//! all it serves on 127.0.0.1:8081 with a SQLite file in `./offload-data`, and its AI routes
//! answer 503 `provider_unavailable` until a provider key or base URL is set.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use offload_api::{Config, Settings, operator};

/// mimalloc rather than the system's: glibc's malloc and free were ~15 % of the server's CPU
/// under load (`docs/architecture.md`, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "offload-api",
    version,
    about = "Offload API: the privacy-first AI gateway of the Offload iOS app"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Read or reset one install's usage: counts and token totals only (no content is stored).
    #[command(subcommand)]
    Usage(UsageCommand),
}

#[derive(Subcommand)]
enum UsageCommand {
    /// Token totals per month and feature, and the stored quota counts, of one install.
    Show { install_id: String },
    /// Set an install's quota counts of the current period back to zero (token totals stay).
    Reset {
        install_id: String,
        /// Only this feature (e.g. breakdown); every feature without it.
        #[arg(long)]
        feature: Option<String>,
    },
    /// The installs that used the most tokens in a month (this UTC month by default).
    Top {
        #[arg(long, default_value_t = 10)]
        limit: u32,
        /// YYYY-MM
        #[arg(long)]
        month: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    // Panic messages can carry whatever value was being handled: report the location only.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(location = %at, "panic");
    }));
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    // The usage commands never call a provider: an operator account that cannot read the key
    // files can still run them.
    let settings = Settings::from_env().map(|s| match &command {
        Command::Serve => s,
        Command::Usage(_) => Settings {
            openai_api_key_file: None,
            anthropic_api_key_file: None,
            ..s
        },
    });
    let config = match settings.and_then(Config::from_settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("offload-api: {e}");
            return ExitCode::FAILURE;
        }
    };
    platform::telemetry::init(config.log_format, &config.log_level);
    match command {
        Command::Serve => serve(config).await,
        Command::Usage(cmd) => usage(config, cmd).await,
    }
}

/// Run one `usage` command and print its answer.
async fn usage(config: Config, cmd: UsageCommand) -> ExitCode {
    let db = match offload_api::open_db(&config).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("offload-api: cannot open the database: {e}");
            return ExitCode::FAILURE;
        }
    };
    let now = time::OffsetDateTime::now_utc();
    let answer = match &cmd {
        UsageCommand::Show { install_id } => operator::show(&db, install_id).await,
        UsageCommand::Reset {
            install_id,
            feature,
        } => operator::reset(&db, &config, install_id, feature.as_deref(), now).await,
        UsageCommand::Top { limit, month } => {
            operator::top(&db, month.as_deref(), *limit, now).await
        }
    };
    db.close().await;
    match answer {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e @ operator::OperatorError::Usage(_)) => {
            eprintln!("offload-api: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("offload-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> ExitCode {
    let addr = config.addr;
    let state = match offload_api::connect(config).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the database");
            return ExitCode::FAILURE;
        }
    };
    let db = state.db.clone();
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, %addr, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        addr = %listener.local_addr().map_or(addr, |a| a),
        provider = state.provider.current().name(),
        engine = ?db.engine(),
        "offload-api listening"
    );
    let housekeeping = tokio::spawn(purge_windows(db.clone()));
    let reloader = tokio::spawn(reload_on_hangup(state.clone()));
    let app = offload_api::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(platform::shutdown::signal())
    .await;
    housekeeping.abort();
    reloader.abort();
    db.close().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server error");
            ExitCode::FAILURE
        }
    }
}

/// On `SIGHUP`: read the configuration again (provider keys from their `*_FILE`s included) and
/// send new calls to a provider built from it; calls in flight finish on the old one.
async fn reload_on_hangup(state: offload_api::AppState) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("SIGHUP cannot be watched; provider keys reload on restart only");
            return;
        };
        while hangups.recv().await.is_some() {
            match Settings::from_env().map(|s| state.reload_provider(s)) {
                Ok(Ok(())) => tracing::info!(
                    provider = state.provider.current().name(),
                    "provider configuration reloaded"
                ),
                Ok(Err(e)) | Err(e) => {
                    tracing::error!(error = %e, "reload refused; the previous provider stays")
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = state;
}

/// Every ten minutes: delete rate-limit windows that closed more than a day ago, and quota
/// reservations that expired (units held by calls of a process that died; they no longer count).
async fn purge_windows(db: dbkit::Db) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let cutoff = dbkit::Timestamp::now().minus(time::Duration::days(1));
        if let Err(e) = dbkit::ratelimit::purge(&db, cutoff).await {
            tracing::warn!(error = %e, "rate-limit window purge failed");
        }
        let now = dbkit::Timestamp::now();
        if let Err(e) = offload_api::store::usage::purge_expired_reservations(&db, now).await {
            tracing::warn!(error = %e, "expired reservation purge failed");
        }
    }
}
