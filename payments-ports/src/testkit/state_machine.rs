//! The stores agree: random sequences of operations run against a plain
//! reference model and against a store, and every result is compared.
//!
//! A sequence mixes creates (with and without idempotency keys, with ids
//! and keys repeated), updates and deletes at the current and at stale
//! versions, reads, list pages in both orders from any position, history
//! pages, key lookups and the passing of time (so keys expire), across two
//! organisations. Each case uses organisations, ids and keys of its own, so
//! cases and other tests can share a store. A failing case shrinks to a
//! short sequence, printed with the first result that differed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use payments_domain::report::Totals;
use payments_domain::{
    Bounds, IdempotencyKey, OrganisationId, Payment, PaymentAttributesInput, PaymentEvent,
    PaymentFilter, PaymentId, Timestamp, Version,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::fixtures::{fresh_uuid, instant};
use crate::repository::{
    refused_change, ChangeError, CreateError, HistoryPage, HistoryRequest, IdempotencyClaim,
    IdempotentCreateError, KeyRetention, ListOrder, Page, PageCursor, PageRequest, PageSize,
    PaymentRepository, PeriodCursor, PeriodPage, PeriodRequest, RequestFingerprint, StoreError,
    StoredVersion, UsedKey,
};

const ORGANISATIONS: usize = 2;
const PAYMENTS: usize = 4;
const KEYS: usize = 3;
/// Short enough that keys expire within a sequence.
const RETENTION: Duration = Duration::from_secs(5);

/// Which version a change expects.
#[derive(Debug, Clone, Copy)]
enum Expected {
    /// The version the model holds now (or 0 when it holds none).
    Current,
    /// This one, most often stale.
    Exactly(u64),
}

/// Who asks about a payment.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// Its owner (organisation 0 for a payment not created yet).
    Owner,
    /// This organisation, the owner or not.
    Org(usize),
}

/// One step of a sequence. Organisations, payments and keys are indexes
/// into the case's own.
#[derive(Debug, Clone)]
enum Op {
    Create {
        org: usize,
        payment: usize,
        amount: u8,
        /// A payment timestamp this many seconds after the clock's start.
        paid: Option<u8>,
        /// A key and which of two request bodies comes with it.
        key: Option<(usize, u8)>,
    },
    Update {
        org: Who,
        payment: usize,
        expected: Expected,
        reference: u8,
        /// A new payment timestamp, which moves the payment between periods.
        paid: Option<u8>,
    },
    Delete {
        org: Who,
        payment: usize,
        expected: Expected,
    },
    Get {
        org: Who,
        payment: usize,
    },
    List {
        org: usize,
        size: u64,
        newest_first: bool,
        /// Start after this payment's position (deleted or not).
        after: Option<usize>,
        /// Only payments created from / before these seconds after the
        /// clock's start (`instant(seconds, 0)`).
        created: (Option<i64>, Option<i64>),
    },
    History {
        org: Who,
        payment: usize,
        size: u64,
        after: Option<u64>,
    },
    /// A read of a period, by `reported_on`.
    Period {
        org: usize,
        size: usize,
        /// Start after this payment's position (deleted or not).
        after: Option<usize>,
        period: (Option<i64>, Option<i64>),
    },
    /// A period's totals.
    Totals {
        org: usize,
        period: (Option<i64>, Option<i64>),
    },
    LookUpKey {
        org: usize,
        key: usize,
    },
    /// Time passes (0 s leaves the next creates at one instant).
    Wait {
        seconds: u8,
    },
}

fn expected() -> impl Strategy<Value = Expected> {
    prop_oneof![
        3 => Just(Expected::Current),
        1 => (0u64..4).prop_map(Expected::Exactly),
    ]
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        3 => Just(Who::Owner),
        1 => (0..ORGANISATIONS).prop_map(Who::Org),
    ]
}

/// Bounds in seconds after the clock's start, either end open.
fn bounds() -> impl Strategy<Value = (Option<i64>, Option<i64>)> {
    (
        proptest::option::of(0i64..12),
        proptest::option::of(0i64..12),
    )
}

/// Bounds of instants from [`bounds`].
fn instants((from, to): (Option<i64>, Option<i64>)) -> Bounds<Timestamp> {
    Bounds {
        from: from.map(|seconds| instant(seconds, 0)),
        to: to.map(|seconds| instant(seconds, 0)),
    }
}

