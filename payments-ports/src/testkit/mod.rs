//! The storage contract every [`PaymentRepository`] adapter must pass,
//! written once. Each function takes a fresh repository (or one shared with
//! other tests: every test uses its own organisations and ids) and panics
//! when the rule it is named after is broken.
//!
//! An adapter runs the whole suite with one line in its tests:
//!
//! ```text
//! payments_ports::storage_contract_tests!(my_adapter::fresh_repository());
//! ```
//!
//! where the expression is a future yielding `Arc<dyn PaymentRepository>`,
//! evaluated once per test. The adapter's crate needs `tokio` (with the
//! `macros` and `rt-multi-thread` features) as a dev-dependency.
//!
//! [`PaymentRepository`]: crate::PaymentRepository

// Contract tests report a broken rule by panicking, like any test.
#![allow(clippy::missing_panics_doc)]

pub mod fixtures;
pub mod history;
pub mod idempotency;
pub mod listing;
pub mod report;
pub mod round_trip;
pub mod search;
pub mod state_machine;
pub mod writes;

/// How many random sequences the state-machine test runs by default.
pub const STATE_MACHINE_CASES: u32 = 32;

/// Expands to one `#[tokio::test]` per storage contract rule, each calling
/// `$factory.await` for its repository.
#[macro_export]
macro_rules! storage_contract_tests {
    ($factory:expr) => {
        $crate::storage_contract_tests!($factory, cases = $crate::testkit::STATE_MACHINE_CASES);
    };
    ($factory:expr, cases = $cases:expr) => {
        #[test]
        fn stores_agree_with_a_reference_model() {
            $crate::testkit::state_machine::stores_agree_with_the_model(|| $factory, $cases);
        }
        $crate::storage_contract_tests!(@each $factory;
            round_trip::the_form3_sample_reads_back_string_for_string,
            round_trip::scale_unicode_and_microseconds_survive_storage,
            writes::duplicate_create_conflicts_and_keeps_the_first,
            writes::concurrent_creates_of_one_id_have_exactly_one_winner,
            writes::create_with_the_id_of_a_deleted_payment_conflicts,
            writes::get_is_scoped_to_the_organisation,
            writes::update_with_the_expected_version_replaces_the_payment,
            writes::update_with_a_stale_version_conflicts_and_changes_nothing,
            writes::update_of_an_unknown_payment_is_not_found,
            writes::concurrent_updates_of_one_version_have_exactly_one_winner,
            writes::delete_hides_the_payment_but_keeps_its_events,
            writes::delete_with_a_stale_version_conflicts,
            writes::delete_of_an_unknown_or_deleted_payment_is_not_found,
            writes::events_record_every_change_in_order,
            writes::events_of_an_unknown_payment_are_not_found,
            writes::ping_answers,
            history::history_pages_follow_one_another_in_version_order,
            history::a_history_of_a_thousand_versions_reads_page_by_page,
            history::a_history_ends_with_an_empty_page_and_survives_deletion,
            idempotency::an_idempotent_create_stores_the_key_with_the_payment,
            idempotency::a_key_in_force_is_refused_with_the_stored_key,
            idempotency::idempotency_keys_are_scoped_to_the_organisation,
            idempotency::an_idempotent_create_of_a_taken_id_stores_no_key,
            idempotency::concurrent_idempotent_creates_with_one_key_create_one_payment,
            idempotency::an_expired_key_is_a_new_key,
            idempotency::purging_keeps_the_keys_in_force,
            listing::pages_visit_every_payment_once_while_others_insert,
            listing::newest_first_is_the_reverse_of_oldest_first,
            listing::payments_created_at_one_instant_page_by_id,
            listing::lists_never_cross_organisations,
            listing::the_last_page_has_no_next_cursor,
            listing::a_created_range_holds_from_and_not_to,
            search::each_filter_finds_exactly_its_matches,
            search::a_search_stops_at_its_budget_and_continues_from_there,
            report::a_period_holds_its_from_and_not_its_to,
            report::totals_add_exactly_per_currency_and_only_the_organisations,
            report::totals_count_only_what_the_filter_matches,
        );
    };
    (@each $factory:expr; $($module:ident :: $rule:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $rule() {
                let repository = $factory.await;
                $crate::testkit::$module::$rule(repository).await;
            }
        )+
    };
}
