//! In-process HTTP tests of the Offload API (one binary, one module per area).

mod ai_routes;
mod apple;
mod check_order;
mod differences;
mod group_commit;
mod ios_client;
mod key_reload;
mod openapi;
mod operations;
mod operator;
mod panics;
mod providers;
mod quota;
mod rate_limits;
mod robustness;
mod sessions;
mod store_errors;
mod support;
mod usage;
