//! Where the log lines go: standard output, written by the log's own
//! thread in batches, so a request never waits on the log and a busy server
//! makes one `write` for many lines.

use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd as _;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

/// How long a written line may wait in the buffer before it reaches
/// standard output.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// Standard output, buffered: `flush` writes only when the buffer has
/// waited [`FLUSH_EVERY`] (the log thread flushes after every batch,
/// which under load is every line), and [`spawn_flusher`] writes what a
/// quiet moment left behind. Dropping the last handle writes the rest.
#[derive(Clone)]
pub struct BatchedStdout(Arc<Mutex<Batch>>);

struct Batch {
    out: BufWriter<Box<dyn Write + Send>>,
    last_flush: Instant,
}

impl BatchedStdout {
    /// A buffer in front of standard output (its own descriptor, so no
    /// line buffering of `std::io::stdout()` applies).
    pub fn new() -> Self {
        let out: Box<dyn Write + Send> = match io::stdout().as_fd().try_clone_to_owned() {
            Ok(fd) => Box::new(std::fs::File::from(fd)),
            Err(_) => Box::new(io::stdout()),
        };
        Self(Arc::new(Mutex::new(Batch {
            out: BufWriter::with_capacity(64 * 1024, out),
            last_flush: Instant::now(),
        })))
    }

    fn batch(&self) -> std::sync::MutexGuard<'_, Batch> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes out everything buffered, now.
    pub fn flush_now(&self) {
        let mut batch = self.batch();
        let _ = batch.out.flush();
        batch.last_flush = Instant::now();
    }

    /// Writes out whatever waits, every [`FLUSH_EVERY`], until the last
    /// writer is gone.
    pub fn spawn_flusher(&self) {
        let batch: Weak<Mutex<Batch>> = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(FLUSH_EVERY);
            loop {
                every.tick().await;
                let Some(batch) = batch.upgrade() else { return };
                let mut batch = batch.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = batch.out.flush();
                batch.last_flush = Instant::now();
            }
        });
    }
}

impl Write for BatchedStdout {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.batch().out.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut batch = self.batch();
        if batch.last_flush.elapsed() < FLUSH_EVERY {
            return Ok(());
        }
        batch.last_flush = Instant::now();
        batch.out.flush()
    }
}

/// Held until the program ends: stops the log thread once it has written
/// every queued line into the buffer, then writes the buffer out, so the
/// last lines (`stopped`, the last access lines) are never lost.
pub struct LogGuard {
    worker: Option<tracing_appender::non_blocking::WorkerGuard>,
    output: BatchedStdout,
}

impl LogGuard {
    /// The guard of the log thread `worker`, writing into `output`.
    pub fn new(worker: tracing_appender::non_blocking::WorkerGuard, output: BatchedStdout) -> Self {
        Self {
            worker: Some(worker),
            output,
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        // The worker's guard returns once the worker has taken every line
        // queued before it.
        drop(self.worker.take());
        self.output.flush_now();
    }
}
