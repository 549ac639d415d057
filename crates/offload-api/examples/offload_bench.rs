//! Load benchmark of the `offload-api` binary (run it through `bench/offload/run.sh`).
//!
//! Starts a fake OpenAI-compatible provider in this process (answers after a fixed delay), starts
//! the release `offload-api` binary as a child on loopback with rate limits and quota raised by
//! configuration, then runs fixed-length phases at a fixed concurrency, each worker on its own
//! keep-alive connection: `/v1/health`, the fake provider directly (the baseline), anonymous
//! sessions, reconcile, breakdown. Prints a Markdown table and stops everything by itself.
//!
//! Usage: `offload_bench <path/to/offload-api> [seconds-per-phase] [concurrency] [delay-ms]`
//!
//! `offload_bench --fake-provider [addr=127.0.0.1:9099] [delay-ms=50]` only serves the fake
//! provider (OpenAI-compatible, base URL `http://ADDR/v1`), for trying the gateway by hand.

use std::{
    net::SocketAddr,
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::State, routing::post};
use loadgen::{Inspect, Job, Req, ms, pct, print_table, run_phase};
use serde_json::{Value, json};

#[derive(Clone)]
struct Fake {
    delay: Duration,
    calls: Arc<AtomicU64>,
}

async fn chat_completions(State(fake): State<Fake>) -> Json<Value> {
    fake.calls.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(fake.delay).await;
    let content = json!({"steps":[{"title":"Open the door","substeps":[{"title":"Find the key","substeps":[]}]},
                                  {"title":"Walk in","substeps":[]}]});
    Json(json!({
        "id": "chatcmpl-bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content.to_string()}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 40}
    }))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--fake-provider") {
        let addr = args
            .get(2)
            .cloned()
            .unwrap_or_else(|| "127.0.0.1:9099".into());
        let delay = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50);
        let fake = Fake {
            delay: Duration::from_millis(delay),
            calls: Arc::new(AtomicU64::new(0)),
        };
        let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
        eprintln!("fake OpenAI-compatible provider on http://{addr}/v1 (answers breakdowns)");
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .with_state(fake);
        axum::serve(listener, app)
            .with_graceful_shutdown(platform::shutdown::signal())
            .await
            .unwrap();
        return;
    }
    let server = args.get(1).expect("path to the offload-api binary").clone();
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50);
    let delay_ms: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(50);
    let phase_len = Duration::from_secs(secs);

    // The fake provider.
    let fake = Fake {
        delay: Duration::from_millis(delay_ms),
        calls: Arc::new(AtomicU64::new(0)),
    };
    let provider = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let provider_addr = provider.local_addr().unwrap();
    let fake_app = Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(provider, fake_app).await.unwrap() });

    // The gateway.
    let addr = SocketAddr::from(([127, 0, 0, 1], loadgen::free_port()));
    let data_dir = std::env::temp_dir().join(format!("offload-bench-{}", std::process::id()));
    let big = "1000000000";
    let mut cmd = Command::new(&server);
    cmd.env("OFFLOAD_ADDR", addr.to_string())
        .env("OFFLOAD_DATA_DIR", &data_dir)
        .env(
            "OFFLOAD_OPENAI_BASE_URL",
            format!("http://{provider_addr}/v1"),
        )
        .env("OFFLOAD_OPENAI_API_KEY", "bench")
        .env("OFFLOAD_SESSION_ISSUE_LIMIT_PER_IP", big)
        .env("OFFLOAD_SESSION_ISSUE_LIMIT_PER_INSTALL", big)
        .env("OFFLOAD_AI_INFERENCE_LIMIT_PER_IP", big)
        .env("OFFLOAD_AI_INFERENCE_LIMIT_PER_INSTALL", big)
        .env("OFFLOAD_RECONCILE_LIMIT_PER_IP", big)
        .env("OFFLOAD_RECONCILE_LIMIT_PER_INSTALL", big)
        .env("OFFLOAD_DEFAULT_FEATURE_QUOTA", "2000000000")
        .env("OFFLOAD_LOG_FORMAT", "json")
        .env(
            "OFFLOAD_LOG_LEVEL",
            std::env::var("OFFLOAD_LOG_LEVEL").unwrap_or_else(|_| "info".into()),
        )
        .stdout(Stdio::null());
    let log_path = std::env::var("OFFLOAD_BENCH_SERVER_LOG").ok();
    match &log_path {
        Some(p) => {
            cmd.stderr(std::fs::File::create(p).unwrap());
        }
        None => {
            cmd.stderr(Stdio::null());
        }
    }
    let child = cmd.spawn().expect("start offload-api");
    let pid = child.id();
    let base = format!("http://{addr}");
    loadgen::wait_until_up(&format!("{base}/v1/health")).await;
    let probe = reqwest::Client::new();

    // One session per worker for the authenticated phases.
    let mut tokens = Vec::new();
    for w in 0..concurrency {
        let r: Value = probe
            .post(format!("{base}/v1/sessions/anonymous"))
            .json(&json!({"install_id": format!("bench-install-{w:04}"), "app_version": "1.0", "platform": "ios"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(r["session_token"].as_str().unwrap().to_owned());
    }
    let tokens = Arc::new(tokens);

    let health: Job = {
        let base = base.clone();
        Arc::new(move |_, _| Req::get(format!("{base}/v1/health")))
    };
    let direct: Job = {
        let url = format!("http://{provider_addr}/v1/chat/completions");
        Arc::new(move |_, _| Req::post(url.clone(), json!({"model":"x"})))
    };
    let sessions: Job = {
        let base = base.clone();
        Arc::new(move |w, i| {
            Req::post(
                format!("{base}/v1/sessions/anonymous"),
                json!({"install_id": format!("bench-s-{w:04}-{i:08}"), "app_version": "1.0", "platform": "ios"}),
            )
        })
    };
    let reconcile: Job = {
        let (base, tokens) = (base.clone(), tokens.clone());
        Arc::new(move |w, i| {
            Req::post(
                format!("{base}/v1/usage/reconcile"),
                json!({"install_id": format!("bench-install-{w:04}"), "feature": "breakdown", "local_count": i}),
            )
            .bearer(&tokens[w])
        })
    };
    let breakdown: Job = {
        let (base, tokens) = (base.clone(), tokens.clone());
        Arc::new(move |w, _| {
            Req::post(
                format!("{base}/v1/ai/breakdown/generate"),
                json!({"input_text": "Clean the garage before the weekend", "granularity": 3, "context_hints": [], "template_ids": []}),
            )
            .bearer(&tokens[w])
            .header("x-offload-cloud-opt-in", "true")
        })
    };
    // Client latency minus the provider time the gateway reports in `latency_ms`.
    let overhead: Inspect = Arc::new(|bytes, took| {
        let v = serde_json::from_slice::<Value>(bytes).ok()?;
        Some(took.saturating_sub(Duration::from_millis(v["latency_ms"].as_u64()?)))
    });

    // Warm-up (connections, caches, the fake).
    run_phase(
        "warm-up",
        concurrency,
        Duration::from_secs(2),
        breakdown.clone(),
        Some(overhead.clone()),
    )
    .await;

    let mut phases = Vec::new();
    phases.push(run_phase("GET /v1/health", concurrency, phase_len, health, None).await);
    phases.push(
        run_phase(
            "fake provider, direct (baseline)",
            concurrency,
            phase_len,
            direct,
            None,
        )
        .await,
    );
    phases.push(
        run_phase(
            "POST /v1/sessions/anonymous",
            concurrency,
            phase_len,
            sessions,
            None,
        )
        .await,
    );
    phases.push(
        run_phase(
            "POST /v1/usage/reconcile",
            concurrency,
            phase_len,
            reconcile,
            None,
        )
        .await,
    );
    phases.push(
        run_phase(
            "POST /v1/ai/breakdown/generate",
            concurrency,
            phase_len,
            breakdown,
            Some(overhead),
        )
        .await,
    );
    let rss = loadgen::peak_rss_kib(pid);
    loadgen::stop(child);
    let _ = std::fs::remove_dir_all(&data_dir);

    println!(
        "concurrency {concurrency}, {secs} s per phase, fake provider delay {delay_ms} ms, {} cores\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    print_table(&phases, None);
    let direct = &phases[1];
    let gateway = &phases[4];
    let health = &phases[0];
    println!();
    println!("gateway added latency on breakdown (breakdown percentile − direct fake percentile):");
    for p in [50.0, 95.0, 99.0] {
        let added =
            pct(&gateway.latencies, p).as_secs_f64() - pct(&direct.latencies, p).as_secs_f64();
        println!("  p{p:.0}: {:.2} ms", added * 1000.0);
    }
    println!(
        "per-request overhead (client latency − reported provider latency_ms, ms-truncated so ≤1 ms high):"
    );
    for p in [50.0, 95.0, 99.0] {
        println!("  p{p:.0}: {} ms", ms(pct(&gateway.derived, p)));
    }
    println!(
        "\nbreakdown req/s vs health req/s: {:.3}",
        gateway.rps() / health.rps()
    );
    println!(
        "fake provider calls: {}",
        fake.calls.load(Ordering::Relaxed)
    );
    println!("{}", loadgen::rss_line("offload-api", rss));
}
