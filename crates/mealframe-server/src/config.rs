//! MealFrame's settings: defaults that run locally with no configuration at all, an optional TOML
//! file (`MEALFRAME_CONFIG=path`), then `MEALFRAME_*` environment variables.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use dbkit::ratelimit::Rate;
use platform::{client_ip::TrustedProxies, telemetry::LogFormat};
use serde::{Deserialize, Serialize};

/// Every setting, as read. [`Settings::validate`] turns it into a checked [`Config`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Listen address.
    pub addr: String,
    /// Where the SQLite file, generated secrets and (by default) nothing else live.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; default: `sqlite://{data_dir}/mealframe.sqlite3`.
    pub database_url: Option<String>,
    /// PostgreSQL pool size / SQLite read-pool size.
    pub database_max_connections: u32,
    /// The address people use to reach the app (links in e-mails, OAuth redirects, cookies).
    pub public_url: Option<String>,
    /// HS256 key for access tokens; default: generated once into `{data_dir}/jwt.secret`.
    pub jwt_secret: Option<String>,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub session_days: i64,
    /// `Secure` on cookies; default: on unless the public URL is plain http to a non-loopback host.
    pub cookie_secure: Option<bool>,
    pub cors_origins: String,
    pub trusted_proxies: String,
    pub login_rate_limit: String,
    pub register_rate_limit: String,
    pub password_reset_rate_limit: String,
    pub pageview_rate_limit: String,
    pub lockout_attempts: i64,
    pub lockout_minutes: i64,
    /// File outbox: one RFC 5322 file per message.
    pub mail_dir: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub resend_api_key: Option<String>,
    pub resend_base_url: String,
    pub mail_from: String,
    pub google_client_id: Option<String>,
    pub google_client_secret: Option<String>,
    pub google_issuer_url: String,
    pub openai_api_key: Option<String>,
    /// Any OpenAI-compatible server (`http://127.0.0.1:11434/v1` for Ollama); with a base URL other
    /// than OpenAI's, the key is optional.
    pub openai_base_url: String,
    /// The vision model AI capture asks.
    pub openai_model: String,
    /// How long AI capture waits for the model, retries included.
    pub ai_capture_timeout_seconds: u64,
    /// Per user, e.g. `30/hour`: each capture is a paid model call.
    pub ai_capture_rate_limit: String,
    /// Let the configured model read grocery-list lines the parser could not read (each line
    /// once per user). Off by default; needs the model of AI capture.
    pub grocery_ai: bool,
    /// Voice capture's speech-to-text server (OpenAI-compatible `/audio/transcriptions`, e.g.
    /// whisper.cpp's server); default: the AI capture server.
    pub transcription_base_url: Option<String>,
    /// Default: the AI capture key (`MEALFRAME_OPENAI_API_KEY`).
    pub transcription_api_key: Option<String>,
    pub transcription_model: String,
    /// Captures (photo, voice, text) one user may start per calendar month (UTC); 0 = no cap.
    pub capture_monthly_limit: i64,
    /// Capture jobs one instance runs at once.
    pub capture_workers: usize,
    /// Seconds before the first retry of a capture whose model call failed (doubling after).
    pub capture_retry_seconds: u64,
    /// Seconds a worker holds a capture job; a crashed worker's job is resumed after this.
    /// Longer than a transcription plus a model call with their retries.
    pub capture_lease_seconds: u64,
    /// What model calls cost, for the usage record: `model=IN/OUT` (dollars per million tokens)
    /// or `model=PRICE/min` (audio), comma separated.
    pub ai_prices: String,
    /// Days a captured meal's photo is kept; 0 = as long as the meal exists.
    pub capture_retention_days: i64,
    /// Where captured photos are kept; default `{data_dir}/photos`. Ignored with an S3 bucket.
    pub photo_dir: Option<PathBuf>,
    /// Keep photos in this S3-compatible bucket instead (for several instances).
    pub s3_bucket: Option<String>,
    /// e.g. `http://127.0.0.1:9000` for MinIO; default: AWS.
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Largest accepted JSON body, in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted CSV upload, in bytes.
    pub max_upload_bytes: usize,
    /// If set, `/metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// The VAPID private key of Web Push reminders (a P-256 scalar, 32 bytes base64url); default:
    /// generated once into `{data_dir}/vapid.key`. Changing it ends every push subscription.
    pub vapid_private_key: Option<String>,
    /// A file holding the VAPID private key instead (a container secret).
    pub vapid_private_key_file: Option<PathBuf>,
    /// Who push services may contact about our pushes (`mailto:` or `https:`); default:
    /// `mailto:` the address of `mail_from`, or the public URL.
    pub vapid_subject: Option<String>,
    /// Accept push endpoints over plain http to 127.0.0.1 (tests only; real push services are
    /// https).
    pub push_allow_http_loopback: bool,
    pub log_format: LogFormat,
    pub log_level: String,
    /// Reported by `/health` as `version`.
    pub api_version: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./mealframe-data"),
            database_url: None,
            database_max_connections: 8,
            public_url: None,
            jwt_secret: None,
            access_token_minutes: 15,
            refresh_token_days: 7,
            session_days: 30,
            cookie_secure: None,
            cors_origins: String::new(),
            trusted_proxies: String::new(),
            login_rate_limit: "5/minute".into(),
            register_rate_limit: "3/minute".into(),
            password_reset_rate_limit: "3/minute".into(),
            pageview_rate_limit: "60/minute".into(),
            lockout_attempts: 10,
            lockout_minutes: 15,
            mail_dir: None,
            smtp_url: None,
            resend_api_key: None,
            resend_base_url: "https://api.resend.com".into(),
            mail_from: "MealFrame <noreply@mealframe.local>".into(),
            google_client_id: None,
            google_client_secret: None,
            google_issuer_url: "https://accounts.google.com".into(),
            openai_api_key: None,
            openai_base_url: OPENAI_BASE_URL.into(),
            openai_model: "gpt-4o".into(),
            ai_capture_timeout_seconds: 15,
            ai_capture_rate_limit: "30/hour".into(),
            grocery_ai: false,
            transcription_base_url: None,
            transcription_api_key: None,
            transcription_model: "whisper-1".into(),
            capture_monthly_limit: 300,
            capture_workers: 2,
            capture_retry_seconds: 30,
            capture_lease_seconds: 180,
            capture_retention_days: 0,
            ai_prices: mealframe_core::pricing::DEFAULT_PRICES.into(),
            photo_dir: None,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 5 * 1024 * 1024,
            metrics_token: None,
            vapid_private_key: None,
            vapid_private_key_file: None,
            vapid_subject: None,
            push_allow_http_loopback: false,
            log_format: LogFormat::Auto,
            log_level: "info".into(),
            api_version: "0.1.0".into(),
        }
    }
}

