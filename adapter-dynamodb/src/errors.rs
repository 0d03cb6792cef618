//! SDK failures to port errors: what is worth retrying later becomes
//! `Unavailable`, the rest `Unexpected`. The SDK error itself travels only as
//! a boxed source, so no SDK type crosses the port.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::CancellationReason;
use payments_ports::StoreError;

use crate::item::Item;

/// Service error codes that mean "overloaded or briefly failing": the SDK
/// has already retried them with backoff, so the caller should come back
/// later (HTTP 503) rather than be told something is broken.
const UNAVAILABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "LimitExceededException",
    "TransactionInProgressException",
    "InternalServerError",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Cancellation reasons of a transaction that say "try again later".
const UNAVAILABLE_REASONS: &[&str] = &[
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

/// The cancellation reason code of a condition that did not hold.
const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailed";
/// The cancellation reason code of a clash with a concurrent transaction.
pub(crate) const TRANSACTION_CONFLICT: &str = "TransactionConflict";

/// Maps a failed SDK call onto the port.
pub(crate) fn from_sdk<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if is_transient(&error) {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Unexpected(Box::new(error))
    }
}

/// Whether a failure may go away by itself: no answer in time, no
/// connection, throttling, or a 5xx.
pub(crate) fn is_transient<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(failure) => failure.raw().status().is_server_error(),
        SdkError::ServiceError(failure) => {
            failure.raw().status().is_server_error()
                || failure
                    .err()
                    .code()
                    .is_some_and(|code| UNAVAILABLE_CODES.contains(&code))
        }
        // Construction failures are our own mistakes; anything newer is
        // unknown, so not promised to heal.
        _ => false,
    }
}

/// A builder refused its input: the adapter built a request wrong.
pub(crate) fn unexpected(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unexpected(Box::new(error))
}

/// A transaction DynamoDB cancelled, with one reason per item in the order
/// the items were sent.
#[derive(Debug)]
pub(crate) struct Cancelled {
    reasons: Vec<CancellationReason>,
    error: Box<SdkError<TransactWriteItemsError, HttpResponse>>,
}

impl Cancelled {
    /// The cancellation reasons of `error` when it is a cancelled
    /// transaction; any other failure mapped onto the port.
    pub(crate) fn from_error(
        error: SdkError<TransactWriteItemsError, HttpResponse>,
    ) -> Result<Self, StoreError> {
        match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => Ok(Self {
                reasons: cancelled.cancellation_reasons().to_vec(),
                error: Box::new(error),
            }),
            _ => Err(from_sdk(error)),
        }
    }

    /// Whether any item clashed with a concurrent transaction (retrying
    /// re-evaluates every condition, so the retry gives the real answer).
    pub(crate) fn conflicted(&self) -> bool {
        self.reasons
            .iter()
            .any(|reason| reason.code() == Some(TRANSACTION_CONFLICT))
    }

    /// Whether the condition on the `index`th item did not hold.
    pub(crate) fn failed_condition(&self, index: usize) -> bool {
        self.reasons
            .get(index)
            .is_some_and(|reason| reason.code() == Some(CONDITIONAL_CHECK_FAILED))
    }

    /// The `index`th item as stored when its condition failed, when the
    /// request asked for it (`ReturnValuesOnConditionCheckFailure`) and
    /// the item existed.
    pub(crate) fn item(&self, index: usize) -> Option<&Item> {
        self.reasons.get(index).and_then(CancellationReason::item)
    }

    /// A cancellation no caller explains with a domain error: throttling or
    /// contention (still there after retries) are `Unavailable`, anything
    /// else (validation, item collection too large) `Unexpected`.
    pub(crate) fn into_error(self) -> StoreError {
        let transient = self.reasons.iter().any(|reason| {
            reason
                .code()
                .is_some_and(|code| UNAVAILABLE_REASONS.contains(&code))
        });
        if transient {
            StoreError::Unavailable(self.error)
        } else {
            StoreError::Unexpected(self.error)
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::types::error::{
        ProvisionedThroughputExceededException, ResourceNotFoundException,
        TransactionCanceledException,
    };
    use aws_sdk_dynamodb::types::CancellationReason;

    use super::*;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(
            status.try_into().expect("a status"),
            // SdkBody is not re-exported; it converts from a string.
            "".into(),
        )
    }

    #[test]
    fn throttling_timeouts_and_5xx_are_unavailable_the_rest_unexpected() {
        let throttled = SdkError::service_error(
            GetItemError::ProvisionedThroughputExceededException(
                ProvisionedThroughputExceededException::builder()
                    .meta(
                        aws_sdk_dynamodb::error::ErrorMetadata::builder()
                            .code("ProvisionedThroughputExceededException")
                            .build(),
                    )
                    .build(),
            ),
            response(400),
        );
        let missing_table = SdkError::service_error(
            GetItemError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .meta(
                        aws_sdk_dynamodb::error::ErrorMetadata::builder()
                            .code("ResourceNotFoundException")
                            .build(),
                    )
                    .build(),
            ),
            response(400),
        );
        let server_error =
            SdkError::<GetItemError, _>::response_error("bad gateway", response(502));
        let timeout = SdkError::<GetItemError, HttpResponse>::timeout_error("slow");
        let construction = SdkError::<GetItemError, HttpResponse>::construction_failure("bug");

        let cases = [
            (throttled, true, "throttled"),
            (missing_table, false, "missing table"),
            (server_error, true, "5xx"),
            (timeout, true, "timeout"),
            (construction, false, "construction"),
        ];
        for (error, unavailable, reason) in cases {
            assert_eq!(
                matches!(from_sdk(error), StoreError::Unavailable(_)),
                unavailable,
                "{reason}"
            );
        }
    }

    fn cancelled(codes: &[&str]) -> Cancelled {
        let exception = TransactionCanceledException::builder()
            .set_cancellation_reasons(Some(
                codes
                    .iter()
                    .map(|code| CancellationReason::builder().code(*code).build())
                    .collect(),
            ))
            .build();
        Cancelled::from_error(SdkError::service_error(
            TransactWriteItemsError::TransactionCanceledException(exception),
            response(400),
        ))
        .expect("a cancellation")
    }

    #[test]
    fn cancellation_reasons_are_read_per_item() {
        let reasons = cancelled(&["None", "ConditionalCheckFailed", "None"]);

        assert!(!reasons.failed_condition(0));
        assert!(reasons.failed_condition(1));
        assert!(!reasons.failed_condition(3));
        assert!(!reasons.conflicted());
    }

    #[test]
    fn unexplained_cancellations_are_unavailable_only_when_transient() {
        let cases = [
            (&["TransactionConflict", "None"][..], true),
            (&["ThrottlingError"][..], true),
            (&["ValidationError", "None"][..], false),
            (&["ItemCollectionSizeLimitExceeded"][..], false),
        ];
        for (codes, unavailable) in cases {
            assert_eq!(
                matches!(cancelled(codes).into_error(), StoreError::Unavailable(_)),
                unavailable,
                "{codes:?}"
            );
        }
    }
}
