//! The HTTP table against the Router in process (`oneshot`, no socket), on
//! the in-memory store.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_memory::MemoryRepository;
use payments_tests::http_table::{self, send_in_process};

fn app() -> axum::Router {
    http_table::app(Arc::new(MemoryRepository::new()))
}

#[tokio::test]
async fn the_table_passes_in_process() {
    let app = app();
    http_table::run(|request| send_in_process(app.clone(), request)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_have_one_winner_in_process() {
    payments_tests::concurrency::writers_race_with_one_winner(&app()).await;
}
