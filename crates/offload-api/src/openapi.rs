//! The OpenAPI document served at `/openapi.json` (Swagger UI at `/docs`).

use utoipa::{
    Modify, OpenApi,
    openapi::{
        RefOr, Required,
        schema::{Array, ArrayBuilder, ObjectBuilder, Schema, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::routes;

/// The consent header of the AI routes.
pub const CONSENT_HEADER: &str = "X-Offload-Cloud-Opt-In";

fn strings(min_len: usize, max_len: usize, max_items: usize) -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(min_len))
                .max_length(Some(max_len)),
        )
        .max_items(Some(max_items))
        .build()
}

/// `context_hints`: at most 32 strings of 1–280 characters.
pub fn context_hints() -> Array {
    strings(1, 280, 32)
}

/// `template_ids`: at most 32 strings of 1–128 characters.
pub fn template_ids() -> Array {
    strings(1, 128, 32)
}

/// Every spelling the server accepts: `true` compared case-insensitively (16 casings).
pub fn consent_values() -> Vec<String> {
    (0..16u8)
        .map(|mask| {
            "true"
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if mask & (1 << i) != 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect()
}

/// The consent header is required and an enum of its accepted values (utoipa's `params` only
/// describe it as a free string).
struct ConsentHeader;

impl Modify for ConsentHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let schema = Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(consent_values()))
                .build(),
        );
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.post, &mut item.get].into_iter().flatten() {
                for param in op.parameters.iter_mut().flatten() {
                    if let RefOr::T(param) = param
                        && param.name == CONSENT_HEADER
                    {
                        param.required = Required::True;
                        param.schema = Some(RefOr::T(schema.clone()));
                    }
                }
            }
        }
    }
}

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
    modifiers(&BearerAuth, &ConsentHeader)
)]
pub struct ApiDoc;
