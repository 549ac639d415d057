//! Errors raised by dbkit itself, and a portable classification of constraint violations.

/// Failure to open, migrate or use a database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL (expected sqlite://… or postgres://…)")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Which kind of integrity rule a failed statement broke, the same on both engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    Unique,
    ForeignKey,
    Check,
    NotNull,
}

/// Classify a sqlx error as a constraint violation, if it is one.
pub fn constraint_kind(err: &sqlx::Error) -> Option<ConstraintKind> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    match db.kind() {
        sqlx::error::ErrorKind::UniqueViolation => Some(ConstraintKind::Unique),
        sqlx::error::ErrorKind::ForeignKeyViolation => Some(ConstraintKind::ForeignKey),
        sqlx::error::ErrorKind::CheckViolation => Some(ConstraintKind::Check),
        sqlx::error::ErrorKind::NotNullViolation => Some(ConstraintKind::NotNull),
        // SQLite runs `ON DELETE/UPDATE RESTRICT` as a trigger that raises this message, so it
        // fails with SQLITE_CONSTRAINT_TRIGGER instead of SQLITE_CONSTRAINT_FOREIGNKEY (which
        // sqlx would classify); PostgreSQL reports it as an ordinary foreign-key violation.
        _ if db.code().as_deref() == Some(SQLITE_CONSTRAINT_TRIGGER)
            && db.message() == "FOREIGN KEY constraint failed" =>
        {
            Some(ConstraintKind::ForeignKey)
        }
        _ => None,
    }
}

/// SQLite's extended result code for a constraint raised by a trigger (`RAISE(ABORT, …)`).
const SQLITE_CONSTRAINT_TRIGGER: &str = "1811";
