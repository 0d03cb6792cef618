-- no-transaction
-- Outside a transaction, so the procedure may commit after each batch.
CALL payments_fill_reported_on();
