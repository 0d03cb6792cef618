//! The default cap on open connections, from the process's limit on open
//! file descriptors.

use rustix::process::{getrlimit, Resource};

/// Descriptors kept back from connections for everything else the process
/// opens: the listener, the store's connection pool, log output, files.
const RESERVED_DESCRIPTORS: u64 = 64;

/// The cap when the process may open any number of descriptors.
const UNLIMITED_CAP: usize = 65_536;

/// The default [`ServeConfig::max_connections`](crate::ServeConfig): the
/// soft `RLIMIT_NOFILE` less 64 descriptors kept back, at least 1, so the
/// server stops accepting before `accept` could fail with `EMFILE`. With
/// `ulimit -n 1024` that is 960 connections; with 256, 192.
pub fn connections_for_file_limit() -> usize {
    connections_for(getrlimit(Resource::Nofile).current)
}

fn connections_for(soft_limit: Option<u64>) -> usize {
    match soft_limit {
        None => UNLIMITED_CAP,
        Some(limit) => usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS))
            .unwrap_or(UNLIMITED_CAP)
            .clamp(1, UNLIMITED_CAP),
    }
}

#[cfg(test)]
mod tests {
    use super::connections_for;

    #[test]
    fn the_cap_leaves_descriptors_for_everything_else() {
        let cases = [
            (Some(256), 192, "ulimit -n 256"),
            (Some(1024), 960, "the usual default"),
            (
                Some(10),
                1,
                "fewer descriptors than kept back: still one connection",
            ),
            (Some(1_048_576), 65_536, "a huge limit is capped"),
            (None, 65_536, "unlimited"),
        ];
        for (limit, expected, case) in cases {
            assert_eq!(connections_for(limit), expected, "{case}");
        }
    }
}
