//! Where the log lines go: standard output, written by a thread of the
//! log's own. A line is appended to a bounded buffer in memory, never
//! written on the request's thread, and nothing wakes the writer per line:
//! it writes whatever has gathered every [`WRITE_EVERY`], in one `write`.
//! When the buffer is full (standard output is slower than the log), the
//! line is dropped and counted rather than make a request wait.

use std::io::{self, Write};
use std::os::fd::AsFd as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in memory before it is written.
pub const WRITE_EVERY: Duration = Duration::from_millis(50);

/// Bytes of lines that may wait; past that, lines are dropped.
const CAPACITY: usize = 4 * 1024 * 1024;

/// A handle on the log's buffer: what the log layers write through.
#[derive(Clone)]
pub struct LogBuffer(Arc<Shared>);

struct Shared {
    waiting: Mutex<Vec<u8>>,
    dropped: AtomicU64,
    stopping: AtomicBool,
}

impl Shared {
    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// Standard output: the server's log.
    Stdout,
    /// Standard error: for commands whose output is data (a report, an
    /// export), which the log must not mix into.
    Stderr,
}

impl LogBuffer {
    /// The buffer, and the guard of the thread that writes it to `target`
    /// (its own descriptor, so no line buffering applies).
    pub fn start(target: LogTarget) -> (Self, LogGuard) {
        let shared = Arc::new(Shared {
            // Both buffers reserve all they may ever hold (untouched
            // memory costs nothing until written): grown as lines came,
            // copying what was there, each growth held the lock of every
            // request logging meanwhile.
            waiting: Mutex::new(Vec::with_capacity(CAPACITY)),
            dropped: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
        });
        let descriptor = match target {
            LogTarget::Stdout => io::stdout().as_fd().try_clone_to_owned(),
            LogTarget::Stderr => io::stderr().as_fd().try_clone_to_owned(),
        };
        let mut out: Box<dyn Write + Send> = match (descriptor, target) {
            (Ok(fd), _) => Box::new(std::fs::File::from(fd)),
            (Err(_), LogTarget::Stdout) => Box::new(io::stdout()),
            (Err(_), LogTarget::Stderr) => Box::new(io::stderr()),
        };
        let writer = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("payments-log".to_owned())
                .spawn(move || {
                    let mut writing = Vec::with_capacity(CAPACITY);
                    loop {
                        let last = shared.stopping.load(Ordering::Acquire);
                        std::mem::swap(&mut writing, &mut *shared.waiting());
                        if !writing.is_empty() {
                            // Nowhere to report a failure to write the log.
                            let _ = out.write_all(&writing);
                            let _ = out.flush();
                            writing.clear();
                        }
                        if last {
                            return;
                        }
                        std::thread::park_timeout(WRITE_EVERY);
                    }
                })
                .ok()
        };
        let buffer = Self(shared);
        let guard = LogGuard {
            buffer: buffer.clone(),
            writer,
        };
        (buffer, guard)
    }

    /// Lines dropped so far because the buffer was full.
    pub fn dropped_lines(&self) -> u64 {
        self.0.dropped.load(Ordering::Relaxed)
    }

    /// Warns, every `interval` while lines are being dropped, how many
    /// were since the last warning.
    pub fn spawn_drop_reports(&self, interval: Duration) {
        let buffer = self.clone();
        tokio::spawn(async move {
            let mut reported = 0;
            let mut every = tokio::time::interval(interval);
            loop {
                every.tick().await;
                let total = buffer.dropped_lines();
                if total > reported {
                    tracing::warn!(
                        dropped = total - reported,
                        "log lines dropped: the log's reader fell behind"
                    );
                    reported = total;
                }
            }
        });
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = PendingLine<'a>;

    fn make_writer(&'a self) -> PendingLine<'a> {
        PendingLine {
            line: Vec::new(),
            shared: &self.0,
        }
    }
}

impl Shared {
    /// Queues `line` whole, or counts it dropped when the buffer is full.
    fn push(&self, line: &[u8]) {
        let mut waiting = self.waiting();
        if waiting.len() + line.len() > CAPACITY {
            drop(waiting);
            self.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            waiting.extend_from_slice(line);
        }
    }
}

/// One log line being written; it joins the buffer whole when dropped, so
/// lines from several threads never interleave. A line written in one
/// piece (as both formatters write) joins at once, with no copy of its own.
pub struct PendingLine<'a> {
    line: Vec<u8>,
    shared: &'a Shared,
}

impl Write for PendingLine<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.line.is_empty() && bytes.ends_with(b"\n") {
            self.shared.push(bytes);
        } else {
            self.line.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for PendingLine<'_> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.shared.push(&self.line);
        }
    }
}

/// Held until the program ends: then the writer writes every line still
/// waiting (`stopped`, the last access lines) and stops.
pub struct LogGuard {
    buffer: LogBuffer,
    writer: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.buffer.0.stopping.store(true, Ordering::Release);
        if let Some(writer) = self.writer.take() {
            writer.thread().unpark();
            let _ = writer.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer() -> LogBuffer {
        LogBuffer(Arc::new(Shared {
            waiting: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
        }))
    }

    #[test]
    fn a_line_joins_the_buffer_whole_when_it_is_done() {
        let buffer = buffer();
        let mut first = buffer.make_writer();
        let mut second = buffer.make_writer();
        first.write_all(b"{\"one\":").unwrap();
        second.write_all(b"{\"two\":2}\n").unwrap();
        first.write_all(b"1}\n").unwrap();
        drop(second);
        drop(first);

        assert_eq!(
            buffer.0.waiting().as_slice(),
            b"{\"two\":2}\n{\"one\":1}\n".as_slice()
        );
    }

    #[test]
    fn a_line_that_would_overfill_the_buffer_is_dropped_and_counted() {
        let buffer = buffer();
        buffer.0.waiting().resize(CAPACITY - 4, b' ');

        buffer.make_writer().write_all(b"fits").unwrap();
        buffer.make_writer().write_all(b"x").unwrap();

        assert_eq!(buffer.0.waiting().len(), CAPACITY);
        assert_eq!(buffer.dropped_lines(), 1);
    }
}
