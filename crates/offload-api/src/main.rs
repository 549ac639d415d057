//! `offload-api`: start the gateway. Configuration comes from `OFFLOAD_*` variables; with none at
//! all it serves on 127.0.0.1:8081 with a SQLite file in `./offload-data`, and its AI routes
//! answer 503 `provider_unavailable` until a provider key or base URL is set.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use offload_api::{Config, Settings};

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
    let config = match Settings::from_env().and_then(Config::from_settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("offload-api: {e}");
            return ExitCode::FAILURE;
        }
    };
    platform::telemetry::init(config.log_format, &config.log_level);
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
        provider = state.provider.name(),
        engine = ?db.engine(),
        "offload-api listening"
    );
    let housekeeping = tokio::spawn(purge_windows(db.clone()));
    let app = offload_api::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(platform::shutdown::signal())
    .await;
    housekeeping.abort();
    db.close().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server error");
            ExitCode::FAILURE
        }
    }
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