/// Settings after checking: parsed addresses, rates and URLs.
#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub database_max_connections: u32,
    /// Without a trailing slash, e.g. `https://meals.example.org`.
    pub public_url: String,
    pub cookie_secure: bool,
    pub jwt_secret: Option<String>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub session_ttl: Duration,
    pub cors_origins: Vec<String>,
    pub trusted_proxies: TrustedProxies,
    pub login_rate: Rate,
    pub register_rate: Rate,
    pub password_reset_rate: Rate,
    pub pageview_rate: Rate,
    pub lockout_attempts: i64,
    pub lockout_window: Duration,
    pub mail_dir: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub resend_api_key: Option<String>,
    pub resend_base_url: String,
    pub mail_from: String,
    pub google: Option<GoogleConfig>,
    pub ai_capture: AiCaptureConfig,
    /// The grocery list asks the model of AI capture about lines it could not read.
    pub grocery_ai: bool,
    pub capture: CaptureConfig,
    pub photos: PhotoStoreConfig,
    pub prices: mealframe_core::pricing::Prices,
    pub max_body_bytes: usize,
    pub max_upload_bytes: usize,
    pub metrics_token: Option<String>,
    /// The configured VAPID private key (base64url); `None`: the one in the data dir.
    pub vapid_private_key: Option<String>,
    /// `mailto:…` or `https://…`.
    pub vapid_subject: String,
    pub push_allow_http_loopback: bool,
    pub log_format: LogFormat,
    pub log_level: String,
    pub api_version: String,
}

/// OpenAI's API, the default model server of AI capture.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// Where AI capture sends photos.
#[derive(Clone)]
pub struct AiCaptureConfig {
    pub api_key: Option<String>,
    /// Without a trailing slash.
    pub base_url: String,
    pub model: String,
    pub timeout: Duration,
    pub rate: Rate,
}

impl AiCaptureConfig {
    /// A key, or a self-hosted server that may not need one.
    pub fn enabled(&self) -> bool {
        self.api_key.is_some() || self.base_url != OPENAI_BASE_URL
    }
}