fn op() -> impl Strategy<Value = Op> {
    let org = 0..ORGANISATIONS;
    let payment = 0..PAYMENTS;
    prop_oneof![
        3 => (org.clone(), payment.clone(), 0u8..3, proptest::option::of((0..KEYS, 0u8..2)), proptest::option::of(0u8..12))
            .prop_map(|(org, payment, amount, key, paid)| Op::Create { org, payment, amount, key, paid }),
        5 => (who(), payment.clone(), expected(), 0u8..3, proptest::option::of(0u8..12))
            .prop_map(|(org, payment, expected, reference, paid)| Op::Update { org, payment, expected, reference, paid }),
        1 => (who(), payment.clone(), expected())
            .prop_map(|(org, payment, expected)| Op::Delete { org, payment, expected }),
        1 => (who(), payment.clone()).prop_map(|(org, payment)| Op::Get { org, payment }),
        2 => (org.clone(), 1u64..4, any::<bool>(), proptest::option::of(payment.clone()), bounds())
            .prop_map(|(org, size, newest_first, after, created)| Op::List { org, size, newest_first, after, created }),
        3 => (who(), payment.clone(), 1u64..4, proptest::option::of(0u64..6))
            .prop_map(|(org, payment, size, after)| Op::History { org, payment, size, after }),
        2 => (org.clone(), 1usize..4, proptest::option::of(payment), bounds())
            .prop_map(|(org, size, after, period)| Op::Period { org, size, after, period }),
        1 => (org.clone(), bounds()).prop_map(|(org, period)| Op::Totals { org, period }),
        1 => (org, 0..KEYS).prop_map(|(org, key)| Op::LookUpKey { org, key }),
        1 => (0u8..4).prop_map(|seconds| Op::Wait { seconds }),
    ]
}

/// What an operation answered, comparable between model and store. A
/// store failure is never an answer: it fails the case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one lives at a time, in a test
enum Answer {
    Done,
    AlreadyExists,
    KeyInUse(UsedKey),
    NotFound,
    VersionConflict { expected: Version, actual: Version },
    Payment(Option<Payment>),
    Page(Page),
    History(Option<HistoryPage>),
    Key(Option<UsedKey>),
    Period(PeriodPage),
    Totals(Totals),
}

/// A payment as the model holds it.
#[derive(Debug, Clone)]
struct Record {
    current: Payment,
    live: bool,
    events: Vec<PaymentEvent>,
}

/// The plain reference: maps and vectors, the port's rules written out.
#[derive(Debug, Default)]
struct Model {
    payments: HashMap<PaymentId, Record>,
    keys: HashMap<(OrganisationId, IdempotencyKey), (UsedKey, Timestamp)>,
}

impl Model {
    fn create(&mut self, created: &PaymentEvent) -> Answer {
        let payment = &created.payment;
        if self.payments.contains_key(&payment.id) {
            return Answer::AlreadyExists;
        }
        self.payments.insert(
            payment.id,
            Record {
                current: payment.clone(),
                live: true,
                events: vec![created.clone()],
            },
        );
        Answer::Done
    }

    fn live_key(
        &self,
        organisation: OrganisationId,
        key: &IdempotencyKey,
        expired_up_to: Timestamp,
    ) -> Option<UsedKey> {
        self.keys
            .get(&(organisation, key.clone()))
            .filter(|(_, first_used_on)| *first_used_on > expired_up_to)
            .map(|(used, _)| used.clone())
    }

    fn create_idempotent(&mut self, created: &PaymentEvent, claim: &IdempotencyClaim) -> Answer {
        let payment = &created.payment;
        let expired_up_to = claim.retention.expired_up_to(created.occurred_on);
        if let Some(used) = self.live_key(payment.organisation_id, &claim.key, expired_up_to) {
            return Answer::KeyInUse(used);
        }
        let answer = self.create(created);
        if answer == Answer::Done {
            let used = UsedKey {
                fingerprint: claim.fingerprint.clone(),
                payment_id: payment.id,
            };
            self.keys.insert(
                (payment.organisation_id, claim.key.clone()),
                (used, created.occurred_on),
            );
        }
        answer
    }

    fn get(&self, organisation: OrganisationId, id: PaymentId) -> Option<Payment> {
        self.payments
            .get(&id)
            .filter(|r| r.live && r.current.organisation_id == organisation)
            .map(|r| r.current.clone())
    }

