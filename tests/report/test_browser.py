"""The report in headless Chromium: nothing leaves the page, no console error, a real screenshot."""

import base64
import io

import numpy as np
import pytest

from ._cdp import Browser, find_chromium

CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)"),
]

_LOCAL = ("file:", "data:", "about:", "blob:")


def test_report_loads_offline_without_errors(written_report, tmp_path):
    with Browser(CHROMIUM, timeout=45) as browser:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Page.navigate", {"url": written_report.html.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        browser.drain(0.5)
        checks = browser.send("Runtime.evaluate", {"returnByValue": True, "expression": """({
            images: document.images.length,
            decoded: Array.from(document.images).every(i => i.complete && i.naturalWidth > 100),
            tables: document.querySelectorAll('table.llmdyn-table').length,
            analysis: Object.keys(JSON.parse(document.getElementById('llmdyn-analysis').textContent).strategies),
            height: document.documentElement.scrollHeight})"""}, session=session)["result"]["value"]
        shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False},
                            session=session)["data"]

    requests = [e["params"]["request"]["url"] for e in browser.events if e["method"] == "Network.requestWillBeSent"]
    assert requests and requests[0].startswith("file:")
    leaving = [u for u in requests if not u.startswith(_LOCAL)]
    assert leaving == []
    errors = [e["params"] for e in browser.events if e["method"] == "Runtime.exceptionThrown"]
    errors += [e["params"] for e in browser.events
               if e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert")]
    errors += [e["params"]["entry"] for e in browser.events
               if e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    assert errors == []
    assert checks["images"] == 5 and checks["decoded"]
    assert checks["tables"] >= 8
    assert checks["analysis"] == list(written_report.fit["strategies"])
    assert checks["height"] > 3000

    png = base64.b64decode(shot)
    path = tmp_path / "report.png"
    path.write_bytes(png)
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png))[..., :3]
    assert pixels.shape[0] >= 800 and pixels.shape[1] >= 1200
    assert float(pixels.std()) > 0.05  # not one flat colour
    colours = np.unique((pixels.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert len(colours) > 50
