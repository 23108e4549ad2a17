"""The HTTP API does what its document says: schemathesis, run as a new user would run it (its
command line, every check, every phase, 30 examples per operation, deterministic), against a
real channel on 127.0.0.1 with the control token, finds no failure.

Three operations take bodies whose validity a JSON Schema cannot say, and are told to
schemathesis so (the config below): a WHEP offer must be an SDP offer aiortc can answer (400
otherwise), GET /ws must be a WebSocket handshake (426 otherwise), and a comment that matches the
schema can still be refused by the moderation gate (422) or its rate limit (429).
"""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from anchor.live import Channel, make_app
from anchor.program import Format
from anchor.show import demo_show_path
from webrtc_helpers import serve

pytest.importorskip("schemathesis", reason="schemathesis comes with the test extra")

TOKEN = "contract-test-token"
TESTS = Path(__file__).resolve().parent
EXAMPLES = 30
CONFIG = """\
[[operations]]
include-name = "POST /whep"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 503]

[[operations]]
include-name = "GET /ws"
checks.positive_data_acceptance.expected-statuses = [101, 426]

[[operations]]
include-name = "POST /api/comments"
checks.positive_data_acceptance.expected-statuses = ["2xx", 422, 429]
"""


@pytest.mark.timeout(240)
async def test_schemathesis_finds_the_live_server_and_its_document_agree(tmp_path):
    channel = Channel(demo_show_path("demo-shop"), fmt=Format(320, 180, 25),
                      ice_hosts=["127.0.0.1"])
    await asyncio.wait_for(channel.start(), 30)
    runner, base = await serve(make_app(channel, token=TOKEN))
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "api_contract_hooks",
           "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent),
                                          os.environ.get("PYTHONPATH", "")]),
           "ANCHOR_CONTRACT_BASE": base, "ANCHOR_CONTRACT_TOKEN": TOKEN}
    try:
        st = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "schemathesis.cli", "--config-file", "schemathesis.toml",
            "run", f"{base}/openapi.json", "--checks", "all", "--max-examples", str(EXAMPLES),
            "--generation-deterministic", "--workers", "1",
            "--request-timeout", "10", "--header", f"Authorization: Bearer {TOKEN}",
            "--no-color", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(st.communicate(), 200)
        except TimeoutError:
            st.kill()
            await st.wait()
            raise
        pushes_left = channel.pushes()
    finally:
        await runner.cleanup()
        await asyncio.wait_for(channel.stop(), 30)
    report = out.decode("utf-8", "replace")
    assert st.returncode == 0, report[-6000:]
    assert "failures" not in report.rsplit("SUMMARY", 1)[-1].lower(), report[-6000:]
    assert "19 selected / 19 total" in report, report[:2000]       # every operation was tried
    assert len(pushes_left) < 40, pushes_left
