//! Issue 13: Web Push meal reminders and the planning nudge, against a fake push service on
//! 127.0.0.1 (wiremock). The test plays the browser: it makes its own P-256 key pair and auth
//! secret, subscribes with them, then decrypts what the push service received (RFC 8291,
//! implemented here independently of the server) and checks the VAPID signature (RFC 8292) with
//! the server's public key. Scheduling: sent once at the local meal time minus the lead time,
//! never twice (two schedulers at once, a restart), never late, DST-correct; 404/410 forget the
//! subscription, 5xx retries.

use aws_lc_rs::{
    aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey},
    agreement::{self, ECDH_P256, PrivateKey, UnparsedPublicKey},
    hkdf::{HKDF_SHA256, KeyType, Salt},
    signature::{self, ECDSA_P256_SHA256_FIXED},
};
use axum::http::StatusCode;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use dbkit::Timestamp;
use mealframe_server::app::reminders::{self, Round};
use serde_json::{Value, json};
use time::macros::datetime;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::{
    helpers::{TestApp, count},
    planning_support::Library,
};

/// A browser's side of a push subscription.
struct Browser {
    private: PrivateKey,
    public: Vec<u8>,
    auth: [u8; 16],
}

struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

impl Browser {
    fn new() -> Browser {
        let private = PrivateKey::generate(&ECDH_P256).unwrap();
        let public = private.compute_public_key().unwrap().as_ref().to_vec();
        let mut auth = [0u8; 16];
        aws_lc_rs::rand::fill(&mut auth).unwrap();
        Browser {
            private,
            public,
            auth,
        }
    }

    fn subscription(&self, endpoint: &str) -> Value {
        json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(&self.public),
                "auth": URL_SAFE_NO_PAD.encode(self.auth),
            },
            "user_agent": "Test browser",
        })
    }

    /// Decrypt an `aes128gcm` push body (RFC 8188 header, RFC 8291 keys) as a browser does.
    fn decrypt(&self, body: &[u8]) -> Value {
        let salt = &body[..16];
        let rs = u32::from_be_bytes(body[16..20].try_into().unwrap());
        let idlen = body[20] as usize;
        assert_eq!(idlen, 65, "keyid is the sender's P-256 public key");
        let sender = &body[21..21 + idlen];
        let ciphertext = &body[21 + idlen..];
        assert!(ciphertext.len() <= rs as usize, "one record");
        let ecdh = agreement::agree(
            &self.private,
            UnparsedPublicKey::new(&ECDH_P256, sender),
            (),
            |s| Ok(s.to_vec()),
        )
        .unwrap();
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(&self.public);
        info.extend_from_slice(sender);
        let mut ikm = [0u8; 32];
        Salt::new(HKDF_SHA256, &self.auth)
            .extract(&ecdh)
            .expand(&[&info], Len(32))
            .unwrap()
            .fill(&mut ikm)
            .unwrap();
        let prk = Salt::new(HKDF_SHA256, salt).extract(&ikm);
        let mut cek = [0u8; 16];
        prk.expand(&[b"Content-Encoding: aes128gcm\0"], Len(16))
            .unwrap()
            .fill(&mut cek)
            .unwrap();
        let mut nonce = [0u8; 12];
        prk.expand(&[b"Content-Encoding: nonce\0"], Len(12))
            .unwrap()
            .fill(&mut nonce)
            .unwrap();
        let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).unwrap());
        let mut buf = ciphertext.to_vec();
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .expect("the payload decrypts with the browser's keys");
        // The last record ends with delimiter 2, then optional zero padding.
        let end = plain.iter().rposition(|b| *b != 0).unwrap();
        assert_eq!(plain[end], 2, "last-record delimiter");
        serde_json::from_slice(&plain[..end]).unwrap()
    }
}

fn wed(h: u8, m: u8) -> Timestamp {
    let t = datetime!(2026-11-18 00:00 UTC)
        .replace_hour(h)
        .unwrap()
        .replace_minute(m)
        .unwrap();
    Timestamp::from(t)
}

async fn app_at(now: Timestamp) -> TestApp {
    TestApp::builder()
        .with(|s| s.push_allow_http_loopback = true)
        .now(now)
        .build()
        .await
}

