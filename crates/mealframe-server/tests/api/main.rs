//! HTTP tests of the `mealframe` server, in process, on SQLite — or PostgreSQL when
//! `TEST_DATABASE_URL` is set. One test binary (one link) with a module per area.

mod helpers;

mod accounts_google;
mod accounts_login;
mod accounts_mail;
mod accounts_password;
mod accounts_profile;
mod accounts_register;
mod accounts_tokens;
mod planning_support;
mod platform;
