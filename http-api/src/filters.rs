//! Filter query parameters of the payment listings, with Form3's names
//! (`filter[currency]`, `filter[processing_date_from]`, ...). One parser
//! serves both contracts: the recorder route (`GET /payments`) takes the
//! camelCase names of the members its contract shows
//! (`filter[paymentTimestampFrom]`, `filter[createdOnTo]`) and Form3's
//! names for the rest, each filter under exactly one name per route.
//!
//! Ranges are half-open: `_from` inclusive, `_to` exclusive.

use payments_domain::{Amount, Bounds, Currency, Date, OrganisationId, PaymentFilter, Timestamp};

use crate::problem::Problem;

/// Which names a route gives its filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Form3's names, on `GET /v1/payments`.
    Form3,
    /// camelCase where the recorder contract has the member, on
    /// `GET /payments`.
    Recorder,
    /// Form3's names of the equality filters only, on the report
    /// (`GET /v1/reports/payments`), whose period is its own `from` and
    /// `to`.
    Report,
}

/// What one filter parameter sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    ProcessingDateFrom,
    ProcessingDateTo,
    PaymentTimestampFrom,
    PaymentTimestampTo,
    CreatedOnFrom,
    CreatedOnTo,
    Currency,
    Amount,
    Reference,
    PaymentScheme,
    PaymentType,
    BeneficiaryAccountNumber,
    DebtorAccountNumber,
    OrganisationId,
}

/// Every filter: its Form3 name, its name on the recorder route, and what
/// it sets.
const FILTERS: &[(&str, &str, Target)] = &[
    (
        "filter[processing_date_from]",
        "filter[processing_date_from]",
        Target::ProcessingDateFrom,
    ),
    (
        "filter[processing_date_to]",
        "filter[processing_date_to]",
        Target::ProcessingDateTo,
    ),
    (
        "filter[payment_timestamp_from]",
        "filter[paymentTimestampFrom]",
        Target::PaymentTimestampFrom,
    ),
    (
        "filter[payment_timestamp_to]",
        "filter[paymentTimestampTo]",
        Target::PaymentTimestampTo,
    ),
    (
        "filter[created_on_from]",
        "filter[createdOnFrom]",
        Target::CreatedOnFrom,
    ),
    (
        "filter[created_on_to]",
        "filter[createdOnTo]",
        Target::CreatedOnTo,
    ),
    ("filter[currency]", "filter[currency]", Target::Currency),
    ("filter[amount]", "filter[amount]", Target::Amount),
    ("filter[reference]", "filter[reference]", Target::Reference),
    (
        "filter[payment_scheme]",
        "filter[payment_scheme]",
        Target::PaymentScheme,
    ),
    (
        "filter[payment_type]",
        "filter[payment_type]",
        Target::PaymentType,
    ),
    (
        "filter[beneficiary_party.account_number]",
        "filter[beneficiary_party.account_number]",
        Target::BeneficiaryAccountNumber,
    ),
    (
        "filter[debtor_party.account_number]",
        "filter[debtor_party.account_number]",
        Target::DebtorAccountNumber,
    ),
    (
        "filter[organisation_id]",
        "filter[organisation_id]",
        Target::OrganisationId,
    ),
];

impl Names {
    /// The filter's name on this route, if the route has it.
    fn of(self, filter: &(&'static str, &'static str, Target)) -> Option<&'static str> {
        match self {
            Names::Form3 => Some(filter.0),
            Names::Recorder => Some(filter.1),
            Names::Report => (!filter.2.is_range()).then_some(filter.0),
        }
    }

    /// The filter names of this route, in the order of the docs.
    pub fn all(self) -> impl Iterator<Item = &'static str> {
        FILTERS.iter().filter_map(move |filter| self.of(filter))
    }

    /// The filters of this route with what each sets, for the OpenAPI
    /// document.
    pub(crate) fn parameters(self) -> impl Iterator<Item = (&'static str, Target)> {
        FILTERS
            .iter()
            .filter_map(move |filter| self.of(filter).map(|name| (name, filter.2)))
    }
}

impl Target {
    /// Whether the filter is one end of a range.
    fn is_range(self) -> bool {
        matches!(
            self,
            Target::ProcessingDateFrom
                | Target::ProcessingDateTo
                | Target::PaymentTimestampFrom
                | Target::PaymentTimestampTo
                | Target::CreatedOnFrom
                | Target::CreatedOnTo
        )
    }
}

/// The filters of one listing request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// What the payments' attributes must match.
    pub attributes: PaymentFilter,
    /// Created inside these bounds (the listing's order key).
    pub created: Bounds<Timestamp>,
    /// `filter[organisation_id]`, when given.
    pub organisation: Option<OrganisationId>,
    /// The filter parameters as the client sent them, in order, so the
    /// listing's links repeat them.
    pub given: Vec<(String, String)>,
}

impl Filters {
    /// Whether `filter[organisation_id]` names an organisation other than
    /// `caller`'s: then nothing matches, and whether that organisation
    /// exists is not the caller's business.
    pub fn names_another_organisation(&self, caller: OrganisationId) -> bool {
        self.organisation
            .is_some_and(|organisation| organisation != caller)
    }

