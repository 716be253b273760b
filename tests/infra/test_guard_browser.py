"""A web page open in the developer's browser cannot drive the local cloud: headless Chromium (Debian's `chromium`,
driven by Playwright) loads a page from another port of this machine, once as another site (localhost) and once
as the same site (127.0.0.1), which tries every request a page can make without the user: `<img>`, `<script>`,
an iframe, form POSTs, `fetch` (no-cors, and with AWS's headers, which needs a preflight) and a navigation, at
moto's control API and at the AWS APIs. Each request reaches the guard and is refused, and nothing in the cloud
changes. Skipped, saying why, when no Chromium is installed."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from local_cloud.netutil import free_port
from local_cloud.server import LocalCloud

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]  # fmt: skip
TABLE = "guarded-by-the-browser-test"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium found (apt-get install -y chromium, or CHROMIUM=/path/to/chrome): "
        "the guard's browser test did not run",
    ),
]

ATTACK_PAGE = """<!doctype html>
<html><body>
<img src="CLOUD/moto-api/reset">
<img src="CLOUD/?Action=CreateQueue&QueueName=from-an-img">
<script src="CLOUD/moto-api/recorder/start-recording"></script>
<iframe src="CLOUD/moto-api/data.json"></iframe>
<iframe name="sink-one"></iframe><iframe name="sink-two"></iframe>
<form id="reset" method="POST" action="CLOUD/moto-api/reset" target="sink-one"></form>
<form id="queue" method="POST" action="CLOUD/?via=form" target="sink-two">
  <input name="Action" value="CreateQueue"><input name="QueueName" value="from-a-form">
</form>
<script>
  const quiet = (promise) => promise.catch(() => null);
  quiet(fetch("CLOUD/moto-api/recorder/start-recording?via=fetch", {mode: "no-cors"}));
  quiet(fetch("CLOUD/?via=no-cors", {method: "POST", mode: "no-cors",
    headers: {"Content-Type": "application/x-www-form-urlencoded"},
    body: "Action=CreateQueue&QueueName=from-a-fetch"}));
  for (const [target, body] of [
    ["PutItem", {TableName: "TABLE", Item: {id: {S: "stock"}, units: {N: "0"}}}],
    ["CreateTable", {TableName: "from-a-fetch", BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{AttributeName: "id", KeyType: "HASH"}],
      AttributeDefinitions: [{AttributeName: "id", AttributeType: "S"}]}],
  ]) {
    quiet(fetch("CLOUD/?via=" + target, {method: "POST", body: JSON.stringify(body),
      headers: {"X-Amz-Target": "DynamoDB_20120810." + target, "Content-Type": "application/x-amz-json-1.0"}}));
  }
  document.getElementById("reset").submit();
  document.getElementById("queue").submit();
</script>
</body></html>
"""

# (method, path and query) of each request the page makes; the navigation comes last, from the test.
ATTEMPTS = {
    ("GET", "/moto-api/reset"),
    ("GET", "/?Action=CreateQueue&QueueName=from-an-img"),
    ("GET", "/moto-api/recorder/start-recording"),
    ("GET", "/moto-api/data.json"),
    ("POST", "/moto-api/reset"),
    ("POST", "/?via=form"),
    ("GET", "/moto-api/recorder/start-recording?via=fetch"),
    ("POST", "/?via=no-cors"),
    ("OPTIONS", "/?via=PutItem"),  # the preflight of a fetch with AWS's headers: refused, so never sent
    ("OPTIONS", "/?via=CreateTable"),
    ("GET", "/moto-api/recorder/start-recording?via=navigation"),
}


@pytest.fixture(scope="module")
def attack_site(cloud: LocalCloud) -> Iterator[int]:
    """A web server on another port of this machine, serving the attack page aimed at the cloud."""
    page = ATTACK_PAGE.replace("CLOUD", cloud.endpoint_url).replace("TABLE", TABLE).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _cloud_state(aws: Callable[[str], Any]) -> dict[str, Any]:
    from moto.moto_api import recorder

    return {
        "tables": sorted(aws("dynamodb").list_tables()["TableNames"]),
        "item": aws("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": "stock"}}).get("Item"),
        "queues": sorted(aws("sqs").list_queues().get("QueueUrls", [])),
        "recording": recorder._user_enabled,  # type: ignore[attr-defined]
    }


def test_a_foreign_page_changes_nothing_in_the_cloud(
    cloud: LocalCloud, aws: Callable[[str], Any], attack_site: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    dynamodb = aws("dynamodb")
    if TABLE not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])  # fmt: skip
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "stock"}, "units": {"N": "25"}})
    before = _cloud_state(aws)
    monkeypatch.chdir(tmp_path)  # moto's recorder would write ./moto_recording

    refused: list[tuple[str, str, str]] = []  # (method, path and query, why)
    guard_refusal = cloud.guard.refusal

    def recording_refusal(environ: Any) -> str | None:
        why = guard_refusal(environ)
        if why is not None and environ.get("HTTP_SEC_FETCH_MODE"):  # a browser's request, not the test's own
            query = environ.get("QUERY_STRING")
            refused.append((environ["REQUEST_METHOD"], environ["PATH_INFO"] + (f"?{query}" if query else ""), why))
        return why

    monkeypatch.setattr(cloud.guard, "refusal", recording_refusal)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            for site, host in (("cross-site", "localhost"), ("same-site", "127.0.0.1")):
                refused.clear()
                page = browser.new_page()
                page.goto(f"http://{host}:{attack_site}/")
                _wait_for(lambda: ATTEMPTS - {("GET", "/moto-api/recorder/start-recording?via=navigation")}
                          <= {(method, path) for method, path, _ in refused})  # fmt: skip
                page.evaluate(
                    f"location.href = '{cloud.endpoint_url}/moto-api/recorder/start-recording?via=navigation'"
                )
                _wait_for(lambda: {(method, path) for method, path, _ in refused} >= ATTEMPTS)
                page.close()
                assert {why for _, _, why in refused} == {
                    f"the browser marks this request Sec-Fetch-Site: {site}, made for another page"
                }, site
        finally:
            browser.close()

    assert _cloud_state(aws) == before
    assert before["item"]["units"] == {"N": "25"}
    assert before["recording"] is False
    assert not (tmp_path / "moto_recording").exists()


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the browser's requests did not all reach the cloud"
        time.sleep(0.05)
