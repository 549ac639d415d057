//! Configuration: the original's `OFFLOAD_*` variables (spec §9) plus this port's own
//! (`OFFLOAD_ADDR`, `OFFLOAD_DATA_DIR`, `OFFLOAD_DATABASE_URL`, base URLs, trusted proxies, …).
//!
//! [`Settings`] is what the environment says, loosely typed and defaulted; [`Config`] is the
//! validated form the server runs with. Turning one into the other applies the session-secret
//! policy of spec §3.3: production-like environments must bring strong secrets, development
//! generates one and keeps it in the data directory so restarts keep sessions valid.

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, time::Duration};

use dbkit::ratelimit::Rate;
use platform::{client_ip::TrustedProxies, telemetry::LogFormat};
use serde::{Deserialize, Deserializer, Serialize};

/// Raw settings as read from defaults, `OFFLOAD_CONFIG` (TOML) and `OFFLOAD_*` variables.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(deserialize_with = "lenient::string")]
    pub addr: String,
    #[serde(deserialize_with = "lenient::string")]
    pub data_dir: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub database_url: Option<String>,
    /// How long a request waits for a database connection (or SQLite's write lock) before it
    /// answers 503 `service_unavailable`.
    pub db_acquire_timeout_seconds: f64,
    /// The original's SQLite path; used when `database_url` is not set.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub usage_db_path: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub environment: String,
    #[serde(deserialize_with = "lenient::string")]
    pub build_version: String,

    #[serde(deserialize_with = "lenient::opt_string")]
    pub session_secret: Option<String>,
    pub session_ttl_seconds: i64,
    #[serde(deserialize_with = "lenient::string")]
    pub session_token_issuer: String,
    #[serde(deserialize_with = "lenient::string")]
    pub session_token_audience: String,
    #[serde(deserialize_with = "lenient::string")]
    pub session_token_active_kid: String,
    /// JSON object `{"kid": "secret", …}` (as a string or a table).
    #[serde(deserialize_with = "lenient::key_map")]
    pub session_signing_keys: BTreeMap<String, String>,

    pub session_issue_limit_per_ip: u32,
    pub session_issue_limit_per_install: u32,
    pub session_issue_limit_window_seconds: u64,
    pub ai_inference_limit_per_ip: u32,
    pub ai_inference_limit_per_install: u32,
    pub ai_inference_limit_window_seconds: u64,
    pub reconcile_limit_per_ip: u32,
    pub reconcile_limit_per_install: u32,
    pub reconcile_limit_window_seconds: u64,
    /// Distinct feature names one install may reconcile per period (the five known always pass).
    pub max_features_per_install: u32,

    #[serde(deserialize_with = "lenient::string")]
    pub ai_provider: String,
    /// An ordered failover chain (`openai,anthropic`); overrides `ai_provider` when set.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub ai_providers: Option<String>,
    pub ai_retry_max_attempts: u32,
    pub ai_retry_base_delay_seconds: f64,
    pub ai_retry_max_delay_seconds: f64,
    pub ai_retry_max_total_delay_seconds: f64,
    pub ai_retry_jitter_factor: f64,
    /// Upper bound on one AI request's provider time, retries included (0 = no bound).
    pub ai_request_budget_seconds: f64,

    #[serde(deserialize_with = "lenient::opt_string")]
    pub openai_api_key: Option<String>,
    /// A file holding the OpenAI key (a container secret); read at start and on `SIGHUP`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub openai_api_key_file: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub openai_base_url: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub openai_model: String,
    pub openai_timeout_seconds: f64,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub anthropic_api_key: Option<String>,
    /// A file holding the Anthropic key; read at start and on `SIGHUP`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub anthropic_api_key_file: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub anthropic_base_url: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub anthropic_model: String,
    #[serde(deserialize_with = "lenient::string")]
    pub anthropic_version: String,
    pub anthropic_timeout_seconds: f64,

    pub max_input_chars: usize,
    /// Request body cap in bytes; 0 = derived from `max_input_chars`.
    pub max_body_bytes: usize,
    pub default_feature_quota: u32,
    #[serde(deserialize_with = "lenient::string")]
    pub quota_period: String,

    #[serde(deserialize_with = "lenient::string")]
    pub apple_bundle_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub apple_jwks_url: String,

    #[serde(deserialize_with = "lenient::string")]
    pub trusted_proxies: String,
    pub docs_enabled: bool,
    pub log_format: LogFormat,
    #[serde(deserialize_with = "lenient::string")]
    pub log_level: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: "127.0.0.1:8081".into(),
            data_dir: "./offload-data".into(),
            database_url: None,
            db_acquire_timeout_seconds: 2.0,
            usage_db_path: None,
            environment: "development".into(),
            build_version: "dev".into(),
            session_secret: None,
            session_ttl_seconds: 3600,
            session_token_issuer: "offload-backend".into(),
            session_token_audience: "offload-ios".into(),
            session_token_active_kid: "v2-default".into(),
            session_signing_keys: BTreeMap::new(),
            session_issue_limit_per_ip: 8,
            session_issue_limit_per_install: 4,
            session_issue_limit_window_seconds: 60,
            ai_inference_limit_per_ip: 120,
            ai_inference_limit_per_install: 20,
            ai_inference_limit_window_seconds: 60,
            reconcile_limit_per_ip: 120,
            reconcile_limit_per_install: 60,
            reconcile_limit_window_seconds: 60,
            max_features_per_install: 32,
            ai_provider: "openai".into(),
            ai_providers: None,
            ai_retry_max_attempts: 3,
            ai_retry_base_delay_seconds: 0.25,
            ai_retry_max_delay_seconds: 2.0,
            ai_retry_max_total_delay_seconds: 4.0,
            ai_retry_jitter_factor: 0.25,
            ai_request_budget_seconds: 25.0,
            openai_api_key: None,
            openai_api_key_file: None,
            openai_base_url: None,
            openai_model: "gpt-4o-mini".into(),
            openai_timeout_seconds: 20.0,
            anthropic_api_key: None,
            anthropic_api_key_file: None,
            anthropic_base_url: None,
            anthropic_model: "claude-haiku-4-5-20251001".into(),
            anthropic_version: "2023-06-01".into(),
            anthropic_timeout_seconds: 20.0,
            max_input_chars: 4000,
            max_body_bytes: 0,
            default_feature_quota: 100,
            quota_period: "lifetime".into(),
            apple_bundle_id: "wc.Offload".into(),
            apple_jwks_url: "https://appleid.apple.com/auth/keys".into(),
            trusted_proxies: String::new(),
            docs_enabled: true,
            log_format: LogFormat::Auto,
            log_level: "info".into(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("environment", &self.environment)
            .field("ai_provider", &self.ai_provider)
            .field("ai_providers", &self.ai_providers)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Read `OFFLOAD_*` variables (and the optional `OFFLOAD_CONFIG` TOML file).
    pub fn from_env() -> Result<Settings, ConfigError> {
        platform::config::load("OFFLOAD_").map_err(|e| ConfigError::Invalid(e.to_string()))
    }
}

