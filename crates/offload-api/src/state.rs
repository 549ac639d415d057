//! What every handler can reach: configuration, database, token service, provider, clock. The
//! provider sits in a [`ProviderSlot`] so that `SIGHUP` can swap in one built from re-read keys
//! while calls in flight finish on the one they started with.

use std::sync::{Arc, RwLock};

use ai_providers::{
    AnthropicClient, AnthropicConfig, CallLimits, ChatProvider, Failover, OpenAiClient,
    OpenAiConfig,
};

use platform::clock::Clock;

use crate::{
    auth::{apple::AppleVerifier, token::TokenService},
    config::{Config, ProviderKind, ProviderSettings},
    store::group_commit::Committer,
};

/// Shared application state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: dbkit::Db,
    /// Admissions and settlements share commits through it (`store::group_commit`).
    pub commits: Committer,
    pub tokens: Arc<TokenService>,
    pub provider: ProviderSlot,
    pub apple: Arc<AppleVerifier>,
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    pub fn new(config: Config, db: dbkit::Db, clock: Arc<dyn Clock>) -> AppState {
        let provider = provider_from(&config.provider, ai_providers::default_http_client());
        AppState {
            tokens: Arc::new(TokenService::new(&config.tokens)),
            apple: Arc::new(AppleVerifier::new(
                &config.apple_jwks_url,
                &config.apple_bundle_id,
            )),
            commits: Committer::new(db.clone(), commit_deadline(&config)),
            config: Arc::new(config),
            db,
            provider: ProviderSlot::new(provider),
            clock,
        }
    }

    /// Use another database (tests use this to point at an unreachable or locked one); the
    /// group committer follows it.
    pub fn with_db(mut self, db: dbkit::Db) -> AppState {
        self.commits = Committer::new(db.clone(), commit_deadline(&self.config));
        self.db = db;
        self
    }

    /// Replace the provider (tests use this to inject pacers; MealFrame-style reuse too).
    pub fn with_provider(mut self, provider: Arc<dyn ChatProvider>) -> AppState {
        self.provider = ProviderSlot::new(provider);
        self
    }

    /// Read the provider keys again from `settings` (their files included) and use a provider
    /// built with them for every call that starts from now on. Only the keys change: the chain,
    /// timeouts and budget stay as started, so quota holds keep lasting as long as a call can.
    /// An invalid configuration changes nothing and says why.
    pub fn reload_provider(
        &self,
        settings: crate::config::Settings,
    ) -> Result<(), crate::config::ConfigError> {
        let fresh = Config::from_settings(settings)?;
        let provider = ProviderSettings {
            openai_api_key: fresh.provider.openai_api_key,
            anthropic_api_key: fresh.provider.anthropic_api_key,
            ..self.config.provider.clone()
        };
        self.provider.set(provider_from(
            &provider,
            ai_providers::default_http_client(),
        ));
        Ok(())
    }
}

/// How long a request waits for its group commit: the batch before it and its own, each at
/// most an acquire timeout plus a lock timeout (2 s).
fn commit_deadline(config: &Config) -> std::time::Duration {
    2 * (config.db_acquire_timeout + std::time::Duration::from_secs(2))
}

/// The provider calls go to, replaceable while serving (cheap to clone: one shared slot).
#[derive(Clone)]
pub struct ProviderSlot(Arc<RwLock<Arc<dyn ChatProvider>>>);

impl ProviderSlot {
    pub fn new(provider: Arc<dyn ChatProvider>) -> ProviderSlot {
        ProviderSlot(Arc::new(RwLock::new(provider)))
    }

    /// The provider for a call about to start (it keeps this one until it ends).
    pub fn current(&self) -> Arc<dyn ChatProvider> {
        match self.0.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set(&self, provider: Arc<dyn ChatProvider>) {
        match self.0.write() {
            Ok(mut p) => *p = provider,
            Err(poisoned) => *poisoned.into_inner() = provider,
        }
    }
}

/// The configured back end: one provider, or with `OFFLOAD_AI_PROVIDERS` an ordered failover
/// chain within the request budget. Without a key *and* without a custom base URL a provider
/// answers "not configured" (503 `provider_unavailable`) without any network traffic.
pub fn provider_from(s: &ProviderSettings, http: reqwest::Client) -> Arc<dyn ChatProvider> {
    match s.chain.as_slice() {
        [] => client_for(s.kind, s, http),
        [one] => client_for(*one, s, http),
        chain => Arc::new(Failover::new(
            chain
                .iter()
                .map(|k| client_for(*k, s, http.clone()))
                .collect(),
            s.request_budget,
        )),
    }
}

fn client_for(
    kind: ProviderKind,
    s: &ProviderSettings,
    http: reqwest::Client,
) -> Arc<dyn ChatProvider> {
    match kind {
        ProviderKind::OpenAi => {
            let defaults = OpenAiConfig::default();
            Arc::new(OpenAiClient::new(
                http,
                OpenAiConfig {
                    name: "openai".into(),
                    require_api_key: s.openai_base_url.is_none(),
                    base_url: s.openai_base_url.clone().unwrap_or(defaults.base_url),
                    api_key: s.openai_api_key.clone(),
                    model: s.openai_model.clone(),
                    send_max_tokens: false,
                    limits: CallLimits {
                        attempt_timeout: s.openai_timeout,
                        deadline: s.request_budget,
                    },
                    retry: s.retry,
                },
            ))
        }
        ProviderKind::Anthropic => {
            let defaults = AnthropicConfig::default();
            Arc::new(AnthropicClient::new(
                http,
                AnthropicConfig {
                    name: "anthropic".into(),
                    require_api_key: s.anthropic_base_url.is_none(),
                    base_url: s.anthropic_base_url.clone().unwrap_or(defaults.base_url),
                    api_key: s.anthropic_api_key.clone(),
                    model: s.anthropic_model.clone(),
                    version: s.anthropic_version.clone(),
                    default_max_tokens: 1024,
                    limits: CallLimits {
                        attempt_timeout: s.anthropic_timeout,
                        deadline: s.request_budget,
                    },
                    retry: s.retry,
                },
            ))
        }
    }
}
