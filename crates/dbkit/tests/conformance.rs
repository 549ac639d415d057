//! dbkit behaves the same on SQLite and PostgreSQL (PostgreSQL when `TEST_DATABASE_URL` is set).

use std::time::Duration;

use dbkit::{
    ConstraintKind, Migrations, Timestamp, constraint_kind, execute, fetch_all,
    ratelimit::{self, Rate},
    testing::TestDb,
};
use uuid::Uuid;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("tests/migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("tests/migrations/postgres");

async fn test_db() -> TestDb {
    TestDb::new(Migrations {
        sqlite: &SQLITE,
        postgres: &POSTGRES,
    })
    .await
}

async fn insert(db: &dbkit::Db, name: &str, at: Timestamp, qty: i32) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let mut tx = db.begin().await?;
    execute!(
        tx.conn(),
        "INSERT INTO items (id, name, at, qty) VALUES ($1, $2, $3, $4)",
        id,
        name,
        at,
        qty
    )?;
    tx.commit().await?;
    Ok(id)
}

#[tokio::test]
async fn timestamps_round_trip_and_order_identically() {
    let t = test_db().await;
    let base = Timestamp::from_unix_micros(1_771_243_200_123_456).unwrap();
    insert(
        &t.db,
        "later",
        base.plus(time::Duration::microseconds(1)),
        1,
    )
    .await
    .unwrap();
    insert(&t.db, "earlier", base, 1).await.unwrap();
    let mut r = t.db.reader().await.unwrap();
    let rows = fetch_all!(
        r.conn(),
        (String, Timestamp),
        "SELECT name, at FROM items WHERE at >= $1 ORDER BY at",
        base
    )
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("earlier".into(), base),
            ("later".into(), base.plus(time::Duration::microseconds(1)))
        ]
    );
}

#[tokio::test]
async fn constraint_violations_are_classified_the_same_way() {
    let t = test_db().await;
    let now = Timestamp::now();
    insert(&t.db, "a", now, 1).await.unwrap();
    let dup = insert(&t.db, "a", now, 1).await.unwrap_err();
    assert_eq!(constraint_kind(&dup), Some(ConstraintKind::Unique));
    let neg = insert(&t.db, "b", now, -1).await.unwrap_err();
    assert_eq!(constraint_kind(&neg), Some(ConstraintKind::Check));
    let mut tx = t.db.begin().await.unwrap();
    let fk = execute!(
        tx.conn(),
        "INSERT INTO items (id, name, at, qty, parent) VALUES ($1, 'c', $2, 0, $3)",
        Uuid::now_v7(),
        now,
        Uuid::now_v7()
    )
    .unwrap_err();
    assert_eq!(constraint_kind(&fk), Some(ConstraintKind::ForeignKey));
}

#[tokio::test]
async fn many_hits_in_one_transaction_count_like_single_hits() {
    let t = test_db().await;
    let rate = Rate {
        limit: 5,
        window: Duration::from_secs(60),
    };
    let t0 = Timestamp::from_unix_micros(1_000_000_000_000).unwrap();
    let at = |secs: i64| t0.plus(time::Duration::seconds(secs));
    let many = |n: u32, now: Timestamp| {
        let db = t.db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let hits = ratelimit::hit_many(tx.conn(), "ip:many", rate, now, n)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            hits
        }
    };
    let first = many(3, at(0)).await;
    assert_eq!((first.allowed, first.retry_after_secs), (3, 60));
    let second = many(4, at(10)).await;
    assert_eq!(second.allowed, 2, "two left in the window");
    assert_eq!(second.retry_after_secs, 50);
    assert!(
        !ratelimit::hit(&t.db, "ip:many", rate, at(11))
            .await
            .unwrap()
            .allowed,
        "the window is full, as after seven single hits"
    );
    assert_eq!(many(2, at(60)).await.allowed, 2, "a new window opens");
    assert_eq!(many(1, at(61)).await.allowed, 1);
    assert_eq!(many(9, at(62)).await.allowed, 2);
}