async fn set_times(app: &TestApp, lib: &Library, breakfast: Value, lunch: Value) {
    app.put(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .json(json!({"slots": [
            {"position": 1, "meal_type_id": lib.types["Breakfast"], "time": breakfast},
            {"position": 2, "meal_type_id": lib.types["Lunch"], "time": lunch}]}))
        .send()
        .await
        .assert(StatusCode::OK);
}

/// A user with this week generated (Monday 2026-11-16), breakfast at `breakfast` (UTC), no
/// time for lunch.
async fn planned(app: &TestApp, email: &str, breakfast: &str) -> Library {
    let lib = app.seed(email).await;
    set_times(app, &lib, json!(breakfast), json!(null)).await;
    let (status, body) = app.generate(&lib.token, "2026-11-16").await;
    assert!(status.is_success(), "{body}");
    lib
}

async fn subscribe(app: &TestApp, token: &str, browser: &Browser, endpoint: &str) -> StatusCode {
    app.post("/api/v1/push/subscriptions")
        .bearer(token)
        .json(browser.subscription(endpoint))
        .send()
        .await
        .status
}

async fn push_service(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

async fn round(app: &TestApp) -> Round {
    reminders::send_due(&app.state).await.unwrap()
}

async fn pushes(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap()
}

async fn today_slots(app: &TestApp, token: &str) -> Vec<Value> {
    app.get_json(token, "/api/v1/today").await["slots"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn reminder_push_is_encrypted_to_the_browser_and_signed_with_vapid() {
    let app = app_at(wed(12, 0)).await;
    let lib = planned(&app, "ana@example.com", "12:30").await;
    let server = push_service(201).await;
    let browser = Browser::new();
    let endpoint = format!("{}/push/ana", server.uri());
    assert_eq!(
        subscribe(&app, &lib.token, &browser, &endpoint).await,
        StatusCode::CREATED
    );
    let slot = today_slots(&app, &lib.token)
        .await
        .into_iter()
        .find(|s| s["meal_type"]["name"] == "Breakfast")
        .unwrap();
    // 12:00: nothing is due yet (12:30 − 10 minutes = 12:20).
    assert_eq!(round(&app).await, Round::default());
    app.advance(time::Duration::minutes(20));
    assert_eq!(round(&app).await.pushed, 1);
    let got = pushes(&server).await;
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.url.path(), "/push/ana");
    assert_eq!(req.headers["content-encoding"], "aes128gcm");
    assert_eq!(req.headers["content-type"], "application/octet-stream");
    let ttl: u64 = req.headers["ttl"].to_str().unwrap().parse().unwrap();
    assert!(
        (60..=600).contains(&ttl),
        "kept until the meal at most: {ttl}"
    );

    // The payload, as the browser's service worker reads it.
    let payload = browser.decrypt(&req.body);
    assert_eq!(payload["kind"], "meal");
    assert_eq!(
        payload["title"],
        format!("Breakfast: {}", slot["meal"]["name"].as_str().unwrap())
    );
    assert_eq!(payload["body"], slot["meal"]["portion_description"]);
    assert_eq!(payload["slot_id"], slot["id"]);
    assert_eq!(payload["date"], "2026-11-18");
    assert_eq!(payload["url"], "/", "Today");
    assert_eq!(payload["actions"], json!(["followed", "skipped"]));

    // VAPID: `vapid t=<JWT>, k=<key>`, the key the browser subscribed with, an ES256 signature
    // that verifies with it, the push service's origin as audience.
    let public_key = app.get("/api/v1/push/key").send().await.json()["public_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = req.headers["authorization"].to_str().unwrap();
    let rest = auth.strip_prefix("vapid t=").expect("vapid scheme");
    let (jwt, k) = rest.split_once(", k=").unwrap();
    assert_eq!(k, public_key);
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["aud"], server.uri());
    assert_eq!(claims["sub"], "https://meals.example.org");
    let now = time::OffsetDateTime::from(app.state.now()).unix_timestamp();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now && exp <= now + 24 * 3600, "exp within 24 h");
    signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, URL_SAFE_NO_PAD.decode(k).unwrap())
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
        )
        .expect("the VAPID signature verifies with the server's public key");
}

