//! Web Push (RFC 8030): sends an encrypted message to a browser's push service, which wakes the
//! service worker (`static/sw.js`) to show a notification. The push service learns the endpoint,
//! when and how large each message is — never its content ([`crypto::encrypt`]).
//!
//! The server's VAPID key pair is configured (`MEALFRAME_VAPID_PRIVATE_KEY[_FILE]`) or generated
//! once into the data dir (`vapid.key`); browsers subscribe with its public key
//! (`GET /api/v1/push/key`), so changing it ends every subscription.

pub mod crypto;

use std::{io::Write as _, net::IpAddr, path::Path, time::Duration};

use reqwest::StatusCode;

use crate::config::Config;
pub use crypto::{KeyError, VapidKey};

/// How long a push service keeps an undelivered message (a meal reminder is stale after its
/// meal; the caller passes less when the meal is sooner).
pub const MAX_TTL: Duration = Duration::from_secs(12 * 3600);

/// What a push service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted (201).
    Delivered,
    /// The subscription no longer exists (404/410): forget it.
    Gone,
    /// Refused for good (e.g. 400/403: a key mismatch, 413: too large): do not retry.
    Rejected(u16),
    /// Try again later (429, 5xx, no answer).
    Retry(String),
}

/// Where a message goes: a stored subscription.
pub struct Target<'a> {
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
}

pub struct PushSender {
    key: VapidKey,
    subject: String,
    http: reqwest::Client,
    allow_http_loopback: bool,
}

impl PushSender {
    pub fn new(config: &Config, key: VapidKey) -> Result<PushSender, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("mealframe/", env!("CARGO_PKG_VERSION")))
            // A push endpoint is user input: never follow it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(PushSender {
            key,
            subject: config.vapid_subject.clone(),
            http,
            allow_http_loopback: config.push_allow_http_loopback,
        })
    }

    pub fn key(&self) -> &VapidKey {
        &self.key
    }

    /// Whether `endpoint` may be stored: an https URL (plain http to 127.0.0.1 only when
    /// configured for tests).
    pub fn check_endpoint(&self, endpoint: &str) -> Result<(), &'static str> {
        const MESSAGE: &str = "endpoint must be the https URL of a push service";
        if endpoint.len() > 2048 {
            return Err("endpoint is longer than 2048 characters");
        }
        let url = reqwest::Url::parse(endpoint).map_err(|_| MESSAGE)?;
        if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
            return Err(MESSAGE);
        }
        let loopback_for_tests = self.allow_http_loopback && url.host_str() == Some("127.0.0.1");
        if loopback_for_tests {
            return if matches!(url.scheme(), "http" | "https") {
                Ok(())
            } else {
                Err(MESSAGE)
            };
        }
        if url.scheme() != "https" {
            return Err(MESSAGE);
        }
        // Push services are public hosts: an address on this machine or its network is not one.
        let host = url.host_str().unwrap_or_default();
        let internal = match host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            Ok(IpAddr::V4(ip)) => {
                ip.is_loopback()
                    || ip.is_private()
                    || ip.is_link_local()
                    || ip.is_unspecified()
                    || ip.is_broadcast()
            }
            Ok(IpAddr::V6(ip)) => {
                ip.is_loopback()
                    || ip.is_unspecified()
                    || ip.is_unique_local()
                    || ip.is_unicast_link_local()
                    || ip.to_ipv4_mapped().is_some()
            }
            Err(_) => host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost"),
        };
        if internal {
            return Err("endpoint must be a public push service, not a local or private address");
        }
        Ok(())
    }

    /// Encrypt `payload` to `to` and post it. `now_unix` dates the VAPID token.
    pub async fn send(
        &self,
        to: &Target<'_>,
        payload: &[u8],
        ttl: Duration,
        now_unix: i64,
    ) -> Outcome {
        if self.check_endpoint(to.endpoint).is_err() {
            return Outcome::Rejected(0);
        }
        let Ok(body) = crypto::encrypt(to.p256dh, to.auth, payload) else {
            return Outcome::Rejected(0);
        };
        let Ok(authorization) =
            self.key
                .authorization(to.endpoint, &self.subject, now_unix + 12 * 3600)
        else {
            return Outcome::Rejected(0);
        };
        let sent = self
            .http
            .post(to.endpoint)
            .header("TTL", ttl.min(MAX_TTL).as_secs().to_string())
            .header("Urgency", "high")
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("Authorization", authorization)
            .body(body)
            .send()
            .await;
        match sent {
            Err(e) => Outcome::Retry(if e.is_timeout() {
                "push service timed out".into()
            } else {
                "push service unreachable".into()
            }),
            Ok(resp) => classify(resp.status()),
        }
    }
}

fn classify(status: StatusCode) -> Outcome {
    match status.as_u16() {
        200..=299 => Outcome::Delivered,
        404 | 410 => Outcome::Gone,
        429 | 500..=599 => Outcome::Retry(format!("push service answered {status}")),
        other => Outcome::Rejected(other),
    }
}

/// The VAPID key: configured, or read from (first generated into) `{data_dir}/vapid.key`.
pub fn load_key(config: &Config) -> Result<VapidKey, String> {
    if let Some(configured) = &config.vapid_private_key {
        return VapidKey::from_base64(configured)
            .map_err(|e| format!("MEALFRAME_VAPID_PRIVATE_KEY: {e}"));
    }
    let path = config.data_dir.join("vapid.key");
    load_or_create(&path).map_err(|e| format!("VAPID key {}: {e}", path.display()))
}

fn load_or_create(path: &Path) -> Result<VapidKey, String> {
    if let Ok(existing) = std::fs::read_to_string(path)
        && !existing.trim().is_empty()
    {
        return VapidKey::from_base64(existing.trim());
    }
    let key = VapidKey::generate().map_err(|_| "cannot generate a key".to_owned())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| e.to_string())?;
    file.write_all(key.private_b64().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| e.to_string())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_service_answers_map_to_forget_retry_or_give_up() {
        assert_eq!(classify(StatusCode::CREATED), Outcome::Delivered);
        assert_eq!(classify(StatusCode::GONE), Outcome::Gone);
        assert_eq!(classify(StatusCode::NOT_FOUND), Outcome::Gone);
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS),
            Outcome::Retry(_)
        ));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY),
            Outcome::Retry(_)
        ));
        assert_eq!(classify(StatusCode::FORBIDDEN), Outcome::Rejected(403));
    }

    #[test]
    fn endpoints_must_be_public_https_urls() {
        let config = crate::config::Settings::default().validate().unwrap();
        let sender = PushSender::new(&config, VapidKey::generate().unwrap()).unwrap();
        assert!(
            sender
                .check_endpoint("https://fcm.googleapis.com/fcm/send/x")
                .is_ok()
        );
        assert!(
            sender
                .check_endpoint("https://updates.push.services.mozilla.com/wpush/v2/x")
                .is_ok()
        );
        for bad in [
            "http://fcm.googleapis.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.1/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://localhost/x",
            "https://user:pw@push.example/x",
            "http://127.0.0.1:9/x",
        ] {
            assert!(sender.check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_generated_key_is_kept_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vapid.key");
        let first = load_or_create(&path).unwrap();
        let second = load_or_create(&path).unwrap();
        assert_eq!(first.public_b64(), second.public_b64());
    }
}
