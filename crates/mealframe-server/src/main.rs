//! The `mealframe` command: `serve` (default), `migrate`, and account administration.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mealframe_core::{email::Email, password::NewPassword};
use mealframe_server::{accounts, config::Settings, open_db};
use mealframe_store::accounts::users::{self, AuthProvider, NewUser};

#[derive(Parser)]
#[command(
    name = "mealframe",
    version,
    about = "MealFrame: a self-hosted meal-plan executor"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    #[command(after_help = SERVE_HELP)]
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 to be reachable from a phone on the same
        /// network [env: MEALFRAME_ADDR; default 127.0.0.1:8080]
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<String>,
        /// Where the SQLite database and generated keys live [env: MEALFRAME_DATA_DIR; default
        /// ./mealframe-data]
        #[arg(long, value_name = "DIR")]
        data_dir: Option<std::path::PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// AI use per account in a calendar month (UTC): model calls, tokens and the estimated cost,
    /// costliest first. Counts only, never content.
    Usage {
        /// The month, e.g. 2026-11 [default: this month]
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an e-mail/password account. Without --password one is generated and printed.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
        /// Mark the address as verified (no e-mail confirmation needed).
        #[arg(long)]
        verified: bool,
    },
    /// List accounts.
    List,
    /// Set a new password (ends every session of the account).
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
    },
}

/// The settings `serve --help` lists (all of them are in the README).
const SERVE_HELP: &str = "\
Settings come from environment variables (or a TOML file named by MEALFRAME_CONFIG, see
deploy/mealframe.example.toml); flags above win over both. The most used:
  MEALFRAME_ADDR               address to listen on (127.0.0.1:8080)
  MEALFRAME_DATA_DIR           data directory (./mealframe-data)
  MEALFRAME_DATABASE_URL       postgres://… to use PostgreSQL instead of SQLite
  MEALFRAME_PUBLIC_URL         the URL people open, e.g. https://meals.example.org
  MEALFRAME_SMTP_URL           mail relay (or MEALFRAME_RESEND_API_KEY, MEALFRAME_MAIL_DIR)
  MEALFRAME_OPENAI_API_KEY     AI capture (and MEALFRAME_OPENAI_BASE_URL, _OPENAI_MODEL)
  MEALFRAME_GROCERY_AI         true: the AI reads grocery lines the parser cannot
  MEALFRAME_LOG_FORMAT         auto (pretty on a terminal, else json) | pretty | json
  MEALFRAME_LOG_LEVEL          info, debug, …

