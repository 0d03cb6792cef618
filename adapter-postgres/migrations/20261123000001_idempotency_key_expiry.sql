-- no-transaction
-- Keys expire one retention after their first use; expired keys are
-- deleted in small batches, oldest first. This index makes each batch a
-- range scan of the batch, whatever the table holds. It is built
-- CONCURRENTLY, so the table takes writes while it is built (and so this
-- migration runs outside a transaction).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idempotency_keys_by_first_use
    ON idempotency_keys (created_on);
