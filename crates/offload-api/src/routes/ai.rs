//! The five AI routes on one envelope, in the order of spec §1.5:
//!
//! 1. JSON syntax (422) and the byte cap (413);
//! 2. bearer token (401);
//! 3. consent (403);
//! 4. quota gate (429 `quota_exceeded`);
//! 5. body schema (422);
//! 6. AI rate limit (429; the slot is used even if a later step refuses);
//! 7. content size in code points (413);
//! 8. reserve a quota unit (pool features) and call the provider (502/503/504; the unit is
//!    given back);
//! 9. shape the output (502 `provider_invalid_response`; the unit is given back);
//! 10. settle the unit into a count, or count the call for features outside the pool.
//!
//! Nothing of the request or the model's answer is logged: the log line and the metrics carry the
//! provider, feature, outcome, latency and token counts.

use std::time::Instant;

use ai_providers::{ChatRequest, ContentPart};
use axum::{
    Json,
    extract::{Request, State},
};
use dbkit::{Db, Timestamp};
use serde_json::Value;

use crate::{
    ai::{
        AiMeta, Operation, Usage,
        braindump::{Braindump, BraindumpRequest, BraindumpResponse},
        breakdown::{Breakdown, BreakdownRequest, BreakdownResponse},
        decide::{Decide, DecideRequest, DecideResponse},
        draft::{Draft, DraftRequest, DraftResponse},
        execfunction::{ExecFunction, ExecFunctionRequest, ExecFunctionResponse},
    },
    auth::bearer,
    error::ApiError,
    http::{
        body, consent,
        limits::{self, Admission, Limiter, Then},
    },
    model::ids::{Feature, InstallId},
    state::AppState,
    store::{
        StoreError,
        group_commit::{Committer, Settle},
        tokens::{self, Spent},
        usage::{self, Period, ReservationId, Room},
    },
};

/// A quota unit taken before the provider call. Unless settled, it is given back — also when the
/// request is dropped mid-call (client gone), from a spawned task. If the process dies first,
/// the reservation expires by itself.
struct Reservation {
    held: Option<Held>,
}

struct Held {
    db: Db,
    commits: Committer,
    install: InstallId,
    period: Period,
    id: ReservationId,
}

impl Reservation {
    fn none() -> Reservation {
        Reservation { held: None }
    }

    /// Turn the unit into a count of `feature`.
    async fn settle(
        mut self,
        feature: Feature,
        spent: Spent,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        match self.held.take() {
            Some(h) => {
                h.commits
                    .settle(Settle {
                        install: h.install,
                        period: h.period,
                        feature,
                        id: h.id,
                        spent,
                        now,
                    })
                    .await
            }
            None => Ok(()),
        }
    }

    async fn give_back(mut self) {
        if let Some(held) = self.held.take() {
            release(held).await;
        }
    }
}

async fn release(h: Held) {
    if let Err(e) = usage::release(&h.db, &h.install, &h.period, &h.id).await {
        tracing::error!(error = %e, "quota_release_failed");
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(held) = self.held.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(release(held));
        }
    }
}

