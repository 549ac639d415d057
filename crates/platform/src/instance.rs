//! Which running process this is, in a form other processes sharing the database can judge.
//!
//! Work claimed in the database (an `Idempotency-Key` in flight, a queued mail being sent) names
//! its owner with [`Instance::id`]. When the owner dies, the claim should not block others for
//! long: a lease covers every case eventually, and [`Instance::is_gone`] recognises at once the
//! common one, a restart on the same machine — the owning process no longer exists, or this very
//! process now has its process id (a container restarted).
//!
//! An id is `<machine>/<pid>/<start>`: `machine` is the kernel's boot id and the process's PID
//! namespace (so two containers, or two hosts, never look like one machine: their process ids
//! mean nothing to each other), `start` the process start in Unix microseconds. Off Linux the
//! machine part is random, so only leases apply.

use std::sync::OnceLock;

/// This process's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    machine: String,
    pid: u32,
    start: i64,
}

impl Instance {
    /// The running process (computed once).
    pub fn current() -> &'static Instance {
        static CURRENT: OnceLock<Instance> = OnceLock::new();
        CURRENT.get_or_init(|| Instance {
            machine: machine_key(),
            pid: std::process::id(),
            start: time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1000,
        })
    }

    /// The owner id to store with a claim.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.machine, self.pid, self.start)
    }

    fn parse(id: &str) -> Option<Instance> {
        let mut parts = id.rsplitn(3, '/');
        let start = parts.next()?.parse().ok()?;
        let pid = parts.next()?.parse().ok()?;
        let machine = parts.next()?.to_owned();
        Some(Instance {
            machine,
            pid,
            start,
        })
    }

    /// Whether the process named by `owner` is known to have stopped. `false` means "alive, or
    /// cannot tell" (another machine, or its process id now belongs to some other process).
    pub fn is_gone(&self, owner: &str) -> bool {
        let Some(other) = Instance::parse(owner) else {
            return false;
        };
        if other.machine != self.machine || other == *self {
            return false;
        }
        if other.pid == self.pid {
            // Same machine, same process id, another start: that process was an earlier life of
            // this one.
            return true;
        }
        !process_exists(other.pid)
    }
}

#[cfg(target_os = "linux")]
fn machine_key() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok();
    let pid_ns = std::fs::read_link("/proc/self/ns/pid").ok();
    match (boot, pid_ns) {
        (Some(boot), Some(ns)) => {
            let ns = ns.to_string_lossy();
            let ns = ns.trim_start_matches("pid:[").trim_end_matches(']');
            format!("{}-{ns}", boot.trim())
        }
        _ => random_key(),
    }
}

#[cfg(not(target_os = "linux"))]
fn machine_key() -> String {
    random_key()
}

fn random_key() -> String {
    format!("unknown-{}", uuid::Uuid::new_v4().simple())
}

#[cfg(target_os = "linux")]
fn process_exists(pid: u32) -> bool {
    std::path::Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_exists(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_this_machine(pid: u32, start: i64) -> String {
        let me = Instance::current();
        Instance {
            machine: me.machine.clone(),
            pid,
            start,
        }
        .id()
    }

    #[test]
    fn an_id_reads_back() {
        let me = Instance::current();
        assert_eq!(Instance::parse(&me.id()).as_ref(), Some(me));
    }

    #[test]
    fn this_process_is_not_gone() {
        let me = Instance::current();
        assert!(!me.is_gone(&me.id()));
    }

    #[test]
    fn an_earlier_process_with_this_pid_is_gone() {
        let me = Instance::current();
        assert!(me.is_gone(&on_this_machine(me.pid, me.start - 1)));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_process_that_no_longer_exists_is_gone() {
        // Above the kernel's largest process id (pid_max is at most 2^22).
        let me = Instance::current();
        assert!(me.is_gone(&on_this_machine(4_194_305, 1)));
    }

    #[test]
    fn a_running_process_is_not_gone() {
        // Process 1 always exists.
        let me = Instance::current();
        assert!(!me.is_gone(&on_this_machine(1, 1)));
    }

    #[test]
    fn another_machine_or_a_foreign_id_cannot_be_judged() {
        let me = Instance::current();
        assert!(!me.is_gone("some-other-machine/4194305/1"));
        assert!(!me.is_gone("not an id"));
        assert!(!me.is_gone(""));
    }
}
