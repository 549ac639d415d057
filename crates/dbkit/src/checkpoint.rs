//! WAL checkpoints for SQLite off the writer's path.
//!
//! By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
//! commit copies the pages into the database file and syncs it before it returns, and every
//! write queued behind the one writer connection waits meanwhile. Under a steady stream of small
//! commits that is a stall every few hundred milliseconds, and it is what the slowest requests
//! measure.
//!
//! So the writer's own checkpoint is moved to a backstop ([`WRITER_BACKSTOP_PAGES`]), and a task
//! watches the WAL-index (the `-shm` file, as [`change_token`](crate::change_token) does): once
//! [`THRESHOLD_FRAMES`] frames wait to be copied it runs a `PASSIVE` checkpoint on a connection of
//! its own. A passive checkpoint takes no lock that writers or readers wait on; it copies what no
//! reader still needs and syncs the database file, while commits go on appending to the WAL.
//! The backstop still bounds the WAL should the task fall behind or stop (its runtime ended):
//! then the writer checkpoints by itself as SQLite always did. Durability is unchanged: a commit
//! is as durable as it was (WAL, `synchronous=NORMAL`), only who copies it on is different.
//!
//! The header fields read are from the documented format (<https://www.sqlite.org/walformat.html>):
//! `mxFrame`, the last valid frame of the WAL, at byte 16 of the WAL-index header, and
//! `nBackfill`, the frames already copied, at byte 96 (the checkpoint information after the two
//! 48-byte header copies); both are 32-bit integers in the host's byte order.

use std::{
    fs::File,
    os::unix::fs::FileExt,
    path::Path,
    sync::{Arc, Weak},
    time::Duration,
};

use sqlx::SqlitePool;

#[cfg(test)]
use crate::change_token;

/// Frames waiting to be copied that start a background checkpoint (SQLite's own default).
pub(crate) const THRESHOLD_FRAMES: u32 = 1000;
/// `wal_autocheckpoint` of the writer connection: it checkpoints by itself only past this.
pub(crate) const WRITER_BACKSTOP_PAGES: u32 = 8000;
/// How often the task looks at the WAL-index (one `open` + `pread`).
const PERIOD: Duration = Duration::from_millis(25);

/// Frames in the WAL not yet copied into the database file, or `None` when the header cannot be
/// read consistently right now.
pub(crate) fn pending_frames(shm: &Path) -> Option<u32> {
    let file = File::open(shm).ok()?;
    let mut head = [0u8; 100];
    file.read_exact_at(&mut head, 0).ok()?;
    if head[..48] != head[48..96] || head[12] == 0 {
        return None;
    }
    let word = |at: usize| u32::from_ne_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    Some(word(16).saturating_sub(word(96)))
}

/// Start the checkpoint task for the database whose WAL-index is `shm`, on the current tokio
/// runtime; it runs while `alive` has an owner. Without a runtime nothing starts and the writer's
/// backstop does the work.
pub(crate) fn spawn(shm: Arc<Path>, pool: SqlitePool, alive: Weak<()>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.strong_count() == 0 {
                break;
            }
            if pending_frames(&shm).is_some_and(|n| n >= THRESHOLD_FRAMES)
                && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
            {
                tracing::debug!(error = %e, "sqlite_background_checkpoint_failed");
            }
        }
        pool.close().await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Db, DbOptions, execute};

    /// Commit `n` transactions of a fresh 4 KiB row each (at least one WAL frame each).
    async fn write(db: &Db, n: usize) {
        for i in 0..n {
            let mut tx = db.begin().await.unwrap();
            execute!(
                tx.conn(),
                "INSERT INTO blobs (id, body) VALUES ($1, $2)",
                i as i64,
                vec![7u8; 4096]
            )
            .unwrap();
            tx.commit().await.unwrap();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_is_copied_back_by_the_background_task_not_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let db = Db::open(
            &format!("sqlite://{}", path.display()),
            &DbOptions::default(),
        )
        .await
        .unwrap();
        let mut tx = db.begin().await.unwrap();
        execute!(
            tx.conn(),
            "CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"
        )
        .unwrap();
        tx.commit().await.unwrap();
        let shm = change_token::shm_path(&path);
        // Past the task's threshold, well short of the writer's backstop.
        write(&db, THRESHOLD_FRAMES as usize + 200).await;
        assert!(THRESHOLD_FRAMES as usize + 200 < WRITER_BACKSTOP_PAGES as usize);
        let mut waited = 0;
        while pending_frames(&shm).is_none_or(|n| n >= THRESHOLD_FRAMES) {
            assert!(
                waited < 2_000,
                "nothing was checkpointed: {:?}",
                pending_frames(&shm)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited += 1;
        }
        // The rows are all there, and the WAL is reused from its start once copied.
        let mut r = db.reader().await.unwrap();
        let n: i64 = crate::fetch_scalar!(r.conn(), i64, "SELECT COUNT(*) FROM blobs").unwrap();
        assert_eq!(n, i64::from(THRESHOLD_FRAMES) + 200);
    }

    #[tokio::test]
    async fn the_writer_checkpoints_by_itself_only_past_the_backstop() {
        // The backstop is what SQLite runs by itself: the pragma reached the writer.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let db = Db::open(
            &format!("sqlite://{}", path.display()),
            &DbOptions::default(),
        )
        .await
        .unwrap();
        let mut tx = db.begin().await.unwrap();
        let pages: i64 = crate::fetch_scalar!(tx.conn(), i64, "PRAGMA wal_autocheckpoint").unwrap();
        tx.commit().await.unwrap();
        assert_eq!(pages, i64::from(WRITER_BACKSTOP_PAGES));
    }
}