fn record(provider: &str, feature: Feature, outcome: &'static str, elapsed: std::time::Duration) {
    let labels = [
        ("provider", provider.to_owned()),
        ("feature", feature.key().to_owned()),
        ("outcome", outcome.to_owned()),
    ];
    metrics::counter!("offload_provider_calls_total", &labels).increment(1);
    metrics::histogram!("offload_provider_call_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
}

/// Add a paid call's tokens to the operator's totals when the call is not counted (its answer
/// was rejected, or counting it failed); best effort, the call fails anyway.
async fn record_paid(state: &AppState, install: &InstallId, feature: Feature, spent: Spent) {
    let now = state.clock.now().into();
    if let Err(e) = tokens::add(&state.db, install, feature, spent, now).await {
        tracing::warn!(error = %e, "token totals not recorded");
    }
}

/// The shared envelope of every AI route.
pub async fn handle<Op: Operation>(
    state: AppState,
    req: Request,
) -> Result<Json<Op::Response>, ApiError> {
    let (parts, raw) = req.into_parts();
    let cfg = state.config.clone();
    // 1.
    let raw = body::read(&parts.headers, raw, cfg.max_body_bytes, cfg.max_input_chars).await?;
    // 2.
    let session = bearer::authenticate(&state, &parts.headers)?;
    // 3.
    consent::require(&parts.headers)?;
    // 4.
    let now = state.clock.now();
    let period = Period::at(cfg.quota_period, now);
    let quota_full = || ApiError::QuotaExceeded {
        retry_after: usage::seconds_until_reset(cfg.quota_period, now),
    };
    match usage::pool(&state.db, &session.install_id, &period, now.into())
        .await?
        .room(cfg.quota)
    {
        Room::Free => {}
        Room::Exhausted => return Err(quota_full()),
        Room::Busy => return Err(ApiError::QuotaBusy),
    }
    // 5.
    let request: Op::Request = raw.parse()?;
    if !Op::validate(&request) {
        return Err(ApiError::Validation);
    }
    // 6.–8. one transaction: the rate-limit slots, then the size check, then the reservation.
    let ip = limits::client_ip(&state, &parts.extensions, &parts.headers);
    let too_large = Op::content_chars(&request) > cfg.max_input_chars;
    let then = if too_large {
        Then::TooLarge
    } else if Op::FEATURE.counts_toward_pool() {
        Then::Reserve {
            period: period.clone(),
            feature: Op::FEATURE,
            quota: cfg.quota,
            expires_at: usage::expiry(now, cfg.reservation_ttl).into(),
        }
    } else {
        Then::Nothing
    };
    let admission =
        limits::admit(&state, Limiter::Inference, ip, &session.install_id, then).await?;
    let reservation = match admission {
        Admission::Throttled(t) => {
            tracing::info!(
                dimension = t.dimension,
                retry_after_seconds = t.retry_after,
                install_id_hash = %session.install_id.log_hash(),
                "ai_inference_throttled"
            );
            return Err(ApiError::InferenceRateLimited {
                retry_after: t.retry_after,
            });
        }
        Admission::TooLarge => {
            return Err(ApiError::RequestTooLarge {
                max_chars: cfg.max_input_chars,
            });
        }
        Admission::QuotaFull => return Err(quota_full()),
        Admission::QuotaBusy => return Err(ApiError::QuotaBusy),
        Admission::Reserved(id) => Reservation {
            held: Some(Held {
                db: state.db.clone(),
                commits: state.commits.clone(),
                install: session.install_id.clone(),
                period: period.clone(),
                id,
            }),
        },
        Admission::Admitted => Reservation::none(),
        Admission::Reconciled(_) | Admission::TooManyFeatures => {
            return Err(ApiError::Internal("admission"));
        }
    };
    let chat = ChatRequest {
        system: Op::system_prompt().to_owned(),
        user: vec![ContentPart::Text(
            serde_json::to_string(&request).map_err(|_| ApiError::Internal("encode"))?,
        )],
        json_mode: true,
        max_tokens: Some(Op::MAX_TOKENS),
        model: None,
    };
    drop(request);
    let backend = state.provider.current();
    let provider = backend.name().to_owned();
    let started = Instant::now();
    let result = backend.chat(&chat).await;
    let elapsed = started.elapsed();
    drop(chat);
    let answer = match result {
        Ok(answer) => answer,
        Err(e) => {
            reservation.give_back().await;
            record(&provider, Op::FEATURE, e.class(), elapsed);
            tracing::info!(
                provider = %provider,
                feature = Op::FEATURE.key(),
                outcome = e.class(),
                provider_latency_ms = elapsed.as_millis() as u64,
                "ai_call"
            );
            return Err(ApiError::Provider(e));
        }
    };
    // With failover, the provider that answered.
    let provider = if answer.provider.is_empty() {
        provider
    } else {
        answer.provider.clone()
    };
    let usage = Usage {
        input_tokens: answer.usage.input_tokens,
        output_tokens: answer.usage.output_tokens,
    };
    metrics::counter!("offload_provider_tokens_total", "provider" => provider.clone(), "direction" => "input")
        .increment(usage.input_tokens);
    metrics::counter!("offload_provider_tokens_total", "provider" => provider.clone(), "direction" => "output")
        .increment(usage.output_tokens);
    let meta = AiMeta {
        provider: provider.clone(),
        latency_ms: elapsed.as_millis() as u64,
        usage,
    };
    // 9.
    let shaped = serde_json::from_str::<Value>(&answer.text)
        .ok()
        .filter(Value::is_object)
        .and_then(|model| Op::shape(&model, meta));
    drop(answer);
    let outcome = if shaped.is_some() {
        "ok"
    } else {
        "invalid_output"
    };
    record(&provider, Op::FEATURE, outcome, elapsed);
    tracing::info!(
        provider = %provider,
        feature = Op::FEATURE.key(),
        outcome,
        provider_latency_ms = elapsed.as_millis() as u64,
        input_tokens = usage.input_tokens,
        output_tokens = usage.output_tokens,
        "ai_call"
    );
    let spent = Spent {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
    };
    let Some(response) = shaped else {
        reservation.give_back().await;
        // Not counted, but the provider was paid: the operator's totals say so.
        record_paid(&state, &session.install_id, Op::FEATURE, spent).await;
        return Err(ApiError::ProviderOutput);
    };
    // 10.
    if Op::FEATURE.counts_toward_pool() {
        let now = state.clock.now().into();
        if let Err(e) = reservation.settle(Op::FEATURE, spent, now).await {
            // Not counted (the hold expires by itself), but the provider was paid.
            record_paid(&state, &session.install_id, Op::FEATURE, spent).await;
            return Err(e.into());
        }
    } else {
        let now = state.clock.now().into();
        usage::increment(
            &state.db,
            &session.install_id,
            &period,
            Op::FEATURE,
            spent,
            now,
        )
        .await?;
    }
    Ok(Json(response))
}

#[utoipa::path(post, path = "/v1/ai/breakdown/generate", tag = "ai",
    request_body = BreakdownRequest, security(("bearer" = [])),
    params(("X-Offload-Cloud-Opt-In" = String, Header, description = "`true`, in any letter case; anything else or nothing → 403 `consent_required`")),
    responses((status = 200, body = BreakdownResponse),
              (status = 401, description = "unauthorized, invalid_token, expired_token", body = super::ErrorEnvelope),
              (status = 403, description = "consent_required", body = super::ErrorEnvelope),
              (status = 413, description = "request_too_large (body bytes, or characters over OFFLOAD_MAX_INPUT_CHARS)", body = super::ErrorEnvelope),
              (status = 422, description = "validation_error", body = super::ErrorEnvelope),
              (status = 429, description = "quota_exceeded, inference_rate_limited (with Retry-After)", body = super::ErrorEnvelope),
              (status = 500, description = "internal_error", body = super::ErrorEnvelope),
              (status = 502, description = "provider_request_failed, provider_invalid_response", body = super::ErrorEnvelope),
              (status = 503, description = "provider_unavailable; quota_busy when the rest of the quota is held by calls in flight, service_unavailable when the database is out of reach (both with Retry-After)", body = super::ErrorEnvelope),
              (status = 504, description = "provider_timeout", body = super::ErrorEnvelope)))]
