//! Many-user load benchmark of the `mealframe` binary (run it through `bench/mealframe/many.sh`).
//!
//! `mealframe_bench` measures one user doing everything; this one asks what a server with many
//! accounts does when their phones come and go. It seeds the users straight through the store
//! (the same `mealframe-store` operations the use cases run, one transaction per user, far faster
//! than the HTTP API), each with a library, a year of generated weeks mostly marked, and a web
//! session created in the store so no login is needed. Then it starts `mealframe` on that data and
//! runs phone-like sessions over the users, Zipf-distributed (a few users very active, a long
//! tail), at 32 and 128 connections with `GET /health` as the baseline, reading throughput,
//! latency, RSS, CPU time and the server's cache counters per phase. On PostgreSQL it then runs
//! two instances on the same database behind a round-robin TCP proxy of its own. Loopback only;
//! stops by itself.
//!
//! Usage: `mealframe_many <path/to/mealframe> [seconds-per-phase=10] [users=2000]`
//! PostgreSQL: `MEALFRAME_BENCH_DATABASE_URL=postgres://…/empty_database`.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use dbkit::{Db, DbOptions, Timestamp};
use loadgen::{Job, Phase, Req, print_table, run_phase};
use mealframe_core::{
    ids::{DayTemplateId, MealId, MealTypeId, UserId},
    planning::{completion::CompletionStatus, generation::TemplateSlot, macros::Macros},
    tenths::Tenths,
};
use mealframe_server::accounts::{passwords, secret_tokens::sha256_hex};
use mealframe_store::{
    accounts::{
        sessions,
        users::{self, AuthProvider, NewUser},
    },
    library::{
        day_templates::{self, NewTemplate},
        meal_types,
        meals::{self, NewMeal, Source},
        week_plans,
    },
    plans::{ops, views},
};
use serde_json::json;
use time::{Date, OffsetDateTime};
use tokio::net::{TcpListener, TcpStream};

const MEAL_TYPES: [&str; 4] = ["Breakfast", "Lunch", "Snack", "Dinner"];
/// Ten portion texts per meal type, in the style people type them (the grocery list parses them).
const PORTIONS: [[&str; 10]; 4] = [
    [
        "60 g oats + 200 ml milk + 80 g berries",
        "200 g Greek yogurt + 30 g granola",
        "2 eggs + 1 slice wholegrain toast",
        "2 slices rye bread + 30 g cream cheese",
        "1 bagel + 1 tbsp peanut butter + 1 banana",
        "40 g porridge oats, 300 ml oat milk",
        "3 egg whites + 1 egg + 50 g spinach",
        "1 cup muesli + 1/2 cup milk + 1 apple",
        "2 pancakes + 100 g strawberries",
        "150 g cottage cheese + 1 peach",
    ],
    [
        "150 g chicken breast + 150 g cooked rice",
        "400 ml lentil soup + 1 slice rye bread",
        "1 can tuna + 150 g mixed salad",
        "1 wholemeal wrap + 100 g turkey",
        "200 g tofu + 60 g noodles (dry)",
        "120 g quinoa + 100 g feta",
        "2 slices bread + 60 g ham + 1 tomato",
        "300 g minestrone + 1 bread roll",
        "150 g salmon + 200 g sweet potato",
        "100 g couscous + 150 g roasted vegetables",
    ],
    [
        "1 apple + 20 g almonds",
        "200 g cottage cheese + 1 tsp honey",
        "1 banana + 30 g whey in 300 ml water",
        "2 rice cakes + 1 tbsp peanut butter",
        "1 protein bar",
        "150 g skyr + 50 g blueberries",
        "30 g dark chocolate + 1 orange",
        "2 carrots + 50 g hummus",
        "1 pear + 25 g cashews",
        "1 boiled egg + 5 cherry tomatoes",
    ],
    [
        "150 g salmon + 250 g potatoes",
        "350 g turkey chili + 50 g rice (dry)",
        "125 g pasta (dry) + 150 g minced beef",
        "200 g chicken thighs + 200 g vegetables",
        "2 corn tortillas + 120 g black beans",
        "180 g cod + 200 g potatoes + 100 g peas",
        "1 pizza base + 80 g mozzarella",
        "150 g tofu + 100 g rice noodles",
        "250 g beef stew + 1 slice bread",
        "2 veggie burgers + 2 buns",
    ],
];
/// Slot layouts (meal-type indexes) of the day templates, and which template each weekday uses.
const LAYOUTS: [(&str, &[usize]); 4] = [
    ("Training day", &[0, 2, 1, 2, 3]),
    ("Rest day", &[0, 1, 2, 3]),
    ("Light day", &[0, 1, 3]),
    ("Weekend", &[0, 3]),
];
const WEEK: [usize; 7] = [0, 1, 0, 2, 0, 3, 3];
/// Weeks of history before the current week (the current week and the next are generated too).
const HISTORY_WEEKS: i64 = 51;
/// Requests per phone session: the Today page, today's JSON, one mark, and seven more reads.
const SESSION_LEN: u64 = 10;
/// Zipf exponent of how activity spreads over the users.
const ZIPF_S: f64 = 1.0;
const PASSWORD: &str = "bench-password-1";

