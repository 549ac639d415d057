//! Load benchmark of the `mealframe` binary (run it through `bench/mealframe/run.sh`).
//!
//! Starts the release `mealframe` as a child on loopback with a fresh data directory (or the empty
//! PostgreSQL database in `MEALFRAME_BENCH_DATABASE_URL`), seeds one account through the public
//! API with a realistic library and a year of history, then runs fixed-length phases at a fixed
//! concurrency (each worker on its own keep-alive connection) over the read and write routes of
//! issue 3 and the Today page, measures what the Today page weighs on the wire, reads the
//! server's peak RSS and stops it. Prints Markdown; stops by itself.
//!
//! Usage: `mealframe_bench <path/to/mealframe> [seconds-per-phase=10] [concurrency=32]`

use std::{
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use loadgen::{Job, Phase, Req, ms, print_table, run_phase};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

const MEAL_TYPES: [&str; 4] = ["Breakfast", "Lunch", "Snack", "Dinner"];

/// Realistic portion texts, ten per meal type (what the grocery list parses and sums).
const PORTIONS: [[&str; 10]; 4] = [
    [
        "60 g oats + 200 ml milk + 1 tbsp chia + 80 g berries",
        "200 g Greek yogurt + 30 g granola + 1 tsp honey",
        "2 eggs + 1 slice wholegrain toast + 5 g butter",
        "2 slices rye bread + 30 g cream cheese + 50 g smoked salmon",
        "1 bagel + 1 tbsp peanut butter + 1 banana",
        "40 g porridge oats, 300 ml oat milk, 1 tsp cinnamon",
        "3 egg whites + 1 egg + 50 g spinach + 1 slice toast",
        "1 cup muesli + 1/2 cup milk + 1 apple",
        "2 pancakes + 1 tbsp maple syrup + 100 g strawberries",
        "150 g cottage cheese + 1 peach + 10 g walnuts",
    ],
    [
        "150 g chicken breast + 150 g cooked rice + 100 g vegetables",
        "400 ml lentil soup + 1 slice rye bread",
        "1 can tuna + 150 g mixed salad + 100 g chickpeas + 1 tbsp olive oil",
        "1 wholemeal wrap + 100 g turkey + 30 g hummus + 50 g lettuce",
        "200 g tofu + 250 g vegetables + 60 g noodles (dry)",
        "120 g quinoa + 100 g feta + 1 cucumber + 10 cherry tomatoes",
        "2 slices bread + 60 g ham + 20 g cheese + 1 tomato",
        "300 g minestrone + 1 bread roll",
        "150 g salmon + 200 g sweet potato + 100 g broccoli",
        "100 g couscous + 150 g roasted vegetables + 50 g halloumi",
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
        "150 g salmon + 250 g potatoes + 150 g green beans",
        "350 g turkey chili + 50 g rice (dry)",
        "125 g pasta (dry) + 150 g minced beef + 200 g passata",
        "200 g chicken thighs + 200 g roasted vegetables + 1 tbsp olive oil",
        "2 corn tortillas + 120 g black beans + 50 g avocado + 30 g cheese",
        "180 g cod + 200 g potatoes + 100 g peas",
        "1 pizza base + 80 g mozzarella + 100 g tomato sauce + 50 g pepperoni",
        "150 g tofu + 100 g rice noodles + 150 g pak choi + 1 tbsp soy sauce",
        "250 g beef stew + 1 slice bread",
        "2 veggie burgers + 2 buns + 1 tomato + 30 g lettuce",
    ],
];
/// Weeks of history before the current week (the current week and the next are generated too).
const HISTORY_WEEKS: i64 = 51;

/// A tiny deterministic generator, so every run seeds the same history.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn send(&self, req: Req) -> (u16, Value) {
        let mut b = self
            .http
            .request(req.method, format!("{}{}", self.base, req.url))
            .bearer_auth(&self.token);
        for (k, v) in req.headers {
            b = b.header(k, v);
        }
        if let Some(body) = req.body {
            b = b.json(&body);
        }
        let resp = b.send().await.expect("request");
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.send(Req::post(path, body)).await;
        assert!((200..300).contains(&status), "POST {path}: {status} {v}");
        v
    }

    async fn get(&self, path: &str) -> Value {
        let (status, v) = self.send(Req::get(path)).await;
        assert!((200..300).contains(&status), "GET {path}: {status} {v}");
        v
    }
}

