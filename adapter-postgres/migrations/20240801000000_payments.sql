-- The payment store. Every column that a query filters, orders or
-- constrains on is a column of its own; the rest of a payment is its
-- attributes in the domain's serde form (the Form3 attribute JSON), which
-- keeps every decimal as the string it was written as.

-- One row per payment ever created. A delete sets deleted_on and keeps the
-- row as a tombstone, so the primary key refuses the id for ever.
CREATE TABLE payments (
    id              UUID        PRIMARY KEY,
    organisation_id UUID        NOT NULL,
    version         BIGINT      NOT NULL CHECK (version >= 0),
    created_on      TIMESTAMPTZ NOT NULL,
    -- No CHECK against created_on: servers' clocks may disagree slightly.
    modified_on     TIMESTAMPTZ NOT NULL,
    -- Projections of attributes->amount/currency for queries and reports.
    -- The CHECK keeps them from ever disagreeing with the attributes.
    amount          NUMERIC     NOT NULL CHECK (amount > 0),
    currency        TEXT        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    attributes      JSONB       NOT NULL CHECK (jsonb_typeof(attributes) = 'object'),
    deleted_on      TIMESTAMPTZ,
    CONSTRAINT payments_amount_matches_attributes CHECK (
        amount = (attributes ->> 'amount')::NUMERIC
        AND currency = attributes ->> 'currency'
    )
);

-- The keyset listing: one organisation's live payments in (created_on, id)
-- order. A page is an index range scan of `page size + 1` entries from the
-- cursor, whatever the table holds; tombstones are left out of the index.
CREATE INDEX payments_live_by_organisation
    ON payments (organisation_id, created_on, id)
    WHERE deleted_on IS NULL;

-- Every change, with the payment as it was right after it. Rows are only
-- ever inserted. The primary key makes one version of a payment impossible
-- to record twice.
CREATE TABLE payment_events (
    payment_id      UUID        NOT NULL REFERENCES payments (id),
    version         BIGINT      NOT NULL CHECK (version >= 0),
    kind            TEXT        NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
    occurred_on     TIMESTAMPTZ NOT NULL,
    organisation_id UUID        NOT NULL,
    created_on      TIMESTAMPTZ NOT NULL,
    modified_on     TIMESTAMPTZ NOT NULL,
    attributes      JSONB       NOT NULL,
    PRIMARY KEY (payment_id, version)
);

-- Idempotency keys, scoped to an organisation, with the fingerprint of the
-- request that first used the key and the payment as that request created
-- it (what a retry gets back, even after later updates). The foreign key is
-- checked at commit because the key row is written before the payment.
CREATE TABLE idempotency_keys (
    organisation_id UUID        NOT NULL,
    key             TEXT        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint     TEXT        NOT NULL,
    payment_id      UUID        NOT NULL
        REFERENCES payments (id) DEFERRABLE INITIALLY DEFERRED,
    version         BIGINT      NOT NULL CHECK (version >= 0),
    created_on      TIMESTAMPTZ NOT NULL,
    modified_on     TIMESTAMPTZ NOT NULL,
    attributes      JSONB       NOT NULL,
    PRIMARY KEY (organisation_id, key)
);
