//! `GET /v1/reports/payments`: per currency, how many of the caller's
//! payments fall in a period and their exact sum.
//!
//! The period is `from` (inclusive) to `to` (exclusive), each an RFC 3339
//! instant or a date (`2024-08-01`, the start of that day in UTC), both
//! required. A payment counts at its payment timestamp when it has one
//! (when the money moved, as the recorder records it), else at its
//! creation. The equality filters of the listings narrow the report
//! (`filter[currency]`, `filter[reference]`, ...); ranges other than the
//! period are not taken. Amounts in different currencies are never added:
//! one line per currency, by code, each sum written with at least the
//! currency's minor units.
//!
//! ```json
//! {"data": {"from": "2024-08-01T00:00:00Z", "to": "2024-09-01T00:00:00Z",
//!   "totals": [{"currency": "GBP", "count": 12, "amount": "1234.50"}]}}
//! ```

use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use payments_domain::report::Totals;
use payments_domain::{Bounds, Date, Timestamp};
use serde::Serialize;

use crate::filters::{Filters, Names};
use crate::keys::Caller;
use crate::payment_response::json;
use crate::problem::Problem;
use crate::{errors, ApiState};

/// The report's path.
pub const PATH: &str = "/v1/reports/payments";

/// The query parameter of the period's start.
pub(crate) const FROM: &str = "from";
/// The query parameter of the period's end.
pub(crate) const TO: &str = "to";

/// A report as the API and the `payments report` command write it.
#[derive(Debug, Serialize)]
pub struct ReportDocument {
    /// The report.
    pub data: Report,
}

/// The period and its totals.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The period's first instant.
    pub from: Timestamp,
    /// The first instant after the period.
    pub to: Timestamp,
    /// One line per currency with payments in the period, by code.
    pub totals: Vec<TotalLineView>,
}

/// One currency's line.
#[derive(Debug, Serialize)]
pub struct TotalLineView {
    /// The ISO 4217 code.
    pub currency: String,
    /// How many payments.
    pub count: u64,
    /// Their exact sum, as a decimal string.
    pub amount: String,
}

impl ReportDocument {
    /// The document of `totals` over `from`..`to`.
    pub fn new(from: Timestamp, to: Timestamp, totals: &Totals) -> Self {
        let totals = totals
            .lines()
            .map(|line| TotalLineView {
                currency: line.currency.to_string(),
                count: line.count,
                amount: line.amount,
            })
            .collect();
        Self {
            data: Report { from, to, totals },
        }
    }
}

/// One end of a period as a client writes it: an RFC 3339 instant, or a
/// date meaning the start of that day in UTC.
///
/// # Errors
/// A message saying what is expected, for the caller to name the
/// parameter.
pub fn period_end(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text)
        .or_else(|_| Date::parse(text).map(|date| date.start_utc()))
        .map_err(|_| format!("must be an RFC 3339 date-time or a date (YYYY-MM-DD), got {text:?}"))
}

/// A period from its two ends, refused unless `from` is before `to`.
///
/// # Errors
/// A message naming both ends.
pub fn period(from: Timestamp, to: Timestamp) -> Result<Bounds<Timestamp>, String> {
    if from < to {
        Ok(Bounds {
            from: Some(from),
            to: Some(to),
        })
    } else {
        Err(format!("to ({to}) must be after from ({from})"))
    }
}

/// What a report request asks for.
#[derive(Debug)]
struct ReportQuery {
    from: Timestamp,
    to: Timestamp,
    filters: Filters,
}

/// The report a query string asks for.
fn report_query(query: Option<&str>) -> Result<ReportQuery, Problem> {
    let (mut from, mut to) = (None, None);
    let mut filters = Filters::default();
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let end = match name.as_ref() {
            FROM => &mut from,
            TO => &mut to,
            other => {
                if filters.take(Names::Report, other, &value)? {
                    continue;
                }
                return Err(Problem::bad_request(format!(
                    "unknown query parameter {other:?}; this route takes {FROM}, {TO} and filter[...]"
                )));
            }
        };
        if end.is_some() {
            return Err(Problem::bad_request(format!(
                "{name} is given more than once"
            )));
        }
        let at = period_end(&value).map_err(|why| Problem::bad_request(format!("{name} {why}")))?;
        *end = Some(at);
    }
    let required = |end: Option<Timestamp>, name: &str| {
        end.ok_or_else(|| {
            Problem::bad_request(format!(
                "{name} is required: the report's period is {FROM} (inclusive) to {TO} (exclusive)"
            ))
        })
    };
    Ok(ReportQuery {
        from: required(from, FROM)?,
        to: required(to, TO)?,
        filters,
    })
}

/// `GET /v1/reports/payments`.
///
/// # Errors
/// 400 for a bad query; 422 when a currency's sum is beyond an exact
/// decimal; the store's failures.
pub async fn payments(
    State(state): State<ApiState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let query = report_query(query.as_deref())?;
    let period = period(query.from, query.to).map_err(Problem::bad_request)?;
    let totals = if query
        .filters
        .names_another_organisation(caller.organisation_id)
    {
        // Like a listing: no totals, not even whether there are any.
        Totals::default()
    } else {
        state
            .service
            .report_payments(caller.organisation_id, period, &query.filters.attributes)
            .await
            .map_err(|error| errors::report(&error))?
    };
    Ok(json(
        StatusCode::OK,
        &ReportDocument::new(query.from, query.to, &totals),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn detail(query: &str) -> String {
        report_query(Some(query)).unwrap_err().detail().to_owned()
    }

    #[test]
    fn a_period_end_is_an_instant_or_the_start_of_a_day_in_utc() {
        assert_eq!(
            period_end("2024-08-01").unwrap(),
            Timestamp::parse("2024-08-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            period_end("2024-08-01T02:00:00+02:00").unwrap(),
            Timestamp::parse("2024-08-01T00:00:00Z").unwrap()
        );
        assert_eq!(
            period_end("August").unwrap_err(),
            "must be an RFC 3339 date-time or a date (YYYY-MM-DD), got \"August\""
        );
    }

    #[test]
    fn bad_report_queries_are_refused_naming_the_parameter() {
        assert_eq!(
            detail("to=2024-09-01"),
            "from is required: the report's period is from (inclusive) to to (exclusive)"
        );
        assert_eq!(
            detail("from=2024-08-01&from=2024-08-02&to=2024-09-01"),
            "from is given more than once"
        );
        assert_eq!(
            detail("from=2024-08-01&to=soon"),
            "to must be an RFC 3339 date-time or a date (YYYY-MM-DD), got \"soon\""
        );
        assert_eq!(
            detail("from=2024-08-01&to=2024-09-01&page%5Bsize%5D=3"),
            "unknown query parameter \"page[size]\"; this route takes from, to and filter[...]"
        );
        assert_eq!(
            detail(
                "from=2024-08-01&to=2024-09-01&filter%5Bcreated_on_from%5D=2024-08-01T00:00:00Z"
            ),
            "unknown filter \"filter[created_on_from]\"; this route filters by \
             filter[currency], filter[amount], filter[reference], filter[payment_scheme], \
             filter[payment_type], filter[beneficiary_party.account_number], \
             filter[debtor_party.account_number], filter[organisation_id]"
        );
        assert_eq!(
            period(
                Timestamp::parse("2024-09-01T00:00:00Z").unwrap(),
                Timestamp::parse("2024-09-01T00:00:00Z").unwrap()
            )
            .unwrap_err(),
            "to (2024-09-01T00:00:00Z) must be after from (2024-09-01T00:00:00Z)"
        );
    }
}
