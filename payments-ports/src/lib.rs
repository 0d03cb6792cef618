//! The payments use cases ([`PaymentService`]) and the ports they run on:
//! [`PaymentRepository`] for storage, [`Clock`] for time and
//! [`IdGenerator`] for new ids. Adapters implement the ports; front ends
//! call the service.
//!
//! ```
//! # async fn demo(repository: std::sync::Arc<dyn payments_ports::PaymentRepository>) {
//! use payments_domain::{OrganisationId, PaymentAttributesInput};
//! use payments_ports::{CreatePayment, PaymentService};
//!
//! let service = PaymentService::with_system_clock(repository);
//! let organisation = OrganisationId::parse("743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb").unwrap();
//! // Judge the client's attributes where they come in, once...
//! let attributes = PaymentAttributesInput {
//!     amount: Some("500".into()),
//!     currency: Some("USD".into()),
//!     description: Some("Gym".into()),
//!     ..Default::default()
//! }
//! .validate()
//! .unwrap();
//! // ...and create with what was judged.
//! let created = service
//!     .create_payment(CreatePayment {
//!         organisation_id: organisation,
//!         id: None,
//!         attributes,
//!         idempotency: None,
//!     })
//!     .await
//!     .unwrap();
//! let read = service.fetch_payment(organisation, created.payment.id).await.unwrap();
//! assert_eq!(read, created.payment);
//! # }
//! ```
//!
//! With the `testkit` feature, [`testkit`] holds the storage contract every
//! adapter must pass, and [`storage_contract_tests!`] runs it.

pub mod clock;
pub mod metered;
pub mod repository;
pub mod service;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use clock::{Clock, IdGenerator, RandomIds, SystemClock};

/// The `tracing` target of the spans a request's trace is made of: the
/// request (`http-api`), the use case ([`PaymentService`]'s methods, named
/// after them) and each store call ([`MeteredRepository`], named after the
/// operation). DEBUG level, so they cost a callsite check unless an
/// OpenTelemetry layer (or a DEBUG log) takes them.
pub const TRACE_TARGET: &str = "payments::trace";
pub use metered::MeteredRepository;
pub use repository::{
    error_chain, read_totals, refused_change, ChangeError, CreateError, DriverError, HistoryPage,
    HistoryRequest, IdempotencyClaim, IdempotentCreateError, KeyRetention, ListOrder, Page,
    PageCursor, PageRequest, PageSize, PaymentRepository, PeriodCursor, PeriodPage, PeriodRequest,
    ReportError, RequestFingerprint, StoreError, StoredVersion, UsedKey, MAX_PAGE_SIZE,
    MAX_PERIOD_READ,
};
pub use service::{
    CreatePayment, CreatePaymentError, CreatedPayment, DeletePaymentError, FetchPaymentError,
    IdempotencyRequest, ListPaymentsError, PaymentHistoryError, PaymentService,
    ReportPaymentsError, UpdatePaymentError, SEARCH_BUDGET,
};
