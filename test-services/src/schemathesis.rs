//! schemathesis, the OpenAPI fuzzer a client's tooling would run against
//! the API, installed from PyPI into the project's `.venv` on first use
//! (under the same lock as moto, so test processes starting together
//! install once).
//!
//! Nothing is skipped: when Python or the install fails, the caller
//! panics and says what to do (`python3 -m venv .venv` and
//! `.venv/bin/pip install schemathesis==VERSION` by hand).

use std::path::PathBuf;

use crate::background;

/// One version for everyone: a new release's checks must not fail CI
/// unannounced.
pub const REQUIREMENT: &str = "schemathesis==4.32.5";

/// The `schemathesis` program in the project's `.venv`, installed first
/// when it is not there.
///
/// # Panics
/// When the virtual environment cannot be made or pip fails.
pub fn program() -> PathBuf {
    background::python_program(REQUIREMENT, "schemathesis")
}
