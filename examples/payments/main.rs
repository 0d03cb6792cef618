//! `payments`: run the payments API, load payments, prepare a store.
//!
//! ```text
//! payments serve [--listen 127.0.0.1:8080] [--store memory] [--seed FILE] [--migrate]
//! payments seed FILE [--store ...]
//! payments migrate [--store ...]
//! payments report --organisation ORG --from 2024-08-01 --to 2024-09-01 [--format json|csv] [--store ...]
//! payments export --organisation ORG --from ... --to ... --format csv|ndjson [--store ...]
//! ```
//!
//! Logs are JSON lines on stdout (on stderr for `report` and `export`,
//! whose stdout is their data); human-facing notices (the generated API
//! key) go to stderr.

mod access_lines;
mod cli;
mod http_args;
mod log_output;
mod report;
mod seed;

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser as _;
use http_api::{router, ApiState};
use payments_examples::{currency, idempotency, keys, metrics, store, traces};
use payments_ports::PaymentService;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

use crate::access_lines::AccessLines;
use crate::cli::{Cli, Command, ServeArgs};
use crate::log_output::{LogBuffer, LogGuard, LogTarget};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let target = match cli.command {
        Command::Report(_) | Command::Export(_) => LogTarget::Stderr,
        _ => LogTarget::Stdout,
    };
    // Held to the end, so the lines still queued are written on exit;
    // the trace exporter, declared after, flushes before them.
    let (_log_writer, _traces) = init_logging(target)?;
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Seed(args) => {
            let repository = store::open(args.store.store).await?;
            let service = PaymentService::with_system_clock(repository)
                .with_key_retention(idempotency::retention_from_env()?);
            let report = seed::load_file(&service, &args.file).await?;
            println!("{report}");
            Ok(())
        }
        Command::Migrate(args) => store::migrate(args.store.store).await,
        Command::Report(args) => {
            let (service, organisation, period) = period_service(&args.period).await?;
            let mut out = std::io::stdout().lock();
            report::report(&service, organisation, period, args.format, &mut out).await
        }
        Command::Export(args) => {
            let (service, organisation, period) = period_service(&args.period).await?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let written =
                report::export(&service, organisation, period, args.format, &mut out).await?;
            tracing::info!(payments = written, "exported");
            Ok(())
        }
    }
}

/// The service over the store, the organisation and the period of a
/// report or an export.
async fn period_service(
    args: &cli::PeriodArgs,
) -> anyhow::Result<(
    PaymentService,
    payments_domain::OrganisationId,
    (payments_domain::Timestamp, payments_domain::Timestamp),
)> {
    let period = report::period_of(&args.from, &args.to)?;
    let repository = store::open(args.store.store).await?;
    Ok((
        PaymentService::with_system_clock(repository),
        args.organisation,
        period,
    ))
}

/// JSON lines on stdout, filtered by `PAYMENTS_LOG` (default `info`); and
/// the traces exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set
/// ([`traces`]).
///
/// Lines gather in memory and a thread of their own writes them in batches
/// ([`LogBuffer`]), so a request never waits on stdout: a slow reader of
/// the log (a pipe, a container runtime) slows nobody down. When the
/// buffer is full, lines are dropped rather than block a request, and a
/// warning says how many, every few seconds while it lasts.
fn init_logging(target: LogTarget) -> anyhow::Result<(LogGuard, Option<traces::TraceExport>)> {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("PAYMENTS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let export = traces::TraceExport::from_env()?;
    if export.is_some() {
        // The spans the exporter takes, whatever the log shows.
        filter = filter.add_directive(format!("{}=debug", payments_ports::TRACE_TARGET).parse()?);
    }
    let (writer, guard) = LogBuffer::start(target);
    // Access lines have a writer of their own; every other line the
    // general JSON format.
    let general = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(writer.clone())
        .with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
            metadata.target() != access_lines::TARGET
        }));
    tracing_subscriber::registry()
        .with(filter)
        .with(general)
        .with(AccessLines::new(writer.clone()))
        .with(export.as_ref().map(traces::TraceExport::layer))
        .init();
    writer.spawn_drop_reports(LOG_DROP_REPORT_INTERVAL);
    Ok((guard, export))
}

/// How often dropped log lines are reported.
const LOG_DROP_REPORT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // First, so the store's and the API's first calls are counted.
    let metrics_handle = metrics::install()?;
    if args.migrate {
        store::migrate(args.store.store).await?;
    }
    let repository = store::open(args.store.store).await?;
    let service = PaymentService::with_system_clock(repository)
        .with_key_retention(idempotency::retention_from_env()?);
    let aliases = currency::aliases_from_env()?;
    let usage_plans = args.usage_plan.plans()?;
    let keys = keys::from_env()?;
    if let Some(file) = &args.seed {
        let report = seed::load_file(&service, file).await?;
        tracing::info!(
            created = report.created,
            present = report.present,
            rejected = report.rejected.len(),
            "seeded"
        );
    }

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address: SocketAddr = listener.local_addr()?;
    tracing::info!(%address, store = %args.store.store, "listening");

    // Expired idempotency keys already count as new; this returns their
    // space (DynamoDB deletes them by itself, so there it does nothing).
    idempotency::spawn_purge(service.clone());
    let state = ApiState::new(service, keys)
        .with_currency_aliases(aliases)
        .with_usage_plans(usage_plans);
    let config = args.http.config(payments_examples::TRANSPORT_BODY_LIMIT);
    let metrics = metrics::route(metrics_handle);
    let app = match args.metrics_listen {
        None => router(state).merge(metrics),
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen on {address} for metrics"))?;
            tracing::info!(address = %listener.local_addr()?, "metrics listening");
            let config = config.clone();
            tokio::spawn(async move {
                if let Err(error) =
                    http_hyper::serve(metrics, listener, http_hyper::shutdown_signal(), &config)
                        .await
                {
                    tracing::error!(error = %error, "the metrics listener stopped");
                }
            });
            router(state)
        }
    };
    http_hyper::serve(app, listener, http_hyper::shutdown_signal(), &config).await?;
    tracing::info!("stopped");
    Ok(())
}