/// Why the server cannot start with the given settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error(
        "OFFLOAD_SESSION_SECRET must be set to a strong secret in a production-like environment"
    )]
    MissingProductionSecret,
    #[error(
        "{0} is too weak for a production-like environment (≥32 characters, ≥6 distinct, not a placeholder)"
    )]
    WeakSecret(&'static str),
    #[error("OFFLOAD_SESSION_TOKEN_ACTIVE_KID must name one of OFFLOAD_SESSION_SIGNING_KEYS")]
    UnknownActiveKid,
    #[error("could not keep the generated session secret in the data directory: {0}")]
    SecretFile(std::io::Error),
}

/// Which model API answers the AI routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    OpenAi,
    Anthropic,
}

/// Whether quota counts ever reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaPeriod {
    /// Counts are forever (the original's behaviour).
    Lifetime,
    /// Counts restart at the beginning of each UTC calendar month.
    Monthly,
}

/// Session token settings (spec §3).
#[derive(Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub ttl_seconds: i64,
    pub active_kid: String,
    /// Every key tokens may be verified with, by kid; the active one signs.
    pub keys: BTreeMap<String, String>,
}

/// Provider call settings.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The first provider asked.
    pub kind: ProviderKind,
    /// Every provider in the order they are asked (`kind` first); more than one = failover.
    pub chain: Vec<ProviderKind>,
    pub retry: ai_providers::RetryPolicy,
    pub request_budget: Option<Duration>,
    pub openai_api_key: Option<String>,
    pub openai_base_url: Option<String>,
    pub openai_model: String,
    pub openai_timeout: Duration,
    pub anthropic_api_key: Option<String>,
    pub anthropic_base_url: Option<String>,
    pub anthropic_model: String,
    pub anthropic_version: String,
    pub anthropic_timeout: Duration,
}