/// Asynchronous capture (photo, voice, text): its speech-to-text server and its limits.
#[derive(Clone)]
pub struct CaptureConfig {
    /// Without a trailing slash.
    pub transcription_base_url: String,
    pub transcription_api_key: Option<String>,
    pub transcription_model: String,
    /// `None` = no monthly cap.
    pub monthly_limit: Option<i64>,
    pub workers: usize,
    pub retry_after: Duration,
    /// Model calls per job before it fails (retryable errors only).
    pub max_attempts: i32,
    pub lease: Duration,
    /// How long photos are kept; `None` = as long as their meal.
    pub retention: Option<Duration>,
}

/// Where captured photos are kept.
#[derive(Clone, Debug)]
pub enum PhotoStoreConfig {
    Directory(PathBuf),
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: String,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    },
}

#[derive(Clone)]
pub struct GoogleConfig {
    pub client_id: String,
    pub client_secret: String,
    pub issuer_url: String,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn rate(name: &str, text: &str) -> Result<Rate, String> {
    Rate::parse(text)
        .ok_or_else(|| format!("MEALFRAME_{name}: expected e.g. \"5/minute\", got {text:?}"))
}

fn is_loopback_host(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    host == "localhost" || host == "127.0.0.1" || rest.starts_with("[::1]")
}

/// `mailto:` the sender address of `MEALFRAME_MAIL_FROM` (`Name <a@b>` or `a@b`), or the public
/// URL when it has none or the address is the placeholder default.
fn default_vapid_subject(mail_from: &str, public_url: &str) -> String {
    let address = match (mail_from.find('<'), mail_from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &mail_from[a + 1..b],
        _ => mail_from,
    }
    .trim();
    if address.contains('@') && !address.ends_with(".local") && !address.contains(' ') {
        format!("mailto:{address}")
    } else {
        public_url.to_owned()
    }
}

impl Settings {
    /// Read defaults → `MEALFRAME_CONFIG` TOML → `MEALFRAME_*` environment.
    pub fn load() -> Result<Settings, String> {
        platform::config::load::<Settings>("MEALFRAME_").map_err(|e| e.to_string())
    }