    fn list(&self, organisation: OrganisationId, request: PageRequest) -> Page {
        let mut live: Vec<&Payment> = self
            .payments
            .values()
            .filter(|r| r.live && r.current.organisation_id == organisation)
            .map(|r| &r.current)
            .collect();
        live.sort_by_key(|p| (p.created_on, p.id));
        if request.order == ListOrder::NewestFirst {
            live.reverse();
        }
        let position = |p: &Payment| (p.created_on, p.id);
        let after = request.after.map(|c| (c.created_on, c.id));
        let page = live
            .into_iter()
            .filter(|p| request.created.contains(&p.created_on))
            .filter(|p| match (after, request.order) {
                (None, _) => true,
                (Some(after), ListOrder::OldestFirst) => position(p) > after,
                (Some(after), ListOrder::NewestFirst) => position(p) < after,
            })
            .take(request.size.with_lookahead())
            .cloned()
            .collect();
        Page::from_lookahead(page, request.size)
    }

    /// The organisation's live payments, by `(reported_on, id)`.
    fn by_reported_on(&self, organisation: OrganisationId) -> Vec<&Payment> {
        let mut live: Vec<&Payment> = self
            .payments
            .values()
            .filter(|r| r.live && r.current.organisation_id == organisation)
            .map(|r| &r.current)
            .collect();
        live.sort_by_key(|p| (p.reported_on(), p.id));
        live
    }

    fn list_period(&self, organisation: OrganisationId, request: PeriodRequest) -> PeriodPage {
        let after = request.after.map(|c| (c.reported_on, c.id));
        let read = self
            .by_reported_on(organisation)
            .into_iter()
            .filter(|p| request.period.contains(&p.reported_on()))
            .filter(|p| after.is_none_or(|after| (p.reported_on(), p.id) > after))
            .take(request.limit() + 1)
            .cloned()
            .collect();
        PeriodPage::from_lookahead(read, &request)
    }

    fn totals(&self, organisation: OrganisationId, period: Bounds<Timestamp>) -> Totals {
        let mut totals = Totals::default();
        for payment in self.by_reported_on(organisation) {
            if period.contains(&payment.reported_on()) {
                totals.add(&payment.attributes.money).expect("small sums");
            }
        }
        totals
    }

    fn change(&mut self, expected: Version, event: &PaymentEvent, live: bool) -> Answer {
        let payment = &event.payment;
        let found = self.payments.get(&payment.id).map(|r| StoredVersion {
            organisation_id: r.current.organisation_id,
            version: r.current.version,
            live: r.live,
        });
        match refused_change(expected, payment.organisation_id, found) {
            Some(ChangeError::NotFound) => Answer::NotFound,
            Some(ChangeError::VersionConflict { expected, actual }) => {
                Answer::VersionConflict { expected, actual }
            }
            Some(ChangeError::Store(_)) => unreachable!("the rule never reports a store failure"),
            None => {
                let record = self.payments.get_mut(&payment.id).expect("found above");
                record.current = payment.clone();
                record.live = live;
                record.events.push(event.clone());
                Answer::Done
            }
        }
    }

    fn events(
        &self,
        organisation: OrganisationId,
        id: PaymentId,
        request: HistoryRequest,
    ) -> Option<HistoryPage> {
        let record = self
            .payments
            .get(&id)
            .filter(|r| r.current.organisation_id == organisation)?;
        let after = request.after.map(Version::number);
        let events = record
            .events
            .iter()
            .filter(|e| after.is_none_or(|after| e.version().number() > after))
            .take(request.size.with_lookahead())
            .cloned()
            .collect();
        Some(HistoryPage::from_lookahead(events, request.size))
    }
}

fn failed(operation: &str, error: &StoreError) -> TestCaseError {
    TestCaseError::fail(format!("the store failed {operation}: {error:?}"))
}

fn change_answer(result: Result<(), ChangeError>) -> Result<Answer, TestCaseError> {
    match result {
        Ok(()) => Ok(Answer::Done),
        Err(ChangeError::NotFound) => Ok(Answer::NotFound),
        Err(ChangeError::VersionConflict { expected, actual }) => {
            Ok(Answer::VersionConflict { expected, actual })
        }
        Err(ChangeError::Store(error)) => Err(failed("a change", &error)),
    }
}

