"""schemathesis hooks for tests/test_api_contract.py (loaded through SCHEMATHESIS_HOOKS).

- SDP bodies (a WHEP offer, a trickle ICE fragment) are sent as the text they are.
- Every push target the fuzzer makes up is moved to 127.0.0.1:9, where nothing listens: the URL
  keeps its shape (so the server's checks see what was generated) but no test traffic ever goes
  to a host the fuzzer invented.
- A push the fuzzer starts outside the stateful phase is stopped at once, so that a run does not
  pile up push processes retrying their connection; the stateful phase stops its own (its links
  lead from POST /api/control/pushes to DELETE /api/control/pushes/{id}).
"""
from __future__ import annotations

import json
import os
import re

import requests
import schemathesis

from anchor.live.api_models import PUSH_URL

PUSHES = "/api/control/pushes"
NOWHERE = "://127.0.0.1:9"


@schemathesis.serializer("application/sdp", "application/trickle-ice-sdpfrag")
def sdp_text(ctx, value) -> dict:
    if isinstance(value, bytes):
        return {"data": value}
    text = value if isinstance(value, str) else json.dumps(value)
    return {"data": text.encode("utf-8", "surrogatepass")}


def _starts_a_push(operation) -> bool:
    return operation is not None and operation.path == PUSHES and operation.method.upper() == "POST"


@schemathesis.hook
def map_body(context, body):
    if _starts_a_push(context.operation) and isinstance(body, dict) \
            and isinstance(body.get("url"), str) and re.fullmatch(PUSH_URL, body["url"]):
        body = {**body, "url": re.sub(r"://[^/?#]*", NOWHERE, body["url"], count=1)}
    return body


@schemathesis.hook
def after_call(context, case, response):
    if _starts_a_push(case.operation) and response.status_code == 201 \
            and case.meta is not None and case.meta.phase.name != "stateful":
        requests.delete(f"{os.environ['ANCHOR_CONTRACT_BASE']}{PUSHES}/{response.json()['id']}",
                        headers={"Authorization": f"Bearer {os.environ['ANCHOR_CONTRACT_TOKEN']}"},
                        timeout=10)
