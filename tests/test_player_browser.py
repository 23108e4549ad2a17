"""A real headless Chromium opens the player page of a real live channel on 127.0.0.1: the video
plays (time advances, the picture is not black), subtitles move, the viewer count shows the
viewer, and a question typed into the page is answered on the page."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from anchor.program import Format
from anchor.show import demo_show_path

playwright_api = pytest.importorskip("playwright.async_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]
PATIENCE_MS = 20_000
QUESTION = "Can I put the bottle in the dishwasher?"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")

# The picture the page shows, measured on a canvas: mean brightness and spread of one frame.
FRAME_STATS = """() => {
  const v = document.getElementById('video');
  const c = document.createElement('canvas');
  c.width = 160; c.height = 90;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0, c.width, c.height);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let sum = 0, sq = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) {
    const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    sum += y; sq += y * y; n++;
  }
  const mean = sum / n;
  return {mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)),
          w: v.videoWidth, h: v.videoHeight};
}"""

AUDIO_PACKETS = """async () => {
  const pc = window.anchorPlayer.peer();
  if (!pc) return 0;
  let n = 0;
  (await pc.getStats()).forEach(r => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') n += r.packetsReceived || 0;
  });
  return n;
}"""


@pytest.fixture
async def live_page():
    from anchor.live import Channel, make_app

    channel = Channel(demo_show_path("demo-shop"), fmt=Format(640, 360, 25),
                      ice_hosts=["127.0.0.1"])
    await asyncio.wait_for(channel.start(), 30)
    server = TestServer(make_app(channel, token=None), host="127.0.0.1")
    try:
        await server.start_server()
        async with playwright_api.async_playwright() as pw:
            # Playwright gives the browser a fresh, temporary profile
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = await browser.new_page()
                page.set_default_timeout(PATIENCE_MS)
                await page.goto(f"http://127.0.0.1:{server.port}/")
                yield page, channel
            finally:
                await browser.close()
    finally:
        await server.close()
        await asyncio.wait_for(channel.stop(), 30)


async def test_player_plays_subtitles_and_answers_a_comment(live_page):
    page, channel = live_page

    # the page knows the show and shows the AI notice
    await page.wait_for_function("document.getElementById('title').textContent"
                                 f" === {channel.show.title!r}")
    assert "AI-generated" in await page.inner_text("#notice")

    # the video plays: time advances, the picture has the program's size and is not black
    await page.wait_for_function("document.getElementById('video').currentTime > 1.0")
    t0 = await page.evaluate("document.getElementById('video').currentTime")
    await page.wait_for_function(f"document.getElementById('video').currentTime > {t0 + 1.0}")
    frame = await page.evaluate(FRAME_STATS)
    assert (frame["w"], frame["h"]) == (640, 360)
    assert frame["mean"] > 20 and frame["std"] > 8, frame     # a picture, not a black screen
    assert await page.inner_text("#live") == "LIVE"
    # the sound arrives too
    await page.wait_for_function(f"({AUDIO_PACKETS})().then(n => n > 50)", polling=500)

    # one viewer: this page
    await page.wait_for_function("document.getElementById('viewers').textContent === '1 watching'")

    # the subtitle line follows the presenter
    await page.wait_for_function("document.getElementById('subtitle').textContent.length > 0")
    first = await page.inner_text("#subtitle")
    await page.wait_for_function(f"document.getElementById('subtitle').textContent !== {first!r}"
                                 " && document.getElementById('subtitle').textContent.length > 0")

    # a question typed into the page is acknowledged, then answered on the page
    await page.fill("#comment", QUESTION)
    await page.press("#comment", "Enter")
    await page.wait_for_function("document.getElementById('ack').classList.contains('ok')")
    assert await page.input_value("#comment") == ""
    await page.wait_for_function("document.querySelectorAll('#answers li').length > 0")
    answer = await page.inner_text("#answers li")
    faq = {f.q: f.a for seg in channel.show.segments for f in getattr(seg, "faq", ())}
    assert QUESTION in answer and faq["Can I put it in the dishwasher?"] in answer, answer

    # a flood from the same page is slowed down, visibly
    for _ in range(4):
        await page.fill("#comment", "Is the blanket soft?")
        await page.press("#comment", "Enter")
    await page.wait_for_function("document.getElementById('ack').classList.contains('slow')")

    # leaving the page ends the viewer on the server (WHEP DELETE on pagehide)
    await page.goto("about:blank")
    for _ in range(100):
        if channel.viewers.count == 0:
            break
        await asyncio.sleep(0.1)
    assert channel.viewers.count == 0