    /// Takes `name=value` if `name` is a filter of the route that uses
    /// `names`; `Ok(false)` if it is not a filter parameter at all.
    ///
    /// # Errors
    /// A 400 problem naming the parameter when its value is bad, it is
    /// given twice, or it looks like a filter this route does not have
    /// (listing the ones it has).
    pub fn take(&mut self, names: Names, name: &str, value: &str) -> Result<bool, Problem> {
        if !name.starts_with("filter[") {
            return Ok(false);
        }
        let Some(filter) = FILTERS.iter().find(|filter| names.of(filter) == Some(name)) else {
            let known: Vec<&str> = names.all().collect();
            return Err(Problem::bad_request(format!(
                "unknown filter {name:?}; this route filters by {}",
                known.join(", ")
            )));
        };
        if self.given.iter().any(|(given, _)| given == name) {
            return Err(Problem::bad_request(format!(
                "{name} is given more than once"
            )));
        }
        if value.is_empty() {
            return Err(Problem::bad_request(format!("{name} must not be empty")));
        }
        self.set(filter.2, name, value)?;
        self.given.push((name.to_owned(), value.to_owned()));
        Ok(true)
    }

    fn set(&mut self, target: Target, name: &str, value: &str) -> Result<(), Problem> {
        let bad =
            |what: &str| Problem::bad_request(format!("{name} must be {what}, got {value:?}"));
        let instant = || Timestamp::parse(value).map_err(|_| bad("an RFC 3339 date-time"));
        let date = || Date::parse(value).map_err(|_| bad("a date (YYYY-MM-DD)"));
        let text = || value.to_owned();
        let wanted = &mut self.attributes;
        match target {
            Target::ProcessingDateFrom => wanted.processing_date.from = Some(date()?),
            Target::ProcessingDateTo => wanted.processing_date.to = Some(date()?),
            Target::PaymentTimestampFrom => wanted.payment_timestamp.from = Some(instant()?),
            Target::PaymentTimestampTo => wanted.payment_timestamp.to = Some(instant()?),
            Target::CreatedOnFrom => self.created.from = Some(instant()?),
            Target::CreatedOnTo => self.created.to = Some(instant()?),
            Target::Currency => {
                wanted.currency = Some(
                    Currency::parse(value).map_err(|_| bad("an active ISO 4217 currency code"))?,
                );
            }
            Target::Amount => {
                wanted.amount =
                    Some(Amount::parse(value).map_err(|_| bad("a decimal amount above zero"))?);
            }
            Target::Reference => wanted.reference = Some(text()),
            Target::PaymentScheme => wanted.payment_scheme = Some(text()),
            Target::PaymentType => wanted.payment_type = Some(text()),
            Target::BeneficiaryAccountNumber => wanted.beneficiary_account_number = Some(text()),
            Target::DebtorAccountNumber => wanted.debtor_account_number = Some(text()),
            Target::OrganisationId => {
                self.organisation = Some(OrganisationId::parse(value).map_err(|_| bad("a UUID"))?);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn detail(result: Result<bool, Problem>) -> String {
        result.unwrap_err().detail().to_owned()
    }

    #[test]
    fn bad_values_are_refused_naming_the_parameter() {
        let cases = [
            (
                "filter[currency]",
                "XYZ",
                "filter[currency] must be an active ISO 4217 currency code, got \"XYZ\"",
            ),
            (
                "filter[amount]",
                "1e3",
                "filter[amount] must be a decimal amount above zero, got \"1e3\"",
            ),
            (
                "filter[processing_date_from]",
                "2024-13-01",
                "filter[processing_date_from] must be a date (YYYY-MM-DD), got \"2024-13-01\"",
            ),
            (
                "filter[created_on_to]",
                "yesterday",
                "filter[created_on_to] must be an RFC 3339 date-time, got \"yesterday\"",
            ),
            (
                "filter[organisation_id]",
                "me",
                "filter[organisation_id] must be a UUID, got \"me\"",
            ),
            (
                "filter[reference]",
                "",
                "filter[reference] must not be empty",
            ),
        ];
        for (name, value, expected) in cases {
            let mut filters = Filters::default();
            assert_eq!(
                detail(filters.take(Names::Form3, name, value)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn each_route_knows_its_own_names_only() {
        let mut filters = Filters::default();
        assert!(filters
            .take(
                Names::Recorder,
                "filter[paymentTimestampFrom]",
                "2024-08-01T00:00:00Z"
            )
            .unwrap());
        assert!(!filters.take(Names::Recorder, "page[size]", "3").unwrap());
        assert_eq!(
            filters.attributes.payment_timestamp.from,
            Some(Timestamp::parse("2024-08-01T00:00:00Z").unwrap())
        );
        let unknown = detail(Filters::default().take(
            Names::Recorder,
            "filter[payment_timestamp_from]",
            "2024-08-01T00:00:00Z",
        ));
        assert_eq!(
            unknown,
            "unknown filter \"filter[payment_timestamp_from]\"; this route filters by \
             filter[processing_date_from], filter[processing_date_to], \
             filter[paymentTimestampFrom], filter[paymentTimestampTo], filter[createdOnFrom], \
             filter[createdOnTo], filter[currency], filter[amount], filter[reference], \
             filter[payment_scheme], filter[payment_type], \
             filter[beneficiary_party.account_number], filter[debtor_party.account_number], \
             filter[organisation_id]"
        );
        assert_eq!(
            detail(filters.take(
                Names::Recorder,
                "filter[paymentTimestampFrom]",
                "2024-08-02T00:00:00Z"
            )),
            "filter[paymentTimestampFrom] is given more than once"
        );
    }
}