On a phone, installing the app and using it offline need HTTPS: put a reverse proxy in front
(deploy/Caddyfile) and set MEALFRAME_PUBLIC_URL to its https:// address.";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = Settings::load().map(|mut s| {
        if let Some(Command::Serve { addr, data_dir }) = &cli.command {
            if let Some(a) = addr {
                s.addr = a.clone();
            }
            if let Some(d) = data_dir {
                s.data_dir = d.clone();
            }
        }
        s
    });
    let config = match settings.and_then(Settings::validate) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    platform::telemetry::init(config.log_format, &config.log_level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve {
            addr: None,
            data_dir: None,
        }) {
            Command::Serve { .. } => mealframe_server::serve(config).await,
            Command::Migrate => {
                std::fs::create_dir_all(&config.data_dir).map_err(|e| e.to_string())?;
                let db = open_db(&config).await?;
                db.close().await;
                println!("database is up to date");
                Ok(())
            }
            Command::User(cmd) => user_command(config, cmd).await,
            Command::Usage { month } => usage_command(config, month).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn password_or_generated(given: Option<String>) -> Result<(String, bool), String> {
    match given {
        Some(p) => NewPassword::parse(&p)
            .map(|_| (p, false))
            .map_err(|_| "the password must have 8 to 128 characters".to_owned()),
        None => Ok((platform::secrets::random_token(12), true)),
    }
}

async fn user_command(
    config: mealframe_server::config::Config,
    cmd: UserCommand,
) -> Result<(), String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| e.to_string())?;
    let db = open_db(&config).await?;
    let now = dbkit::Timestamp::now();
    let result = match cmd {
        UserCommand::Create {
            email,
            password,
            verified,
        } => {
            let email = Email::parse(&email).map_err(|e| format!("not an e-mail address: {e}"))?;
            let (password, generated) = password_or_generated(password)?;
            let hash = accounts::passwords::hash(password.clone()).await?;
            let mut tx = db.begin().await.map_err(|e| e.to_string())?;
            let new = NewUser {
                email: email.as_str(),
                email_key: email.key(),
                password_hash: Some(&hash),
                email_verified: verified,
                auth_provider: AuthProvider::Email,
                google_sub: None,
            };
            let user = users::insert(&mut tx.conn(), &new, now)
                .await
                .map_err(|e| {
                    if e.is_unique_violation() {
                        "an account with that e-mail address exists".to_owned()
                    } else {
                        e.to_string()
                    }
                })?;
            tx.commit().await.map_err(|e| e.to_string())?;
            println!("created {} ({})", user.email, user.id);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserCommand::List => {
            let mut r = db.reader().await.map_err(|e| e.to_string())?;
            let all = users::list(&mut r.conn())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{:<36}  {:<32}  {:<8}  {:<6}  {:<7}  created",
                "id", "email", "verified", "auth", "active"
            );
            for u in all {
                println!(
                    "{:<36}  {:<32}  {:<8}  {:<6}  {:<7}  {}",
                    u.id.to_string(),
                    u.email,
                    u.email_verified,
                    u.auth_provider.as_str(),
                    u.is_active,
                    platform::timefmt::rfc3339_seconds(u.created_at.into_inner())
                );
            }
            Ok(())
        }
        UserCommand::SetPassword { email, password } => {
            let key = mealframe_core::email::key_of(&email);
            let (password, generated) = password_or_generated(password)?;
            let hash = accounts::passwords::hash(password.clone()).await?;
            let mut tx = db.begin().await.map_err(|e| e.to_string())?;
            let user = users::by_email_key(&mut tx.conn(), &key)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("no account with that e-mail address")?;
            users::set_password_hash(&mut tx.conn(), user.id, &hash, now)
                .await
                .map_err(|e| e.to_string())?;
            mealframe_store::accounts::tokens::revoke_all_refresh(
                &mut tx.conn(),
                user.id,
                mealframe_store::accounts::tokens::RevokeReason::Password,
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
            mealframe_store::accounts::sessions::delete_all(&mut tx.conn(), user.id, None)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            println!("password set for {}", user.email);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
    };
    db.close().await;
    result
}

/// The first instant of `month` ("YYYY-MM") and of the month after it.
fn month_bounds(month: &str) -> Result<(time::OffsetDateTime, time::OffsetDateTime), String> {
    let bad = || format!("--month: expected YYYY-MM, got {month:?}");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let month = time::Month::try_from(m).map_err(|_| bad())?;
    let first = time::Date::from_calendar_date(year, month, 1).map_err(|_| bad())?;
    let (start, next) = mealframe_core::planning::calendar::month_span(first);
    Ok((start.midnight().assume_utc(), next.midnight().assume_utc()))
}

async fn usage_command(
    config: mealframe_server::config::Config,
    month: Option<String>,
) -> Result<(), String> {
    let month = month.unwrap_or_else(|| {
        let now = time::OffsetDateTime::now_utc();
        format!("{:04}-{:02}", now.year(), u8::from(now.month()))
    });
    let (since, until) = month_bounds(&month)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| e.to_string())?;
    let db = open_db(&config).await?;
    let rows = {
        let mut r = db.reader().await.map_err(|e| e.to_string())?;
        mealframe_store::ai_usage::totals_by_user(&mut r.conn(), since.into(), until.into())
            .await
            .map_err(|e| e.to_string())?
    };
    db.close().await;
    println!("AI use in {month} (UTC), costliest first");
    println!(
        "{:<32}  {:>6}  {:>12}  {:>12}  {:>10}",
        "email", "calls", "tokens in", "tokens out", "est. USD"
    );
    for (_, email, t) in &rows {
        println!(
            "{:<32}  {:>6}  {:>12}  {:>12}  {:>10.4}",
            email,
            t.calls,
            t.tokens_prompt,
            t.tokens_completion,
            t.cost_micro_usd as f64 / 1e6
        );
    }
    let total: i64 = rows.iter().map(|r| r.2.cost_micro_usd).sum();
    let calls: i64 = rows.iter().map(|r| r.2.calls).sum();
    println!(
        "{} account(s), {calls} call(s), {:.4} USD estimated (calls of models without a known price count 0)",
        rows.len(),
        total as f64 / 1e6
    );
    Ok(())
}
