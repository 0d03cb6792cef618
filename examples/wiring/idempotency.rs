//! How long idempotency keys stay in force (`PAYMENTS_IDEMPOTENCY_TTL`),
//! and the housekeeping that returns the space of expired ones.

use std::time::Duration;

use anyhow::Context as _;
use payments_ports::{KeyRetention, PaymentService};

/// The variable that sets the retention.
pub const TTL_VARIABLE: &str = "PAYMENTS_IDEMPOTENCY_TTL";

/// How often `payments serve` deletes expired keys.
pub const PURGE_EVERY: Duration = Duration::from_secs(5 * 60);

/// The most keys one purge statement deletes: small enough that each batch
/// is a short transaction, so creates never wait behind it.
pub const PURGE_BATCH: usize = 1_000;

/// The most batches one round deletes, so a backlog is worked off over
/// several rounds rather than in one long burst.
const PURGE_BATCHES_PER_ROUND: usize = 100;

/// Reads a retention written as whole seconds (`86400`) or with a unit:
/// `s`, `m`, `h` or `d` (`90s`, `30m`, `24h`, `7d`).
///
/// # Errors
/// A message when the text is neither, or the retention is outside what
/// [`KeyRetention::new`] accepts.
pub fn parse_retention(text: &str) -> Result<KeyRetention, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds_per_unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?} is not a duration such as 86400, 90s, 30m, 24h or 7d"
            ))
        }
    };
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds_per_unit))
        .ok_or_else(|| format!("{text:?} is not a duration such as 86400, 90s, 30m, 24h or 7d"))?;
    KeyRetention::new(Duration::from_secs(seconds))
}

/// The retention from `PAYMENTS_IDEMPOTENCY_TTL`, or 24 hours when unset.
///
/// # Errors
/// When the variable is set but not a retention.
pub fn retention_from_env() -> anyhow::Result<KeyRetention> {
    match std::env::var(TTL_VARIABLE) {
        Ok(text) if !text.trim().is_empty() => parse_retention(&text)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("{TTL_VARIABLE} is not a retention")),
        _ => Ok(KeyRetention::DEFAULT),
    }
}

/// Deletes expired keys, a batch at a time, until a batch comes back short
/// or the round's share is done; returns how many it deleted. Failures are
/// logged and end the round: the next round tries again, and expired keys
/// count as new meanwhile whether or not they are deleted.
pub async fn purge_round(service: &PaymentService) -> usize {
    let mut deleted = 0;
    for _ in 0..PURGE_BATCHES_PER_ROUND {
        match service.purge_expired_idempotency_keys(PURGE_BATCH).await {
            Ok(count) => {
                deleted += count;
                if count < PURGE_BATCH {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(error = %payments_ports::error_chain(&error), "purging expired idempotency keys failed");
                break;
            }
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "expired idempotency keys deleted");
    }
    deleted
}

/// Runs [`purge_round`] every [`PURGE_EVERY`], for the life of the process.
pub fn spawn_purge(service: PaymentService) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            purge_round(&service).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use adapter_memory::MemoryRepository;
    use payments_domain::{IdempotencyKey, PaymentAttributesInput, Timestamp};
    use payments_ports::{Clock, CreatePayment, IdempotencyRequest, RandomIds, RequestFingerprint};

    use super::*;

    #[test]
    fn retentions_are_read_in_seconds_or_with_a_unit() {
        let cases = [
            ("86400", 86_400),
            ("90s", 90),
            ("30m", 1_800),
            ("24h", 86_400),
            (" 7d ", 604_800),
        ];
        for (text, seconds) in cases {
            assert_eq!(
                parse_retention(text).map(KeyRetention::get),
                Ok(Duration::from_secs(seconds)),
                "{text}"
            );
        }
        for bad in [
            "",
            "h",
            "24 h",
            "1.5h",
            "-5",
            "24w",
            "0",
            "99999999999999999999d",
        ] {
            assert!(parse_retention(bad).is_err(), "{bad:?}");
        }
    }

    /// A clock standing at an instant the test moves.
    struct StoppedClock(std::sync::Mutex<Timestamp>);

    impl Clock for StoppedClock {
        fn now(&self) -> Timestamp {
            *self.0.lock().unwrap()
        }
    }

    #[tokio::test]
    async fn a_round_deletes_every_expired_key_in_batches() {
        let start = Timestamp::parse("2024-01-01T00:00:00Z").unwrap();
        let clock = Arc::new(StoppedClock(std::sync::Mutex::new(start)));
        let service = PaymentService::new(
            Arc::new(MemoryRepository::new()),
            clock.clone(),
            Arc::new(RandomIds),
        )
        .with_key_retention(KeyRetention::new(Duration::from_secs(60)).unwrap());
        let attributes = PaymentAttributesInput {
            amount: Some("1.00".into()),
            currency: Some("GBP".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let keys = PURGE_BATCH + 5;
        for n in 0..keys {
            let request = CreatePayment {
                organisation_id: payments_domain::OrganisationId::parse(
                    "743d5b63-8e6f-432e-a8fa-c5d8d2ee5fcb",
                )
                .unwrap(),
                id: None,
                attributes: attributes.clone(),
                idempotency: Some(IdempotencyRequest {
                    key: IdempotencyKey::parse(&format!("key-{n}")).unwrap(),
                    fingerprint: RequestFingerprint::new("request"),
                }),
            };
            service.create_payment(request).await.unwrap();
        }

        let while_in_force = purge_round(&service).await;
        *clock.0.lock().unwrap() = start.checked_add(Duration::from_secs(60)).unwrap();
        let once_expired = purge_round(&service).await;
        let again = purge_round(&service).await;

        assert_eq!((while_in_force, once_expired, again), (0, keys, 0));
    }
}
