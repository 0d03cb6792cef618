-- Reports and exports (release 3) read a period by when each payment
-- counts: its payment timestamp when it has one, else its creation
-- (`Payment::reported_on` in the domain). That instant is a column, kept
-- by a trigger so that every writer fills it, release 2 included, which
-- knows nothing of it.
--
-- Safe while release 2 still serves: the new column has no default (a
-- catalogue change only), and the trigger is created in moments. Rows
-- written before it are filled by the next migration, in batches.
SET LOCAL lock_timeout = '5s';

ALTER TABLE payments ADD COLUMN reported_on TIMESTAMPTZ;

-- The stored payment timestamp is RFC 3339 in UTC with at most
-- microseconds (the domain's Timestamp), which timestamptz holds exactly.
CREATE FUNCTION payments_reported_on(attributes JSONB, created_on TIMESTAMPTZ)
    RETURNS TIMESTAMPTZ
    LANGUAGE sql STABLE
    AS $$ SELECT COALESCE((attributes ->> 'payment_timestamp')::TIMESTAMPTZ, created_on) $$;

CREATE FUNCTION payments_set_reported_on() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.reported_on := payments_reported_on(NEW.attributes, NEW.created_on);
    RETURN NEW;
END
$$;

CREATE TRIGGER payments_reported_on
    BEFORE INSERT OR UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_set_reported_on();

-- Fills rows written before the trigger, 10,000 at a time in primary-key
-- order, committing after each batch: no lock is held on more than one
-- batch, and a run stopped half-way goes on where it stopped.
CREATE PROCEDURE payments_fill_reported_on()
    LANGUAGE plpgsql AS $$
DECLARE
    last_id UUID := '00000000-0000-0000-0000-000000000000';
    batch_end UUID;
BEGIN
    LOOP
        SELECT id INTO batch_end FROM payments
        WHERE id > last_id ORDER BY id OFFSET 9999 LIMIT 1;
        UPDATE payments SET reported_on = payments_reported_on(attributes, created_on)
        WHERE id > last_id AND (batch_end IS NULL OR id <= batch_end)
          AND reported_on IS NULL;
        COMMIT;
        EXIT WHEN batch_end IS NULL;
        last_id := batch_end;
    END LOOP;
END
$$;