/// The case's own organisations, payment ids and keys.
struct Names {
    organisations: Vec<OrganisationId>,
    payments: Vec<PaymentId>,
    keys: Vec<IdempotencyKey>,
}

impl Names {
    fn fresh() -> Self {
        Self {
            organisations: (0..ORGANISATIONS)
                .map(|_| OrganisationId::from_uuid(fresh_uuid()))
                .collect(),
            payments: (0..PAYMENTS)
                .map(|_| PaymentId::from_uuid(fresh_uuid()))
                .collect(),
            keys: (0..KEYS)
                .map(|_| {
                    IdempotencyKey::parse(&format!("sm-{}", fresh_uuid())).expect("a valid key")
                })
                .collect(),
        }
    }
}

fn attributes(amount: u8, paid: Option<u8>) -> payments_domain::PaymentAttributes {
    PaymentAttributesInput {
        amount: Some(format!("{}.{amount:02}", u16::from(amount) + 1)),
        currency: Some("GBP".into()),
        payment_timestamp: paid.map(|seconds| instant(i64::from(seconds), 0).to_string()),
        ..Default::default()
    }
    .validate()
    .expect("valid attributes")
}

/// The payment a change starts from: what the model holds, else a
/// stand-in with that id (so changes of unknown payments are tried too),
/// as a client would have read it at `expected`.
fn read_by_client(
    model: &Model,
    org: OrganisationId,
    id: PaymentId,
    expected: Expected,
    now: Timestamp,
) -> (Version, Payment) {
    let held = model.payments.get(&id).map(|r| r.current.clone());
    let mut payment =
        held.unwrap_or_else(|| Payment::create(id, org, attributes(0, None), now).payment);
    let version = match expected {
        Expected::Current => payment.version,
        Expected::Exactly(number) => Version::new(number),
    };
    payment.organisation_id = org;
    payment.version = version;
    (version, payment)
}

