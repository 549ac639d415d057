//! Issue 16, item 5: what one unit of work costs through today's SQLite driver (sqlx-sqlite, one
//! hand-off to a connection worker thread per statement) against the same unit run as one closure
//! on a dedicated rusqlite connection thread. Standalone so the workspace's CI never builds it;
//! see README.md for how to run it and what it found.
//!
//! Settings (environment): BENCH_SECS (per case, default 5), BENCH_WARMUP_SECS (0.5),
//! BENCH_CONCURRENCY (32), BENCH_READERS (8, dbkit's default pool size), BENCH_ROUNDS (1),
//! BENCH_DIR (where the temporary database goes; default the system temp dir).

mod measure;
mod rusqlite_side;
mod setup;
mod sqlx_side;

use std::{
    hint::black_box,
    sync::Arc,
    time::{Duration, Instant},
};

use measure::{Usage, percentile_us};
use rusqlite_side::RusqliteDb;
use setup::{Dataset, MealRow};
use sqlx_side::SqlxDb;

/// A cheap, deterministic checksum of a read unit's results, so that both drivers can be checked
/// to read the same thing and the reads cannot be optimised away.
pub fn checksum(list: &[MealRow], a: Option<&MealRow>, b: Option<&MealRow>, n: i64) -> u64 {
    let row = |r: &MealRow| {
        (r.0.as_u128() as u64)
            ^ (r.1.len() as u64)
            ^ (r.2.len() as u64) << 8
            ^ (r.3.unwrap_or(-1) as u64) << 16
            ^ (r.5.as_ref().map_or(0, String::len) as u64) << 32
            ^ (r.6 as u64).rotate_left(7)
    };
    let mut sum = list.len() as u64 ^ (n as u64) << 40;
    for r in list.iter().chain(a).chain(b) {
        sum = sum.wrapping_mul(31).wrapping_add(row(r));
    }
    sum
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    /// 4 indexed reads: a user's 50 newest meals, two meals by id, the user's meal count.
    Read,
    /// 4 reads by primary key: little SQLite work per statement, so the hand-offs weigh most.
    ReadPoint,
    /// One UPDATE by primary key in autocommit.
    WriteSingle,
    /// BEGIN IMMEDIATE; two UPDATEs by primary key; COMMIT.
    WriteTx,
}

impl Workload {
    fn label(self) -> &'static str {
        match self {
            Workload::Read => "read: 4 indexed SELECTs",
            Workload::ReadPoint => "read: 4 SELECTs by primary key",
            Workload::WriteSingle => "write: 1 UPDATE, autocommit",
            Workload::WriteTx => "write tx: BEGIN IMMEDIATE + 2 UPDATE + COMMIT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    /// dbkit today.
    Sqlx,
    /// dbkit with `test_before_acquire(false)` on both pools: the cheapest change within sqlx.
    SqlxNoPing,
    Rusqlite,
}

impl Driver {
    fn label(self) -> &'static str {
        match self {
            Driver::Sqlx => "sqlx-sqlite 0.9.0",
            Driver::SqlxNoPing => "sqlx, no test_before_acquire",
            Driver::Rusqlite => "rusqlite 0.39 closure",
        }
    }
}

struct Bench {
    sqlx: SqlxDb,
    sqlx_no_ping: SqlxDb,
    rusqlite: RusqliteDb,
    data: Dataset,
}

/// xorshift64*: enough randomness to spread ids, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[(self.next() % v.len() as u64) as usize]
    }
}

