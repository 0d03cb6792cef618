//! What the emulator launchers share: installing a tool once per machine
//! under a file lock, and running a server in the background on a free
//! loopback port for as long as the test process lives.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Runs the server in the background and stops it when this shell's
/// standard input closes, which happens when the test process exits however
/// it exits (a static is never dropped, so nothing else would stop it).
/// The shell itself exits when the server does, so an early death shows.
const LIFELINE: &str = r#"
exec 3<&0
"$@" 3<&- </dev/null &
server=$!
(cat <&3 >/dev/null; kill "$server" 2>/dev/null) &
exec 3<&-
wait "$server"
"#;

/// The workspace's root folder.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the test-services crate sits in the workspace")
        .to_path_buf()
}

/// Runs `install` unless `installed` says it is done, under a lock file in
/// `folder`, so test binaries starting at once install once.
///
/// # Panics
/// When the folder or its lock cannot be made, or (from `install`) when
/// the install fails.
pub(crate) fn install_once(folder: &Path, installed: impl Fn() -> bool, install: impl FnOnce()) {
    if installed() {
        return;
    }
    fs::create_dir_all(folder)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", folder.display()));
    let lock_path = folder.join(".install.lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    if !installed() {
        install();
    }
    drop(lock);
}

/// The program `name` of the Python package `requirement`, installed
/// from PyPI into the project's `.venv` first when it is not there (the
/// virtual environment made too if need be), under [`install_once`]'s
/// lock, so the Python tools the tests use install one at a time.
///
/// # Panics
/// When the virtual environment cannot be made, pip fails, or the
/// program is still missing after the install.
pub(crate) fn python_program(requirement: &str, name: &str) -> PathBuf {
    let venv = workspace().join(".venv");
    let program = venv.join("bin").join(name);
    install_once(
        &venv,
        || program.exists(),
        || {
            if !venv.join("bin").join("pip").exists() {
                run(
                    Command::new("python3").arg("-m").arg("venv").arg(&venv),
                    "create the virtual environment (needs python3 with the venv module: apt-get install python3-venv)",
                );
            }
            run(
                Command::new(venv.join("bin").join("pip"))
                    .args(["install", "--disable-pip-version-check", "--quiet"])
                    .arg(requirement),
                &format!("install {requirement} from PyPI"),
            );
            assert!(
                program.exists(),
                "pip installed {requirement} but {} is missing",
                program.display()
            );
        },
    );
    program
}

/// Runs `command` to its end.
///
/// # Panics
/// When it cannot run or fails; the message says what it was for (`what`)
/// and what it printed.
pub(crate) fn run(command: &mut Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not {what}: cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "could not {what}: {command:?} exited with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A server started by [`start`], stopped when the test process exits.
#[derive(Debug)]
pub(crate) struct Server {
    /// The loopback port it answers on.
    pub(crate) port: u16,
    /// Where it writes its output.
    pub(crate) log: PathBuf,
    // Held for the life of the process: its pipe is the server's lifeline.
    _lifeline: Mutex<(Child, ChildStdin)>,
}

/// Starts the server `program` with `args_for(port)` on a free loopback
/// port, in `directory`, writing its output to `log`, and waits until the
/// port takes connections. A port picked free can be taken before the
/// server binds it, so a failed start is tried twice more.
///
/// # Errors
/// What went wrong on each try, with the end of the server's log.
pub(crate) fn start(
    name: &str,
    program: &Path,
    args_for: impl Fn(u16) -> Vec<String>,
    directory: &Path,
    log: &Path,
    ready_wait: Duration,
) -> Result<Server, String> {
    let mut failures = Vec::new();
    for _ in 0..3 {
        match launch(name, program, &args_for, directory, log, ready_wait) {
            Ok(server) => return Ok(server),
            Err(failure) => failures.push(failure),
        }
    }
    Err(failures.join("; "))
}

fn launch(
    name: &str,
    program: &Path,
    args_for: &impl Fn(u16) -> Vec<String>,
    directory: &Path,
    log_path: &Path,
    ready_wait: Duration,
) -> Result<Server, String> {
    let port = free_port()?;
    let log =
        File::create(log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_too = log
        .try_clone()
        .map_err(|e| format!("cannot share {}: {e}", log_path.display()))?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(LIFELINE)
        .arg(format!("{name}-lifeline"))
        .arg(program)
        .args(args_for(port))
        .current_dir(directory)
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_too)
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let stdin = child.stdin.take().ok_or("no pipe to the server")?;
    let started = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(Server {
                port,
                log: log_path.to_path_buf(),
                _lifeline: Mutex::new((child, stdin)),
            });
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{name} exited with {status} on port {port}; its log ({}):\n{}",
                log_path.display(),
                tail(log_path)
            ));
        }
        if started.elapsed() > ready_wait {
            // Dropping the pipe makes the lifeline stop the server.
            drop(stdin);
            let _ = child.wait();
            return Err(format!(
                "{name} did not answer on port {port} within {ready_wait:?}; its log ({}):\n{}",
                log_path.display(),
                tail(log_path)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// The last 4,000 bytes of a log.
pub(crate) fn tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let start = text.len().saturating_sub(4_000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}