/// Runs `ops` against the model and the store, comparing each answer.
#[allow(clippy::too_many_lines)] // one arm per operation
async fn agree(store: &dyn PaymentRepository, ops: &[Op]) -> Result<(), TestCaseError> {
    let names = Names::fresh();
    let mut model = Model::default();
    let mut now = instant(0, 0);
    let retention = KeyRetention::new(RETENTION).expect("retention");
    for (step, op) in ops.iter().enumerate() {
        let org = |index: usize| names.organisations[index];
        let asker = |who: Who, payment: usize| match who {
            Who::Org(index) => names.organisations[index],
            Who::Owner => model
                .payments
                .get(&names.payments[payment])
                .map_or(names.organisations[0], |r| r.current.organisation_id),
        };
        let (expected, actual) = match *op {
            Op::Create {
                org: o,
                payment,
                amount,
                key,
                paid,
            } => {
                let created = Payment::create(
                    names.payments[payment],
                    org(o),
                    attributes(amount, paid),
                    now,
                );
                match key {
                    None => (
                        model.create(&created),
                        match store.create(&created).await {
                            Ok(()) => Answer::Done,
                            Err(CreateError::AlreadyExists) => Answer::AlreadyExists,
                            Err(CreateError::Store(error)) => {
                                return Err(failed("a create", &error))
                            }
                        },
                    ),
                    Some((key, body)) => {
                        let claim = IdempotencyClaim {
                            key: names.keys[key].clone(),
                            fingerprint: RequestFingerprint::new(format!("body-{body}")),
                            retention,
                        };
                        (
                            model.create_idempotent(&created, &claim),
                            match store.create_idempotent(&created, &claim).await {
                                Ok(()) => Answer::Done,
                                Err(IdempotentCreateError::AlreadyExists) => Answer::AlreadyExists,
                                Err(IdempotentCreateError::KeyInUse(used)) => {
                                    Answer::KeyInUse(used)
                                }
                                Err(IdempotentCreateError::Store(error)) => {
                                    return Err(failed("an idempotent create", &error))
                                }
                            },
                        )
                    }
                }
            }
            Op::Update {
                org: o,
                payment,
                expected,
                reference,
                paid,
            } => {
                let (version, read) = read_by_client(
                    &model,
                    asker(o, payment),
                    names.payments[payment],
                    expected,
                    now,
                );
                let patch = PaymentAttributesInput {
                    reference: Some(format!("reference {reference}")),
                    payment_timestamp: paid
                        .map(|seconds| instant(i64::from(seconds), 0).to_string()),
                    ..Default::default()
                };
                let updated = read.update(&patch, now).expect("a valid patch");
                (
                    model.change(version, &updated, true),
                    change_answer(store.update(version, &updated).await)?,
                )
            }
            Op::Delete {
                org: o,
                payment,
                expected,
            } => {
                let (version, read) = read_by_client(
                    &model,
                    asker(o, payment),
                    names.payments[payment],
                    expected,
                    now,
                );
                let deleted = read.delete(now);
                (
                    model.change(version, &deleted, false),
                    change_answer(store.delete(version, &deleted).await)?,
                )
            }
            Op::Get { org: o, payment } => {
                let (id, asker) = (names.payments[payment], asker(o, payment));
                (
                    Answer::Payment(model.get(asker, id)),
                    Answer::Payment(
                        store
                            .get(asker, id)
                            .await
                            .map_err(|e| failed("a get", &e))?,
                    ),
                )
            }
            Op::List {
                org: o,
                size,
                newest_first,
                after,
                created: (from, to),
            } => {
                let request = PageRequest {
                    created: instants((from, to)),
                    size: PageSize::new(size).expect("size"),
                    after: after.and_then(|index| {
                        model
                            .payments
                            .get(&names.payments[index])
                            .map(|r| PageCursor::after(&r.current))
                    }),
                    order: if newest_first {
                        ListOrder::NewestFirst
                    } else {
                        ListOrder::OldestFirst
                    },
                };
                (
                    Answer::Page(model.list(org(o), request)),
                    Answer::Page(
                        store
                            .list(org(o), request)
                            .await
                            .map_err(|e| failed("a list", &e))?,
                    ),
                )
            }
            Op::Period {
                org: o,
                size,
                after,
                period,
            } => {
                let request = PeriodRequest {
                    period: instants(period),
                    after: after.and_then(|index| {
                        model
                            .payments
                            .get(&names.payments[index])
                            .map(|r| PeriodCursor::after(&r.current))
                    }),
                    size,
                };
                (
                    Answer::Period(model.list_period(org(o), request)),
                    Answer::Period(
                        store
                            .list_period(org(o), request)
                            .await
                            .map_err(|e| failed("a period read", &e))?,
                    ),
                )
            }
            Op::Totals { org: o, period } => {
                let totals = store
                    .totals(org(o), instants(period), &PaymentFilter::default())
                    .await
                    .map_err(|e| TestCaseError::fail(format!("the store failed totals: {e:?}")))?;
                (
                    Answer::Totals(model.totals(org(o), instants(period))),
                    Answer::Totals(totals),
                )
            }
            Op::History {
                org: o,
                payment,
                size,
                after,
            } => {
                let (id, asker) = (names.payments[payment], asker(o, payment));
                let request = HistoryRequest {
                    size: PageSize::new(size).expect("size"),
                    after: after.map(Version::new),
                };
                (
                    Answer::History(model.events(asker, id, request)),
                    Answer::History(
                        store
                            .events(asker, id, request)
                            .await
                            .map_err(|e| failed("a history read", &e))?,
                    ),
                )
            }
            Op::LookUpKey { org: o, key } => {
                let expired_up_to = retention.expired_up_to(now);
                let key = &names.keys[key];
                (
                    Answer::Key(model.live_key(org(o), key, expired_up_to)),
                    Answer::Key(
                        store
                            .idempotency_key(org(o), key, expired_up_to)
                            .await
                            .map_err(|e| failed("a key lookup", &e))?,
                    ),
                )
            }
            Op::Wait { seconds } => {
                now = now
                    .checked_add(Duration::from_secs(u64::from(seconds)))
                    .expect("in range");
                continue;
            }
        };
        prop_assert_eq!(expected, actual, "step {}: {:?}", step, op);
    }
    Ok(())
}

/// Runs `cases` random sequences of up to 60 operations against the store
/// `factory` makes, each compared with the model; panics with the shrunk
/// sequence when they disagree. Call it from a plain `#[test]`: it runs
/// its own Tokio runtime. `PROPTEST_CASES` overrides `cases`.
pub fn stores_agree_with_the_model<F, Fut>(factory: F, cases: u32)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Arc<dyn PaymentRepository>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let store = runtime.block_on(factory());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 1..60), |ops| {
        runtime.block_on(agree(&*store, &ops))
    });
    if let Err(failure) = result {
        panic!("the store and the model disagree: {failure}");
    }
}
