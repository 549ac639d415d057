//! The `mealframe` server: JSON API (wire-compatible with the original MealFrame server), web app,
//! accounts, mail and background jobs, over `mealframe-store` and `mealframe-core`.
//!
//! Layering: `api` (and the web pages) → `accounts` / store functions → `mealframe-core` rules.
//! Handlers parse input (`extract`), call one function, and map errors (`error`).

pub mod accounts;
pub mod api;
pub mod app;
pub mod config;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod mail;
pub mod photos;
pub mod push;
pub mod router;
pub mod state;
pub mod web;

use std::{net::SocketAddr, sync::Arc};

use config::Config;
use dbkit::{Db, DbOptions};
use state::{AppState, Parts};
use tokio_util::sync::CancellationToken;

/// Open (and migrate) the configured database.
pub async fn open_db(config: &Config) -> Result<Db, String> {
    let opts = DbOptions {
        max_connections: config.database_max_connections,
        ..DbOptions::default()
    };
    Db::connect(&config.database_url, mealframe_store::MIGRATIONS, &opts)
        .await
        .map_err(|e| e.to_string())
}

/// The JWT secret: configured, or generated once into the data directory.
pub fn jwt_secret(config: &Config) -> Result<String, String> {
    match &config.jwt_secret {
        Some(s) => Ok(s.clone()),
        None => {
            platform::secrets::load_or_create(&config.data_dir.join("jwt.secret")).map_err(|e| {
                format!(
                    "cannot keep the generated JWT secret in {}: {e}",
                    config.data_dir.display()
                )
            })
        }
    }
}

/// Build the state for a real run.
pub async fn build_state(config: Config) -> Result<AppState, String> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| format!("data dir {}: {e}", config.data_dir.display()))?;
    let db = open_db(&config).await?;
    let secret = jwt_secret(&config)?;
    AppState::build(
        config,
        Parts {
            db,
            clock: Arc::new(platform::clock::SystemClock),
            jwt_secret: secret,
            mailer: None,
            vapid_private_key: None,
        },
    )
}

/// Serve until SIGINT/SIGTERM, then finish in-flight requests.
pub async fn serve(config: Config) -> Result<(), String> {
    let addr = config.addr;
    let state = build_state(config).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(
        url = %format!("http://{local}"),
        database = ?state.db.engine(),
        mail = state.mailer.describe(),
        google = state.google.is_some(),
        "MealFrame is listening"
    );
    println!(
        "MealFrame is running at http://{local}  (public URL {})",
        state.config.public_url
    );
    match state.db.engine() {
        dbkit::Engine::Sqlite => println!(
            "Data: {} (SQLite database, keys and uploads; back this folder up)",
            state.config.data_dir.display()
        ),
        dbkit::Engine::Postgres => println!(
            "Data: PostgreSQL; data directory {} (keys and uploads)",
            state.config.data_dir.display()
        ),
    }
    if local.ip().is_loopback() {
        println!(
            "Only this computer can reach it. To use it from a phone, listen on the network \
             (--addr 0.0.0.0:{}) behind an HTTPS proxy: see `mealframe serve --help`.",
            local.port()
        );
    }
    if !state.mailer.is_on() {
        tracing::info!(
            "no mail transport configured: e-mail verification is not required for new accounts"
        );
    }
    let stop = CancellationToken::new();
    let jobs = tokio::spawn(jobs::run(state.clone(), stop.clone()));
    let mail_sender = tokio::spawn(jobs::run_mail_sender(state.clone(), stop.clone()));
    let grocery_reader = tokio::spawn(jobs::run_grocery_reader(state.clone(), stop.clone()));
    let capture_worker = tokio::spawn(jobs::run_capture_worker(state.clone(), stop.clone()));
    let reminders = tokio::spawn(jobs::run_reminders(state.clone(), stop.clone()));
    let db = state.db.clone();
    let app = router::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(platform::shutdown::signal())
    .await
    .map_err(|e| e.to_string())?;
    stop.cancel();
    let _ = jobs.await;
    let _ = mail_sender.await;
    let _ = grocery_reader.await;
    let _ = capture_worker.await;
    let _ = reminders.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}
