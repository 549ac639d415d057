//! The load generator shared by the benchmarks in `bench/` (the examples `offload_bench` and
//! `mealframe_bench`). It exists so both measure the same way: a fixed number of workers, each on
//! its own keep-alive connection sending requests back to back for a fixed time, client-side
//! latencies of successful responses, and the server under test run as a child process whose peak
//! RSS is read from `/proc`. Loopback only; every phase ends by itself.

use std::{
    collections::HashMap,
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
    /// A label for mixed phases: results are also counted per tag (see [`Phase::by_tag`]);
    /// empty for single-route phases.
    pub tag: &'static str,
}

impl Req {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: reqwest::Method::GET,
            url: url.into(),
            body: None,
            headers: Vec::new(),
            tag: "",
        }
    }

    pub fn post(url: impl Into<String>, body: Value) -> Self {
        Self {
            method: reqwest::Method::POST,
            url: url.into(),
            body: Some(body),
            headers: Vec::new(),
            tag: "",
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    pub fn tag(mut self, tag: &'static str) -> Self {
        self.tag = tag;
        self
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
    /// Per [`Req::tag`] (tagged requests only), sorted by tag.
    pub by_tag: Vec<Tagged>,
}

/// The requests of one tag within a phase. Latencies are sorted.
#[derive(Default)]
pub struct Tagged {
    pub tag: String,
    pub ok: u64,
    pub errors: u64,
    pub latencies: Vec<Duration>,
    /// Error answers by HTTP status (0: transport error), for telling what failed.
    pub error_statuses: Vec<(u16, u64)>,
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
                let mut tags: HashMap<&'static str, Tagged> = HashMap::new();
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let r = job(w, i);
                    i += 1;
                    let tag = r.tag;
                    let mut req = client.request(r.method, &r.url);
                    for (k, v) in r.headers {
                        req = req.header(k, v);
                    }
                    if let Some(b) = r.body {
                        req = req.json(&b);
                    }
                    let t0 = Instant::now();
                    // The status of a failure (0: transport error), or None on success.
                    let failed = match req.send().await {
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
                                if !tag.is_empty() {
                                    let t = tags.entry(tag).or_default();
                                    t.ok += 1;
                                    t.latencies.push(took);
                                }
                                None
                            } else {
                                Some(status.as_u16())
                            }
                        }
                        Err(_) => Some(0),
                    };
                    if let Some(code) = failed {
                        errors += 1;
                        if !tag.is_empty() {
                            tags.entry(tag).or_default().count_error(code);
                        }
                    }
                }
                (ok, errors, lat, derived, tags)
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
        by_tag: Vec::new(),
    };
    let mut tags: HashMap<&'static str, Tagged> = HashMap::new();
    for w in workers {
        let (ok, errors, lat, derived, worker_tags) = w.await.expect("worker");
        phase.ok += ok;
        phase.errors += errors;
        phase.latencies.extend(lat);
        phase.derived.extend(derived);
        for (tag, t) in worker_tags {
            let all = tags.entry(tag).or_default();
            all.ok += t.ok;
            all.errors += t.errors;
            all.latencies.extend(t.latencies);
            for (code, n) in t.error_statuses {
                all.error_statuses.push((code, n));
            }
        }
    }
    phase.elapsed = started.elapsed();
    phase.latencies.sort();
    phase.derived.sort();
    let mut by_tag: Vec<Tagged> = tags
        .into_iter()
        .map(|(tag, mut t)| {
            t.tag = tag.to_owned();
            t.latencies.sort();
            let mut codes: HashMap<u16, u64> = HashMap::new();
            for (code, n) in t.error_statuses.drain(..) {
                *codes.entry(code).or_default() += n;
            }
            t.error_statuses = codes.into_iter().collect();
            t.error_statuses.sort();
            t
        })
        .collect();
    by_tag.sort_by(|a, b| a.tag.cmp(&b.tag));
    phase.by_tag = by_tag;
    phase
}

impl Tagged {
    fn count_error(&mut self, code: u16) {
        self.errors += 1;
        match self.error_statuses.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => self.error_statuses.push((code, 1)),
        }
    }
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

/// Prints a mixed phase's requests per tag as a Markdown table: share of the phase's answers,
/// throughput, percentiles, and the statuses of errors.
pub fn print_tags(phase: &Phase) {
    let total = (phase.ok + phase.errors).max(1) as f64;
    let secs = phase.elapsed.as_secs_f64();
    println!(
        "| {} | share | ok | errors | req/s | p50 ms | p99 ms | max ms |",
        phase.name
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for t in &phase.by_tag {
        let errors = if t.error_statuses.is_empty() {
            t.errors.to_string()
        } else {
            let codes: Vec<String> = t
                .error_statuses
                .iter()
                .map(|(c, n)| {
                    format!(
                        "{n}× {}",
                        if *c == 0 {
                            "io".to_owned()
                        } else {
                            c.to_string()
                        }
                    )
                })
                .collect();
            format!("{} ({})", t.errors, codes.join(", "))
        };
        println!(
            "| {} | {:.1} % | {} | {errors} | {:.0} | {} | {} | {} |",
            t.tag,
            100.0 * (t.ok + t.errors) as f64 / total,
            t.ok,
            t.ok as f64 / secs,
            ms(pct(&t.latencies, 50.0)),
            ms(pct(&t.latencies, 99.0)),
            ms(t.latencies.last().copied().unwrap_or_default()),
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

/// The anonymous part of a process's resident set (`RssAnon`), in KiB: its heap and stacks,
/// without file pages it maps (a memory-mapped database's pages count in `VmRSS` but are the
/// kernel's page cache, shared and reclaimable).
pub fn anon_rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "RssAnon:")
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

/// CPU time a process has used so far (user + system), from `/proc/<pid>/stat`; `None` for
/// `pid` 0 means this process. Assumes the usual 100 clock ticks per second (`USER_HZ`).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let path = match pid {
        0 => "/proc/self/stat".to_owned(),
        p => format!("/proc/{p}/stat"),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces) start at state, field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The whole machine's CPU time so far from `/proc/stat`: (busy, total) across all cores,
/// busy being everything but idle and iowait.
pub fn machine_cpu() -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((
        Duration::from_millis((total - idle) * 10),
        Duration::from_millis(total * 10),
    ))
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
