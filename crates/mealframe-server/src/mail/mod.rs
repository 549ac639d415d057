//! Outgoing e-mail: verification and password-reset links.
//!
//! Three transports, chosen by configuration (first match wins): a file outbox
//! (`MEALFRAME_MAIL_DIR`, one RFC 5322 `.eml` file per message — handy for self-hosting without
//! a relay, and for tests), SMTP (`MEALFRAME_SMTP_URL`, rustls), or the Resend HTTP API
//! (`MEALFRAME_RESEND_API_KEY`). With none configured the mailer is "off": the server then does
//! not require e-mail verification, so a fresh install is usable at once.
//!
//! Requests do not send: they queue the message in the database and [`outbox`] sends it in the
//! background, retrying failures. Failures are logged (never with the message, which carries a
//! secret link) and never fail the request that triggered them.

pub mod outbox;
pub mod templates;

use std::path::PathBuf;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Body, Mailbox, MultiPart, SinglePart, header},
};
use serde_json::json;

pub use templates::{password_reset, verification};

/// A message to send.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

enum Transport {
    Off,
    Outbox(PathBuf),
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    Resend {
        http: reqwest::Client,
        api_key: String,
        base_url: String,
    },
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("could not write to the outbox: {0}")]
    Outbox(#[from] std::io::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
    #[error("Resend API delivery failed: {0}")]
    Resend(String),
}

/// An 8bit body with CRLF line ends, so each line stays as written and links keep their literal
/// `token=<raw>` (quoted-printable would write `token=3D…` and fold long links). RFC 5322 allows
/// lines up to 998 bytes; lettre itself folds at 76, so for anything longer (never our templates)
/// lettre picks the encoding.
fn body_8bit(text: &str) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if crlf.split("\r\n").all(|line| line.len() <= 998) && !crlf.contains('\0') {
        Body::dangerous_pre_encoded(crlf.into_bytes(), header::ContentTransferEncoding::EightBit)
    } else {
        Body::new(text.to_owned())
    }
}

impl Mailer {
    pub fn from_config(
        cfg: &crate::config::Config,
        http: reqwest::Client,
    ) -> Result<Mailer, String> {
        let from: Mailbox = cfg
            .mail_from
            .parse()
            .map_err(|e| format!("MEALFRAME_MAIL_FROM: {e}"))?;
        let transport = if let Some(dir) = &cfg.mail_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("MEALFRAME_MAIL_DIR {}: {e}", dir.display()))?;
            Transport::Outbox(dir.clone())
        } else if let Some(url) = &cfg.smtp_url {
            let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| format!("MEALFRAME_SMTP_URL: {e}"))?
                .timeout(Some(std::time::Duration::from_secs(15)))
                .build();
            Transport::Smtp(Box::new(smtp))
        } else if let Some(key) = &cfg.resend_api_key {
            Transport::Resend {
                http,
                api_key: key.clone(),
                base_url: cfg.resend_base_url.clone(),
            }
        } else {
            Transport::Off
        };
        Ok(Mailer { transport, from })
    }

    /// A mailer that sends nothing (tests, CLI).
    pub fn off() -> Mailer {
        Mailer {
            transport: Transport::Off,
            from: "MealFrame <noreply@mealframe.local>"
                .parse()
                .expect("static mailbox"),
        }
    }

    pub fn is_on(&self) -> bool {
        !matches!(self.transport, Transport::Off)
    }

    pub fn describe(&self) -> &'static str {
        match self.transport {
            Transport::Off => "off",
            Transport::Outbox(_) => "file outbox",
            Transport::Smtp(_) => "SMTP",
            Transport::Resend { .. } => "Resend API",
        }
    }

    fn build(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?;
        let part = |content_type: header::ContentType, text: &str| {
            SinglePart::builder()
                .header(content_type)
                .body(body_8bit(text))
        };
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(part(header::ContentType::TEXT_PLAIN, &mail.text))
                    .singlepart(part(header::ContentType::TEXT_HTML, &mail.html)),
            )
            .map_err(|e| MailError::Build(e.to_string()))
    }

    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        match &self.transport {
            Transport::Off => Ok(()),
            Transport::Outbox(dir) => {
                let message = self.build(mail)?;
                let name = format!(
                    "{}-{}.eml",
                    time::OffsetDateTime::now_utc().unix_timestamp_nanos(),
                    uuid::Uuid::new_v4().simple()
                );
                let tmp = dir.join(format!(".{name}.tmp"));
                // Messages carry sign-in links: readable by the server's user only.
                let mut open = tokio::fs::OpenOptions::new();
                open.write(true).create(true).truncate(true);
                #[cfg(unix)]
                open.mode(0o600);
                let mut file = open.open(&tmp).await?;
                tokio::io::AsyncWriteExt::write_all(&mut file, &message.formatted()).await?;
                tokio::io::AsyncWriteExt::flush(&mut file).await?;
                drop(file);
                tokio::fs::rename(&tmp, dir.join(name)).await?;
                Ok(())
            }
            Transport::Smtp(smtp) => {
                let message = self.build(mail)?;
                smtp.send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| MailError::Smtp(e.to_string()))
            }
            Transport::Resend {
                http,
                api_key,
                base_url,
            } => {
                let body = json!({
                    "from": self.from.to_string(),
                    "to": [mail.to],
                    "subject": mail.subject,
                    "html": mail.html,
                    "text": mail.text,
                });
                let resp = http
                    .post(format!("{base_url}/emails"))
                    .bearer_auth(api_key)
                    .json(&body)
                    .timeout(std::time::Duration::from_secs(15))
                    .send()
                    .await
                    .map_err(|e| MailError::Resend(e.without_url().to_string()))?;
                if resp.status().is_success() {
                    Ok(())
                } else {
                    Err(MailError::Resend(format!(
                        "HTTP {}",
                        resp.status().as_u16()
                    )))
                }
            }
        }
    }
}