/// splitmix64: a deterministic stream for the seeding and for the load's choices.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = mix(self.0);
        self.0
    }
}

fn monday_of(d: Date) -> Date {
    d - time::Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

/// What the load needs of a seeded user: the cookie value of their web session and the slots of
/// their current week (the ones a phone marks). Saved beside kept data (`users.json`) so that
/// `MEALFRAME_BENCH_REUSE` can run on it again without seeding.
#[derive(serde::Serialize, serde::Deserialize)]
struct Seeded {
    cookie: String,
    week_slots: Vec<String>,
}

/// Counts of what seeding wrote, for the report.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct SeedCounts {
    past: usize,
    marked: usize,
}

/// One user with their library, a year of weeks (past slots mostly marked) and a web session, in
/// one transaction, through the store functions the use cases call.
async fn seed_user(
    db: &Db,
    n: usize,
    hash: &str,
    today: Date,
    counts: &Mutex<SeedCounts>,
) -> Seeded {
    let now = Timestamp::now();
    let mut rng = Rng(n as u64 + 1);
    let mut tx = db.begin().await.expect("begin");
    let mut c = tx.conn();
    let email = format!("user{n}@bench.example");
    let user = users::insert(
        &mut c,
        &NewUser {
            email: &email,
            email_key: &mealframe_core::email::key_of(&email),
            password_hash: Some(hash),
            email_verified: true,
            auth_provider: AuthProvider::Email,
            google_sub: None,
        },
        now,
    )
    .await
    .expect("insert user");
    let uid: UserId = user.id;
    let mut types: Vec<MealTypeId> = Vec::new();
    for name in MEAL_TYPES {
        let t = meal_types::insert(&mut c, uid, name, None, &["bench".to_owned()], now)
            .await
            .expect("meal type");
        types.push(t.id);
    }
    let mut meal_ids: Vec<Vec<MealId>> = vec![Vec::new(); types.len()];
    for (ti, tid) in types.iter().enumerate() {
        for (m, portion) in PORTIONS[ti].iter().enumerate() {
            let tenths = |v: i64| Some(Tenths::from_units(v).expect("tenths"));
            let meal = NewMeal {
                name: format!("{} option {}", MEAL_TYPES[ti], m + 1),
                portion_description: (*portion).to_owned(),
                macros: Macros {
                    calories_kcal: Some(250 + 40 * m as i32 + 100 * ti as i32),
                    protein: tenths(125 + 10 * m as i64),
                    carbs: tenths(400),
                    sugar: tenths(82),
                    fat: tenths(110),
                    saturated_fat: tenths(31),
                    fiber: tenths(60),
                },
                notes: None,
                source: Source::Manual,
                confidence_pct: None,
                image_path: None,
                ai_model_version: None,
                meal_types: vec![*tid],
            };
            let id = meals::insert(&mut c, uid, &meal, now).await.expect("meal");
            meal_ids[ti].push(id);
        }
    }
    let mut templates: Vec<DayTemplateId> = Vec::new();
    for (name, layout) in LAYOUTS {
        let t = NewTemplate {
            name: name.to_owned(),
            notes: None,
            max_calories_kcal: Some(2400),
            max_protein: Some(Tenths::from_units(1600).expect("tenths")),
            slots: layout
                .iter()
                .enumerate()
                .map(|(i, t)| TemplateSlot {
                    position: i as i32 + 1,
                    meal_type: types[*t],
                    time: None,
                })
                .collect(),
        };
        let t = day_templates::insert(&mut c, uid, &t, now)
            .await
            .expect("day template");
        templates.push(t.id);
    }
    let days: Vec<(u8, DayTemplateId)> = WEEK
        .iter()
        .enumerate()
        .map(|(wd, t)| (wd as u8, templates[*t]))
        .collect();
    week_plans::insert(&mut c, uid, "Default", true, &days, now)
        .await
        .expect("week plan");

    let this_monday = monday_of(today);
    let (mut past, mut marked) = (0, 0);
    let mut week_slots = Vec::new();
    for k in -HISTORY_WEEKS..=1 {
        let monday = this_monday + time::Duration::weeks(k);
        ops::generate(&mut c, uid, monday, today, now)
            .await
            .expect("generate week");
        let week = views::week(&mut c, uid, monday)
            .await
            .expect("read week")
            .expect("the week just generated");
        for day in &week.days {
            for slot in &day.slots {
                if k == 0 {
                    week_slots.push(slot.id.to_string());
                }
                if day.date >= today {
                    continue;
                }
                past += 1;
                let roll = rng.next() % 100;
                if roll >= 90 {
                    continue;
                }
                let other = meal_ids[(rng.next() % 4) as usize][(rng.next() % 10) as usize];
                let (status, actual) = match roll {
                    0..70 => (CompletionStatus::Followed, None),
                    70..77 => (CompletionStatus::Equivalent, Some(other)),
                    77..83 => (CompletionStatus::Skipped, None),
                    83..87 => (CompletionStatus::Deviated, Some(other)),
                    _ => (CompletionStatus::Social, None),
                };
                ops::complete(&mut c, uid, slot.id, status, actual, now)
                    .await
                    .expect("mark slot");
                marked += 1;
            }
        }
    }
    // A web session as the login form would start it: only the token's hash is stored.
    let cookie = format!("bench{n:06}{}", uuid::Uuid::new_v4().simple());
    let expires = now.plus(time::Duration::days(30));
    sessions::insert(&mut c, uid, &sha256_hex(&cookie), expires, now)
        .await
        .expect("web session");
    tx.commit().await.expect("commit");
    let mut counts = counts.lock().unwrap();
    counts.past += past;
    counts.marked += marked;
    Seeded { cookie, week_slots }
}