fn monday_of(d: Date) -> Date {
    d - time::Duration::days(i64::from(d.weekday().number_days_from_monday()))
}

/// The library: 4 meal types × 10 meals, 5 day templates, a default week plan. Returns the meal
/// ids by type.
async fn seed_library(api: &Api) -> Vec<Vec<String>> {
    let mut types = Vec::new();
    for name in MEAL_TYPES {
        let t = api
            .post(
                "/api/v1/meal-types",
                json!({"name": name, "tags": ["bench"]}),
            )
            .await;
        types.push(t["id"].as_str().unwrap().to_owned());
    }
    let mut meals = vec![Vec::new(); types.len()];
    for (ti, tid) in types.iter().enumerate() {
        for (m, portion) in PORTIONS[ti].iter().enumerate() {
            let kcal = 250 + 40 * m + 100 * ti;
            let meal = api
                .post(
                    "/api/v1/meals",
                    json!({
                        "name": format!("{} option {}", MEAL_TYPES[ti], m + 1),
                        "portion_description": portion,
                        "calories_kcal": kcal,
                        "protein_g": 12.5 + m as f64, "carbs_g": 40.0, "sugar_g": 8.2,
                        "fat_g": 11.0, "saturated_fat_g": 3.1, "fiber_g": 6.0,
                        "notes": "seeded by the benchmark",
                        "meal_type_ids": [tid],
                    }),
                )
                .await;
            meals[ti].push(meal["id"].as_str().unwrap().to_owned());
        }
    }
    // Slot layouts by meal-type index: a training day, a rest day, a light day, weekend days.
    let layouts: [(&str, &[usize]); 5] = [
        ("Training day", &[0, 2, 1, 2, 3]),
        ("Rest day", &[0, 1, 2, 3]),
        ("Light day", &[0, 1, 3]),
        ("Saturday", &[0, 1, 2, 3]),
        ("Sunday brunch", &[0, 3]),
    ];
    let mut templates = Vec::new();
    for (name, slots) in layouts {
        let slots: Vec<Value> = slots
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"position": i + 1, "meal_type_id": types[*t]}))
            .collect();
        let t = api
            .post(
                "/api/v1/day-templates",
                json!({"name": name, "max_calories_kcal": 2400, "max_protein_g": 160, "slots": slots}),
            )
            .await;
        templates.push(t["id"].as_str().unwrap().to_owned());
    }
    let week = [0, 1, 0, 2, 0, 3, 4];
    let days: Vec<Value> = week
        .iter()
        .enumerate()
        .map(|(wd, t)| json!({"weekday": wd, "day_template_id": templates[*t]}))
        .collect();
    api.post(
        "/api/v1/week-plans",
        json!({"name": "Default", "is_default": true, "days": days}),
    )
    .await;
    meals
}

