//! The OpenAPI document served at `/openapi.json` (Swagger UI at `/docs`). Its paths come from
//! the route list that also builds the router ([`crate::app::documented_routes`], utoipa-axum's
//! `OpenApiRouter` as in MealFrame); this module adds what is not in the handlers' annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::{
        RefOr, Required,
        schema::{Array, ArrayBuilder, ObjectBuilder, Schema, Type},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::{app, routes};

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
/// describe it as a free string). Applied after the routes are in (see [`complete`]).
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

/// The document's frame: info, the error envelope and the bearer scheme; the paths and their
/// schemas are added by the route list.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Offload API",
        description = "Privacy-first AI gateway of the Offload iOS app. Wire-compatible with the original Offload backend."
    ),
    components(schemas(routes::ErrorEnvelope, routes::ErrorBody)),
    modifiers(&BearerAuth)
)]
pub(crate) struct ApiDoc;

/// Finish a document assembled from the route list: the fixes that need its paths.
pub(crate) fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    ConsentHeader.modify(&mut doc);
    doc
}

/// The OpenAPI document (also served at `/openapi.json` unless `OFFLOAD_DOCS_ENABLED=false`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    complete(app::documented_routes().split_for_parts().1)
}