#[tokio::test]
async fn reminder_is_sent_once_and_not_again_by_later_rounds_or_after_a_restart() {
    let app = app_at(wed(12, 20)).await;
    let lib = planned(&app, "ana@example.com", "12:30").await;
    let server = push_service(201).await;
    subscribe(
        &app,
        &lib.token,
        &Browser::new(),
        &format!("{}/p/1", server.uri()),
    )
    .await;
    assert_eq!(round(&app).await.pushed, 1);
    app.advance(time::Duration::minutes(1));
    assert_eq!(round(&app).await, Round::default());
    // A restart: a new instance on the same database.
    let restarted = app.another_instance();
    assert_eq!(
        reminders::send_due(&restarted).await.unwrap(),
        Round::default()
    );
    assert_eq!(pushes(&server).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminder_exactly_once_with_two_schedulers_on_one_database_at_once() {
    let app = app_at(wed(12, 20)).await;
    let server = push_service(201).await;
    // Several users and two devices each: many claims to race for.
    for i in 0..4 {
        let lib = planned(&app, &format!("u{i}@example.com"), "12:30").await;
        for d in 0..2 {
            subscribe(
                &app,
                &lib.token,
                &Browser::new(),
                &format!("{}/p/{i}/{d}", server.uri()),
            )
            .await;
        }
    }
    let a = app.state.clone();
    let b = app.another_instance();
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { reminders::send_due(&a).await.unwrap() }),
        tokio::spawn(async move { reminders::send_due(&b).await.unwrap() }),
    );
    assert_eq!(ra.unwrap().pushed + rb.unwrap().pushed, 8);
    let mut paths: Vec<String> = pushes(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    paths.sort();
    let before = paths.len();
    paths.dedup();
    assert_eq!(
        (before, paths.len()),
        (8, 8),
        "each device got exactly one push"
    );
}

#[tokio::test]
async fn reminder_push_answered_410_removes_the_subscription() {
    let app = app_at(wed(12, 20)).await;
    let lib = planned(&app, "ana@example.com", "12:30").await;
    let server = push_service(410).await;
    subscribe(
        &app,
        &lib.token,
        &Browser::new(),
        &format!("{}/gone", server.uri()),
    )
    .await;
    assert_eq!(round(&app).await.gone, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM push_subscriptions").await,
        0
    );
    let s = app.get_json(&lib.token, "/api/v1/reminders/settings").await;
    assert_eq!(s["devices"], 0);
}

#[tokio::test]
async fn reminder_push_answered_500_keeps_the_subscription_and_is_retried() {
    let app = app_at(wed(12, 20)).await;
    let lib = planned(&app, "ana@example.com", "12:30").await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/flaky"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/flaky"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    subscribe(
        &app,
        &lib.token,
        &Browser::new(),
        &format!("{}/flaky", server.uri()),
    )
    .await;
    assert_eq!(round(&app).await.retried, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM push_subscriptions").await,
        1
    );
    // Not again before its retry time…
    assert_eq!(round(&app).await, Round::default());
    // …then delivered, once.
    app.advance(time::Duration::minutes(1));
    assert_eq!(round(&app).await.pushed, 1);
    app.advance(time::Duration::minutes(1));
    assert_eq!(round(&app).await, Round::default());
    assert_eq!(pushes(&server).await.len(), 2);
}

#[tokio::test]
async fn no_reminder_for_a_marked_slot_a_no_plan_day_or_a_meal_already_past() {
    let server = push_service(201).await;

    // Marked: breakfast followed before its reminder.
    let app = app_at(wed(12, 0)).await;
    let lib = planned(&app, "ana@example.com", "12:30").await;
    subscribe(
        &app,
        &lib.token,
        &Browser::new(),
        &format!("{}/a", server.uri()),
    )
    .await;
    let slot = today_slots(&app, &lib.token)
        .await
        .into_iter()
        .find(|s| s["meal_type"]["name"] == "Breakfast")
        .unwrap();
    app.post(&format!(
        "/api/v1/slots/{}/complete",
        slot["id"].as_str().unwrap()
    ))
    .bearer(&lib.token)
    .json(json!({"status": "followed"}))
    .send()
    .await
    .assert(StatusCode::OK);
    app.advance(time::Duration::minutes(20));
    assert_eq!(round(&app).await, Round::default());

    // A No Plan day.
    let app = app_at(wed(12, 0)).await;
    let lib = planned(&app, "bo@example.com", "12:30").await;
    subscribe(
        &app,
        &lib.token,
        &Browser::new(),
        &format!("{}/b", server.uri()),
    )
    .await;
    app.put("/api/v1/weekly-plans/current/days/2026-11-18/override")
        .bearer(&lib.token)
        .json(json!({"reason": "Dinner out"}))
        .send()
        .await
        .assert(StatusCode::OK);
    app.advance(time::Duration::minutes(20));
    assert_eq!(round(&app).await, Round::default());

    // No instance ran between 12:20 and 12:30: at 12:31 the breakfast reminder is not sent late.
    let app = app_at(wed(12, 31)).await;
    let lib = planned(&app, "cy@example.com", "12:30").await;
    subscribe(
        &app,
        &lib.token,
        &Browser::new(),
        &format!("{}/c", server.uri()),
    )
    .await;
    assert_eq!(round(&app).await, Round::default());

    assert!(pushes(&server).await.is_empty());
}

#[tokio::test]
async fn reminder_keeps_0730_local_minus_lead_across_dst_in_ljubljana_and_new_york() {
    for (zone, monday, cases) in [
        (
            "Europe/Ljubljana",
            "2026-10-19",
            // Summer time ends on Sunday 25 October: 07:20 CEST is 05:20Z, 07:20 CET 06:20Z.
            [
                (datetime!(2026-10-24 05:20 UTC), "2026-10-24"),
                (datetime!(2026-10-25 06:20 UTC), "2026-10-25"),
            ],
        ),
        (
            "America/New_York",
            "2026-10-26",
            // US summer time ends on Sunday 1 November: 07:20 EDT is 11:20Z, 07:20 EST 12:20Z.
            [
                (datetime!(2026-10-31 11:20 UTC), "2026-10-31"),
                (datetime!(2026-11-01 12:20 UTC), "2026-11-01"),
            ],
        ),
    ] {
        let app = app_at(Timestamp::from(datetime!(2026-10-19 00:00 UTC))).await;
        let server = push_service(201).await;
        let browser = Browser::new();
        let lib = app.seed("dst@example.com").await;
        app.patch("/api/v1/auth/me")
            .bearer(&lib.token)
            .json(json!({ "timezone": zone }))
            .send()
            .await
            .assert(StatusCode::OK);
        let days: Vec<Value> = (0..7)
            .map(|d| json!({"weekday": d, "day_template_id": lib.template}))
            .collect();
        app.put(&format!("/api/v1/week-plans/{}", lib.plan))
            .bearer(&lib.token)
            .json(json!({ "days": days }))
            .send()
            .await
            .assert(StatusCode::OK);
        set_times(&app, &lib, json!("07:30"), json!(null)).await;
        let (status, body) = app.generate(&lib.token, monday).await;
        assert!(status.is_success(), "{body}");
        subscribe(&app, &lib.token, &browser, &format!("{}/dst", server.uri())).await;
        for (sent, (at, date)) in cases.into_iter().enumerate() {
            app.clock
                .set(Timestamp::from(at - time::Duration::minutes(1)));
            assert_eq!(
                round(&app).await,
                Round::default(),
                "{zone} {date}: not yet"
            );
            app.clock.set(Timestamp::from(at));
            assert_eq!(round(&app).await.pushed, 1, "{zone} {date}: 07:20 local");
            let got = pushes(&server).await;
            assert_eq!(got.len(), sent + 1);
            assert_eq!(browser.decrypt(&got[sent].body)["date"], date);
        }
    }
}

#[tokio::test]
async fn planning_nudge_only_when_next_week_is_missing() {
    // Sunday 2026-11-22, 18:00 UTC: the default nudge time.
    let sunday = Timestamp::from(datetime!(2026-11-22 17:59 UTC));
    let app = app_at(sunday).await;
    let server = push_service(201).await;
    let missing = planned(&app, "ana@example.com", "07:30").await;
    let browser = Browser::new();
    subscribe(
        &app,
        &missing.token,
        &browser,
        &format!("{}/ana", server.uri()),
    )
    .await;
    let ready = planned(&app, "bo@example.com", "07:30").await;
    subscribe(
        &app,
        &ready.token,
        &Browser::new(),
        &format!("{}/bo", server.uri()),
    )
    .await;
    let (status, _) = app.generate(&ready.token, "2026-11-23").await;
    assert!(status.is_success());
    assert_eq!(round(&app).await, Round::default(), "not before 18:00");
    app.advance(time::Duration::minutes(1));
    assert_eq!(round(&app).await.pushed, 1);
    let got = pushes(&server).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].url.path(), "/ana");
    let payload = browser.decrypt(&got[0].body);
    assert_eq!(payload["kind"], "nudge");
    assert_eq!(payload["url"], "/week?start=2026-11-23");
    // Once only; and not at all once the week exists.
    app.advance(time::Duration::hours(1));
    assert_eq!(round(&app).await, Round::default());
}