pub async fn breakdown(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<BreakdownResponse>, ApiError> {
    handle::<Breakdown>(state, req).await
}

#[utoipa::path(post, path = "/v1/ai/braindump/compile", tag = "ai",
    request_body = BraindumpRequest, security(("bearer" = [])),
    params(("X-Offload-Cloud-Opt-In" = String, Header, description = "`true`, in any letter case; anything else or nothing → 403 `consent_required`")),
    responses((status = 200, body = BraindumpResponse),
              (status = 401, description = "unauthorized, invalid_token, expired_token", body = super::ErrorEnvelope),
              (status = 403, description = "consent_required", body = super::ErrorEnvelope),
              (status = 413, description = "request_too_large (body bytes, or characters over OFFLOAD_MAX_INPUT_CHARS)", body = super::ErrorEnvelope),
              (status = 422, description = "validation_error", body = super::ErrorEnvelope),
              (status = 429, description = "quota_exceeded, inference_rate_limited (with Retry-After)", body = super::ErrorEnvelope),
              (status = 500, description = "internal_error", body = super::ErrorEnvelope),
              (status = 502, description = "provider_request_failed, provider_invalid_response", body = super::ErrorEnvelope),
              (status = 503, description = "provider_unavailable; quota_busy when the rest of the quota is held by calls in flight, service_unavailable when the database is out of reach (both with Retry-After)", body = super::ErrorEnvelope),
              (status = 504, description = "provider_timeout", body = super::ErrorEnvelope)))]
