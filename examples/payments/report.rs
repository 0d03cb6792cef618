//! `payments report` and `payments export`: a period of one
//! organisation's payments, read from the store through the service.
//!
//! The period is the API report's (`GET /v1/reports/payments`): `--from`
//! inclusive, `--to` exclusive, each an RFC 3339 instant or a date (00:00
//! UTC), and a payment counts at its payment timestamp when it has one,
//! else at its creation. Both write to standard output (the log goes to
//! standard error).
//!
//! An export reads the period `payments_ports::MAX_PERIOD_READ` payments
//! at a time and
//! writes each read before the next, so it holds one read in memory
//! however long the period is.

use std::io::Write;

use anyhow::Context as _;
use http_api::reports::{period, period_end, ReportDocument};
use http_api::PaymentResource;
use payments_domain::{Bounds, OrganisationId, Payment, PaymentFilter, Text, Timestamp};
use payments_ports::{PaymentService, PeriodRequest};

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The API's report document, on one line.
    Json,
    /// `currency,count,amount`, one line per currency after a header.
    Csv,
}

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// A header, then one line per payment with the columns of
    /// [`CSV_COLUMNS`].
    Csv,
    /// One Form3 payment resource (as `GET /v1/payments/{id}` shows its
    /// `data`) per line.
    Ndjson,
}

/// The columns of a CSV export: the payment's identity and times, then
/// the attributes reports and searches look at, each as stored (amounts
/// exactly as written).
pub const CSV_COLUMNS: [&str; 16] = [
    "id",
    "organisation_id",
    "version",
    "created_on",
    "modified_on",
    "reported_on",
    "payment_timestamp",
    "currency",
    "amount",
    "reference",
    "description",
    "payment_scheme",
    "payment_type",
    "processing_date",
    "beneficiary_account_number",
    "debtor_account_number",
];

/// The period of `--from` and `--to`.
///
/// # Errors
/// When either is not an instant or a date, or `to` is not after `from`.
pub fn period_of(from: &str, to: &str) -> anyhow::Result<(Timestamp, Timestamp)> {
    let end =
        |name: &str, text: &str| period_end(text).map_err(|why| anyhow::anyhow!("--{name} {why}"));
    let (from, to) = (end("from", from)?, end("to", to)?);
    period(from, to).map_err(|why| anyhow::anyhow!("{why}"))?;
    Ok((from, to))
}

fn bounds(from: Timestamp, to: Timestamp) -> Bounds<Timestamp> {
    Bounds {
        from: Some(from),
        to: Some(to),
    }
}

/// Writes the report of `organisation` over `from`..`to` to `out`.
///
/// # Errors
/// The service's failures; a failed write.
pub async fn report(
    service: &PaymentService,
    organisation: OrganisationId,
    (from, to): (Timestamp, Timestamp),
    format: ReportFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let totals = service
        .report_payments(organisation, bounds(from, to), &PaymentFilter::default())
        .await
        .context("reporting payments")?;
    match format {
        ReportFormat::Json => {
            serde_json::to_writer(&mut *out, &ReportDocument::new(from, to, &totals))?;
            writeln!(out)?;
        }
        ReportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(&mut *out);
            csv.write_record(["currency", "count", "amount"])?;
            for line in totals.lines() {
                csv.write_record([line.currency.code(), &line.count.to_string(), &line.amount])?;
            }
            csv.flush()?;
        }
    }
    Ok(())
}

/// Writes every payment of `organisation` in `from`..`to` to `out`, in
/// `(reported_on, id)` order, one read at a time; says how many.
///
/// # Errors
/// The service's failures; a failed write.
pub async fn export(
    service: &PaymentService,
    organisation: OrganisationId,
    (from, to): (Timestamp, Timestamp),
    format: ExportFormat,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let period = bounds(from, to);
    match format {
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(CSV_COLUMNS)?;
            each_read(service, organisation, period, |payments| {
                for payment in payments {
                    csv.write_record(csv_row(payment))?;
                }
                Ok(csv.flush()?)
            })
            .await
        }
        ExportFormat::Ndjson => {
            each_read(service, organisation, period, |payments| {
                for payment in payments {
                    serde_json::to_writer(&mut *out, &PaymentResource::new(payment))?;
                    writeln!(out)?;
                }
                Ok(out.flush()?)
            })
            .await
        }
    }
}

/// Hands each read of the period to `write`, in order, and says how many
/// payments there were: one read is in memory at a time.
async fn each_read(
    service: &PaymentService,
    organisation: OrganisationId,
    period: Bounds<Timestamp>,
    mut write: impl FnMut(&[Payment]) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let mut request = PeriodRequest::first(period);
    let mut written = 0;
    loop {
        let read = service
            .payments_in_period(organisation, request)
            .await
            .context("reading the period's payments")?;
        write(&read.payments)?;
        written += read.payments.len();
        match read.next {
            Some(next) => request.after = Some(next),
            None => return Ok(written),
        }
    }
}

/// One payment as the cells of [`CSV_COLUMNS`].
fn csv_row(payment: &Payment) -> [String; 16] {
    let attributes = &payment.attributes;
    let text = |value: Option<&Text>| value.map(|t| t.as_str().to_owned()).unwrap_or_default();
    let account = |party: Option<&payments_domain::Party>| {
        party
            .and_then(|party| party.account_number.as_ref())
            .map(|number| number.as_str().to_owned())
            .unwrap_or_default()
    };
    [
        payment.id.to_string(),
        payment.organisation_id.to_string(),
        payment.version.to_string(),
        payment.created_on.to_string(),
        payment.modified_on.to_string(),
        payment.reported_on().to_string(),
        attributes
            .payment_timestamp
            .map(|at| at.to_string())
            .unwrap_or_default(),
        attributes.money.currency().to_string(),
        attributes.money.amount().to_string(),
        text(attributes.reference.as_ref()),
        text(attributes.description.as_ref()),
        text(attributes.payment_scheme.as_ref()),
        text(attributes.payment_type.as_ref()),
        attributes
            .processing_date
            .map(|date| date.to_string())
            .unwrap_or_default(),
        account(attributes.beneficiary_party.as_ref()),
        account(attributes.debtor_party.as_ref()),
    ]
}
