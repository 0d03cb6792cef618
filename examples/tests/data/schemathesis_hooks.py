"""schemathesis hooks for the contract test (examples/tests/schemathesis.rs).

Each hook stands for one rule of the API that OpenAPI cannot state. Each
changes only a well-formed value (one the document admits), so a negative
case, whose value is malformed on purpose, still reaches the server as
generated and its refusal is still checked; schemathesis judges every case
again after the hooks.

- The key's organisation. A payment is created in the organisation of the
  API key that sends it; any other organisation_id is a 403, so a key never
  writes another organisation's payments. A generated UUID would nearly
  always be another organisation's, and nothing after a create (fetch,
  update, delete, history) would be reached.
- The id in a PATCH body is the id in its URL: a rule between the path and
  the body.
- page[after] is a cursor the server issued (links.next), tied to the
  listing it came from; a well-formed string it did not issue is a 400.
- An Idempotency-Key is bound to the first request sent with it: the same
  key with another body is a 422 by design. Generated keys repeat (the
  generator favours short strings), so each case gets a key of its own.
"""

import os
import re
import datetime
import itertools

import schemathesis

ORGANISATION = os.environ["PAYMENTS_SCHEMATHESIS_ORGANISATION"]
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CURSOR = re.compile(r"^[A-Za-z0-9_-]+$")
IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")
KEYS = itertools.count(1)


def _data(case):
    body = case.body if isinstance(case.body, dict) else None
    data = body.get("data") if body else None
    return data if isinstance(data, dict) else None


def _well_formed_uuid(value):
    return isinstance(value, str) and UUID.match(value) is not None


@schemathesis.hook
def map_case(ctx, case):
    method = case.operation.method.upper()
    path = case.operation.path
    data = _data(case)
    if data is not None and path in ("/v1/payments", "/v1/payments/{id}") and method in ("POST", "PATCH"):
        if _well_formed_uuid(data.get("organisation_id")):
            data["organisation_id"] = ORGANISATION
    if data is not None and method == "PATCH" and path == "/v1/payments/{id}":
        target = (case.path_parameters or {}).get("id")
        if _well_formed_uuid(data.get("id")) and _well_formed_uuid(target):
            data["id"] = target
    if case.query and isinstance(case.query.get("page[after]"), str):
        if CURSOR.match(case.query["page[after]"]):
            del case.query["page[after]"]
    if case.headers:
        for name in list(case.headers):
            if name.lower() == "idempotency-key" and IDEMPOTENCY_KEY.match(str(case.headers[name])):
                case.headers[name] = f"schemathesis-{next(KEYS)}"
    return case


def _instant(text):
    """A report bound as the server reads it (an RFC 3339 instant, or a
    date meaning its first instant in UTC), or None."""
    if not isinstance(text, str):
        return None
    try:
        if len(text) == 10:
            return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


@schemathesis.hook
def filter_case(ctx, case):
    """The report's period must end after it starts: a rule between two
    parameters. A case whose well-formed bounds are out of order is not
    sent (its 400 is the test of that rule, in http-api's own tests)."""
    if case.operation.path == "/v1/reports/payments" and case.query:
        start, end = _instant(case.query.get("from")), _instant(case.query.get("to"))
        if start is not None and end is not None:
            try:
                return end > start
            except TypeError:
                return True
    return True
