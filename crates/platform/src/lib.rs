//! platform: the plumbing both servers share, so that they do not drift apart on the boring parts.
//!
//! * [`config`] — settings from defaults, an optional TOML file and `PREFIX_*` environment variables.
//! * [`telemetry`] — JSON or pretty logs; [`observe`] — request ids, access log lines and
//!   Prometheus metrics per route template (never query strings, headers or bodies).
//! * [`panic`] — a panicking handler answers the service's 500 (payload never logged) and the
//!   server keeps serving.
//! * [`client_ip`] — the caller's address, believing `X-Forwarded-For` only from trusted proxies.
//! * [`clock`] — "now", injectable: the system clock, or a manual one tests set and advance.
//! * [`timefmt`] — the two wire formats for instants the originals use.
//! * [`jwks`] — RS256 ID-token verification against a cached JWKS (Google, Apple).
//! * [`secrets`] — secrets generated once and kept in the data directory.
//! * [`shutdown`] — a future that resolves on SIGINT/SIGTERM.
//! * [`instance`] — which process this is, so claims left in the database by a dead one are seen.

pub mod client_ip;
pub mod clock;
pub mod config;
pub mod instance;
pub mod jwks;
pub mod observe;
pub mod panic;
pub mod secrets;
pub mod shutdown;
pub mod telemetry;
pub mod timefmt;
