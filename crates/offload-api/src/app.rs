//! Assembling the router: routes, fallbacks, docs, and the middleware stack
//! (`platform::observe` outermost, then the error envelope).

use axum::{
    Router, middleware,
    routing::{get, post},
};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    http::{envelope::envelope, fallback},
    openapi::ApiDoc,
    routes::{ai, apple, health, ops, sessions, usage},
    state::AppState,
};

pub fn router(state: AppState) -> Router {
    // Install the Prometheus recorder before the first request is counted.
    let _ = platform::observe::metrics_handle();
    let docs = state.config.docs_enabled;
    let mut app = Router::new()
        .route("/v1/health", get(health::health))
        .route("/v1/sessions/anonymous", post(sessions::create))
        .route("/v1/auth/apple", post(apple::sign_in))
        .route("/v1/ai/breakdown/generate", post(ai::breakdown))
        .route("/v1/ai/braindump/compile", post(ai::braindump))
        .route("/v1/ai/decide/recommend", post(ai::decide))
        .route("/v1/ai/executive-function/prompt", post(ai::execfunction))
        .route("/v1/ai/communication/draft", post(ai::draft))
        .route("/v1/usage/reconcile", post(usage::reconcile))
        .route("/metrics", get(ops::metrics))
        .with_state(state);
    if docs {
        app = app.merge(SwaggerUi::new("/docs").url("/openapi.json", ApiDoc::openapi()));
    }
    layered(
        app.method_not_allowed_fallback(fallback::method_not_allowed)
            .fallback(fallback::not_found),
    )
}

/// The middleware stack every response goes through: request id, access log and metrics
/// outermost, then the error envelope and panic catcher.
pub fn layered(router: Router) -> Router {
    router
        .layer(middleware::from_fn(envelope))
        .layer(middleware::from_fn(platform::observe::observe))
}
