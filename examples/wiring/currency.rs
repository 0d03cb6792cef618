//! Legacy currency names the recorder route accepts, from
//! `PAYMENTS_CURRENCY_ALIASES` (`Dollars=USD,Pounds=GBP`; unset or empty:
//! none, and a name gets a 422 that suggests its codes).

use http_api::CurrencyAliases;

/// The variable that lists the aliases.
pub const VARIABLE: &str = "PAYMENTS_CURRENCY_ALIASES";

/// The aliases from [`VARIABLE`].
///
/// # Errors
/// When the variable is set but not a valid list; the message names the
/// entry.
pub fn aliases_from_env() -> anyhow::Result<CurrencyAliases> {
    let list = std::env::var(VARIABLE).unwrap_or_default();
    let aliases =
        CurrencyAliases::parse(&list).map_err(|error| anyhow::anyhow!("{VARIABLE}: {error}"))?;
    if !aliases.is_empty() {
        tracing::info!(aliases = aliases.len(), "currency aliases loaded");
    }
    Ok(aliases)
}