#[tokio::test]
async fn one_hit_on_each_of_many_buckets_in_one_statement_counts_like_single_hits() {
    let t = test_db().await;
    let rate = Rate {
        limit: 2,
        window: Duration::from_secs(60),
    };
    let t0 = Timestamp::from_unix_micros(1_000_000_000_000).unwrap();
    let at = |secs: i64| t0.plus(time::Duration::seconds(secs));
    ratelimit::hit(&t.db, "b", rate, at(0)).await.unwrap();
    ratelimit::hit(&t.db, "b", rate, at(0)).await.unwrap();
    ratelimit::hit(&t.db, "c", rate, at(0)).await.unwrap();
    let each = |now: Timestamp| {
        let db = t.db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let d = ratelimit::hit_each(tx.conn(), &["a", "b", "c"], rate, now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            d.iter()
                .map(|d| (d.allowed, d.retry_after_secs))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        each(at(10)).await,
        vec![(true, 60), (false, 50), (true, 50)],
        "a new window, a full one, the last slot of one"
    );
    assert_eq!(
        each(at(20)).await,
        vec![(true, 50), (false, 40), (false, 40)]
    );
    assert_eq!(
        each(at(60)).await,
        vec![(false, 10), (true, 60), (true, 60)],
        "a is full until 70 s; b and c open new windows"
    );
}

#[tokio::test]
async fn rate_limit_allows_the_limit_then_rejects_until_the_window_closes() {
    let t = test_db().await;
    let rate = Rate {
        limit: 2,
        window: Duration::from_secs(60),
    };
    let t0 = Timestamp::from_unix_micros(1_000_000_000_000).unwrap();
    let at = |secs: i64| t0.plus(time::Duration::seconds(secs));
    assert!(
        ratelimit::hit(&t.db, "ip:1", rate, at(0))
            .await
            .unwrap()
            .allowed
    );
    assert!(
        ratelimit::hit(&t.db, "ip:1", rate, at(1))
            .await
            .unwrap()
            .allowed
    );
    let third = ratelimit::hit(&t.db, "ip:1", rate, at(10)).await.unwrap();
    assert!(!third.allowed);
    assert_eq!(third.retry_after_secs, 50);
    assert!(
        !ratelimit::hit(&t.db, "ip:1", rate, at(59))
            .await
            .unwrap()
            .allowed,
        "rejections do not refill"
    );
    assert!(
        ratelimit::hit(&t.db, "ip:2", rate, at(59))
            .await
            .unwrap()
            .allowed,
        "buckets are independent"
    );
    assert!(
        ratelimit::hit(&t.db, "ip:1", rate, at(60))
            .await
            .unwrap()
            .allowed,
        "a new window opens"
    );
}

#[tokio::test]
async fn concurrent_hits_never_exceed_the_limit() {
    let t = test_db().await;
    let rate = Rate {
        limit: 10,
        window: Duration::from_secs(60),
    };
    let now = Timestamp::now();
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let db = t.db.clone();
            tokio::spawn(async move {
                ratelimit::hit(&db, "shared", rate, now)
                    .await
                    .unwrap()
                    .allowed
            })
        })
        .collect();
    let mut allowed = 0;
    for task in tasks {
        allowed += usize::from(task.await.unwrap());
    }
    assert_eq!(allowed, 10);
}

