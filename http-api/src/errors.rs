//! Use-case errors as problems. Internal causes go to the log, with the
//! request id; the client sees only the status and a generic detail.

use std::error::Error;

use payments_domain::{FieldPath, ValidationErrors};
use payments_ports::{
    error_chain, CreatePaymentError, DeletePaymentError, FetchPaymentError, ListPaymentsError,
    PaymentHistoryError, ReportPaymentsError, UpdatePaymentError,
};

use crate::problem::{FieldProblem, Problem};

fn unavailable(error: &dyn Error) -> Problem {
    tracing::warn!(error = %error_chain(error), "payment store unavailable");
    Problem::unavailable()
}

fn unexpected(error: &dyn Error) -> Problem {
    tracing::error!(error = %error_chain(error), "unexpected failure");
    Problem::internal()
}

/// A 422 with one entry per field error, pointed at by `pointer`.
pub fn invalid(errors: &ValidationErrors, pointer: &dyn Fn(&FieldPath) -> String) -> Problem {
    Problem::validation(
        errors
            .errors()
            .iter()
            .map(|error| FieldProblem {
                pointer: pointer(&error.path),
                detail: error.message.clone(),
            })
            .collect(),
    )
}

/// The problem for a failed create.
pub fn create(error: &CreatePaymentError) -> Problem {
    match error {
        CreatePaymentError::AlreadyExists => Problem::conflict(error.to_string()),
        CreatePaymentError::IdempotencyKeyReused => Problem::idempotency_key_reused(),
        CreatePaymentError::Unavailable(_) => unavailable(error),
        CreatePaymentError::Unexpected(_) => unexpected(error),
    }
}

/// The problem for a failed read.
pub fn fetch(error: &FetchPaymentError) -> Problem {
    match error {
        FetchPaymentError::NotFound => Problem::not_found("no such payment"),
        FetchPaymentError::Unavailable(_) => unavailable(error),
        FetchPaymentError::Unexpected(_) => unexpected(error),
    }
}

/// The problem for a failed listing.
pub fn list(error: &ListPaymentsError) -> Problem {
    match error {
        ListPaymentsError::Unavailable(_) => unavailable(error),
        ListPaymentsError::Unexpected(_) => unexpected(error),
    }
}

/// The problem for a failed update.
pub fn update(error: &UpdatePaymentError, pointer: &dyn Fn(&FieldPath) -> String) -> Problem {
    match error {
        UpdatePaymentError::NotFound => Problem::not_found("no such payment"),
        UpdatePaymentError::VersionConflict { .. } => Problem::conflict(error.to_string()),
        UpdatePaymentError::Invalid(errors) => invalid(errors, pointer),
        UpdatePaymentError::Unavailable(_) => unavailable(error),
        UpdatePaymentError::Unexpected(_) => unexpected(error),
    }
}

/// The problem for a failed delete.
pub fn delete(error: &DeletePaymentError) -> Problem {
    match error {
        DeletePaymentError::NotFound => Problem::not_found("no such payment"),
        DeletePaymentError::VersionConflict { .. } => Problem::conflict(error.to_string()),
        DeletePaymentError::Unavailable(_) => unavailable(error),
        DeletePaymentError::Unexpected(_) => unexpected(error),
    }
}

/// The problem for a failed history read.
pub fn history(error: &PaymentHistoryError) -> Problem {
    match error {
        PaymentHistoryError::NotFound => Problem::not_found("no such payment"),
        PaymentHistoryError::Unavailable(_) => unavailable(error),
        PaymentHistoryError::Unexpected(_) => unexpected(error),
    }
}

/// The problem for a failed report.
pub fn report(error: &ReportPaymentsError) -> Problem {
    match error {
        ReportPaymentsError::Overflow(overflow) => Problem::total_too_large(format!(
            "{overflow}; ask for a shorter period or a narrower filter"
        )),
        ReportPaymentsError::Unavailable(_) => unavailable(error),
        ReportPaymentsError::Unexpected(_) => unexpected(error),
    }
}

/// A readiness failure: logged, then 503.
pub fn not_ready(error: &dyn Error) -> Problem {
    unavailable(error)
}
