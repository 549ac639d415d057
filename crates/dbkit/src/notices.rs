//! PostgreSQL's answer to SQLite's change token: committed changes announced with `NOTIFY`, and a
//! shared *read fence* that tells a request every announcement committed before it began has been
//! handled, so an in-process cache can be trusted without reading the database.
//!
//! Triggers call `pg_notify(channel, payload)` (migration 0014 of MealFrame names the user whose
//! rows changed). One thread per [`Notices`] keeps a connection that `LISTEN`s on the channel and,
//! when asked, runs a *round*: a `SELECT pg_backend_pid()` on that connection, then hands every
//! notification that arrived before its answer to `apply`, then publishes the round's number.
//!
//! Why a round is a fence: a transaction's `COMMIT` signals the listening backends before it
//! returns to its client, and a backend sends pending notifications before its `ReadyForQuery`.
//! So once the round's query (sent after a caller began) has been answered, every notification of a
//! transaction that had committed when the caller began is in hand. Callers that arrive while a
//! round is in flight wait for the next one; however many arrive, each round is one round trip
//! on one connection — the cost of a read shared by everyone waiting, not paid per request.
//!
//! Notifications are not stored: while the connection is down they are lost. So a lost
//! connection is handed to `apply` as [`Notice::Lost`] (drop everything), [`Notices::caught_up`]
//! answers `false` until a new connection listens again (callers then read the database), and the
//! reconnection is announced as `Lost` once more before anything is trusted again.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::{mpsc, watch};

use crate::Db;

/// What a round hands to `apply`.
#[derive(Debug, PartialEq, Eq)]
pub enum Notice {
    /// Payloads of the notifications that arrived, in commit order (duplicates possible).
    Changed(Vec<String>),
    /// Notifications may have been missed: forget everything derived from the database.
    Lost,
}

/// How the listening connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "dbkit-notices";
/// How long a round may take before the connection is given up as lost.
const ROUND_TIMEOUT: Duration = Duration::from_secs(2);
/// A round runs at least this often when nobody asks, so the connection's buffer stays drained
/// and a dead connection is noticed.
const IDLE_ROUND: Duration = Duration::from_secs(1);
/// Wait before connecting again after a failure.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// The last finished round.
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    number: u64,
    /// Whether the listener was connected through the whole round (so nothing was missed).
    live: bool,
}

/// A handle on one listener thread; the thread ends once every handle is dropped.
#[derive(Clone)]
pub struct Notices {
    wake: mpsc::Sender<()>,
    started: Arc<AtomicU64>,
    done: watch::Receiver<Round>,
}

impl Notices {
    /// Listen on `channel` of the PostgreSQL database behind `db` (`None` on SQLite), calling
    /// `apply` from the listener's thread.
    pub fn listen(
        db: &Db,
        channel: &str,
        apply: impl Fn(Notice) + Send + Sync + 'static,
    ) -> Option<Notices> {
        let Db::Postgres(pool) = db else {
            return None;
        };
        let connect = (*pool.connect_options()).clone();
        let (wake, asked) = mpsc::channel(1);
        let started = Arc::new(AtomicU64::new(0));
        let (publish, done) = watch::channel(Round::default());
        let task = Task {
            connect,
            channel: channel.to_owned(),
            asked,
            started: started.clone(),
            publish,
            apply: Box::new(apply),
        };
        // A thread of its own: the connection must make progress even while the caller's
        // runtime is blocked (PostgreSQL's `DROP DATABASE` waits on a backend stuck halfway
        // through authentication, which a test's runtime blocked in a drop would leave there).
        let thread = std::thread::Builder::new()
            .name("db-notices".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(task.run()),
                    Err(e) => tracing::warn!(error = %e, "change notices: no runtime"),
                }
            });
        if let Err(e) = thread {
            tracing::warn!(error = %e, "change notices: no thread; caches are bypassed");
            return None;
        }
        Some(Notices {
            wake,
            started,
            done,
        })
    }

    /// Wait for a round that began after this call; `true` when it finished with the listener
    /// connected, so every notification committed before this call has been applied. `false`
    /// at once while the listener is down, or if it went down during the round.
    pub async fn caught_up(&self) -> bool {
        let mut done = self.done.clone();
        if !done.borrow_and_update().live {
            return false;
        }
        // The round after the one in flight (if any) is the first to start after this point.
        let needed = self.started.load(Ordering::SeqCst) + 1;
        // Full means a wake is already queued, and that round starts after this point too.
        let _ = self.wake.try_send(());
        loop {
            let round = *done.borrow_and_update();
            if round.number >= needed {
                return round.live;
            }
            if !round.live {
                return false;
            }
            if done.changed().await.is_err() {
                return false;
            }
        }
    }
}