/// A failed unit of work (e.g. sqlx's `PoolTimedOut` when a checkpoint's fsync stalls the
/// writer on a busy disk) is counted, not fatal.
fn failed(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Run one unit of work of `w` through `d` with ids drawn from `rng`.
async fn unit(b: &Bench, w: Workload, d: Driver, rng: &mut Rng, tick: i64) -> Result<u64, String> {
    let data = &b.data;
    Ok(match w {
        Workload::Read => {
            let (u, m1, m2) = (
                rng.pick(&data.users),
                rng.pick(&data.meals),
                rng.pick(&data.meals),
            );
            match d {
                Driver::Sqlx => b.sqlx.read_unit(u, m1, m2).await.map_err(failed)?,
                Driver::SqlxNoPing => b.sqlx_no_ping.read_unit(u, m1, m2).await.map_err(failed)?,
                Driver::Rusqlite => b.rusqlite.read_unit(u, m1, m2).await.map_err(failed)?,
            }
        }
        Workload::ReadPoint => {
            let ids = [(); 4].map(|_| rng.pick(&data.meals));
            match d {
                Driver::Sqlx => b.sqlx.point_unit(ids).await.map_err(failed)?,
                Driver::SqlxNoPing => b.sqlx_no_ping.point_unit(ids).await.map_err(failed)?,
                Driver::Rusqlite => b.rusqlite.point_unit(ids).await.map_err(failed)?,
            }
        }
        Workload::WriteSingle => {
            let (id, kcal) = (rng.pick(&data.meals), (rng.next() % 1000) as i64);
            let n = match d {
                Driver::Sqlx => b.sqlx.write_single(id, kcal, tick).await.map_err(failed)?,
                Driver::SqlxNoPing => b
                    .sqlx_no_ping
                    .write_single(id, kcal, tick)
                    .await
                    .map_err(failed)?,
                Driver::Rusqlite => b
                    .rusqlite
                    .write_single(id, kcal, tick)
                    .await
                    .map_err(failed)?,
            };
            assert_eq!(n, 1);
            n
        }
        Workload::WriteTx => {
            let (x, y, v) = (
                rng.pick(&data.meals),
                rng.pick(&data.meals),
                (rng.next() % 900) as i64,
            );
            let n = match d {
                Driver::Sqlx => b.sqlx.write_tx(x, y, v, tick).await.map_err(failed)?,
                Driver::SqlxNoPing => b
                    .sqlx_no_ping
                    .write_tx(x, y, v, tick)
                    .await
                    .map_err(failed)?,
                Driver::Rusqlite => b.rusqlite.write_tx(x, y, v, tick).await.map_err(failed)?,
            };
            assert_eq!(n, 2);
            n
        }
    })
}

/// `concurrency` tasks run units back to back until `dur` has passed; returns every completed
/// unit's latency in nanoseconds, and the failed units' errors.
async fn drive(
    b: &Arc<Bench>,
    w: Workload,
    d: Driver,
    concurrency: usize,
    dur: Duration,
    seed: u64,
) -> (Vec<u64>, Vec<String>) {
    let deadline = Instant::now() + dur;
    let tasks: Vec<_> = (0..concurrency)
        .map(|t| {
            let b = Arc::clone(b);
            tokio::spawn(async move {
                let mut rng = Rng::new(seed ^ (t as u64 + 1) << 20);
                let mut lat = Vec::with_capacity(16_384);
                let mut errors = Vec::new();
                let mut tick = 1_800_000_000_000_000_i64 + t as i64;
                while Instant::now() < deadline {
                    let start = Instant::now();
                    match unit(&b, w, d, &mut rng, tick).await {
                        Ok(n) => {
                            black_box(n);
                            lat.push(start.elapsed().as_nanos() as u64);
                        }
                        Err(e) => errors.push(e),
                    }
                    tick += 1000;
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        let (lat, err) = t.await.expect("client task");
        all.extend(lat);
        errors.extend(err);
    }
    (all, errors)
}

struct CaseResult {
    units: usize,
    errors: usize,
    per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us: f64,
    vcsw: f64,
    ivcsw: f64,
}

async fn run_case(
    b: &Arc<Bench>,
    w: Workload,
    d: Driver,
    concurrency: usize,
    cfg: &Config,
    seed: u64,
) -> CaseResult {
    drive(b, w, d, concurrency, cfg.warmup, seed ^ 0xABCD).await;
    let before = Usage::now();
    let start = Instant::now();
    let (mut lat, errors) = drive(b, w, d, concurrency, cfg.secs, seed).await;
    let elapsed = start.elapsed();
    let used = Usage::now().since(before);
    if let Some(e) = errors.first() {
        eprintln!("{} units of work failed, first: {e}", errors.len());
    }
    lat.sort_unstable();
    let units = lat.len().max(1) as f64;
    CaseResult {
        units: lat.len(),
        errors: errors.len(),
        per_sec: lat.len() as f64 / elapsed.as_secs_f64(),
        p50_us: percentile_us(&lat, 50),
        p99_us: percentile_us(&lat, 99),
        cpu_us: used.cpu.as_secs_f64() * 1e6 / units,
        vcsw: used.voluntary as f64 / units,
        ivcsw: used.involuntary as f64 / units,
    }
}

/// rusqlite closure against sqlx (> 1 favours the closure), and sqlx without the acquire ping
/// against sqlx as dbkit configures it.
struct Ratios {
    round: usize,
    w: Workload,
    conc: usize,
    thr: f64,
    cpu: f64,
    p50: f64,
    p99: f64,
    no_ping_thr: f64,
    no_ping_cpu: f64,
}

struct Config {
    secs: Duration,
    warmup: Duration,
    concurrency: usize,
    readers: usize,
    rounds: usize,
}

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Config {
    fn from_env() -> Config {
        Config {
            secs: Duration::from_secs_f64(env_f64("BENCH_SECS", 5.0)),
            warmup: Duration::from_secs_f64(env_f64("BENCH_WARMUP_SECS", 0.5)),
            concurrency: env_f64("BENCH_CONCURRENCY", 32.0) as usize,
            readers: env_f64("BENCH_READERS", 8.0) as usize,
            rounds: (env_f64("BENCH_ROUNDS", 1.0) as usize).max(1),
        }
    }
}

fn main() {
    let cfg = Config::from_env();
    let dir = match std::env::var_os("BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temporary directory");
    let path = dir.path().join("bench.db");

    let t = Instant::now();
    let data = setup::create(&path).expect("create and seed the database");
    println!(
        "seeded {} meals over {} users in {:.1} s at {} (SQLite {})",
        setup::MEALS,
        setup::USERS,
        t.elapsed().as_secs_f64(),
        path.display(),
        rusqlite::version(),
    );

    // The server's runtime shape: two worker threads.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async_main(cfg, path, data));
    drop(dir);
}

async fn async_main(cfg: Config, path: std::path::PathBuf, data: Dataset) {
    let sqlx = SqlxDb::open(&path, cfg.readers as u32, true)
        .await
        .expect("open sqlx pools");
    let sqlx_no_ping = SqlxDb::open(&path, cfg.readers as u32, false)
        .await
        .expect("open sqlx pools");
    let rusqlite = RusqliteDb::open(&path, cfg.readers).expect("open rusqlite threads");
    let b = Arc::new(Bench {
        sqlx,
        sqlx_no_ping,
        rusqlite,
        data,
    });

    // Both drivers must read the same thing.
    let mut rng = Rng::new(7);
    for _ in 0..200 {
        let (u, m1, m2) = (
            rng.pick(&b.data.users),
            rng.pick(&b.data.meals),
            rng.pick(&b.data.meals),
        );
        let x = b.sqlx.read_unit(u, m1, m2).await.expect("sqlx read");
        let y = b
            .rusqlite
            .read_unit(u, m1, m2)
            .await
            .expect("rusqlite read");
        assert_eq!(x, y, "drivers disagree on a read unit");
        let ids = [m1, m2, m1, m2];
        let x = b.sqlx.point_unit(ids).await.expect("sqlx read");
        let y = b.rusqlite.point_unit(ids).await.expect("rusqlite read");
        assert_eq!(x, y, "drivers disagree on a point-read unit");
    }
    println!(
        "readers: {}, case length {:.1} s (+{:.1} s warm-up), concurrency 1 and {}, {} round(s)\n",
        cfg.readers,
        cfg.secs.as_secs_f64(),
        cfg.warmup.as_secs_f64(),
        cfg.concurrency,
        cfg.rounds
    );

    let workloads = [
        Workload::Read,
        Workload::ReadPoint,
        Workload::WriteSingle,
        Workload::WriteTx,
    ];
    let mut summary = Vec::new();
    for round in 0..cfg.rounds {
        println!("## round {}\n", round + 1);
        println!(
            "| unit of work | clients | driver | units/s | p50 µs | p99 µs | CPU µs/unit | vol. cs/unit | invol. cs/unit | failed |"
        );
        println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for w in workloads {
            for conc in [1, cfg.concurrency] {
                // Alternate which driver goes first, so drift does not favour one of them.
                let mut order = [Driver::Sqlx, Driver::SqlxNoPing, Driver::Rusqlite];
                if round % 2 == 1 {
                    order.reverse();
                }
                let mut res = Vec::new();
                for d in order {
                    let seed = (round as u64) << 32 | (conc as u64) << 8 | w as u64;
                    let r = run_case(&b, w, d, conc, &cfg, seed).await;
                    println!(
                        "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {} |",
                        w.label(),
                        conc,
                        d.label(),
                        r.per_sec,
                        r.p50_us,
                        r.p99_us,
                        r.cpu_us,
                        r.vcsw,
                        r.ivcsw,
                        r.errors
                    );
                    assert!(r.units > 0, "a case ran no unit of work");
                    res.push((d, r));
                }
                let get = |d: Driver| &res.iter().find(|(x, _)| *x == d).expect("both ran").1;
                let (s, n, q) = (
                    get(Driver::Sqlx),
                    get(Driver::SqlxNoPing),
                    get(Driver::Rusqlite),
                );
                summary.push(Ratios {
                    round: round + 1,
                    w,
                    conc,
                    thr: q.per_sec / s.per_sec,
                    cpu: s.cpu_us / q.cpu_us,
                    p50: s.p50_us / q.p50_us,
                    p99: s.p99_us / q.p99_us,
                    no_ping_thr: n.per_sec / s.per_sec,
                    no_ping_cpu: s.cpu_us / n.cpu_us,
                });
            }
        }
        println!();
    }

    println!(
        "## ratios (rusqlite closure vs sqlx as dbkit configures it; > 1 means the closure engine is better)\n"
    );
    println!(
        "| round | unit of work | clients | throughput × | CPU/unit ÷ | p50 ÷ | p99 ÷ | ≥ 3× (throughput and CPU)? | sqlx without ping: throughput ×, CPU ÷ |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---|---|");
    for r in summary {
        let Ratios {
            round,
            w,
            conc,
            thr,
            cpu,
            p50,
            p99,
            no_ping_thr,
            no_ping_cpu,
        } = r;
        let verdict = if thr >= 3.0 && cpu >= 3.0 {
            "yes"
        } else if thr >= 3.0 || cpu >= 3.0 {
            "partly"
        } else {
            "no"
        };
        println!(
            "| {round} | {} | {conc} | {thr:.2} | {cpu:.2} | {p50:.2} | {p99:.2} | {verdict} | {no_ping_thr:.2}, {no_ping_cpu:.2} |",
            w.label()
        );
    }

    let b = Arc::into_inner(b).expect("no task holds the bench any more");
    b.sqlx.close().await;
    b.sqlx_no_ping.close().await;
    let mut rusqlite = b.rusqlite;
    rusqlite.close();
}
