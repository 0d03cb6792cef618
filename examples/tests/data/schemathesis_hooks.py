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
  the body (set in before_call, the last hook before the request goes).
- page[after] is a cursor the server issued (links.next), tied to the
  listing it came from; a well-formed string it did not issue is a 400.
- An update is judged against the payment as stored: an amount sent
  without its currency by the stored currency's minor units, a currency
  without its amount by the stored amount's places, an account number
  without its code by the stored code (and the other way round). The
  document states each pair's rule where both are sent; a PATCH case
  sends such members only in pairs.
- A recorder amount sent as a JSON number is judged by its decimal digits
  (places against the currency, at most 28 digits, no exponent); JSON
  Schema judges numbers as binary floats, in which "at most two places"
  cannot be said. A positive number the currency cannot take becomes one
  it can (rounded to its places, or 1).
- An Idempotency-Key is bound to the first request sent with it: the same
  key with another body is a 422 by design. Generated keys repeat (the
  generator favours short strings), so each case gets a key of its own.
"""

import os
import re
import datetime
import itertools
import json
import uuid

import schemathesis

ORGANISATION = os.environ["PAYMENTS_SCHEMATHESIS_ORGANISATION"]
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CURSOR = re.compile(r"^[A-Za-z0-9_-]+$")
IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")
# Unique across runs too: a server kept between runs holds earlier keys.
RUN = uuid.uuid4().hex[:12]
KEYS = itertools.count(1)


def _data(case):
    body = case.body if isinstance(case.body, dict) else None
    data = body.get("data") if body else None
    return data if isinstance(data, dict) else None


def _well_formed_uuid(value):
    return isinstance(value, str) and UUID.match(value) is not None


# Members of a payment's attributes that are judged together, by object.
PAIRS = {
    (): [("amount", "currency")],
    ("charges_information",): [("receiver_charges_amount", "receiver_charges_currency")],
    ("fx",): [("original_amount", "original_currency")],
    ("beneficiary_party",): [("account_number", "account_number_code")],
    ("debtor_party",): [("account_number", "account_number_code")],
}


def _in_pairs_only(attributes):
    """Drops each member of PAIRS sent without its partner."""
    if not isinstance(attributes, dict):
        return
    for path, pairs in PAIRS.items():
        target = attributes
        for step in path:
            target = target.get(step) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        for first, second in pairs:
            if (first in target) != (second in target):
                target.pop(first, None)
                target.pop(second, None)


def _minor_units(schema, currency):
    """The places the document allows an amount in `currency`, read from
    the recorder's per-currency rule (the anyOf of RecordRequest)."""
    record = schema["components"]["schemas"]["RecordRequest"]
    for branch in record.get("anyOf", []):
        properties = branch["properties"]
        if currency in properties["currency"]["enum"]:
            found = re.search(r"\{1,(\d+)\}", properties["amount"]["pattern"])
            return int(found.group(1)) if found else 0
    return None


def _decimal_number(value, places):
    """`value` if JSON writes it as a plain decimal of at most `places`
    places and 28 digits, else a nearby number that is, or 1."""
    candidates = [value, round(value, places) if places else int(value)]
    for candidate in candidates:
        text = json.dumps(candidate)
        digits = text.replace(".", "").lstrip("0")
        fraction = text.split(".")[1] if "." in text else ""
        if candidate > 0 and "e" not in text.lower() and len(fraction) <= places and len(digits) <= 28:
            return candidate
    return 1


@schemathesis.hook
def map_case(ctx, case):
    method = case.operation.method.upper()
    path = case.operation.path
    data = _data(case)
    if data is not None and path in ("/v1/payments", "/v1/payments/{id}") and method in ("POST", "PATCH"):
        if _well_formed_uuid(data.get("organisation_id")):
            data["organisation_id"] = ORGANISATION
    if data is not None and method == "PATCH" and path == "/v1/payments/{id}":
        attributes = data.get("attributes")
        if isinstance(attributes, dict) and attributes:
            _in_pairs_only(attributes)
            if not attributes:
                # Only lone halves of pairs were sent: change something else.
                attributes["reference"] = "Changed by schemathesis"
    if method == "POST" and path == "/payments" and isinstance(case.body, dict):
        amount = case.body.get("amount")
        if isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount > 0:
            places = _minor_units(case.operation.schema.raw_schema, case.body.get("currency"))
            if places is not None:
                case.body["amount"] = _decimal_number(amount, places)
    if case.query and isinstance(case.query.get("page[after]"), str):
        if CURSOR.match(case.query["page[after]"]):
            del case.query["page[after]"]
    if case.headers:
        for name in list(case.headers):
            if name.lower() == "idempotency-key" and IDEMPOTENCY_KEY.match(str(case.headers[name])):
                case.headers[name] = f"schemathesis-{RUN}-{next(KEYS)}"
    return case


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """The PATCH body's id is made the URL's here, just before the request
    goes, rather than in map_case: the stateful phase fills a link's values
    after map_case, and now and then on purpose leaves one out (the path id
    but not the body, say) to widen what it tries."""
    data = _data(case)
    if data is not None and case.operation.method.upper() == "PATCH" and case.operation.path == "/v1/payments/{id}":
        target = (case.path_parameters or {}).get("id")
        if _well_formed_uuid(data.get("id")) and _well_formed_uuid(target):
            data["id"] = target


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