/// The validated configuration the server runs with.
#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// See `OFFLOAD_DB_ACQUIRE_TIMEOUT_SECONDS`.
    pub db_acquire_timeout: Duration,
    pub environment: String,
    pub build_version: String,
    pub tokens: TokenSettings,
    pub session_limit_per_ip: Rate,
    pub session_limit_per_install: Rate,
    pub ai_limit_per_ip: Rate,
    pub ai_limit_per_install: Rate,
    pub reconcile_limit_per_ip: Rate,
    pub reconcile_limit_per_install: Rate,
    pub max_features_per_install: u32,
    /// How long a quota unit reserved for a provider call counts: the call's worst-case
    /// provider time plus [`RESERVATION_MARGIN`]. A unit left behind by a process that died
    /// mid-call stops counting after it.
    pub reservation_ttl: Duration,
    /// HMAC-SHA256 key for client addresses in rate-limit buckets, derived from the active
    /// session signing key (so every instance sharing the keys agrees, and nothing new needs
    /// configuring). Never logged.
    pub address_key: [u8; 32],
    pub provider: ProviderSettings,
    pub max_input_chars: usize,
    pub max_body_bytes: usize,
    pub quota: u32,
    pub quota_period: QuotaPeriod,
    pub apple_bundle_id: String,
    pub apple_jwks_url: String,
    pub trusted_proxies: TrustedProxies,
    pub docs_enabled: bool,
    pub log_format: LogFormat,
    pub log_level: String,
}

/// `OFFLOAD_ENVIRONMENT` values that count as development.
const DEVELOPMENT_ENVIRONMENTS: [&str; 6] = ["", "dev", "development", "local", "test", "testing"];
const PLACEHOLDER_SECRETS: [&str; 8] = [
    "changeme",
    "change-me",
    "change-me-please",
    "dev-secret-change-me",
    "offload-session-secret",
    "password",
    "secret",
    "test-secret",
];

/// Production-like = not one of the development environment names (trimmed, lower-cased).
pub fn is_production_like(environment: &str) -> bool {
    !DEVELOPMENT_ENVIRONMENTS.contains(&environment.trim().to_lowercase().as_str())
}

/// ≥32 characters after trimming, not a known placeholder, ≥6 distinct characters.
pub fn is_strong_secret(secret: &str) -> bool {
    let s = secret.trim();
    let distinct: std::collections::BTreeSet<char> = s.chars().collect();
    s.chars().count() >= 32
        && !PLACEHOLDER_SECRETS.contains(&s.to_lowercase().as_str())
        && distinct.len() >= 6
}

/// A secret given directly (`NAME`) or as a file (`NAME_FILE`, its content trimmed), not both.
/// An unreadable or empty file is an error that names the variable, never the content.
fn secret_value(
    name: &str,
    value: &Option<String>,
    file: &Option<String>,
) -> Result<Option<String>, ConfigError> {
    match (optional(value), optional(file)) {
        (Some(_), Some(_)) => Err(ConfigError::Invalid(format!(
            "set {name} or {name}_FILE, not both"
        ))),
        (v, None) => Ok(v),
        (None, Some(path)) => match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
            Ok(_) => Err(ConfigError::Invalid(format!(
                "{name}_FILE ({path}) is empty"
            ))),
            Err(e) => Err(ConfigError::Invalid(format!(
                "{name}_FILE ({path}) cannot be read: {}",
                e.kind()
            ))),
        },
    }
}

