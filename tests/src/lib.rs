//! Cross-crate test suites: the service on real adapters, and (as the
//! front ends arrive) the HTTP table over every transport. The tests live
//! in `tests/`; this library holds what they share.