#[tokio::test]
async fn purge_removes_closed_windows() {
    let t = test_db().await;
    let rate = Rate {
        limit: 1,
        window: Duration::from_secs(60),
    };
    let old = Timestamp::from_unix_micros(1_000_000_000_000).unwrap();
    ratelimit::hit(&t.db, "old", rate, old).await.unwrap();
    ratelimit::hit(&t.db, "new", rate, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        ratelimit::purge(&t.db, Timestamp::now().minus(time::Duration::hours(1)))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn the_change_token_moves_with_every_commit_of_any_connection_and_only_then() {
    let t = test_db().await;
    if t.engine() == dbkit::Engine::Postgres {
        // No WAL-index to look at: callers always read.
        assert_eq!(t.db.change_token(), None);
        return;
    }
    insert(&t.db, "first", Timestamp::now(), 1).await.unwrap();
    let before =
        t.db.change_token()
            .expect("a token once the database is in use");

    // Reads change nothing.
    for _ in 0..3 {
        let mut r = t.db.reader().await.unwrap();
        fetch_all!(r.conn(), (String,), "SELECT name FROM items").unwrap();
    }
    assert_eq!(t.db.change_token(), Some(before));

    // A commit through this handle moves it.
    insert(&t.db, "second", Timestamp::now(), 1).await.unwrap();
    let after_own = t.db.change_token().unwrap();
    assert_ne!(after_own, before);

    // So does a commit by other connections (another instance, an operator's tool), even one
    // that changes a single value in place.
    let other = dbkit::Db::open(&t.url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    let mut tx = other.begin().await.unwrap();
    execute!(
        tx.conn(),
        "UPDATE items SET qty = qty + 1 WHERE name = 'first'"
    )
    .unwrap();
    tx.commit().await.unwrap();
    let after_other = t.db.change_token().unwrap();
    assert_ne!(after_other, after_own);
    assert_eq!(other.change_token(), Some(after_other));

    // A rolled-back transaction is not a change.
    let mut tx = other.begin().await.unwrap();
    execute!(tx.conn(), "UPDATE items SET qty = 0").unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(t.db.change_token(), Some(after_other));
    other.close().await;
}

#[tokio::test]
async fn sqlite_is_built_without_the_process_wide_allocation_mutexes() {
    // `.cargo/config.toml` (LIBSQLITE3_FLAGS): with memory management and memory statistics on,
    // every allocation and page fetch of every connection takes one process-wide mutex.
    let t = test_db().await;
    if t.engine() == dbkit::Engine::Postgres {
        return;
    }
    let mut r = t.db.reader().await.unwrap();
    let options: Vec<String> = fetch_all!(r.conn(), (String,), "PRAGMA compile_options")
        .unwrap()
        .into_iter()
        .map(|(o,)| o)
        .collect();
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "memory statistics are on: {options:?}"
    );
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "memory management is on: {options:?}"
    );
}

async fn names(db: &dbkit::Db) -> Vec<String> {
    let mut r = db.reader().await.unwrap();
    fetch_all!(r.conn(), (String,), "SELECT name FROM items ORDER BY name")
        .unwrap()
        .into_iter()
        .map(|(n,)| n)
        .collect()
}

#[tokio::test]
async fn a_transaction_dropped_without_commit_is_rolled_back_before_the_next_write() {
    let t = test_db().await;
    {
        let mut tx = t.db.begin().await.unwrap();
        execute!(
            tx.conn(),
            "INSERT INTO items (id, name, at, qty) VALUES ($1, 'dropped', $2, 1)",
            Uuid::now_v7(),
            Timestamp::now()
        )
        .unwrap();
        // Dropped here, as by an early return or a cancelled request.
    }
    insert(&t.db, "kept", Timestamp::now(), 1).await.unwrap();
    // A single statement without BEGIN after a dropped transaction is its own commit too.
    {
        let mut tx = t.db.begin().await.unwrap();
        execute!(tx.conn(), "UPDATE items SET qty = 5").unwrap();
    }
    let mut single = t.db.begin_single().await.unwrap();
    execute!(single.conn(), "UPDATE items SET qty = qty + 1").unwrap();
    single.commit().await.unwrap();
    assert_eq!(names(&t.db).await, vec!["kept".to_owned()]);

    // A transaction whose BEGIN was sent but never answered (the request was cancelled there).
    // One poll sends SQLite's BEGIN to the connection's thread, which runs it while nobody
    // waits for the answer; PostgreSQL may only queue it. Then the future is dropped.
    let mut begin = Box::pin(t.db.begin());
    let polled = futures::poll!(&mut begin);
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(polled);
    drop(begin);
    insert(&t.db, "later", Timestamp::now(), 0).await.unwrap();
    assert_eq!(
        names(&t.db).await,
        vec!["kept".to_owned(), "later".to_owned()]
    );
    let mut r = t.db.reader().await.unwrap();
    let qty: i32 =
        dbkit::fetch_scalar!(r.conn(), i32, "SELECT qty FROM items WHERE name = 'kept'").unwrap();
    assert_eq!(
        qty, 2,
        "the dropped UPDATE was rolled back, the single one committed"
    );
}

#[tokio::test]
async fn writers_take_turns_and_a_failed_commit_leaves_the_writer_usable() {
    let t = test_db().await;
    let db = &t.db;
    let writes = (0..20).map(|i| async move {
        let mut tx = db.begin().await.unwrap();
        execute!(
            tx.conn(),
            "INSERT INTO items (id, name, at, qty) VALUES ($1, $2, $3, 1)",
            Uuid::now_v7(),
            format!("w{i:02}"),
            Timestamp::now()
        )
        .unwrap();
        tokio::task::yield_now().await;
        tx.commit().await.unwrap();
    });
    futures::future::join_all(writes).await;
    assert_eq!(names(db).await.len(), 20);

    // A statement that fails inside a transaction: the caller drops it, the next write works.
    {
        let mut tx = db.begin().await.unwrap();
        let dup = names(db).await[0].clone();
        let err = execute!(
            tx.conn(),
            "INSERT INTO items (id, name, at, qty) SELECT id, name, at, qty FROM items WHERE name = $1",
            dup
        )
        .unwrap_err();
        assert_eq!(constraint_kind(&err), Some(ConstraintKind::Unique));
    }
    insert(db, "after", Timestamp::now(), 1).await.unwrap();
    assert_eq!(names(db).await.len(), 21);
}

#[tokio::test]
async fn a_writer_held_past_the_acquire_timeout_times_out_the_next_one() {
    let t = test_db().await;
    if t.engine() == dbkit::Engine::Postgres {
        return; // PostgreSQL has a pool of writers.
    }
    let db = dbkit::Db::open(
        &t.url,
        &dbkit::DbOptions {
            acquire_timeout: Duration::from_millis(200),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let held = db.begin().await.unwrap();
    let err = db.begin().await.err().expect("the writer is held");
    assert!(matches!(err, sqlx::Error::PoolTimedOut), "{err:?}");
    drop(held);
    insert(&db, "then", Timestamp::now(), 1).await.unwrap();
    db.close().await;
    assert!(matches!(
        db.begin().await.err(),
        Some(sqlx::Error::PoolClosed)
    ));
}

#[tokio::test]
async fn readers_are_bounded_and_a_read_dropped_midway_leaves_the_next_one_whole() {
    use futures::StreamExt;
    let t = test_db().await;
    for i in 0..50 {
        insert(&t.db, &format!("r{i:02}"), Timestamp::now(), 1)
            .await
            .unwrap();
    }
    let db = dbkit::Db::open(
        &t.url,
        // Long enough for PostgreSQL to connect on a loaded machine (200 ms was not, in CI).
        &dbkit::DbOptions {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(2),
        },
    )
    .await
    .unwrap();
    let first = db.reader().await.unwrap();
    let mut second = db.reader().await.unwrap();
    let third = db.reader().await.err().expect("two readers at most");
    assert!(matches!(third, sqlx::Error::PoolTimedOut), "{third:?}");
    drop(first);

    // A read abandoned after one row (a cancelled request), then the same connection again.
    let one: Option<Result<(String,), sqlx::Error>> = dbkit::on_conn!(second.conn(), |c| {
        let mut rows = sqlx::query_as("SELECT name FROM items ORDER BY name").fetch(c);
        rows.next().await
    });
    assert_eq!(one.unwrap().unwrap().0, "r00");
    drop(second);
    // The abandoned read left no snapshot behind: a later commit shows.
    insert(&t.db, "r50", Timestamp::now(), 1).await.unwrap();
    for _ in 0..3 {
        let mut a = db.reader().await.unwrap();
        let mut b = db.reader().await.unwrap();
        for r in [&mut a, &mut b] {
            let all =
                fetch_all!(r.conn(), (String,), "SELECT name FROM items ORDER BY name").unwrap();
            assert_eq!(all.len(), 51);
        }
    }
    db.close().await;
    assert!(db.reader().await.is_err(), "closed");
}

/// What a listener's `apply` received, for the notice tests.
type Heard = std::sync::Arc<std::sync::Mutex<Vec<dbkit::Notice>>>;

fn listen(db: &dbkit::Db) -> Option<(dbkit::Notices, Heard)> {
    let heard = Heard::default();
    let into = heard.clone();
    let notices =
        dbkit::Notices::listen(db, "test_changes", move |n| into.lock().unwrap().push(n))?;
    Some((notices, heard))
}

/// Poll until the listener is connected and trusted (a fresh one needs a round first).
async fn until_caught_up(notices: &dbkit::Notices) {
    for _ in 0..200 {
        if notices.caught_up().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the listener never caught up");
}

fn payloads(heard: &Heard) -> Vec<String> {
    heard
        .lock()
        .unwrap()
        .iter()
        .flat_map(|n| match n {
            dbkit::Notice::Changed(p) => p.clone(),
            dbkit::Notice::Lost => vec![],
        })
        .collect()
}

async fn notify(db: &dbkit::Db, payload: &str) {
    let mut tx = db.begin().await.unwrap();
    dbkit::execute!(tx.conn(), "SELECT pg_notify('test_changes', $1)", payload).unwrap();
    tx.commit().await.unwrap();
}

/// The fence: once `caught_up` answers, every notification committed before it was called has
/// been applied — each time, with nothing to wait for but the round itself.
#[tokio::test]
async fn a_notice_committed_before_caught_up_is_always_applied_by_its_answer() {
    let t = test_db().await;
    let Some((notices, heard)) = listen(&t.db) else {
        assert_eq!(t.engine(), dbkit::Engine::Sqlite, "SQLite has no notices");
        return;
    };
    until_caught_up(&notices).await;
    // Another process's connections, as another instance would write.
    let other = dbkit::Db::open(&t.url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    for i in 0..300 {
        let payload = format!("n{i}");
        notify(&other, &payload).await;
        assert!(notices.caught_up().await, "round {i}: listener down");
        assert!(
            payloads(&heard).contains(&payload),
            "round {i}: the commit had returned before caught_up was called"
        );
    }
    // A rolled-back transaction announces nothing.
    let mut tx = other.begin().await.unwrap();
    dbkit::execute!(tx.conn(), "SELECT pg_notify('test_changes', 'never')").unwrap();
    tx.rollback().await.unwrap();
    notify(&other, "after").await;
    assert!(notices.caught_up().await);
    let all = payloads(&heard);
    assert!(all.contains(&"after".to_owned()));
    assert!(!all.contains(&"never".to_owned()));
    other.close().await;
}

/// Many callers at once, so that callers arrive while a round is in flight: each one's own
/// notice, committed before it called, is applied when its `caught_up` answers — a round that
/// had already started when it called does not count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn callers_arriving_during_a_round_wait_for_the_next_one() {
    let t = test_db().await;
    let Some((notices, heard)) = listen(&t.db) else {
        return;
    };
    until_caught_up(&notices).await;
    let writers = dbkit::Db::open(&t.url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    let mut callers = Vec::new();
    for caller in 0..8 {
        let (notices, heard, writers) = (notices.clone(), heard.clone(), writers.clone());
        callers.push(tokio::spawn(async move {
            for i in 0..60 {
                let payload = format!("c{caller}-{i}");
                notify(&writers, &payload).await;
                assert!(notices.caught_up().await, "{payload}: listener down");
                assert!(
                    payloads(&heard).contains(&payload),
                    "{payload}: committed before caught_up was called"
                );
            }
        }));
    }
    for c in callers {
        c.await.unwrap();
    }
    writers.close().await;
}

/// A listener whose connection is cut announces the loss, is not trusted meanwhile, and
/// listens again (announcing the loss once more) before it is.
#[tokio::test]
async fn a_lost_listener_says_so_and_is_trusted_again_only_after_listening_anew() {
    let t = test_db().await;
    let Some((notices, heard)) = listen(&t.db) else {
        return;
    };
    until_caught_up(&notices).await;
    let lost = |heard: &Heard| {
        heard
            .lock()
            .unwrap()
            .iter()
            .filter(|n| **n == dbkit::Notice::Lost)
            .count()
    };
    let before = lost(&heard);
    let mut tx = t.db.begin().await.unwrap();
    let cut = dbkit::testing::cut_notice_listeners(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(cut, 1, "one listening connection");
    // The next round finds the connection gone, unless an idle round already did and the task
    // listens again: trusted only once the loss and the new connection were announced.
    let trusted = notices.caught_up().await;
    assert!(
        !trusted || lost(&heard) >= before + 2,
        "trusted before the loss was announced"
    );
    until_caught_up(&notices).await;
    assert!(
        lost(&heard) >= before + 2,
        "the loss, then the new connection"
    );
    notify(&t.db, "again").await;
    assert!(notices.caught_up().await);
    assert!(payloads(&heard).contains(&"again".to_owned()));
}