/// The listening connection and the backend behind it.
struct Listening {
    listener: PgListener,
    pid: i32,
}

async fn backend_pid(listener: &mut PgListener) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(listener)
        .await
}

struct Task {
    connect: PgConnectOptions,
    channel: String,
    asked: mpsc::Receiver<()>,
    started: Arc<AtomicU64>,
    publish: watch::Sender<Round>,
    apply: Box<dyn Fn(Notice) + Send + Sync>,
}

impl Task {
    async fn run(mut self) {
        loop {
            let Some(mut listening) = self.connect().await else {
                if self.idle(RECONNECT_AFTER).await.is_none() {
                    return;
                }
                continue;
            };
            // Anything may have changed while nobody listened. The first round then makes the
            // listener trusted; a failed round has announced the loss itself.
            (self.apply)(Notice::Lost);
            while self.round(&mut listening).await {
                if self.idle(IDLE_ROUND).await.is_none() {
                    return;
                }
            }
        }
    }

    /// A listening connection, or `None` if PostgreSQL cannot be reached now.
    async fn connect(&self) -> Option<Listening> {
        let attempt = async {
            // A pool of one only because `PgListener` takes its connection from a pool; no
            // maintenance task may outlive the listener.
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(ROUND_TIMEOUT)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_lazy_with(
                    self.connect
                        .clone()
                        .application_name(APPLICATION_NAME)
                        // Should this process vanish without closing the socket, the backend
                        // notices within a minute and stops holding the notify queue's tail.
                        .options([
                            ("tcp_keepalives_idle", "30"),
                            ("tcp_keepalives_interval", "10"),
                            ("tcp_keepalives_count", "3"),
                        ]),
                );
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(&self.channel).await?;
            let pid = backend_pid(&mut listener).await?;
            Ok::<_, sqlx::Error>(Listening { listener, pid })
        };
        match tokio::time::timeout(ROUND_TIMEOUT, attempt).await {
            Ok(Ok(listener)) => Some(listener),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "change notices: cannot listen; caches are bypassed");
                None
            }
            Err(_) => {
                tracing::warn!("change notices: connecting timed out; caches are bypassed");
                None
            }
        }
    }

    /// Wait until someone asks for a round or `at_most` passes; `None` once every handle is gone.
    async fn idle(&mut self, at_most: Duration) -> Option<()> {
        match tokio::time::timeout(at_most, self.asked.recv()).await {
            Ok(None) => None,
            Ok(Some(())) | Err(_) => Some(()),
        }
    }

    /// One fence: ask the backend's pid, then apply what arrived before its answer. Publishes
    /// the round and answers whether the connection held. A different pid means the query went
    /// to another backend than the one listening (a transaction-pooling proxy in between):
    /// notices cannot be trusted then, so the round counts as lost.
    async fn round(&mut self, listening: &mut Listening) -> bool {
        let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let listener = &mut listening.listener;
        let answered = tokio::time::timeout(ROUND_TIMEOUT, backend_pid(listener)).await;
        let live = match answered {
            Ok(Ok(pid)) if pid == listening.pid => true,
            Ok(Ok(pid)) => {
                tracing::error!(
                    listening = listening.pid,
                    answered = pid,
                    "change notices: the query reached another backend than the listening one \
                     (a transaction-pooling proxy?); caches are bypassed"
                );
                false
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "change notices: connection lost; caches are bypassed");
                false
            }
            Err(_) => {
                tracing::warn!("change notices: no answer in time; caches are bypassed");
                false
            }
        };
        let mut payloads = Vec::new();
        while let Some(n) = listener.next_buffered() {
            payloads.push(n.payload().to_owned());
        }
        if !payloads.is_empty() {
            (self.apply)(Notice::Changed(payloads));
        }
        if !live {
            (self.apply)(Notice::Lost);
        }
        self.publish.send_replace(Round { number, live });
        live
    }
}