#[tokio::test]
async fn planning_nudge_by_email_goes_through_the_mail_outbox_once() {
    let app = TestApp::builder()
        .outbox()
        .now(Timestamp::from(datetime!(2026-11-22 18:00 UTC)))
        .build()
        .await;
    let lib = app.seed("ana@example.com").await;
    let before = app.mails().await.len();
    app.put("/api/v1/reminders/settings")
        .bearer(&lib.token)
        .json(json!({"lead_minutes": 10, "nudge_weekday": 7, "nudge_time": "18:00", "nudge_channel": "email"}))
        .send()
        .await
        .assert(StatusCode::OK);
    assert_eq!(round(&app).await.mailed, 1);
    assert_eq!(round(&app).await, Round::default());
    let mails = app.mails().await;
    assert_eq!(mails.len(), before + 1);
    let mail = mails.last().unwrap();
    assert!(mail.contains("Next week is not planned yet"), "{mail}");
    assert!(
        mail.contains("https://meals.example.org/week?start=2026-11-23"),
        "{mail}"
    );
}

#[tokio::test]
async fn push_subscription_api_validates_input_and_is_idempotent() {
    let app = app_at(wed(12, 0)).await;
    let token = app.signup("ana@example.com").await;
    let key = app.get("/api/v1/push/key").send().await;
    key.assert(StatusCode::OK);
    let raw = URL_SAFE_NO_PAD
        .decode(key.json()["public_key"].as_str().unwrap())
        .unwrap();
    assert_eq!((raw.len(), raw[0]), (65, 4), "an uncompressed P-256 point");

    let browser = Browser::new();
    let ok = "http://127.0.0.1:9/push/x";
    assert_eq!(
        subscribe(&app, &token, &browser, ok).await,
        StatusCode::CREATED
    );
    assert_eq!(subscribe(&app, &token, &browser, ok).await, StatusCode::OK);

    let mut bad_key = browser.subscription(ok);
    bad_key["keys"]["p256dh"] = json!(URL_SAFE_NO_PAD.encode([4u8; 33]));
    let r = app
        .post("/api/v1/push/subscriptions")
        .bearer(&token)
        .json(bad_key)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    // The validation shape of every 422 (found by schemathesis), located at the field.
    assert_eq!(
        r.detail()[0]["loc"],
        json!(["body", "keys", "p256dh"]),
        "{}",
        r.text()
    );
    assert!(r.text().contains("p256dh"), "{}", r.text());
    let mut bad_auth = browser.subscription(ok);
    bad_auth["keys"]["auth"] = json!("AAAA");
    let r = app
        .post("/api/v1/push/subscriptions")
        .bearer(&token)
        .json(bad_auth)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.detail()[0]["loc"],
        json!(["body", "keys", "auth"]),
        "{}",
        r.text()
    );
    assert!(r.text().contains("16-byte"), "{}", r.text());
    let mut not_base64 = browser.subscription(ok);
    not_base64["keys"]["auth"] = json!("%%%");
    app.post("/api/v1/push/subscriptions")
        .bearer(&token)
        .json(not_base64)
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    for endpoint in [
        "http://push.example.com/x",
        "ftp://127.0.0.1/x",
        "not a url",
        "http://localhost:9/x",
    ] {
        let r = app
            .post("/api/v1/push/subscriptions")
            .bearer(&token)
            .json(browser.subscription(endpoint))
            .send()
            .await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            r.detail()[0]["loc"],
            json!(["body", "endpoint"]),
            "{}",
            r.text()
        );
        assert_eq!(r.detail()[0]["type"], "value_error");
        assert!(r.text().contains("https"), "{endpoint}: {}", r.text());
    }
    app.post("/api/v1/push/subscriptions")
        .bearer(&token)
        .json(json!({"endpoint": ok}))
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    app.post("/api/v1/push/subscriptions")
        .json(browser.subscription(ok))
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);

    app.delete("/api/v1/push/subscriptions")
        .bearer(&token)
        .json(json!({"endpoint": ok}))
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    app.delete("/api/v1/push/subscriptions")
        .bearer(&token)
        .json(json!({"endpoint": ok}))
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM push_subscriptions").await,
        0
    );
}

