//! Test databases: a fresh, migrated database per test on the engine the environment selects.
//!
//! With `TEST_DATABASE_URL` set (a PostgreSQL server URL), each [`TestDb`] creates its own
//! database on that server and drops it afterwards; otherwise it is a SQLite file in a temporary
//! directory. Running the same suite twice — once without and once with the variable — covers
//! both engines with the same tests.

use std::str::FromStr;

use sqlx::{Connection, Executor, PgConnection, postgres::PgConnectOptions};

use crate::{Db, DbOptions, Engine, Migrations};

/// The engine the test environment asks for.
pub fn selected_engine() -> Engine {
    if postgres_url().is_some() {
        Engine::Postgres
    } else {
        Engine::Sqlite
    }
}

fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A migrated database that disappears when dropped.
pub struct TestDb {
    pub db: Db,
    /// The URL a second process (or a second `Db`) can open the same database with.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin: Box<PgConnectOptions>,
        name: String,
    },
}

impl TestDb {
    /// Create and migrate a fresh database. Panics on failure (tests only).
    pub async fn new(migrations: Migrations) -> TestDb {
        let opts = DbOptions::default();
        match postgres_url() {
            Some(url) => {
                let admin = PgConnectOptions::from_str(&url)
                    .expect("TEST_DATABASE_URL must be a postgres:// URL");
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::connect_with(&admin)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let url = replace_database(&url, &name);
                let db = Db::connect(&url, migrations, &opts)
                    .await
                    .expect("migrate test database");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::Postgres {
                        admin: Box::new(admin),
                        name,
                    },
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.sqlite3").display());
                let db = Db::connect(&url, migrations, &opts)
                    .await
                    .expect("migrate test database");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                }
            }
        }
    }

    pub fn engine(&self) -> Engine {
        self.db.engine()
    }
}

/// Terminate this database's change-notice listeners ([`notices`](crate::notices)), as a cut
/// network would, waiting until each backend is gone; answers how many were cut (PostgreSQL).
pub async fn cut_notice_listeners(c: crate::Conn<'_>) -> Result<usize, sqlx::Error> {
    let cut = crate::fetch_all!(
        c,
        (bool,),
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
         WHERE application_name = $1 AND datname = current_database()",
        crate::notices::APPLICATION_NAME
    )?;
    Ok(cut.into_iter().filter(|(gone,)| *gone).count())
}

/// Swap the database name (the URL path) of a postgres URL.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin, name } = &self.cleanup {
            if std::env::var_os("TEST_KEEP_DB").is_some() {
                return;
            }
            let admin = PgConnectOptions::clone(admin);
            let name = name.clone();
            // Drop may run inside or outside a runtime; a thread with its own runtime works in both.
            let handle = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = conn.execute(sqlx::AssertSqlSafe(sql)).await;
                        let _ = conn.close().await;
                    }
                });
            });
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn replaces_the_database_name_and_keeps_the_query() {
        assert_eq!(
            replace_database(
                "postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable",
                "t_1"
            ),
            "postgres://u:p@127.0.0.1:5432/t_1?sslmode=disable"
        );
        assert_eq!(
            replace_database("postgres://u@localhost", "t_2"),
            "postgres://u@localhost/t_2"
        );
    }
}
