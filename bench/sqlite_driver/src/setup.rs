//! The benchmark's database: a temporary SQLite file in WAL mode with dbkit's pragmas, holding a
//! table shaped like MealFrame's `meals` (UUID blob key, indexed user id) seeded with many users'
//! rows, plus the SQL texts both drivers run (one text per query, `$N` placeholders, as in dbkit).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};
use uuid::Uuid;

pub const USERS: usize = 2_000;
pub const MEALS: usize = 50_000;

/// The per-connection pragmas of dbkit's SQLite handle (`crates/dbkit/src/db.rs`, `open_sqlite`):
/// synchronous NORMAL, foreign keys on, busy timeout = the default acquire timeout (10 s),
/// temp_store memory, a 16 MB page cache. The writer also sets `journal_mode = WAL`.
pub const PRAGMAS: &[(&str, &str)] = &[
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    ("busy_timeout", "10000"),
    ("temp_store", "memory"),
    ("cache_size", "-16000"),
];

const SCHEMA: &str = "
CREATE TABLE users (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
);
CREATE TABLE meals (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    name_key TEXT NOT NULL,
    portion_description TEXT NOT NULL CHECK (length(portion_description) >= 1),
    calories_kcal INTEGER CHECK (calories_kcal BETWEEN 0 AND 999999),
    protein_dg INTEGER CHECK (protein_dg BETWEEN 0 AND 999999),
    notes TEXT,
    source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'ai_capture')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ix_meals_user_name ON meals (user_id, name_key);
CREATE INDEX ix_meals_user_created ON meals (user_id, created_at, id);
";

/// A user's library page: up to 50 rows through `ix_meals_user_created`.
pub const Q_LIST: &str = "SELECT id, name, portion_description, calories_kcal, protein_dg, notes, \
     created_at, updated_at FROM meals WHERE user_id = $1 \
     ORDER BY created_at DESC, id DESC LIMIT 50";
/// One meal by primary key.
pub const Q_BY_ID: &str = "SELECT id, name, portion_description, calories_kcal, protein_dg, notes, \
     created_at, updated_at FROM meals WHERE id = $1";
/// A user's meal count, from the index alone.
pub const Q_COUNT: &str = "SELECT COUNT(*) FROM meals WHERE user_id = $1";
/// The one-row writes.
pub const W_CALORIES: &str = "UPDATE meals SET calories_kcal = $1, updated_at = $2 WHERE id = $3";
pub const W_PROTEIN: &str = "UPDATE meals SET protein_dg = $1, updated_at = $2 WHERE id = $3";

/// A meal row as both drivers decode it.
pub type MealRow = (
    Uuid,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

/// The ids the workloads pick from.
pub struct Dataset {
    pub users: Vec<Uuid>,
    pub meals: Vec<Uuid>,
}

/// Apply dbkit's pragmas to a rusqlite connection.
pub fn apply_pragmas(c: &Connection) -> rusqlite::Result<()> {
    for (name, value) in PRAGMAS {
        c.pragma_update(None, name, value)?;
    }
    Ok(())
}

/// Open a rusqlite connection the way dbkit opens its sqlx ones: read-write (creating the file)
/// for the writer, read-only for readers.
pub fn open_rusqlite(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let c = Connection::open_with_flags(path, flags)?;
    if !read_only {
        let mode: String = c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        assert_eq!(mode, "wal", "the database must be in WAL mode");
    }
    apply_pragmas(&c)?;
    Ok(c)
}

/// Create the schema and seed `MEALS` meals over `USERS` users in one transaction.
pub fn create(path: &Path) -> rusqlite::Result<Dataset> {
    let mut c = open_rusqlite(path, false)?;
    c.execute_batch(SCHEMA)?;
    let users: Vec<Uuid> = (0..USERS).map(|_| Uuid::now_v7()).collect();
    let mut meals = Vec::with_capacity(MEALS);
    let tx = c.transaction()?;
    {
        let mut add_user = tx.prepare("INSERT INTO users (id, email) VALUES ($1, $2)")?;
        for (i, u) in users.iter().enumerate() {
            add_user.execute(params![u, format!("user{i}@example.test")])?;
        }
        let mut add_meal = tx.prepare(
            "INSERT INTO meals (id, user_id, name, name_key, portion_description, calories_kcal, \
             protein_dg, notes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )?;
        let base = 1_767_225_600_000_000_i64; // 2026-01-01 in µs, like dbkit's Timestamp
        for i in 0..MEALS {
            let id = Uuid::now_v7();
            let name = format!("Meal number {i} with lentils");
            let notes = (i % 2 == 0).then(|| format!("Notes for meal {i}: cook slowly."));
            add_meal.execute(params![
                id,
                users[i % USERS],
                name,
                name.to_lowercase(),
                "1 bowl (350 g)",
                (i % 1200) as i64,
                (i % 900) as i64,
                notes,
                base + i as i64 * 1_000_000,
            ])?;
            meals.push(id);
        }
    }
    tx.commit()?;
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(Dataset { users, meals })
}