pub async fn braindump(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<BraindumpResponse>, ApiError> {
    handle::<Braindump>(state, req).await
}

#[utoipa::path(post, path = "/v1/ai/decide/recommend", tag = "ai",
    request_body = DecideRequest, security(("bearer" = [])),
    params(("X-Offload-Cloud-Opt-In" = String, Header, description = "`true`, in any letter case; anything else or nothing → 403 `consent_required`")),
    responses((status = 200, body = DecideResponse),
              (status = 401, description = "unauthorized, invalid_token, expired_token", body = super::ErrorEnvelope),
              (status = 403, description = "consent_required", body = super::ErrorEnvelope),
              (status = 413, description = "request_too_large (body bytes, or characters over OFFLOAD_MAX_INPUT_CHARS)", body = super::ErrorEnvelope),
              (status = 422, description = "validation_error", body = super::ErrorEnvelope),
              (status = 429, description = "quota_exceeded, inference_rate_limited (with Retry-After)", body = super::ErrorEnvelope),
              (status = 500, description = "internal_error", body = super::ErrorEnvelope),
              (status = 502, description = "provider_request_failed, provider_invalid_response", body = super::ErrorEnvelope),
              (status = 503, description = "provider_unavailable; quota_busy when the rest of the quota is held by calls in flight, service_unavailable when the database is out of reach (both with Retry-After)", body = super::ErrorEnvelope),
              (status = 504, description = "provider_timeout", body = super::ErrorEnvelope)))]
pub async fn decide(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<DecideResponse>, ApiError> {
    handle::<Decide>(state, req).await
}

#[utoipa::path(post, path = "/v1/ai/executive-function/prompt", tag = "ai",
    request_body = ExecFunctionRequest, security(("bearer" = [])),
    params(("X-Offload-Cloud-Opt-In" = String, Header, description = "`true`, in any letter case; anything else or nothing → 403 `consent_required`")),
    responses((status = 200, body = ExecFunctionResponse),
              (status = 401, description = "unauthorized, invalid_token, expired_token", body = super::ErrorEnvelope),
              (status = 403, description = "consent_required", body = super::ErrorEnvelope),
              (status = 413, description = "request_too_large (body bytes, or characters over OFFLOAD_MAX_INPUT_CHARS)", body = super::ErrorEnvelope),
              (status = 422, description = "validation_error", body = super::ErrorEnvelope),
              (status = 429, description = "quota_exceeded, inference_rate_limited (with Retry-After)", body = super::ErrorEnvelope),
              (status = 500, description = "internal_error", body = super::ErrorEnvelope),
              (status = 502, description = "provider_request_failed, provider_invalid_response", body = super::ErrorEnvelope),
              (status = 503, description = "provider_unavailable; quota_busy when the rest of the quota is held by calls in flight, service_unavailable when the database is out of reach (both with Retry-After)", body = super::ErrorEnvelope),
              (status = 504, description = "provider_timeout", body = super::ErrorEnvelope)))]
pub async fn execfunction(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<ExecFunctionResponse>, ApiError> {
    handle::<ExecFunction>(state, req).await
}

#[utoipa::path(post, path = "/v1/ai/communication/draft", tag = "ai",
    request_body = DraftRequest, security(("bearer" = [])),
    params(("X-Offload-Cloud-Opt-In" = String, Header, description = "`true`, in any letter case; anything else or nothing → 403 `consent_required`")),
    responses((status = 200, body = DraftResponse),
              (status = 401, description = "unauthorized, invalid_token, expired_token", body = super::ErrorEnvelope),
              (status = 403, description = "consent_required", body = super::ErrorEnvelope),
              (status = 413, description = "request_too_large (body bytes, or characters over OFFLOAD_MAX_INPUT_CHARS)", body = super::ErrorEnvelope),
              (status = 422, description = "validation_error", body = super::ErrorEnvelope),
              (status = 429, description = "quota_exceeded, inference_rate_limited (with Retry-After)", body = super::ErrorEnvelope),
              (status = 500, description = "internal_error", body = super::ErrorEnvelope),
              (status = 502, description = "provider_request_failed, provider_invalid_response", body = super::ErrorEnvelope),
              (status = 503, description = "provider_unavailable; quota_busy when the rest of the quota is held by calls in flight, service_unavailable when the database is out of reach (both with Retry-After)", body = super::ErrorEnvelope),
              (status = 504, description = "provider_timeout", body = super::ErrorEnvelope)))]
pub async fn draft(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<DraftResponse>, ApiError> {
    handle::<Draft>(state, req).await
}
