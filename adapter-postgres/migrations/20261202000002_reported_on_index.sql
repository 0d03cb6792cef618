-- no-transaction
-- A period of one organisation's live payments in (reported_on, id)
-- order: an export reads a range of it, and a report adds up the range
-- from the index alone (currency and amount are carried in it), however
-- many payments lie outside the period. Built CONCURRENTLY, so the table
-- takes writes meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_live_by_reported_on
    ON payments (organisation_id, reported_on, id) INCLUDE (currency, amount)
    WHERE deleted_on IS NULL;