    pub fn validate(self) -> Result<Config, String> {
        let addr: SocketAddr = self
            .addr
            .parse()
            .map_err(|_| format!("MEALFRAME_ADDR: not a socket address: {:?}", self.addr))?;
        let database_url = nonempty(&self.database_url).unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join("mealframe.sqlite3").display()
            )
        });
        let public_url = nonempty(&self.public_url)
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!(
                "MEALFRAME_PUBLIC_URL: expected an http(s) URL, got {public_url:?}"
            ));
        }
        let cookie_secure = self
            .cookie_secure
            .unwrap_or(public_url.starts_with("https://") || is_loopback_host(&public_url));
        let trusted_proxies = TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| format!("MEALFRAME_TRUSTED_PROXIES: {e}"))?;
        let google = match (
            nonempty(&self.google_client_id),
            nonempty(&self.google_client_secret),
        ) {
            (Some(client_id), Some(client_secret)) => Some(GoogleConfig {
                client_id,
                client_secret,
                issuer_url: self.google_issuer_url.trim_end_matches('/').to_owned(),
            }),
            _ => None,
        };
        if self.lockout_attempts < 1 || self.lockout_minutes < 1 {
            return Err(
                "MEALFRAME_LOCKOUT_ATTEMPTS and MEALFRAME_LOCKOUT_MINUTES must be at least 1"
                    .into(),
            );
        }
        let positive = |name: &str, v: i64| {
            if v >= 1 {
                Ok(v as u64)
            } else {
                Err(format!("MEALFRAME_{name} must be at least 1"))
            }
        };
        let ai_capture = AiCaptureConfig {
            api_key: nonempty(&self.openai_api_key),
            base_url: self.openai_base_url.trim().trim_end_matches('/').to_owned(),
            model: nonempty(&Some(self.openai_model))
                .ok_or("MEALFRAME_OPENAI_MODEL must not be empty")?,
            timeout: Duration::from_secs(positive(
                "AI_CAPTURE_TIMEOUT_SECONDS",
                self.ai_capture_timeout_seconds as i64,
            )?),
            rate: rate("AI_CAPTURE_RATE_LIMIT", &self.ai_capture_rate_limit)?,
        };
        let grocery_ai = self.grocery_ai && ai_capture.enabled();
        if self.capture_monthly_limit < 0 {
            return Err("MEALFRAME_CAPTURE_MONTHLY_LIMIT must be 0 (no cap) or more".into());
        }
        let capture = CaptureConfig {
            transcription_base_url: nonempty(&self.transcription_base_url)
                .unwrap_or_else(|| ai_capture.base_url.clone())
                .trim_end_matches('/')
                .to_owned(),
            transcription_api_key: nonempty(&self.transcription_api_key)
                .or_else(|| ai_capture.api_key.clone()),
            transcription_model: nonempty(&Some(self.transcription_model))
                .ok_or("MEALFRAME_TRANSCRIPTION_MODEL must not be empty")?,
            monthly_limit: (self.capture_monthly_limit > 0).then_some(self.capture_monthly_limit),
            workers: self.capture_workers.clamp(1, 32),
            retry_after: Duration::from_secs(self.capture_retry_seconds),
            max_attempts: 4,
            lease: Duration::from_secs(positive(
                "CAPTURE_LEASE_SECONDS",
                self.capture_lease_seconds as i64,
            )?),
            retention: (self.capture_retention_days > 0)
                .then(|| Duration::from_secs(86_400 * self.capture_retention_days as u64)),
        };
        if self.capture_retention_days < 0 {
            return Err("MEALFRAME_CAPTURE_RETENTION_DAYS must be 0 (keep) or more".into());
        }
        let photos = match nonempty(&self.s3_bucket) {
            Some(bucket) => PhotoStoreConfig::S3 {
                bucket,
                endpoint: nonempty(&self.s3_endpoint).map(|e| e.trim_end_matches('/').to_owned()),
                region: self.s3_region.clone(),
                access_key_id: nonempty(&self.s3_access_key_id),
                secret_access_key: nonempty(&self.s3_secret_access_key),
            },
            None => PhotoStoreConfig::Directory(
                self.photo_dir
                    .clone()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or_else(|| self.data_dir.join("photos")),
            ),
        };
        let vapid_private_key = match (
            nonempty(&self.vapid_private_key),
            self.vapid_private_key_file
                .filter(|p| !p.as_os_str().is_empty()),
        ) {
            (Some(_), Some(_)) => {
                return Err(
                    "set MEALFRAME_VAPID_PRIVATE_KEY or MEALFRAME_VAPID_PRIVATE_KEY_FILE, not both"
                        .into(),
                );
            }
            (Some(key), None) => Some(key),
            (None, Some(path)) => Some(
                std::fs::read_to_string(&path)
                    .map_err(|e| {
                        format!("MEALFRAME_VAPID_PRIVATE_KEY_FILE {}: {e}", path.display())
                    })?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        let vapid_subject = match nonempty(&self.vapid_subject) {
            Some(s) if s.starts_with("mailto:") || s.starts_with("https://") => s,
            Some(s) => {
                return Err(format!(
                    "MEALFRAME_VAPID_SUBJECT: expected mailto:… or https://…, got {s:?}"
                ));
            }
            None => default_vapid_subject(&self.mail_from, &public_url),
        };
        Ok(Config {
            addr,
            data_dir: self.data_dir,
            database_url,
            database_max_connections: self.database_max_connections.max(1),
            public_url,
            cookie_secure,
            jwt_secret: nonempty(&self.jwt_secret),
            access_token_ttl: Duration::from_secs(
                60 * positive("ACCESS_TOKEN_MINUTES", self.access_token_minutes)?,
            ),
            refresh_token_ttl: Duration::from_secs(
                86_400 * positive("REFRESH_TOKEN_DAYS", self.refresh_token_days)?,
            ),
            session_ttl: Duration::from_secs(86_400 * positive("SESSION_DAYS", self.session_days)?),
            cors_origins: self
                .cors_origins
                .split(',')
                .map(|s| s.trim().trim_end_matches('/').to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            trusted_proxies,
            login_rate: rate("LOGIN_RATE_LIMIT", &self.login_rate_limit)?,
            register_rate: rate("REGISTER_RATE_LIMIT", &self.register_rate_limit)?,
            password_reset_rate: rate(
                "PASSWORD_RESET_RATE_LIMIT",
                &self.password_reset_rate_limit,
            )?,
            pageview_rate: rate("PAGEVIEW_RATE_LIMIT", &self.pageview_rate_limit)?,
            lockout_attempts: self.lockout_attempts,
            lockout_window: Duration::from_secs(60 * self.lockout_minutes as u64),
            mail_dir: self.mail_dir.filter(|p| !p.as_os_str().is_empty()),
            smtp_url: nonempty(&self.smtp_url),
            resend_api_key: nonempty(&self.resend_api_key),
            resend_base_url: self.resend_base_url.trim_end_matches('/').to_owned(),
            mail_from: self.mail_from,
            google,
            ai_capture,
            grocery_ai,
            capture,
            photos,
            prices: mealframe_core::pricing::Prices::parse(&self.ai_prices)
                .map_err(|e| format!("MEALFRAME_AI_PRICES: {e}"))?,
            max_body_bytes: self.max_body_bytes.max(1024),
            max_upload_bytes: self.max_upload_bytes.max(1024),
            metrics_token: nonempty(&self.metrics_token),
            vapid_private_key,
            vapid_subject,
            push_allow_http_loopback: self.push_allow_http_loopback,
            log_format: self.log_format,
            log_level: self.log_level,
            api_version: self.api_version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_settings_are_checked_and_photos_go_to_the_data_dir_unless_a_bucket_is_named() {
        let bad = Settings {
            ai_prices: "gpt-4o=five/15".into(),
            ..Settings::default()
        };
        assert!(
            bad.validate()
                .err()
                .unwrap()
                .starts_with("MEALFRAME_AI_PRICES:")
        );
        let bad = Settings {
            capture_retention_days: -1,
            ..Settings::default()
        };
        assert!(bad.validate().is_err());
        let c = Settings::default().validate().unwrap();
        assert!(
            matches!(&c.photos, PhotoStoreConfig::Directory(d) if d.ends_with("photos")),
            "{:?}",
            c.photos
        );
        assert_eq!(c.capture.monthly_limit, Some(300));
        assert_eq!(c.capture.retention, None);
        let s3 = Settings {
            s3_bucket: Some("meals".into()),
            s3_endpoint: Some("http://127.0.0.1:9000/".into()),
            capture_monthly_limit: 0,
            ..Settings::default()
        }
        .validate()
        .unwrap();
        assert!(
            matches!(&s3.photos, PhotoStoreConfig::S3 { bucket, endpoint: Some(e), .. } if bucket == "meals" && e == "http://127.0.0.1:9000")
        );
        assert_eq!(s3.capture.monthly_limit, None);
    }

    #[test]
    fn defaults_run_locally_without_configuration() {
        let c = Settings::default().validate().unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(
            c.database_url.starts_with("sqlite://")
                && c.database_url.ends_with("mealframe.sqlite3")
        );
        assert!(
            c.cookie_secure,
            "loopback http counts as a secure context for cookies"
        );
        assert_eq!(c.login_rate, Rate::parse("5/minute").unwrap());
        assert!(c.google.is_none());
        assert_eq!(c.vapid_subject, "http://127.0.0.1:8080");
        assert!(c.vapid_private_key.is_none());
    }

    #[test]
    fn the_vapid_subject_defaults_to_the_mail_sender() {
        let s = Settings {
            mail_from: "Meals <meals@example.org>".into(),
            ..Settings::default()
        };
        assert_eq!(
            s.validate().unwrap().vapid_subject,
            "mailto:meals@example.org"
        );
        let s = Settings {
            vapid_subject: Some("ftp://x".into()),
            ..Settings::default()
        };
        assert!(
            s.validate()
                .err()
                .unwrap()
                .contains("MEALFRAME_VAPID_SUBJECT")
        );
    }

    #[test]
    fn plain_http_on_a_lan_address_turns_secure_cookies_off() {
        let s = Settings {
            public_url: Some("http://192.168.1.20:8080/".into()),
            ..Settings::default()
        };
        let c = s.validate().unwrap();
        assert!(!c.cookie_secure);
        assert_eq!(c.public_url, "http://192.168.1.20:8080");
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn environment_variables_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("MEALFRAME_ADDR", "0.0.0.0:9000");
            jail.set_env("MEALFRAME_LOGIN_RATE_LIMIT", "10/minute");
            jail.set_env("MEALFRAME_LOCKOUT_ATTEMPTS", "3");
            jail.set_env("MEALFRAME_GOOGLE_CLIENT_ID", "cid");
            jail.set_env("MEALFRAME_GOOGLE_CLIENT_SECRET", "secret");
            let c = Settings::load().unwrap().validate().unwrap();
            assert_eq!(c.addr.to_string(), "0.0.0.0:9000");
            assert_eq!(c.login_rate.limit, 10);
            assert_eq!(c.lockout_attempts, 3);
            assert_eq!(c.google.unwrap().issuer_url, "https://accounts.google.com");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let s = Settings {
            login_rate_limit: "lots".into(),
            ..Settings::default()
        };
        assert!(
            s.validate()
                .err()
                .unwrap()
                .contains("MEALFRAME_LOGIN_RATE_LIMIT")
        );
        let s = Settings {
            trusted_proxies: "nope".into(),
            ..Settings::default()
        };
        assert!(
            s.validate()
                .err()
                .unwrap()
                .contains("MEALFRAME_TRUSTED_PROXIES")
        );
    }
}
