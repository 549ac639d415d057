//! The OpenAPI document served at `/openapi.json` (Swagger UI at `/docs`).

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::routes;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Offload API",
        description = "Privacy-first AI gateway of the Offload iOS app. Wire-compatible with the original Offload backend."
    ),
    paths(
        routes::health::health,
        routes::sessions::create,
        routes::apple::sign_in,
        routes::ai::breakdown,
        routes::ai::braindump,
        routes::ai::decide,
        routes::ai::execfunction,
        routes::ai::draft,
        routes::usage::reconcile,
    ),
    components(schemas(routes::ErrorEnvelope, routes::ErrorBody)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;