/// Seeds `users` accounts, `parallel` transactions at a time (one user each).
async fn seed(db: &Db, users: usize, parallel: usize, today: Date) -> (Vec<Seeded>, SeedCounts) {
    // One password hash for everyone: hashing is deliberately slow.
    let hash: Arc<str> = passwords::hash(PASSWORD.to_owned())
        .await
        .expect("hash")
        .into();
    let next = Arc::new(AtomicUsize::new(0));
    let out: Arc<Mutex<Vec<Option<Seeded>>>> =
        Arc::new(Mutex::new((0..users).map(|_| None).collect()));
    let counts = Arc::new(Mutex::new(SeedCounts::default()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..parallel)
        .map(|_| {
            let (db, next, out, counts, hash) = (
                db.clone(),
                next.clone(),
                out.clone(),
                counts.clone(),
                hash.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= users {
                        break;
                    }
                    let s = seed_user(&db, n, &hash, today, &counts).await;
                    out.lock().unwrap()[n] = Some(s);
                    if (n + 1) % (users / 10).max(1) == 0 {
                        eprintln!(
                            "seeded {} users in {:.1} s",
                            n + 1,
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("seeding task");
    }
    let seeded = std::mem::take(&mut *out.lock().unwrap())
        .into_iter()
        .map(|s| s.expect("every user seeded"))
        .collect();
    let counts = std::mem::take(&mut *counts.lock().unwrap());
    (seeded, counts)
}

/// A `mealframe` child process; stopped (SIGTERM, then killed) when dropped, panics included.
struct Server {
    child: Option<Child>,
    pid: u32,
    addr: SocketAddr,
}

impl Server {
    fn start(bin: &str, db_url: &str, data_dir: &Path, log: Option<PathBuf>) -> Server {
        let port = loadgen::free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .env("MEALFRAME_ADDR", addr.to_string())
            .env("MEALFRAME_DATA_DIR", data_dir)
            .env("MEALFRAME_DATABASE_URL", db_url)
            .env(
                "MEALFRAME_JWT_SECRET",
                "mealframe-many-bench-secret-0123456789",
            )
            .env("MEALFRAME_LOG_FORMAT", "json")
            .env(
                "MEALFRAME_LOG_LEVEL",
                std::env::var("MEALFRAME_LOG_LEVEL").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("MEALFRAME_CONFIG")
            .env_remove("MEALFRAME_METRICS_TOKEN")
            .stdout(Stdio::null());
        match log {
            Some(p) => cmd.stderr(std::fs::File::create(p).expect("server log")),
            None => cmd.stderr(Stdio::null()),
        };
        let child = cmd.spawn().expect("start mealframe");
        Server {
            pid: child.id(),
            child: Some(child),
            addr,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            loadgen::stop(child);
        }
    }
}

/// A round-robin TCP proxy on loopback: each accepted connection goes to the next backend in turn
/// and is copied both ways until either side closes. Stops when the returned handle is aborted.
async fn proxy(backends: Vec<SocketAddr>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    let handle = tokio::spawn(async move {
        let mut turn = 0usize;
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let backend = backends[turn % backends.len()];
            turn += 1;
            tokio::spawn(async move {
                let _ = inbound.set_nodelay(true);
                let Ok(mut outbound) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = outbound.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (addr, handle)
}

/// `mealframe_cache_lookups_total` by cache: (hits, misses), summed over the given servers.
/// `None` when no server exposes the metric.
async fn cache_counters(bases: &[String]) -> Option<BTreeMap<String, (f64, f64)>> {
    let http = reqwest::Client::new();
    let mut out: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut seen = false;
    for base in bases {
        let Ok(resp) = http.get(format!("{base}/metrics")).send().await else {
            continue;
        };
        let text = resp.text().await.unwrap_or_default();
        seen |= add_cache_counters(&text, &mut out);
    }
    seen.then_some(out)
}

/// Adds the `mealframe_cache_lookups_total` samples of a Prometheus text exposition to `out`;
/// whether there were any.
fn add_cache_counters(text: &str, out: &mut BTreeMap<String, (f64, f64)>) -> bool {
    let mut seen = false;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("mealframe_cache_lookups_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.split_once('}') else {
            continue;
        };
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        let label = |name: &str| {
            labels.split(',').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k.trim() == name).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        let (Some(cache), Some(outcome)) = (label("cache"), label("outcome")) else {
            continue;
        };
        seen = true;
        let e = out.entry(cache).or_default();
        match outcome.as_str() {
            "hit" => e.0 += value,
            "miss" => e.1 += value,
            _ => {}
        }
    }
    seen
}

/// Hit rate per cache between two readings, or "n/a".
fn hit_rates(
    before: &Option<BTreeMap<String, (f64, f64)>>,
    after: &Option<BTreeMap<String, (f64, f64)>>,
) -> String {
    let Some(after) = after else {
        return "n/a".to_owned();
    };
    let parts: Vec<String> = after
        .iter()
        .filter_map(|(cache, (hit, miss))| {
            let (h0, m0) = before
                .as_ref()
                .and_then(|b| b.get(cache).copied())
                .unwrap_or_default();
            let (h, m) = (hit - h0, miss - m0);
            (h + m > 0.0).then(|| {
                format!(
                    "{cache} {:.1} % of {}",
                    100.0 * h / (h + m),
                    (h + m).round() as u64
                )
            })
        })
        .collect();
    if parts.is_empty() {
        "no lookups".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The Zipf(s) distribution over ranks 0..n as a cumulative table.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect();
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    weights
        .iter()
        .map(|w| {
            acc += w / total;
            acc
        })
        .collect()
}

fn zipf_pick(cdf: &[f64], u: u64) -> usize {
    let x = (u >> 11) as f64 / (1u64 << 53) as f64;
    cdf.partition_point(|c| *c < x).min(cdf.len() - 1)
}

static IDEMPOTENCY: AtomicU64 = AtomicU64::new(0);

/// Phone-like sessions: a worker's requests `i` come in sessions of [`SESSION_LEN`]; each session
/// belongs to one user drawn from the Zipf distribution and opens the Today page, reads today's
/// JSON, marks one slot of the user's current week (10 % of all requests are writes) and reads
/// seven more things: today again, the Week page, stats (JSON or page), the meal list.
fn sessions_job(base: String, users: Arc<Vec<Seeded>>, salt: u64) -> Job {
    let cdf = Arc::new(zipf_cdf(users.len(), ZIPF_S));
    let run = OffsetDateTime::now_utc().unix_timestamp_nanos();
    Arc::new(move |w, i| {
        // Each connection starts at its own point of a session, so that the connections do not
        // all open the Today page at once at the start of a phase.
        let i = i + mix(salt ^ w as u64) % SESSION_LEN;
        let (session, step) = (i / SESSION_LEN, i % SESSION_LEN);
        let seed = mix(salt ^ mix(((w as u64) << 32) ^ session));
        let user = &users[zipf_pick(&cdf, seed)];
        let cookie = format!("mf_session={}", user.cookie);
        let write_step = 2 + mix(seed) % (SESSION_LEN - 2);
        let page = |path: &str, tag| {
            Req::get(format!("{base}{path}"))
                .header("cookie", cookie.clone())
                .header("accept", "text/html")
                .tag(tag)
        };
        let api = |path: &str, tag| {
            Req::get(format!("{base}{path}"))
                .header("cookie", cookie.clone())
                .header("accept", "application/json")
                .tag(tag)
        };
        match step {
            0 => page("/", "GET / (Today page)"),
            1 => api("/api/v1/today", "GET /api/v1/today"),
            s if s == write_step => {
                let slot = &user.week_slots[(mix(seed ^ 7) as usize) % user.week_slots.len()];
                let status =
                    ["followed", "followed", "skipped", "social"][(mix(seed ^ 11) % 4) as usize];
                let key = format!("many-{run}-{}", IDEMPOTENCY.fetch_add(1, Ordering::Relaxed));
                Req::post(
                    format!("{base}/api/v1/slots/{slot}/complete"),
                    json!({ "status": status }),
                )
                .header("cookie", cookie.clone())
                .header("accept", "application/json")
                .header("sec-fetch-site", "same-origin")
                .header("idempotency-key", key)
                .tag("POST /api/v1/slots/{id}/complete")
            }
            s => match mix(seed ^ s) % 8 {
                0..3 => api("/api/v1/today", "GET /api/v1/today"),
                3 => page("/week", "GET /week (page)"),
                4 => api("/api/v1/stats?days=30", "GET /api/v1/stats?days=30"),
                5 => page("/stats", "GET /stats (page)"),
                6 => api("/api/v1/meals", "GET /api/v1/meals"),
                _ => page("/", "GET / (Today page)"),
            },
        }
    })
}

/// What was measured around one phase besides the loadgen figures.
struct Around {
    /// CPU time used during the phase by each server, then by this process (load + proxy).
    cpu: Vec<Duration>,
    bench_cpu: Duration,
    /// Busy share of the whole machine during the phase (all cores, everything running).
    machine_busy: f64,
    rss_after: Vec<Option<u64>>,
    anon_rss_after: Vec<Option<u64>>,
    caches: String,
}

struct Scenario {
    title: String,
    phases: Vec<Phase>,
    around: Vec<Around>,
    peak_rss: Vec<Option<u64>>,
}

/// Runs the phases against `base` (a server or the proxy) and reads `servers` around each.
async fn run_scenario(
    title: &str,
    servers: &[Server],
    base: &str,
    users: &Arc<Vec<Seeded>>,
    secs: u64,
    salt: u64,
) -> Scenario {
    let bases: Vec<String> = servers.iter().map(Server::base).collect();
    let phase_len = Duration::from_secs(secs);
    let health: Job = {
        let b = base.to_owned();
        Arc::new(move |_, _| Req::get(format!("{b}/health")))
    };
    run_phase(
        "warm-up",
        32,
        Duration::from_secs(2),
        sessions_job(base.to_owned(), users.clone(), salt),
        None,
    )
    .await;
    let plan: [(String, usize, Job); 3] = [
        ("GET /health".to_owned(), 32, health),
        (
            "sessions, 32 connections".to_owned(),
            32,
            sessions_job(base.to_owned(), users.clone(), salt + 1),
        ),
        (
            "sessions, 128 connections".to_owned(),
            128,
            sessions_job(base.to_owned(), users.clone(), salt + 2),
        ),
    ];
    let mut phases = Vec::new();
    let mut around = Vec::new();
    for (name, conns, job) in plan {
        let caches0 = cache_counters(&bases).await;
        let cpu0: Vec<Option<Duration>> =
            servers.iter().map(|s| loadgen::cpu_time(s.pid)).collect();
        let bench0 = loadgen::cpu_time(0);
        let machine0 = loadgen::machine_cpu();
        phases.push(run_phase(&name, conns, phase_len, job, None).await);
        let machine1 = loadgen::machine_cpu();
        let bench1 = loadgen::cpu_time(0);
        let cpu1: Vec<Option<Duration>> =
            servers.iter().map(|s| loadgen::cpu_time(s.pid)).collect();
        let caches1 = cache_counters(&bases).await;
        let delta = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => Duration::ZERO,
        };
        let machine_busy = match (machine0, machine1) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                (b1 - b0).as_secs_f64() / (t1 - t0).as_secs_f64()
            }
            _ => 0.0,
        };
        around.push(Around {
            cpu: cpu0.iter().zip(&cpu1).map(|(a, b)| delta(*a, *b)).collect(),
            bench_cpu: delta(bench0, bench1),
            machine_busy,
            rss_after: servers.iter().map(|s| loadgen::rss_kib(s.pid)).collect(),
            anon_rss_after: servers
                .iter()
                .map(|s| loadgen::anon_rss_kib(s.pid))
                .collect(),
            caches: hit_rates(&caches0, &caches1),
        });
    }
    Scenario {
        title: title.to_owned(),
        phases,
        around,
        peak_rss: servers
            .iter()
            .map(|s| loadgen::peak_rss_kib(s.pid))
            .collect(),
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn print_scenario(s: &Scenario, secs: u64) {
    println!("### {}\n", s.title);
    print_table(&s.phases, Some("GET /health"));
    println!();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!(
        "| phase | server CPU s (per instance) | bench CPU s (load + proxy) | machine busy ({cores} cores) | server RSS after (anonymous), MiB | cache hit rates |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    for (p, a) in s.phases.iter().zip(&s.around) {
        let cpu: Vec<String> = a
            .cpu
            .iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect();
        let rss: Vec<String> = a
            .rss_after
            .iter()
            .zip(&a.anon_rss_after)
            .map(|(all, anon)| format!("{} ({})", mib(*all), mib(*anon)))
            .collect();
        println!(
            "| {} | {} | {:.2} | {:.0} % | {} | {} |",
            p.name,
            cpu.join(" + "),
            a.bench_cpu.as_secs_f64(),
            100.0 * a.machine_busy,
            rss.join(" / "),
            a.caches
        );
    }
    println!();
    for p in s.phases.iter().filter(|p| !p.by_tag.is_empty()) {
        loadgen::print_tags(p);
        println!();
    }
    let peaks: Vec<String> = s.peak_rss.iter().map(|k| mib(*k)).collect();
    println!(
        "server peak RSS (VmHWM, MiB): {}; CPU seconds are over {secs} s phases\n",
        peaks.join(" / ")
    );
}

/// Opens the database at `db_url` (migrating it) and seeds `n_users` into it; returns the
/// users, the counts, and how many transactions ran at a time.
async fn seed_into(
    db_url: &str,
    postgres: bool,
    n_users: usize,
    today: Date,
) -> (Vec<Seeded>, SeedCounts, usize) {
    let db = Db::connect(
        db_url,
        mealframe_store::MIGRATIONS,
        &DbOptions {
            max_connections: 9,
            acquire_timeout: Duration::from_secs(60),
        },
    )
    .await
    .expect("open the database");
    // SQLite has one writer: more transactions at once would only queue. On PostgreSQL a few at
    // once overlap the round trips (`MEALFRAME_BENCH_SEED_PARALLEL` to try others; at most 8).
    let parallel = if postgres {
        std::env::var("MEALFRAME_BENCH_SEED_PARALLEL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(4usize)
            .clamp(1, 8)
    } else {
        1
    };
    let (users, counts) = seed(&db, n_users, parallel, today).await;
    db.close().await;
    (users, counts, parallel)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = args.get(1).expect("path to the mealframe binary").clone();
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let n_users: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let log = std::env::var_os("MEALFRAME_BENCH_SERVER_LOG").map(PathBuf::from);
    let log_for = |suffix: &str| {
        log.as_ref().map(|p| {
            let mut p = p.clone().into_os_string();
            p.push(suffix);
            PathBuf::from(p)
        })
    };

    // `MEALFRAME_BENCH_REUSE=<kept data directory>` (SQLite): run on the data a run with
    // `MEALFRAME_BENCH_KEEP_DATA` left behind, as it is now (earlier runs' marks included),
    // instead of seeding minutes again. For profiling, not for reported figures.
    let reuse = std::env::var_os("MEALFRAME_BENCH_REUSE").map(PathBuf::from);
    let root = reuse.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("mealframe-many-{}", std::process::id()))
    });
    std::fs::create_dir_all(&root).expect("data directory");
    let pg = std::env::var("MEALFRAME_BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let (engine, db_url) = match &pg {
        Some(url) => ("PostgreSQL", url.clone()),
        None => (
            "SQLite",
            format!("sqlite://{}", root.join("one/mealframe.sqlite3").display()),
        ),
    };

    // Seeding, straight through the store.
    let today = OffsetDateTime::now_utc().date();
    let started = Instant::now();
    let saved = root.join("users.json");
    let (users, counts, parallel) = match &reuse {
        Some(_) => {
            let text = std::fs::read(&saved).expect("users.json in the reused directory");
            let (users, counts): (Vec<Seeded>, SeedCounts) =
                serde_json::from_slice(&text).expect("users.json as a kept run wrote it");
            (users, counts, 0)
        }
        None => seed_into(&db_url, pg.is_some(), n_users, today).await,
    };
    if reuse.is_none() && std::env::var_os("MEALFRAME_BENCH_KEEP_DATA").is_some() {
        let text = serde_json::to_vec(&(&users, &counts)).expect("encode the seeded users");
        std::fs::write(&saved, text).expect("write users.json");
    }
    let n_users = users.len();
    let seeded_in = started.elapsed();
    eprintln!("seeded in {:.1} s", seeded_in.as_secs_f64());
    let users = Arc::new(users);

    let mut scenarios = Vec::new();
    // Several binaries, comma-separated (`before,after,before,after`): each runs the
    // one-instance scenario in turn on the same seeded data, for a comparison in one run.
    let bins: Vec<&str> = bin.split(',').filter(|b| !b.is_empty()).collect();
    for (turn, bin) in bins.iter().enumerate() {
        let one = Server::start(bin, &db_url, &root.join("one"), log_for(".one"));
        loadgen::wait_until_up(&format!("{}/health", one.base())).await;
        let title = if bins.len() == 1 {
            "one instance".to_owned()
        } else {
            format!("one instance, run {} of {}: {bin}", turn + 1, bins.len())
        };
        let s = run_scenario(
            &title,
            std::slice::from_ref(&one),
            &one.base(),
            &users,
            secs,
            1_000,
        )
        .await;
        scenarios.push(s);
    }
    let bin = bins.last().copied().unwrap_or_default();
    if pg.is_some() {
        let a = Server::start(bin, &db_url, &root.join("a"), log_for(".a"));
        let b = Server::start(bin, &db_url, &root.join("b"), log_for(".b"));
        loadgen::wait_until_up(&format!("{}/health", a.base())).await;
        loadgen::wait_until_up(&format!("{}/health", b.base())).await;
        let (addr, proxy_task) = proxy(vec![a.addr, b.addr]).await;
        let pair = [a, b];
        let s = run_scenario(
            "two instances, one database, round-robin proxy",
            &pair,
            &format!("http://{addr}"),
            &users,
            secs,
            2_000,
        )
        .await;
        proxy_task.abort();
        scenarios.push(s);
    }
    if reuse.is_some() || std::env::var_os("MEALFRAME_BENCH_KEEP_DATA").is_some() {
        eprintln!("data directory kept: {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let build = if cfg!(debug_assertions) {
        "DEBUG build (not for figures)"
    } else {
        "release build"
    };
    println!(
        "## Many users: {engine}, {n_users} users, {secs} s per phase, {cores} cores, {build}\n"
    );
    if let Some(dir) = &reuse {
        println!(
            "**reused** the data kept in {} (earlier runs' marks included): not for figures\n",
            dir.display()
        );
    }
    println!(
        "seeded through the store in {:.1} s ({:.1} ms per user, {parallel} transaction(s) at a \
         time): per user 4 meal types × 10 meals, {} day templates, a default week plan, {} weeks \
         ({} past slots in all, {} marked = {:.0} %), one web session\n",
        seeded_in.as_secs_f64(),
        seeded_in.as_secs_f64() * 1000.0 / n_users.max(1) as f64,
        LAYOUTS.len(),
        HISTORY_WEEKS + 2,
        counts.past,
        counts.marked,
        100.0 * counts.marked as f64 / counts.past.max(1) as f64,
    );
    println!(
        "load: sessions of {SESSION_LEN} requests (Today page, today JSON, one mark, seven more \
         reads) by users drawn Zipf(s = {ZIPF_S}) over the {n_users} accounts, cookie sessions; \
         each connection keep-alive, requests back to back; 2 s warm-up before each scenario\n"
    );
    for s in &scenarios {
        print_scenario(s, secs);
    }
    if scenarios.len() == 2 {
        println!("### two instances against one\n");
        println!("| phase | one instance req/s | two instances req/s | ratio |");
        println!("| --- | ---: | ---: | ---: |");
        for (a, b) in scenarios[0].phases.iter().zip(&scenarios[1].phases) {
            println!(
                "| {} | {:.0} | {:.0} | {:.2} |",
                a.name,
                a.rps(),
                b.rps(),
                b.rps() / a.rps().max(f64::MIN_POSITIVE)
            );
        }
        println!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cache_counters_and_hit_rates() {
        let text = "# TYPE mealframe_cache_lookups_total counter\n\
            mealframe_cache_lookups_total{cache=\"days\",outcome=\"hit\"} 30\n\
            mealframe_cache_lookups_total{outcome=\"miss\",cache=\"days\"} 10\n\
            mealframe_http_requests_total{route=\"/\"} 5\n";
        let mut after = BTreeMap::new();
        assert!(add_cache_counters(text, &mut after));
        assert_eq!(after["days"], (30.0, 10.0));
        let before = Some(BTreeMap::from([("days".to_owned(), (10.0, 10.0))]));
        assert_eq!(hit_rates(&before, &Some(after)), "days 100.0 % of 20");
        assert!(!add_cache_counters("up 1\n", &mut BTreeMap::new()));
        assert_eq!(hit_rates(&None, &None), "n/a");
    }

    #[test]
    fn zipf_favours_the_first_users() {
        let cdf = zipf_cdf(2000, 1.0);
        let mut counts = vec![0u32; 2000];
        for k in 0..100_000u64 {
            counts[zipf_pick(&cdf, mix(k))] += 1;
        }
        // With s = 1 the first user gets 1/H(2000) ≈ 12 % of the sessions, the second half.
        assert!((11_000..14_000).contains(&counts[0]), "{}", counts[0]);
        assert!(counts[1] * 2 > counts[0] * 8 / 10 && counts[1] * 2 < counts[0] * 12 / 10);
        assert!(counts[1000..].iter().sum::<u32>() > 5_000);
    }
}
