//! The HTTP table against the Router in process (`oneshot`, no socket), on
//! the in-memory store.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use adapter_memory::MemoryRepository;
use http_api::{router, ApiKeys, ApiState};
use payments_ports::PaymentService;
use payments_tests::http_table::{self, api_keys_setting, send_in_process};

fn app() -> axum::Router {
    let service = PaymentService::with_system_clock(Arc::new(MemoryRepository::new()));
    router(ApiState::new(
        service,
        ApiKeys::parse(&api_keys_setting()).unwrap(),
    ))
}

#[tokio::test]
async fn the_table_passes_in_process() {
    let app = app();
    http_table::run(|request| send_in_process(app.clone(), request)).await;
}
