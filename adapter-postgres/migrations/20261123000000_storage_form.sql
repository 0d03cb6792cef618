-- The storage form (release 2): every attributes document records the
-- format it was written in, and an idempotency key keeps only what
-- identifies the request and the payment it created.
--
-- Safe while release 1 still serves: each statement changes the catalogue
-- only (no table is rewritten), so each holds its lock for moments; the
-- lock timeout makes the migration fail, to be run again, rather than
-- queue every request behind a long transaction. Release 1 goes on
-- writing documents without a format (they take the default, 0, which
-- release 2 reads as the same members) and keys with a copy of the
-- payment (release 2 reads only what both releases write).
SET LOCAL lock_timeout = '5s';

ALTER TABLE payments
    ADD COLUMN attributes_format SMALLINT NOT NULL DEFAULT 0
        CHECK (attributes_format >= 0);
ALTER TABLE payment_events
    ADD COLUMN attributes_format SMALLINT NOT NULL DEFAULT 0
        CHECK (attributes_format >= 0);

-- A key row now holds the key, the request's fingerprint, the payment's id
-- and `created_on`: when the key was first used (release 1 wrote the
-- payment's creation time there, the same instant). A replay reads the
-- payment as first created from its creation event, so the copy of the
-- payment is no longer written; rows that have it keep it.
ALTER TABLE idempotency_keys
    ALTER COLUMN version DROP NOT NULL,
    ALTER COLUMN modified_on DROP NOT NULL,
    ALTER COLUMN attributes DROP NOT NULL;
COMMENT ON COLUMN idempotency_keys.created_on IS 'when the key was first used';
