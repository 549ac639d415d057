//! Assembling the router: one route list for the router and the OpenAPI document, fallbacks,
//! docs, and the middleware stack (`platform::observe` outermost, then the error envelope).

use axum::{Router, middleware, routing::get};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    http::{
        envelope::{envelope, panic_response},
        fallback,
    },
    openapi::{self, ApiDoc},
    routes::{ai, apple, health, ops, sessions, usage},
    state::AppState,
};

/// Every documented route: the router and the OpenAPI document ([`openapi::openapi`]) both come
/// from this list, so a route cannot be served undocumented or documented unserved.
pub fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(sessions::create))
        .routes(routes!(apple::sign_in))
        .routes(routes!(ai::breakdown))
        .routes(routes!(ai::braindump))
        .routes(routes!(ai::decide))
        .routes(routes!(ai::execfunction))
        .routes(routes!(ai::draft))
        .routes(routes!(usage::reconcile))
}

pub fn router(state: AppState) -> Router {
    // Install the Prometheus recorder before the first request is counted.
    let _ = platform::observe::metrics_handle();
    let docs = state.config.docs_enabled;
    let (routes, doc) = documented_routes().split_for_parts();
    // Operations endpoints are served but not part of the API document.
    let mut app = routes
        .route("/metrics", get(ops::metrics))
        .with_state(state);
    if docs {
        app = app.merge(SwaggerUi::new("/docs").url("/openapi.json", openapi::complete(doc)));
    }
    layered(
        app.method_not_allowed_fallback(fallback::method_not_allowed)
            .fallback(fallback::not_found),
    )
}

/// The middleware stack every response goes through: request id, access log and metrics
/// outermost, then the error envelope, then the panic catcher (so that a panic's 500 is
/// enveloped with the request id like any other error).
pub fn layered(router: Router) -> Router {
    router
        .layer(platform::panic::catch_panic(panic_response))
        .layer(middleware::from_fn(envelope))
        .layer(middleware::from_fn(platform::observe::observe))
}
