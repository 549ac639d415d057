//! A cheap "has the database changed?" check for SQLite, so per-request reads of rarely changing
//! rows (the signed-in user) can be served from memory without ever being stale.
//!
//! In WAL mode every SQLite connection — in this process or any other — publishes each commit in
//! the WAL-index header at the start of the `-shm` file (the documented format:
//! <https://www.sqlite.org/walformat.html>, "The WAL-Index Header"). The header is 48 bytes and is
//! written twice, the second copy first; a reader that sees two equal copies has a consistent
//! header, and a commit that has returned to its writer has changed it (its change counter, frame
//! count and checksum). So the 48 bytes are a token: equal tokens mean no commit in between.
//!
//! Reading it is one `open` + `pread` + `close` — no trip through a connection thread. When the
//! file is missing, not initialised or caught mid-update, there is no token and callers read
//! the database as usual. PostgreSQL has no such file: no token, always read.

use std::{
    fs::File,
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
};

/// Where the two header copies live and how long each is.
const HEADER_LEN: usize = 48;
/// Offset of `isInit` in the header: non-zero once the wal-index is built.
const IS_INIT: usize = 12;

/// An opaque snapshot of SQLite's WAL-index header; equal tokens mean no commit in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeToken([u8; HEADER_LEN]);

/// The `-shm` file of a SQLite database file.
pub(crate) fn shm_path(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push("-shm");
    PathBuf::from(name)
}

/// Read the token from `shm`, or `None` when it cannot be trusted right now.
pub(crate) fn read(shm: &Path) -> Option<ChangeToken> {
    // Opened each time: SQLite may delete and recreate the file, and a descriptor kept open
    // would then watch a file nobody writes any more.
    let file = File::open(shm).ok()?;
    let mut both = [0u8; 2 * HEADER_LEN];
    file.read_exact_at(&mut both, 0).ok()?;
    let (first, second) = both.split_at(HEADER_LEN);
    if first != second || first[IS_INIT] == 0 {
        return None;
    }
    let mut token = [0u8; HEADER_LEN];
    token.copy_from_slice(first);
    Some(ChangeToken(token))
}