/// One year of history: 52 generated weeks up to the current one plus the next, ~90 % of past
/// slots marked (mostly followed). Returns the slot ids of the current and next week.
async fn seed_history(
    api: &Api,
    meals: &[Vec<String>],
    today: Date,
) -> (usize, usize, Vec<String>) {
    let this_monday = monday_of(today);
    let mut rng = Lcg(42);
    let (mut past, mut marks) = (0usize, Vec::new());
    let mut live_slots = Vec::new();
    for k in -HISTORY_WEEKS..=1 {
        let monday = this_monday + time::Duration::weeks(k);
        let week = api
            .post(
                "/api/v1/weekly-plans/generate",
                json!({"week_start_date": monday.to_string()}),
            )
            .await;
        for day in week["days"].as_array().unwrap() {
            let date = Date::parse(
                day["date"].as_str().unwrap(),
                &time::format_description::well_known::Iso8601::DATE,
            )
            .unwrap();
            for slot in day["slots"].as_array().unwrap() {
                let id = slot["id"].as_str().unwrap().to_owned();
                if date >= today {
                    live_slots.push(id);
                    continue;
                }
                past += 1;
                let roll = rng.next() % 100;
                if roll >= 90 {
                    continue;
                }
                let other = &meals[(rng.next() % 4) as usize][(rng.next() % 10) as usize];
                let body = match roll {
                    0..70 => json!({"status": "followed"}),
                    70..77 => json!({"status": "equivalent", "actual_meal_id": other}),
                    77..83 => json!({"status": "skipped"}),
                    83..87 => json!({"status": "deviated", "actual_meal_id": other}),
                    _ => json!({"status": "social"}),
                };
                marks.push((id, body));
            }
        }
    }
    let marked = marks.len();
    // Mark with a few requests in flight at once.
    let marks = Arc::new(std::sync::Mutex::new(marks));
    let api = Arc::new(Api {
        http: api.http.clone(),
        base: api.base.clone(),
        token: api.token.clone(),
    });
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (marks, api) = (marks.clone(), api.clone());
            tokio::spawn(async move {
                loop {
                    let next = marks.lock().unwrap().pop();
                    let Some((id, body)) = next else { break };
                    api.post(&format!("/api/v1/slots/{id}/complete"), body)
                        .await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (past, marked, live_slots)
}

/// Signs in through the login form and returns the `mf_session` cookie pair.
async fn page_session(base: &str, email: &str, password: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .post(format!("{base}/login"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", email), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("mf_session="))
        .and_then(|c| c.split(';').next())
        .expect("the login form sets mf_session")
        .to_owned()
}

/// Bytes on the wire of the Today page and of every stylesheet and module it references (the
/// import map included), gzip-compressed as a browser would receive them, and uncompressed.
async fn today_weight(base: &str, cookie: &str) -> (usize, usize, Vec<(String, usize)>) {
    let client = reqwest::Client::new();
    let fetch = |path: String, encoding: &'static str| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let resp = client
                .get(url)
                .header("cookie", cookie)
                .header("accept", "text/html,*/*")
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{path}: {}", resp.status());
            resp.bytes().await.unwrap()
        }
    };
    let html = fetch("/".into(), "identity").await;
    let text = String::from_utf8_lossy(&html).into_owned();
    let mut assets: Vec<String> = text
        .match_indices("\"/static/")
        .map(|(i, _)| {
            let rest = &text[i + 1..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .filter(|p| {
            let path = p.split('?').next().unwrap_or(p);
            path.ends_with(".css") || path.ends_with(".js")
        })
        .collect();
    assets.sort();
    assets.dedup();
    let mut rows = vec![(
        "/ (Today page HTML)".to_owned(),
        fetch("/".into(), "gzip").await.len(),
    )];
    let mut plain = html.len();
    for a in assets {
        plain += fetch(a.clone(), "identity").await.len();
        let gz = fetch(a.clone(), "gzip").await.len();
        rows.push((a, gz));
    }
    let total = rows.iter().map(|(_, n)| n).sum();
    (total, plain, rows)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let server = args.get(1).expect("path to the mealframe binary").clone();
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(32);
    let phase_len = Duration::from_secs(secs);

    let port = loadgen::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let data_dir = std::env::temp_dir().join(format!("mealframe-bench-{}", std::process::id()));
    let mut cmd = Command::new(&server);
    cmd.arg("serve")
        .env("MEALFRAME_ADDR", format!("127.0.0.1:{port}"))
        .env("MEALFRAME_DATA_DIR", &data_dir)
        .env("MEALFRAME_LOG_FORMAT", "json")
        .env(
            "MEALFRAME_LOG_LEVEL",
            std::env::var("MEALFRAME_LOG_LEVEL").unwrap_or_else(|_| "info".into()),
        )
        .env_remove("MEALFRAME_DATABASE_URL")
        .stdout(Stdio::null());
    let engine = match std::env::var("MEALFRAME_BENCH_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            cmd.env("MEALFRAME_DATABASE_URL", url);
            "PostgreSQL"
        }
        _ => "SQLite",
    };
    match std::env::var("MEALFRAME_BENCH_SERVER_LOG") {
        Ok(p) => cmd.stderr(std::fs::File::create(p).unwrap()),
        Err(_) => cmd.stderr(Stdio::null()),
    };
    let child = cmd.spawn().expect("start mealframe");
    let pid = child.id();
    loadgen::wait_until_up(&format!("{base}/health")).await;

    // The account.
    let http = reqwest::Client::new();
    let (email, password) = ("bench@example.com", "bench-password-1");
    let r = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "register");
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"]
        .as_str()
        .expect("login (is e-mail verification off? no mail transport must be configured)")
        .to_owned();
    let api = Api {
        http,
        base: base.clone(),
        token: token.clone(),
    };

    let seeding = Instant::now();
    let today = OffsetDateTime::now_utc().date();
    let meals = seed_library(&api).await;
    let (past, marked, live) = seed_history(&api, &meals, today).await;
    let seeded_in = seeding.elapsed();
    let today_api = api.get("/api/v1/today").await;
    let stats = api.get("/api/v1/stats?days=365").await;
    let cookie = page_session(&base, email, password).await;
    let next_monday = monday_of(today) + time::Duration::weeks(1);

    let get = {
        let (b, t) = (base.clone(), token.clone());
        move |path: &'static str| -> Job {
            let (b, t) = (b.clone(), t.clone());
            Arc::new(move |_, _| Req::get(format!("{b}{path}")).bearer(&t))
        }
    };
    let health: Job = {
        let b = base.clone();
        Arc::new(move |_, _| Req::get(format!("{b}/health")))
    };
    let page: Job = {
        let (b, c) = (base.clone(), cookie.clone());
        Arc::new(move |_, _| {
            Req::get(format!("{b}/"))
                .header("cookie", c.clone())
                .header("accept", "text/html")
        })
    };
    // The grocery list of 28 generated days: the two weeks before this one, this week, next week.
    let (g_from, g_to) = (
        monday_of(today) - time::Duration::weeks(2),
        monday_of(today) + time::Duration::days(13),
    );
    let grocery_query = format!("from={g_from}&to={g_to}");
    let grocery = api
        .get(&format!("/api/v1/grocery-list?{grocery_query}"))
        .await;
    let grocery_api: Job = {
        let (b, t, q) = (base.clone(), token.clone(), grocery_query.clone());
        Arc::new(move |_, _| Req::get(format!("{b}/api/v1/grocery-list?{q}")).bearer(&t))
    };
    let grocery_page: Job = {
        let (b, c, q) = (base.clone(), cookie.clone(), grocery_query.clone());
        Arc::new(move |_, _| {
            Req::get(format!("{b}/groceries?{q}"))
                .header("cookie", c.clone())
                .header("accept", "text/html")
        })
    };
    let complete: Job = {
        let (b, t, slots) = (base.clone(), token.clone(), Arc::new(live.clone()));
        let statuses = ["followed", "skipped", "social", "followed"];
        Arc::new(move |w, i| {
            let slot = &slots[(w * 7 + i as usize) % slots.len()];
            Req::post(
                format!("{b}/api/v1/slots/{slot}/complete"),
                json!({"status": statuses[(i % 4) as usize]}),
            )
            .bearer(&t)
        })
    };
    let generate: Job = {
        let (b, t) = (base.clone(), token.clone());
        Arc::new(move |_, _| {
            Req::post(
                format!("{b}/api/v1/weekly-plans/generate"),
                json!({"week_start_date": next_monday.to_string()}),
            )
            .bearer(&t)
        })
    };

    run_phase(
        "warm-up",
        concurrency,
        Duration::from_secs(2),
        get("/api/v1/today"),
        None,
    )
    .await;
    let mut phases: Vec<Phase> = Vec::new();
    let reads: [(&str, Job); 7] = [
        ("GET /health", health.clone()),
        ("GET /api/v1/today", get("/api/v1/today")),
        (
            "GET /api/v1/weekly-plans/current",
            get("/api/v1/weekly-plans/current"),
        ),
        ("GET /api/v1/stats?days=30", get("/api/v1/stats?days=30")),
        ("GET /api/v1/stats?days=365", get("/api/v1/stats?days=365")),
        ("GET /api/v1/meals", get("/api/v1/meals")),
        ("GET / (Today page, HTML)", page.clone()),
    ];
    let mut rss_after = vec![("seeded".to_owned(), loadgen::rss_kib(pid))];
    for (name, j) in reads {
        phases.push(run_phase(name, concurrency, phase_len, j, None).await);
        rss_after.push((name.to_owned(), loadgen::rss_kib(pid)));
    }
    phases.push(run_phase("GET / (Today page), 1 connection", 1, phase_len, page, None).await);
    phases.push(
        run_phase(
            "GET /api/v1/grocery-list (28 days)",
            concurrency,
            phase_len,
            grocery_api.clone(),
            None,
        )
        .await,
    );
    phases.push(
        run_phase(
            "GET /api/v1/grocery-list (28 days), 1 connection",
            1,
            phase_len,
            grocery_api,
            None,
        )
        .await,
    );
    phases.push(
        run_phase(
            "GET /groceries (28 days, page), 1 connection",
            1,
            phase_len,
            grocery_page,
            None,
        )
        .await,
    );
    // Regenerating re-rolls only unmarked slots: measured first on next week as generated (none
    // marked yet), and again after the complete phase has marked them.
    phases.push(
        run_phase(
            "POST /api/v1/weekly-plans/generate (regenerate, next week unmarked)",
            concurrency,
            phase_len,
            generate.clone(),
            None,
        )
        .await,
    );
    phases.push(
        run_phase(
            "POST /api/v1/slots/{id}/complete",
            concurrency,
            phase_len,
            complete,
            None,
        )
        .await,
    );
    phases.push(
        run_phase(
            "POST /api/v1/weekly-plans/generate (regenerate, next week marked)",
            concurrency,
            phase_len,
            generate,
            None,
        )
        .await,
    );
    rss_after.push(("writes".to_owned(), loadgen::rss_kib(pid)));
    let (weight, plain, rows) = today_weight(&base, &cookie).await;
    let rss = loadgen::peak_rss_kib(pid);
    loadgen::stop(child);
    if std::env::var_os("MEALFRAME_BENCH_KEEP_DATA").is_some() {
        eprintln!("data directory kept: {}", data_dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&data_dir);
    }

    println!(
        "{engine}, concurrency {concurrency}, {secs} s per phase, {} cores, release build\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "seeded in {:.1} s: 4 meal types × 10 meals, 5 templates, default week plan, {} weeks \
         ({past} past slots, {marked} marked = {:.0} %), today has {} slots, stats(365) total_slots {}\n",
        seeded_in.as_secs_f64(),
        HISTORY_WEEKS + 2,
        100.0 * marked as f64 / past.max(1) as f64,
        today_api["slots"].as_array().map_or(0, Vec::len),
        stats["total_slots"],
    );
    print_table(&phases, Some("GET /health"));
    println!();
    let page1 = phases
        .iter()
        .find(|p| p.name == "GET / (Today page), 1 connection")
        .unwrap();
    println!(
        "Today page, one connection (≈ server render + loopback): p50 {} ms, p99 {} ms",
        ms(page1.p(50.0)),
        ms(page1.p(99.0))
    );
    println!(
        "grocery list of {g_from}..{g_to}: {} items, {} unread lines, {} staples left off",
        grocery["items"].as_array().map_or(0, Vec::len),
        grocery["unparsed"].as_array().map_or(0, Vec::len),
        grocery["staples"].as_array().map_or(0, Vec::len),
    );
    println!(
        "Today page on the wire (gzip): {:.1} KiB in all ({:.1} KiB uncompressed)",
        weight as f64 / 1024.0,
        plain as f64 / 1024.0
    );
    for (path, n) in rows {
        println!("  {path}: {n} B");
    }
    println!("{}", loadgen::rss_line("mealframe", rss));
    let after: Vec<String> = rss_after
        .iter()
        .map(|(n, kib)| format!("{n} {:.1}", kib.unwrap_or(0) as f64 / 1024.0))
        .collect();
    println!("RSS (MiB) after: {}", after.join(", "));
}