#[tokio::test]
async fn push_endpoints_must_be_https_unless_loopback_http_is_allowed_for_tests() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let browser = Browser::new();
    assert_eq!(
        subscribe(&app, &token, &browser, "http://127.0.0.1:9/push").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        subscribe(&app, &token, &browser, "https://push.example.com/abc").await,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn reminder_settings_default_round_trip_and_refuse_bad_values() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let s = app.get_json(&token, "/api/v1/reminders/settings").await;
    assert_eq!(
        s,
        json!({"lead_minutes": 10, "nudge_weekday": 7, "nudge_time": "18:00", "nudge_channel": "push", "digest_time": null, "devices": 0})
    );
    let mine = json!({"lead_minutes": 25, "nudge_weekday": 6, "nudge_time": "09:15", "nudge_channel": "both", "digest_time": "07:05"});
    let r = app
        .put("/api/v1/reminders/settings")
        .bearer(&token)
        .json(mine.clone())
        .send()
        .await;
    r.assert(StatusCode::OK);
    let mut want = mine.clone();
    want["devices"] = json!(0);
    assert_eq!(r.json(), want);
    assert_eq!(
        app.get_json(&token, "/api/v1/reminders/settings").await,
        want
    );
    for (field, value) in [
        ("lead_minutes", json!(-1)),
        ("lead_minutes", json!(241)),
        ("nudge_weekday", json!(0)),
        ("nudge_weekday", json!(8)),
        ("nudge_time", json!("25:00")),
        ("nudge_channel", json!("sms")),
        ("digest_time", json!("7am")),
    ] {
        let mut body = mine.clone();
        body[field] = value;
        let r = app
            .put("/api/v1/reminders/settings")
            .bearer(&token)
            .json(body)
            .send()
            .await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains(field), "{field}: {}", r.text());
    }
    assert_eq!(
        app.get_json(&token, "/api/v1/reminders/settings").await,
        want
    );
}

