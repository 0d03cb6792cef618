//! Command line and environment: every option has an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use http_api::UsagePlans;
use payments_domain::OrganisationId;
use payments_examples::store::StoreKind;
use payments_examples::usage_plan;

use crate::report::{ExportFormat, ReportFormat};

/// Record and manage payments.
#[derive(Debug, Parser)]
#[command(name = "payments", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the payments API over HTTP/1.1 and HTTP/2.
    Serve(ServeArgs),
    /// Load a Form3 payment list into the store and report what happened.
    Seed(SeedArgs),
    /// Prepare the store (create tables); safe to run twice.
    Migrate(MigrateArgs),
    /// Per currency, the count and exact sum of an organisation's payments
    /// in a period, as `GET /v1/reports/payments` answers it.
    Report(ReportArgs),
    /// Every payment of an organisation in a period, streamed.
    Export(ExportArgs),
}

/// The organisation and period of a report or an export.
#[derive(Debug, Args)]
pub struct PeriodArgs {
    /// The organisation (a UUID).
    #[arg(long, env = "PAYMENTS_ORGANISATION")]
    pub organisation: OrganisationId,
    /// The period's start, inclusive: an RFC 3339 instant, or a date
    /// (00:00 UTC that day).
    #[arg(long)]
    pub from: String,
    /// The period's end, exclusive, after --from: an instant or a date.
    #[arg(long)]
    pub to: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub period: PeriodArgs,
    /// How to write the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub period: PeriodArgs,
    /// How to write the payments.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PAYMENTS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// A Form3 payment list (`{"data": [...]}`) to load before serving.
    #[arg(long, env = "PAYMENTS_SEED")]
    pub seed: Option<PathBuf>,
    /// Prepare the store before serving.
    #[arg(long, env = "PAYMENTS_MIGRATE")]
    pub migrate: bool,
    #[command(flatten)]
    pub http: crate::http_args::HttpArgs,
    #[command(flatten)]
    pub usage_plan: Box<UsagePlanArgs>,
    /// Serve `GET /metrics` on this address of its own instead of the API's
    /// (a port the load balancer does not expose).
    #[arg(long, env = "PAYMENTS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The Form3 payment list to load.
    pub file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Where payments are kept.
    #[arg(long = "store", env = "PAYMENTS_STORE", value_enum, default_value_t = StoreKind::Memory)]
    pub store: StoreKind,
}

/// The default usage plan every API key is held to (a key's own plan rides
/// in `PAYMENTS_API_KEYS`); each unset is that limit off. Counted in this
/// process: behind a load balancer each instance counts on its own.
///
/// Boxed in [`ServeArgs`], which would otherwise outgrow the other
/// commands' arguments by more than clippy's `large_enum_variant` allows.
#[derive(Debug, Args)]
pub struct UsagePlanArgs {
    /// Steady requests per second per API key, and per client address for
    /// requests without a known key (a positive number, 0.5 allowed).
    #[arg(long, env = usage_plan::THROTTLE_RATE, value_name = "PER_SECOND")]
    pub throttle_rate: Option<String>,
    /// Requests let through at once (default: the rate rounded up); needs
    /// --throttle-rate.
    #[arg(long, env = usage_plan::THROTTLE_BURST, value_name = "REQUESTS")]
    pub throttle_burst: Option<String>,
    /// Requests per API key per UTC day, reset at 00:00 UTC.
    #[arg(long, env = usage_plan::QUOTA_PER_DAY, value_name = "REQUESTS")]
    pub quota_per_day: Option<String>,
}

impl UsagePlanArgs {
    /// The plans these flags describe.
    pub fn plans(&self) -> anyhow::Result<UsagePlans> {
        usage_plan::plans(&usage_plan::Settings {
            throttle_rate: self.throttle_rate.clone(),
            throttle_burst: self.throttle_burst.clone(),
            quota_per_day: self.quota_per_day.clone(),
        })
    }
}