fn non_empty(name: &str, value: &str) -> Result<String, ConfigError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ConfigError::Invalid(format!("{name} must not be empty")));
    }
    Ok(v.to_owned())
}

fn at_least_one(name: &str, value: u32) -> Result<u32, ConfigError> {
    if value == 0 {
        return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
    }
    Ok(value)
}

fn seconds(name: &str, value: f64) -> Result<Duration, ConfigError> {
    if !value.is_finite() || value < 0.0 {
        return Err(ConfigError::Invalid(format!("{name} must be ≥ 0")));
    }
    Ok(Duration::from_secs_f64(value))
}

fn rate(limit: (&str, u32), window: (&str, u64)) -> Result<Rate, ConfigError> {
    let limit = at_least_one(limit.0, limit.1)?;
    if window.1 == 0 {
        return Err(ConfigError::Invalid(format!(
            "{} must be at least 1",
            window.0
        )));
    }
    Ok(Rate {
        limit,
        window: Duration::from_secs(window.1),
    })
}

fn optional(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl Config {
    /// Validate settings. In development a missing secret is generated once and kept in the
    /// data directory (`session.secret`).
    pub fn from_settings(s: Settings) -> Result<Config, ConfigError> {
        let production = is_production_like(&s.environment);
        let data_dir = PathBuf::from(s.data_dir.trim());
        let addr: SocketAddr = s
            .addr
            .trim()
            .parse()
            .map_err(|_| ConfigError::Invalid("OFFLOAD_ADDR must be host:port".into()))?;

        let issuer = non_empty("OFFLOAD_SESSION_TOKEN_ISSUER", &s.session_token_issuer)?;
        let audience = non_empty("OFFLOAD_SESSION_TOKEN_AUDIENCE", &s.session_token_audience)?;
        let active_kid = non_empty(
            "OFFLOAD_SESSION_TOKEN_ACTIVE_KID",
            &s.session_token_active_kid,
        )?;
        let secret = optional(&s.session_secret);
        if production {
            match &secret {
                None => return Err(ConfigError::MissingProductionSecret),
                Some(v) if !is_strong_secret(v) => {
                    return Err(ConfigError::WeakSecret("OFFLOAD_SESSION_SECRET"));
                }
                Some(_) => {}
            }
        }
        let mut keys = BTreeMap::new();
        for (kid, key) in &s.session_signing_keys {
            let (kid, key) = (kid.trim(), key.trim());
            if kid.is_empty() || key.is_empty() {
                return Err(ConfigError::Invalid(
                    "OFFLOAD_SESSION_SIGNING_KEYS: kids and secrets must not be empty".into(),
                ));
            }
            if production && !is_strong_secret(key) {
                return Err(ConfigError::WeakSecret(
                    "a value of OFFLOAD_SESSION_SIGNING_KEYS",
                ));
            }
            keys.insert(kid.to_owned(), key.to_owned());
        }
        if keys.is_empty() {
            let secret = match secret {
                Some(s) => s,
                None => platform::secrets::load_or_create(&data_dir.join("session.secret"))
                    .map_err(ConfigError::SecretFile)?,
            };
            keys.insert(active_kid.clone(), secret);
        } else if !keys.contains_key(&active_kid) {
            return Err(ConfigError::UnknownActiveKid);
        }

        let kind_of = |name: &str, var: &str| match name.trim().to_lowercase().as_str() {
            "openai" => Ok(ProviderKind::OpenAi),
            "anthropic" => Ok(ProviderKind::Anthropic),
            _ => Err(ConfigError::Invalid(format!(
                "{var} must name openai or anthropic"
            ))),
        };
        let chain = match optional(&s.ai_providers) {
            Some(list) => {
                let mut chain = Vec::new();
                for name in list.split(',') {
                    let k = kind_of(name, "OFFLOAD_AI_PROVIDERS")?;
                    if chain.contains(&k) {
                        return Err(ConfigError::Invalid(
                            "OFFLOAD_AI_PROVIDERS names a provider twice".into(),
                        ));
                    }
                    chain.push(k);
                }
                chain
            }
            None => vec![kind_of(&s.ai_provider, "OFFLOAD_AI_PROVIDER")?],
        };
        let kind = chain[0];
        if !(1..=10).contains(&s.ai_retry_max_attempts) {
            return Err(ConfigError::Invalid(
                "OFFLOAD_AI_RETRY_MAX_ATTEMPTS must be between 1 and 10".into(),
            ));
        }
        if !(0.0..=1.0).contains(&s.ai_retry_jitter_factor) {
            return Err(ConfigError::Invalid(
                "OFFLOAD_AI_RETRY_JITTER_FACTOR must be between 0 and 1".into(),
            ));
        }
        let retry = ai_providers::RetryPolicy {
            max_attempts: s.ai_retry_max_attempts,
            base_delay: seconds(
                "OFFLOAD_AI_RETRY_BASE_DELAY_SECONDS",
                s.ai_retry_base_delay_seconds,
            )?,
            max_delay: seconds(
                "OFFLOAD_AI_RETRY_MAX_DELAY_SECONDS",
                s.ai_retry_max_delay_seconds,
            )?,
            max_total_delay: seconds(
                "OFFLOAD_AI_RETRY_MAX_TOTAL_DELAY_SECONDS",
                s.ai_retry_max_total_delay_seconds,
            )?,
            jitter_factor: s.ai_retry_jitter_factor,
        };
        let budget = seconds(
            "OFFLOAD_AI_REQUEST_BUDGET_SECONDS",
            s.ai_request_budget_seconds,
        )?;
        let provider = ProviderSettings {
            kind,
            chain,
            retry,
            request_budget: (!budget.is_zero()).then_some(budget),
            openai_api_key: secret_value(
                "OFFLOAD_OPENAI_API_KEY",
                &s.openai_api_key,
                &s.openai_api_key_file,
            )?,
            openai_base_url: optional(&s.openai_base_url),
            openai_model: non_empty("OFFLOAD_OPENAI_MODEL", &s.openai_model)?,
            openai_timeout: seconds("OFFLOAD_OPENAI_TIMEOUT_SECONDS", s.openai_timeout_seconds)?,
            anthropic_api_key: secret_value(
                "OFFLOAD_ANTHROPIC_API_KEY",
                &s.anthropic_api_key,
                &s.anthropic_api_key_file,
            )?,
            anthropic_base_url: optional(&s.anthropic_base_url),
            anthropic_model: non_empty("OFFLOAD_ANTHROPIC_MODEL", &s.anthropic_model)?,
            anthropic_version: non_empty("OFFLOAD_ANTHROPIC_VERSION", &s.anthropic_version)?,
            anthropic_timeout: seconds(
                "OFFLOAD_ANTHROPIC_TIMEOUT_SECONDS",
                s.anthropic_timeout_seconds,
            )?,
        };

        if s.max_input_chars == 0 {
            return Err(ConfigError::Invalid(
                "OFFLOAD_MAX_INPUT_CHARS must be at least 1".into(),
            ));
        }
        let max_body_bytes = if s.max_body_bytes == 0 {
            default_body_cap(s.max_input_chars)
        } else {
            s.max_body_bytes
        };
        let quota_period = match s.quota_period.trim().to_lowercase().as_str() {
            "" | "lifetime" => QuotaPeriod::Lifetime,
            "monthly" => QuotaPeriod::Monthly,
            _ => {
                return Err(ConfigError::Invalid(
                    "OFFLOAD_QUOTA_PERIOD must be lifetime or monthly".into(),
                ));
            }
        };
        let database_url = match (optional(&s.database_url), optional(&s.usage_db_path)) {
            (Some(url), _) => url,
            (None, Some(path)) => format!("sqlite://{path}"),
            (None, None) => format!("sqlite://{}", data_dir.join("offload.sqlite3").display()),
        };
        let reservation_ttl = reservation_ttl(&provider);
        let address_key = derive_address_key(&keys[&active_kid]);
        let trusted_proxies = TrustedProxies::parse(&s.trusted_proxies)
            .map_err(|e| ConfigError::Invalid(format!("OFFLOAD_TRUSTED_PROXIES: {e}")))?;

        Ok(Config {
            addr,
            data_dir,
            database_url,
            db_acquire_timeout: match seconds(
                "OFFLOAD_DB_ACQUIRE_TIMEOUT_SECONDS",
                s.db_acquire_timeout_seconds,
            )? {
                d if d.is_zero() => {
                    return Err(ConfigError::Invalid(
                        "OFFLOAD_DB_ACQUIRE_TIMEOUT_SECONDS must be above 0".into(),
                    ));
                }
                d => d,
            },
            environment: s.environment.trim().to_owned(),
            build_version: s.build_version,
            tokens: TokenSettings {
                issuer,
                audience,
                ttl_seconds: s.session_ttl_seconds,
                active_kid,
                keys,
            },
            session_limit_per_ip: rate(
                (
                    "OFFLOAD_SESSION_ISSUE_LIMIT_PER_IP",
                    s.session_issue_limit_per_ip,
                ),
                (
                    "OFFLOAD_SESSION_ISSUE_LIMIT_WINDOW_SECONDS",
                    s.session_issue_limit_window_seconds,
                ),
            )?,
            session_limit_per_install: rate(
                (
                    "OFFLOAD_SESSION_ISSUE_LIMIT_PER_INSTALL",
                    s.session_issue_limit_per_install,
                ),
                (
                    "OFFLOAD_SESSION_ISSUE_LIMIT_WINDOW_SECONDS",
                    s.session_issue_limit_window_seconds,
                ),
            )?,
            ai_limit_per_ip: rate(
                (
                    "OFFLOAD_AI_INFERENCE_LIMIT_PER_IP",
                    s.ai_inference_limit_per_ip,
                ),
                (
                    "OFFLOAD_AI_INFERENCE_LIMIT_WINDOW_SECONDS",
                    s.ai_inference_limit_window_seconds,
                ),
            )?,
            ai_limit_per_install: rate(
                (
                    "OFFLOAD_AI_INFERENCE_LIMIT_PER_INSTALL",
                    s.ai_inference_limit_per_install,
                ),
                (
                    "OFFLOAD_AI_INFERENCE_LIMIT_WINDOW_SECONDS",
                    s.ai_inference_limit_window_seconds,
                ),
            )?,
            reconcile_limit_per_ip: rate(
                ("OFFLOAD_RECONCILE_LIMIT_PER_IP", s.reconcile_limit_per_ip),
                (
                    "OFFLOAD_RECONCILE_LIMIT_WINDOW_SECONDS",
                    s.reconcile_limit_window_seconds,
                ),
            )?,
            reconcile_limit_per_install: rate(
                (
                    "OFFLOAD_RECONCILE_LIMIT_PER_INSTALL",
                    s.reconcile_limit_per_install,
                ),
                (
                    "OFFLOAD_RECONCILE_LIMIT_WINDOW_SECONDS",
                    s.reconcile_limit_window_seconds,
                ),
            )?,
            max_features_per_install: s.max_features_per_install,
            reservation_ttl,
            address_key,
            provider,
            max_input_chars: s.max_input_chars,
            max_body_bytes,
            quota: s.default_feature_quota,
            quota_period,
            apple_bundle_id: non_empty("OFFLOAD_APPLE_BUNDLE_ID", &s.apple_bundle_id)?,
            apple_jwks_url: non_empty("OFFLOAD_APPLE_JWKS_URL", &s.apple_jwks_url)?,
            trusted_proxies,
            docs_enabled: s.docs_enabled,
            log_format: s.log_format,
            log_level: s.log_level,
        })
    }
}

/// Added to the worst-case provider time of a call to get its reservation's lifetime: room for
/// the admission, the output shaping and a slow commit.
pub const RESERVATION_MARGIN: Duration = Duration::from_secs(60);

/// The longest one AI call can hold its quota unit: the request budget, or — without one or when
/// it is longer — every attempt's timeout plus the backoff sleep budget; plus the margin.
pub fn reservation_ttl(p: &ProviderSettings) -> Duration {
    // With failover, every provider of the chain may use its whole allowance in turn.
    let worst = p
        .chain
        .iter()
        .map(|kind| {
            let attempt_timeout = match kind {
                ProviderKind::OpenAi => p.openai_timeout,
                ProviderKind::Anthropic => p.anthropic_timeout,
            };
            attempt_timeout
                .saturating_mul(p.retry.max_attempts)
                .saturating_add(p.retry.max_total_delay)
        })
        .fold(Duration::ZERO, Duration::saturating_add);
    let provider_time = p.request_budget.map_or(worst, |budget| budget.min(worst));
    provider_time.saturating_add(RESERVATION_MARGIN)
}

/// The key of client-address hashes: HMAC-SHA256(signing key, fixed label). A separate key, so
/// an address hash can never be mistaken for (or help forge) a token signature.
pub fn derive_address_key(signing_key: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(signing_key.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"offload rate-limit client address v1");
    mac.finalize().into_bytes().into()
}

/// Enough bytes for `max_chars` code points even if every one is JSON-escaped as a surrogate
/// pair (`\uXXXX\uXXXX`, 12 bytes), plus 16 KiB for keys, lists and small fields.
pub fn default_body_cap(max_chars: usize) -> usize {
    max_chars.saturating_mul(12).saturating_add(16 * 1024)
}

/// Environment values arrive pre-parsed (`OFFLOAD_SESSION_SECRET=1234` becomes a number); these
/// accept any scalar where a string is meant.
mod lenient {
    use super::*;
    use serde::de::Error as _;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Str(String),
        Int(i128),
        Float(f64),
        Bool(bool),
    }

    impl Scalar {
        fn into_string(self) -> String {
            match self {
                Scalar::Str(s) => s,
                Scalar::Int(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
                Scalar::Bool(b) => b.to_string(),
            }
        }
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(Scalar::deserialize(d)?.into_string())
    }

    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Scalar>::deserialize(d)?.map(Scalar::into_string))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum KeyMap {
        Json(String),
        Map(BTreeMap<String, Scalar>),
    }

    pub fn key_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
        match Option::<KeyMap>::deserialize(d)? {
            None => Ok(BTreeMap::new()),
            Some(KeyMap::Map(m)) => Ok(m.into_iter().map(|(k, v)| (k, v.into_string())).collect()),
            Some(KeyMap::Json(text)) if text.trim().is_empty() => Ok(BTreeMap::new()),
            Some(KeyMap::Json(text)) => serde_json::from_str(&text).map_err(|_| {
                D::Error::custom("OFFLOAD_SESSION_SIGNING_KEYS must be a JSON object of strings")
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(s: Settings) -> Result<Config, ConfigError> {
        Config::from_settings(s)
    }

    #[test]
    fn production_like_is_everything_but_the_development_names() {
        for env in ["", "dev", "Development ", "LOCAL", "test", "testing"] {
            assert!(!is_production_like(env), "{env}");
        }
        for env in ["production", "staging", "prod"] {
            assert!(is_production_like(env), "{env}");
        }
    }

    #[test]
    fn strong_secrets_are_long_varied_and_not_placeholders() {
        assert!(!is_strong_secret("dev-secret-change-me"));
        assert!(!is_strong_secret("test-secret"));
        assert!(!is_strong_secret("short-secret"));
        assert!(!is_strong_secret(&"a".repeat(32)));
        assert!(!is_strong_secret("abababababababababababababababab"));
        assert!(is_strong_secret("k3J9-qw7Zp_Lm2Xv8Ty4Rb6Nc1Hs5Gd0Fa"));
    }

    #[test]
    fn production_without_a_secret_refuses_to_start() {
        let err = dev(Settings {
            environment: "production".into(),
            ..Settings::default()
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("OFFLOAD_SESSION_SECRET"));
    }

    #[test]
    fn production_rejects_weak_secrets_and_weak_signing_keys() {
        for weak in ["dev-secret-change-me", "test-secret", "short-secret"] {
            assert!(
                dev(Settings {
                    environment: "production".into(),
                    session_secret: Some(weak.into()),
                    ..Settings::default()
                })
                .is_err()
            );
        }
        let strong = "k3J9-qw7Zp_Lm2Xv8Ty4Rb6Nc1Hs5Gd0Fa".to_owned();
        assert!(
            dev(Settings {
                environment: "production".into(),
                session_secret: Some(strong.clone()),
                ..Settings::default()
            })
            .is_ok()
        );
        let err = dev(Settings {
            environment: "production".into(),
            session_secret: Some(strong),
            session_token_active_kid: "a".into(),
            session_signing_keys: BTreeMap::from([("a".into(), "weak".into())]),
            ..Settings::default()
        })
        .err()
        .unwrap();
        assert!(matches!(err, ConfigError::WeakSecret(_)));
    }

    #[test]
    fn signing_keys_default_to_the_active_kid_and_the_secret() {
        let c = dev(Settings {
            session_secret: Some("s3cret".into()),
            ..Settings::default()
        })
        .unwrap();
        assert_eq!(
            c.tokens.keys,
            BTreeMap::from([("v2-default".to_owned(), "s3cret".to_owned())])
        );
    }

    #[test]
    fn an_active_kid_missing_from_the_signing_keys_refuses_to_start() {
        let err = dev(Settings {
            session_signing_keys: BTreeMap::from([("old".into(), "x".into())]),
            ..Settings::default()
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("OFFLOAD_SESSION_TOKEN_ACTIVE_KID"));
    }

    #[test]
    fn development_keeps_a_generated_secret_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            data_dir: dir.path().display().to_string(),
            ..Settings::default()
        };
        let first = dev(settings.clone()).unwrap();
        let second = dev(settings).unwrap();
        let secret = &first.tokens.keys["v2-default"];
        assert!(secret.len() >= 32);
        assert_eq!(secret, &second.tokens.keys["v2-default"]);
        assert!(dir.path().join("session.secret").exists());
    }

    #[test]
    fn the_default_database_is_a_sqlite_file_in_the_data_dir() {
        let c = dev(Settings {
            session_secret: Some("x".into()),
            data_dir: "/srv/offload".into(),
            ..Settings::default()
        })
        .unwrap();
        assert_eq!(c.database_url, "sqlite:///srv/offload/offload.sqlite3");
        assert_eq!(c.addr.to_string(), "127.0.0.1:8081");
        assert_eq!(c.quota_period, QuotaPeriod::Lifetime);
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn environment_variables_are_read_with_the_offload_prefix() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("OFFLOAD_SESSION_SECRET", "12345678");
            jail.set_env("OFFLOAD_SESSION_SIGNING_KEYS", r#"{"k1":"one","k2":"two"}"#);
            jail.set_env("OFFLOAD_SESSION_TOKEN_ACTIVE_KID", "k2");
            jail.set_env("OFFLOAD_DEFAULT_FEATURE_QUOTA", "7");
            jail.set_env("OFFLOAD_QUOTA_PERIOD", "monthly");
            jail.set_env("OFFLOAD_TRUSTED_PROXIES", "10.0.0.0/8");
            jail.set_env("OFFLOAD_UNKNOWN_THING", "ignored");
            let s = Settings::from_env().expect("settings");
            assert_eq!(s.session_secret.as_deref(), Some("12345678"));
            assert_eq!(s.session_signing_keys.len(), 2);
            let c = Config::from_settings(s).expect("config");
            assert_eq!(c.tokens.active_kid, "k2");
            assert_eq!(c.quota, 7);
            assert_eq!(c.quota_period, QuotaPeriod::Monthly);
            assert!(c.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
            Ok(())
        });
    }
}
