//! What a case costs the process: CPU time (user + system, all threads, from /proc/self/stat)
//! and context switches (summed over /proc/self/task/*/status), plus latency percentiles. Read
//! from /proc so the benchmark needs no `unsafe` for `getrusage`.

use std::time::Duration;

/// Linux reports /proc times in clock ticks of `USER_HZ`, which is 100 on every mainstream
/// architecture (it is fixed in the ABI, whatever the kernel's `HZ`).
const USER_HZ: u64 = 100;

#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub cpu: Duration,
    pub voluntary: u64,
    pub involuntary: u64,
}

impl Usage {
    pub fn now() -> Usage {
        let (voluntary, involuntary) = context_switches();
        Usage {
            cpu: process_cpu(),
            voluntary,
            involuntary,
        }
    }

    pub fn since(self, before: Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(before.cpu),
            voluntary: self.voluntary.saturating_sub(before.voluntary),
            involuntary: self.involuntary.saturating_sub(before.involuntary),
        }
    }
}

/// utime + stime of the whole process (live and exited threads), fields 14 and 15 of
/// /proc/self/stat.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field N is at index N - 3.
    let ticks: u64 = fields[14 - 3].parse::<u64>().expect("utime")
        + fields[15 - 3].parse::<u64>().expect("stime");
    Duration::from_millis(ticks * 1000 / USER_HZ)
}

/// Voluntary and involuntary context switches of the live threads. The benchmark's threads
/// (tokio workers, sqlx's connection workers, the rusqlite connection threads) all live through
/// a case, so the differences between two samples are complete.
fn context_switches() -> (u64, u64) {
    let mut vol = 0;
    let mut invol = 0;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return (0, 0);
    };
    for task in tasks.flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue; // the thread ended meanwhile
        };
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("voluntary_ctxt_switches:") {
                vol += v.trim().parse::<u64>().unwrap_or(0);
            } else if let Some(v) = line.strip_prefix("nonvoluntary_ctxt_switches:") {
                invol += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    (vol, invol)
}

/// The `p`th percentile (0–100) of sorted latencies in nanoseconds, as microseconds.
pub fn percentile_us(sorted_ns: &[u64], p: usize) -> f64 {
    if sorted_ns.is_empty() {
        return f64::NAN;
    }
    let i = (sorted_ns.len() * p / 100).min(sorted_ns.len() - 1);
    sorted_ns[i] as f64 / 1000.0
}
