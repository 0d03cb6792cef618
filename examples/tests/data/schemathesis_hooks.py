"""schemathesis hooks for the contract test (examples/tests/schemathesis.rs).

One rule of the API cannot be stated in OpenAPI: a payment is created in
the organisation of the API key that sends it (any other organisation_id
is a 403, by design: a key never writes another organisation's payments).
A generated UUID would nearly always be another organisation's, so no
create would succeed and nothing after it (fetch, update, delete, history)
would be reached. This hook puts the key's organisation where the
generator put a well-formed UUID; a malformed one (a negative case) is
left as generated, so the server's refusal of it is still checked.
"""

import os
import re

import schemathesis

ORGANISATION = os.environ["PAYMENTS_SCHEMATHESIS_ORGANISATION"]
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@schemathesis.hook
def map_body(ctx, body):
    if ctx.operation.method.upper() != "POST" or ctx.operation.path != "/v1/payments":
        return body
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict):
        organisation = data.get("organisation_id")
        if isinstance(organisation, str) and UUID.match(organisation):
            data["organisation_id"] = ORGANISATION
    return body
