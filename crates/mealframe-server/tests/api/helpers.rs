//! The in-process test harness: a `TestApp` builder with its own database (SQLite, or PostgreSQL
//! when `TEST_DATABASE_URL` is set), a manual clock, an optional mail outbox, a cookie jar, and a
//! small request builder. Requests go straight into the router (no socket).

#![allow(dead_code)]

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::ConnectInfo,
    http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header},
};
use dbkit::{Timestamp, testing::TestDb};
use http_body_util::BodyExt;
use mealframe_server::{
    config::Settings,
    mail::{self, Mailer},
    state::{AppState, Parts},
};
use platform::clock::ManualClock;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Wednesday 2026-11-18, noon UTC: the default "now" of every test.
pub fn default_now() -> Timestamp {
    Timestamp::from(time::macros::datetime!(2026-11-18 12:00 UTC))
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: Arc<ManualClock>,
    pub outbox: Option<PathBuf>,
    pub db: TestDb,
    /// The server's data directory (kept photos live under `photos/`).
    pub data_dir: PathBuf,
    _outbox_dir: Option<tempfile::TempDir>,
    _data_dir: tempfile::TempDir,
    jar: Mutex<Vec<(String, String, String)>>,
}

pub struct Builder {
    settings: Settings,
    outbox: bool,
    now: Timestamp,
}

impl TestApp {
    pub fn builder() -> Builder {
        let settings = Settings {
            // Generous limits unless a test is about them.
            login_rate_limit: "1000/minute".into(),
            register_rate_limit: "1000/minute".into(),
            password_reset_rate_limit: "1000/minute".into(),
            pageview_rate_limit: "1000/minute".into(),
            public_url: Some("https://meals.example.org".into()),
            ..Settings::default()
        };
        Builder {
            settings,
            outbox: false,
            now: default_now(),
        }
    }

    pub async fn new() -> TestApp {
        TestApp::builder().build().await
    }
}

impl Builder {
    pub fn with(mut self, f: impl FnOnce(&mut Settings)) -> Builder {
        f(&mut self.settings);
        self
    }

    /// Mail goes to a temporary outbox directory (and verification becomes required).
    pub fn outbox(mut self) -> Builder {
        self.outbox = true;
        self
    }

    pub fn now(mut self, at: Timestamp) -> Builder {
        self.now = at;
        self
    }

    pub async fn build(mut self) -> TestApp {
        let db = TestDb::new(mealframe_store::MIGRATIONS).await;
        let outbox_dir = self
            .outbox
            .then(|| tempfile::tempdir().expect("outbox dir"));
        if let Some(dir) = &outbox_dir {
            self.settings.mail_dir = Some(dir.path().to_owned());
        }
        let data_dir = tempfile::tempdir().expect("data dir");
        self.settings.data_dir = data_dir.path().to_owned();
        let configured = self.outbox
            || self.settings.resend_api_key.is_some()
            || self.settings.smtp_url.is_some();
        let config = self.settings.validate().expect("test settings are valid");
        let clock = Arc::new(ManualClock::new(self.now));
        let mailer = if configured {
            None
        } else {
            Some(Mailer::off())
        };
        let parts = Parts {
            db: db.db.clone(),
            clock: clock.clone(),
            jwt_secret: "test-jwt-secret".into(),
            mailer,
            vapid_private_key: None,
        };
        let state = AppState::build(config, parts).expect("state");
        let router = mealframe_server::router::router(state.clone());
        TestApp {
            state,
            router,
            clock,
            outbox: outbox_dir.as_ref().map(|d| d.path().to_owned()),
            db,
            data_dir: data_dir.path().to_owned(),
            _outbox_dir: outbox_dir,
            _data_dir: data_dir,
            jar: Mutex::new(Vec::new()),
        }
    }
}

pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Body,
    peer: SocketAddr,
    cookies: bool,
    /// Another instance's router to send to (see [`TestApp::another_instance`]).
    router: Option<Router>,
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Body::empty(),
            peer: "127.0.0.1:40000".parse().unwrap(),
            cookies: true,
            router: None,
        }
    }
    pub fn get(&self, path: &str) -> Req<'_> {
        self.request(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Req<'_> {
        self.request(Method::POST, path)
    }
    pub fn put(&self, path: &str) -> Req<'_> {
        self.request(Method::PUT, path)
    }
    pub fn patch(&self, path: &str) -> Req<'_> {
        self.request(Method::PATCH, path)
    }
    pub fn delete(&self, path: &str) -> Req<'_> {
        self.request(Method::DELETE, path)
    }

    /// Forget every cookie (a new browser).
    pub fn clear_cookies(&self) {
        self.jar.lock().unwrap().clear();
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.clone())
    }

    pub fn set_cookie(&self, name: &str, value: &str, path: &str) {
        let mut jar = self.jar.lock().unwrap();
        jar.retain(|(n, _, _)| n != name);
        jar.push((name.to_owned(), value.to_owned(), path.to_owned()));
    }

    fn store_cookies(&self, headers: &HeaderMap) {
        for v in headers.get_all(header::SET_COOKIE) {
            let text = v.to_str().unwrap();
            let mut parts = text.split(';').map(str::trim);
            let (name, value) = parts.next().unwrap().split_once('=').unwrap();
            let mut path = "/".to_owned();
            let mut expired = false;
            for attr in parts {
                if let Some(p) = attr.strip_prefix("Path=") {
                    path = p.to_owned();
                }
                if attr == "Max-Age=0" {
                    expired = true;
                }
            }
            let mut jar = self.jar.lock().unwrap();
            jar.retain(|(n, _, _)| n != name);
            if !expired {
                jar.push((name.to_owned(), value.to_owned(), path));
            }
        }
    }

    /// A second server instance on the same database and clock (its own caches, its own mail
    /// sender), as when several instances share one PostgreSQL.
    pub fn another_instance(&self) -> AppState {
        let parts = Parts {
            db: self.state.db.clone(),
            clock: self.clock.clone(),
            jwt_secret: "test-jwt-secret".into(),
            mailer: None,
            // The same server key (the data dir of a test app is gone after it started).
            vapid_private_key: Some(self.state.push.key().private_b64().to_owned()),
        };
        AppState::build(self.state.config.clone(), parts).expect("state")
    }

    /// Move the clock.
    pub fn advance(&self, by: time::Duration) {
        self.clock.advance(by);
    }

    /// Send what is queued (the background sender's job, done here in step with the test).
    pub async fn send_queued_mail(&self) -> mail::outbox::Round {
        mealframe_server::jobs::send_mail_once(&self.state)
            .await
            .expect("queued mail is sent")
    }

    /// Every message sent to the outbox directory, oldest first (sending what is queued first).
    pub async fn mails(&self) -> Vec<String> {
        self.send_queued_mail().await;
        let dir = self.outbox.as_ref().expect("app built with .outbox()");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// The `token=` value of the newest mail's link.
    pub async fn last_mail_token(&self) -> String {
        let mail = self.mails().await.pop().expect("a mail was sent");
        token_in(&mail).expect("mail has a token link")
    }

    /// Register (verifying through the outbox when needed) and log in; returns the access token.
    pub async fn signup(&self, email: &str) -> String {
        let r = self
            .post("/api/v1/auth/register")
            .json(json!({"email": email, "password": "correct horse"}))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        if self.outbox.is_some() {
            let token = self.last_mail_token().await;
            let r = self
                .post("/api/v1/auth/verify-email")
                .json(json!({ "token": token }))
                .send()
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
        self.login(email, "correct horse").await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .post("/api/v1/auth/login")
            .json(json!({"email": email, "password": password}))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()["access_token"].as_str().unwrap().to_owned()
    }
}

pub fn token_in(mail: &str) -> Option<String> {
    let at = mail.find("token=")? + "token=".len();
    Some(
        mail[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}

impl Req<'_> {
    pub fn json(mut self, v: Value) -> Self {
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self.body = Body::from(serde_json::to_vec(&v).unwrap());
        self
    }

    pub fn raw(mut self, content_type: Option<&'static str>, body: impl Into<Bytes>) -> Self {
        if let Some(ct) = content_type {
            self.headers
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        self.body = Body::from(body.into());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::try_from(name).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn peer(mut self, addr: &str) -> Self {
        self.peer = addr.parse().unwrap();
        self
    }

    /// Send to another instance's router (built from [`TestApp::another_instance`]).
    pub fn on(mut self, router: &Router) -> Self {
        self.router = Some(router.clone());
        self
    }

    /// Do not send (or store) cookies.
    pub fn no_cookies(mut self) -> Self {
        self.cookies = false;
        self
    }

    pub async fn send(self) -> Resp {
        let mut req = Request::builder()
            .method(self.method)
            .uri(&self.path)
            .body(self.body)
            .unwrap();
        *req.headers_mut() = self.headers;
        if self.cookies {
            let jar = self.app.jar.lock().unwrap().clone();
            let cookie: Vec<String> = jar
                .iter()
                .filter(|(_, _, path)| self.path.starts_with(path.as_str()))
                .map(|(n, v, _)| format!("{n}={v}"))
                .collect();
            if !cookie.is_empty() && !req.headers().contains_key(header::COOKIE) {
                req.headers_mut().insert(
                    header::COOKIE,
                    HeaderValue::from_str(&cookie.join("; ")).unwrap(),
                );
            }
        }
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let router = self.router.unwrap_or_else(|| self.app.router.clone());
        let resp = router.oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        if self.cookies {
            self.app.store_cookies(&headers);
        }
        Resp {
            status,
            headers,
            body,
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The `detail` of an error body.
    pub fn detail(&self) -> Value {
        self.json()["detail"].clone()
    }

    #[track_caller]
    pub fn assert(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.text());
        self
    }
}

/// Count rows of a table (for "nothing was stored" / "everything was deleted" checks).
pub async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let mut r = app.state.db.reader().await.unwrap();
    dbkit::fetch_scalar!(r.conn(), i64, sql).unwrap()
}

/// A multipart/form-data body with one file part: `(content-type header, body)`.
pub fn multipart(
    field: &str,
    filename: &str,
    content_type: Option<&str>,
    content: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "XBOUNDARYX";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n").into_bytes();
    if let Some(ct) = content_type {
        body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