#[tokio::test]
async fn push_subscriptions_end_when_logging_out_everywhere() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let other = app.signup("bo@example.com").await;
    let endpoint = |n: u8| format!("https://push.example.com/{n}");
    assert_eq!(
        subscribe(&app, &token, &Browser::new(), &endpoint(1)).await,
        StatusCode::CREATED
    );
    assert_eq!(
        subscribe(&app, &token, &Browser::new(), &endpoint(2)).await,
        StatusCode::CREATED
    );
    assert_eq!(
        subscribe(&app, &other, &Browser::new(), &endpoint(3)).await,
        StatusCode::CREATED
    );
    app.post("/api/v1/auth/logout-all")
        .bearer(&token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM push_subscriptions").await,
        1,
        "only bo's"
    );
}

#[tokio::test]
async fn daily_digest_email_lists_the_days_meals_once_and_not_on_a_no_plan_day() {
    let app = TestApp::builder().outbox().now(wed(6, 59)).build().await;
    let lib = planned(&app, "ana@example.com", "07:30").await;
    let before = app.mails().await.len();
    let settings = json!({"lead_minutes": 10, "nudge_weekday": 7, "nudge_time": "18:00", "nudge_channel": "off", "digest_time": "07:00"});
    app.put("/api/v1/reminders/settings")
        .bearer(&lib.token)
        .json(settings)
        .send()
        .await
        .assert(StatusCode::OK);
    assert_eq!(round(&app).await, Round::default(), "not before 07:00");
    app.advance(time::Duration::minutes(1));
    assert_eq!(round(&app).await.mailed, 1);
    app.advance(time::Duration::minutes(30));
    assert_eq!(round(&app).await, Round::default(), "once a day");
    let mails = app.mails().await;
    assert_eq!(mails.len(), before + 1);
    let mail = mails.last().unwrap();
    assert!(
        mail.contains("Today's meals: Wednesday 18 November"),
        "{mail}"
    );
    assert!(mail.contains("07:30 Breakfast: "), "{mail}");
    assert!(mail.contains("Lunch: "), "{mail}");

    // Thursday is a No Plan day: no digest.
    let token = app.login("ana@example.com", "correct horse").await;
    app.put("/api/v1/weekly-plans/current/days/2026-11-19/override")
        .bearer(&token)
        .json(json!({"reason": "Travel"}))
        .send()
        .await
        .assert(StatusCode::OK);
    app.clock
        .set(Timestamp::from(datetime!(2026-11-19 07:00 UTC)));
    assert_eq!(round(&app).await, Round::default());
    assert_eq!(app.mails().await.len(), before + 1);
}
