//! The OpenAPI document says what the server enforces: length and item limits, the accepted
//! consent values, and every status a route answers. The whole document is pinned by a snapshot
//! (`tests/api/snapshots/openapi.json`); after a deliberate change, regenerate it with
//! `UPDATE_SNAPSHOTS=1 cargo nextest run -p offload-api openapi` and review the diff.

use serde_json::Value;

use crate::support::*;

const AI_ROUTES: [&str; 5] = [
    "/v1/ai/breakdown/generate",
    "/v1/ai/braindump/compile",
    "/v1/ai/decide/recommend",
    "/v1/ai/executive-function/prompt",
    "/v1/ai/communication/draft",
];

async fn document() -> Value {
    let app = TestApp::new().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    r.body
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["components"]["schemas"][name]["properties"]
}

fn statuses(doc: &Value, path: &str) -> Vec<String> {
    let mut s: Vec<String> = doc["paths"][path]["post"]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{path} has responses"))
        .keys()
        .cloned()
        .collect();
    s.sort();
    s
}

fn lengths(field: &Value) -> (Value, Value) {
    (field["minLength"].clone(), field["maxLength"].clone())
}

#[tokio::test]
async fn request_schemas_carry_the_limits_the_server_enforces() {
    let doc = document().await;
    let session = schema(&doc, "SessionRequest");
    assert_eq!(lengths(&session["install_id"]), (8.into(), 128.into()));
    assert_eq!(lengths(&session["app_version"]), (1.into(), 32.into()));
    assert_eq!(lengths(&session["platform"]), (1.into(), 32.into()));

    let breakdown = schema(&doc, "BreakdownRequest");
    assert_eq!(breakdown["input_text"]["minLength"], 1);
    assert_eq!(breakdown["context_hints"]["maxItems"], 32);
    assert_eq!(
        lengths(&breakdown["context_hints"]["items"]),
        (1.into(), 280.into())
    );
    assert_eq!(
        lengths(&breakdown["template_ids"]["items"]),
        (1.into(), 128.into())
    );
    assert_eq!(breakdown["granularity"]["minimum"], 1);
    assert_eq!(breakdown["granularity"]["maximum"], 5);

    assert_eq!(
        schema(&doc, "DecideRequest")["clarifying_answers"]["maxItems"],
        2
    );
    assert_eq!(
        lengths(&schema(&doc, "ClarifyingAnswer")["answer"]),
        (1.into(), 280.into())
    );
    assert_eq!(
        schema(&doc, "ExecFunctionRequest")["strategy_history"]["maxItems"],
        50
    );
    assert_eq!(
        lengths(&schema(&doc, "StrategyRecord")["strategy_id"]),
        (1.into(), 64.into())
    );
    let draft = schema(&doc, "DraftRequest");
    assert_eq!(lengths(&draft["channel"]), (1.into(), 16.into()));
    assert_eq!(draft["contact_name"]["maxLength"], 128);

    let reconcile = schema(&doc, "ReconcileRequest");
    assert_eq!(lengths(&reconcile["feature"]), (1.into(), 64.into()));
    assert_eq!(reconcile["local_count"]["minimum"], 0);
    assert_eq!(reconcile["local_count"]["maximum"], 2_147_483_647_i64);
    let apple = schema(&doc, "AppleAuthRequest");
    assert_eq!(apple["display_name"]["maxLength"], 128);
}

#[tokio::test]
async fn the_consent_header_is_a_required_enum_of_the_accepted_spellings() {
    let doc = document().await;
    for path in AI_ROUTES {
        let params = doc["paths"][path]["post"]["parameters"].as_array().unwrap();
        let consent = params
            .iter()
            .find(|p| p["name"] == "X-Offload-Cloud-Opt-In")
            .unwrap_or_else(|| panic!("{path} documents the consent header"));
        assert_eq!(consent["in"], "header");
        assert_eq!(consent["required"], true);
        let values = consent["schema"]["enum"].as_array().unwrap();
        assert_eq!(values.len(), 16, "every letter case of `true`");
        for v in ["true", "TRUE", "True", "tRuE"] {
            assert!(values.contains(&Value::from(v)), "{v}");
        }
    }
}

#[tokio::test]
async fn every_status_a_route_answers_is_documented() {
    let doc = document().await;
    for path in AI_ROUTES {
        assert_eq!(
            statuses(&doc, path),
            [
                "200", "401", "403", "413", "422", "429", "500", "502", "503", "504"
            ],
            "{path}"
        );
    }
    assert_eq!(
        statuses(&doc, "/v1/usage/reconcile"),
        ["200", "401", "403", "413", "422", "429", "500", "503"]
    );
    assert_eq!(
        statuses(&doc, "/v1/sessions/anonymous"),
        ["200", "413", "422", "429", "500", "503"]
    );
    assert_eq!(
        statuses(&doc, "/v1/auth/apple"),
        ["200", "401", "413", "422", "500", "503"]
    );
}

#[tokio::test]
async fn the_document_matches_its_snapshot() {
    let doc = document().await;
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/snapshots/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &pretty).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == pretty,
        "the OpenAPI document changed; review it and run with UPDATE_SNAPSHOTS=1 to accept:\n{pretty}"
    );
}
