//! The load generator shared by the benchmarks in `bench/` (the examples `offload_bench` and
//! `mealframe_bench`). It exists so both measure the same way: a fixed number of workers, each on
//! its own keep-alive connection sending requests back to back for a fixed time, client-side
//! latencies of successful responses, and the server under test run as a child process whose peak
//! RSS is read from `/proc`. Loopback only; every phase ends by itself.

use std::{
    process::{Child, Command},
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use serde_json::Value;

/// One request a worker sends.
pub struct Req {
    pub method: reqwest::Method,
    pub url: String,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
}

impl Req {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: reqwest::Method::GET,
            url: url.into(),
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn post(url: impl Into<String>, body: Value) -> Self {
        Self {
            method: reqwest::Method::POST,
            url: url.into(),
            body: Some(body),
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }
}

/// Builds request number `i` of worker `w`.
pub type Job = Arc<dyn Fn(usize, u64) -> Req + Send + Sync>;

/// Looks at a successful response (body, client latency) and may return a derived duration
/// (the Offload bench subtracts the provider time the gateway reports).
pub type Inspect = Arc<dyn Fn(&Bytes, Duration) -> Option<Duration> + Send + Sync>;

/// What one phase measured. Latency vectors are sorted.
pub struct Phase {
    pub name: String,
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    pub derived: Vec<Duration>,
}

impl Phase {
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    pub fn p(&self, percentile: f64) -> Duration {
        pct(&self.latencies, percentile)
    }

    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }
}

/// Runs `job` on `concurrency` workers for `duration`; non-2xx answers and transport errors count
/// as errors and are not in the latencies.
pub async fn run_phase(
    name: &str,
    concurrency: usize,
    duration: Duration,
    job: Job,
    inspect: Option<Inspect>,
) -> Phase {
    // Progress on stderr (the tables go to stdout), so a profiler can be attached per phase.
    eprintln!("phase: {name}");
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (job, inspect) = (job.clone(), inspect.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .tcp_nodelay(true)
                    .build()
                    .expect("http client");
                let (mut ok, mut errors) = (0u64, 0u64);
                let (mut lat, mut derived) = (Vec::new(), Vec::new());
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let r = job(w, i);
                    i += 1;
                    let mut req = client.request(r.method, &r.url);
                    for (k, v) in r.headers {
                        req = req.header(k, v);
                    }
                    if let Some(b) = r.body {
                        req = req.json(&b);
                    }
                    let t0 = Instant::now();
                    match req.send().await {
                        Ok(resp) => {
                            let status = resp.status();
                            let bytes = resp.bytes().await.unwrap_or_default();
                            let took = t0.elapsed();
                            if status.is_success() {
                                ok += 1;
                                lat.push(took);
                                if let Some(d) = inspect.as_ref().and_then(|f| f(&bytes, took)) {
                                    derived.push(d);
                                }
                            } else {
                                errors += 1;
                            }
                        }
                        Err(_) => errors += 1,
                    }
                }
                (ok, errors, lat, derived)
            })
        })
        .collect();
    let mut phase = Phase {
        name: name.to_owned(),
        ok: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        derived: Vec::new(),
    };
    for w in workers {
        let (ok, errors, lat, derived) = w.await.expect("worker");
        phase.ok += ok;
        phase.errors += errors;
        phase.latencies.extend(lat);
        phase.derived.extend(derived);
    }
    phase.elapsed = started.elapsed();
    phase.latencies.sort();
    phase.derived.sort();
    phase
}

/// The nearest-rank percentile of sorted durations (zero when empty).
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Prints the phases as a Markdown table; `baseline` (a phase name) adds a "× baseline" column
/// with each phase's throughput as a ratio to that phase's.
pub fn print_table(phases: &[Phase], baseline: Option<&str>) {
    let base = baseline.and_then(|b| phases.iter().find(|p| p.name == b).map(Phase::rps));
    let ratio_head = if base.is_some() { " × base |" } else { "" };
    let ratio_rule = if base.is_some() { " ---: |" } else { "" };
    println!("| phase | ok | errors | req/s |{ratio_head} p50 ms | p95 ms | p99 ms | max ms |");
    println!("| --- | ---: | ---: | ---: |{ratio_rule} ---: | ---: | ---: | ---: |");
    for p in phases {
        let ratio = base.map_or(String::new(), |b| format!(" {:.3} |", p.rps() / b));
        println!(
            "| {} | {} | {} | {:.0} |{ratio} {} | {} | {} | {} |",
            p.name,
            p.ok,
            p.errors,
            p.rps(),
            ms(p.p(50.0)),
            ms(p.p(95.0)),
            ms(p.p(99.0)),
            ms(p.max()),
        );
    }
}

/// A free loopback port (bound and released; good enough for a benchmark).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("local addr").port()
}

/// Waits until `url` answers at all (any status), at most 30 s.
pub async fn wait_until_up(url: &str) {
    let probe = reqwest::Client::new();
    let up = Instant::now();
    while probe.get(url).send().await.is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Peak resident set size (`VmHWM`) of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmHWM:")
}

/// Current resident set size (`VmRSS`) of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS:")
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// "`label` peak RSS (VmHWM): N MiB", or that it is unavailable.
pub fn rss_line(label: &str, kib: Option<u64>) -> String {
    match kib {
        Some(kib) => format!("{label} peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
        None => format!("{label} peak RSS: unavailable"),
    }
}

/// Stops a child server with SIGTERM (its graceful shutdown), killing it after 10 s.
pub fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(pct(&v, 50.0), Duration::from_millis(50));
        assert_eq!(pct(&v, 99.0), Duration::from_millis(99));
        assert_eq!(pct(&v, 100.0), Duration::from_millis(100));
        assert_eq!(pct(&v[..1], 99.0), Duration::from_millis(1));
        assert_eq!(pct(&[], 50.0), Duration::ZERO);
    }
}
