//! Shared application state: the database, the checked configuration, the clock and the clients.

use std::{ops::Deref, sync::Arc};

use ai_providers::{
    CallLimits, ChatProvider, OpenAiClient, OpenAiConfig, RetryPolicy, Transcriber,
    TranscriptionConfig,
};
use dbkit::{Db, Timestamp, Tx};
use mealframe_store::{
    StoreError,
    accounts::{idempotency, users},
};
use platform::clock::{Clock, SystemClock};

use crate::{
    accounts::{google::GoogleOidc, jwt::JwtKeys},
    app::{Write, cache::ViewCache},
    config::Config,
    mail::Mailer,
    photos::Photos,
    push::{self, PushSender, VapidKey},
};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub jwt: JwtKeys,
    pub mailer: Mailer,
    pub http: reqwest::Client,
    pub google: Option<GoogleOidc>,
    /// The vision model of AI capture; `None` when not configured.
    pub vision: Option<Arc<dyn ChatProvider>>,
    /// Speech to text for voice capture; `None` when not configured.
    pub transcriber: Option<Arc<Transcriber>>,
    /// Where captured photos are kept.
    pub photos: Photos,
    /// Today and stats views, keyed by the user's data version.
    pub views: ViewCache,
    /// Wakes this instance's mail sender when a request queued mail (`mail::outbox`).
    pub mail_wake: tokio::sync::Notify,
    /// Wakes this instance's grocery-line reader when a list queued lines for the AI.
    pub grocery_wake: tokio::sync::Notify,
    /// Wakes this instance's capture worker when a capture was queued or retried.
    pub capture_wake: tokio::sync::Notify,
    /// Web Push: the VAPID key and the client that posts to push services.
    pub push: PushSender,
    /// Wakes this instance's reminder scheduler when someone's reminders changed.
    pub reminder_wake: tokio::sync::Notify,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// What [`AppState::build`] needs besides the configuration; tests swap in their own.
pub struct Parts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub jwt_secret: String,
    pub mailer: Option<Mailer>,
    /// The VAPID private key (base64url); `None`: configured or kept in the data dir
    /// (`push::load_key`).
    pub vapid_private_key: Option<String>,
}

impl AppState {
    /// A write transaction on the data of `w.user`, their row locked first (see
    /// `users::lock_for_write`).
    ///
    /// When the write carries an `Idempotency-Key`, the transaction also marks it applied, so the
    /// change commits together with the fact that it was made (`api::idempotency`).
    pub async fn begin_for(&self, w: &Write) -> Result<Tx, StoreError> {
        let mut tx = self.db.begin().await?;
        users::lock_for_write(&mut tx.conn(), w.user).await?;
        if let Some(key) = &w.idempotency_key {
            idempotency::mark_applied(&mut tx.conn(), w.user, key).await?;
        }
        Ok(tx)
    }

    /// [`AppState::begin_for`] for a mutation that is one SQL statement (see
    /// `Db::begin_single`): no transaction round trips on SQLite, where the single writer needs no
    /// lock; the user's row locked first on PostgreSQL.
    ///
    /// A keyed write needs a second statement (the applied mark): it gets a real transaction.
    pub async fn begin_single_for(&self, w: &Write) -> Result<Tx, StoreError> {
        if w.idempotency_key.is_some() {
            return self.begin_for(w).await;
        }
        let mut tx = self.db.begin_single().await?;
        users::lock_for_write(&mut tx.conn(), w.user).await?;
        Ok(tx)
    }

    pub fn build(config: Config, parts: Parts) -> Result<AppState, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("mealframe/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let mailer = match parts.mailer {
            Some(m) => m,
            None => Mailer::from_config(&config, http.clone())?,
        };
        let google = config
            .google
            .clone()
            .map(|g| GoogleOidc::new(g, http.clone()));
        let vision = config.ai_capture.enabled().then(|| {
            let ai = &config.ai_capture;
            let client = OpenAiClient::new(
                ai_providers::default_http_client(),
                OpenAiConfig {
                    name: "openai".into(),
                    base_url: ai.base_url.clone(),
                    api_key: ai.api_key.clone(),
                    require_api_key: false,
                    model: ai.model.clone(),
                    send_max_tokens: true,
                    limits: CallLimits {
                        attempt_timeout: ai.timeout,
                        deadline: Some(ai.timeout),
                    },
                    retry: RetryPolicy::default(),
                },
            );
            Arc::new(client) as Arc<dyn ChatProvider>
        });
        let capture = &config.capture;
        let transcriber = (capture.transcription_api_key.is_some()
            || capture.transcription_base_url != crate::config::OPENAI_BASE_URL)
            .then(|| {
                Arc::new(Transcriber::new(
                    ai_providers::default_http_client(),
                    TranscriptionConfig {
                        base_url: capture.transcription_base_url.clone(),
                        api_key: capture.transcription_api_key.clone(),
                        model: capture.transcription_model.clone(),
                        limits: CallLimits {
                            attempt_timeout: config.ai_capture.timeout * 2,
                            deadline: Some(config.ai_capture.timeout * 2),
                        },
                        retry: RetryPolicy::default(),
                    },
                ))
            });
        let photos = Photos::from_config(&config.photos)?;
        let jwt = JwtKeys::new(&parts.jwt_secret, config.access_token_ttl);
        let vapid = match &parts.vapid_private_key {
            Some(k) => VapidKey::from_base64(k)?,
            None => push::load_key(&config)?,
        };
        let push = PushSender::new(&config, vapid)?;
        Ok(AppState(Arc::new(Inner {
            db: parts.db,
            config,
            clock: parts.clock,
            jwt,
            mailer,
            http,
            google,
            vision,
            transcriber,
            photos,
            views: ViewCache::default(),
            mail_wake: tokio::sync::Notify::new(),
            grocery_wake: tokio::sync::Notify::new(),
            capture_wake: tokio::sync::Notify::new(),
            push,
            reminder_wake: tokio::sync::Notify::new(),
        })))
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from(self.clock.now())
    }

    /// Have the mail sender look at the outbox now (call after committing queued mail).
    pub fn wake_mail_sender(&self) {
        self.mail_wake.notify_one();
    }

    /// Have the reminder scheduler look again now (after a change to someone's reminders).
    pub fn wake_reminders(&self) {
        self.reminder_wake.notify_one();
    }

    /// Whether new accounts must confirm their address (only when mail can actually be sent).
    pub fn verification_required(&self) -> bool {
        self.mailer.is_on()
    }
}

/// The production clock.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
