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
mod calendar_feed;
mod captures;
mod hardening;
mod isolation;
mod library_capture;
mod library_csv;
mod library_meal_times;
mod library_meal_types;
mod library_meals;
mod library_templates;
mod library_week_plans;
mod planning_days;
mod planning_generate;
mod planning_grocery;
mod planning_slots;
mod planning_stats;
mod planning_support;
mod planning_today;
mod planning_view_cache;
mod platform;
mod platform_idempotency;
mod reminders;
mod web_pages;
mod web_today_week;
