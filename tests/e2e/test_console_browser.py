"""The saga console in a real browser: headless Chromium (Debian's `chromium`, driven by Playwright) on the
local cloud's /_console/. Skipped, saying why, when no Chromium is installed (`.ci/run` installs it).

CONSOLE_SCREENSHOT_DIR=docs keeps the screenshots (docs/operations.md shows docs/console.png): `make screenshots`."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from saga_client.api_client import CheckoutApi
from tests.e2e.conftest import console_url
from tests.support.stack import Stack

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
COMPENSATION_PATH = ["ChargePaymentFailed", "RefundPayment", "ReleaseStock", "CancelOrder", "CheckoutCancelled"]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found (apt-get install -y chromium, or CHROMIUM=/path/to/chrome): "
    "the console's browser tests did not run",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, deployed_stack: Stack) -> Iterator[Any]:
    """A page that fails the test on a script error or on any request leaving the local cloud (no CDN)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "request",
        lambda request: (
            None if request.url.startswith((deployed_stack.endpoint_url, "data:")) else foreign.append(request.url)
        ),
    )
    yield opened
    context.close()
    assert errors == []
    assert foreign == []


def screenshot(page: Any, name: str, tmp_path: Path) -> Path:
    directory = Path(os.environ.get("CONSOLE_SCREENSHOT_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    page.screenshot(path=str(target), full_page=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return target


def test_the_list_shows_a_confirmed_and_a_cancelled_saga_and_stays_live(page, deployed_stack, console_sagas, tmp_path):
    page.goto(console_url(deployed_stack))

    for token, status in (("tok_visa", "CONFIRMED"), ("tok_declined", "CANCELLED")):
        row = page.locator(f'tr[data-saga="{console_sagas[token]["orderId"]}"]')
        assert row.locator(".status").inner_text() == status
    # One panel per saga kind: started and each outcome counted.
    assert page.locator('#metrics .panel[data-kind="checkout"] .count').count() == 4
    assert page.locator('#metrics .panel[data-kind="return"] .count').count() == 4

    # A saga started after the page loaded appears without a reload.
    api = CheckoutApi(deployed_stack.outputs["ApiUrl"], token=deployed_stack.identities.token("c-console"))
    key = f"console-{uuid.uuid4().hex[:8]}"
    body = {"customerId": "c-console", "items": [{"sku": "KB-001", "quantity": 1}], "paymentToken": "tok_visa"}
    order_id = api.checkout(body, idempotency_key=key)["orderId"]
    api.wait_until_terminal(order_id)
    page.locator(f'tr[data-saga="{order_id}"][data-status="CONFIRMED"]').wait_for(timeout=15_000)
    screenshot(page, "console-list.png", tmp_path)


def test_the_status_filter_shows_only_that_status(page, deployed_stack, console_sagas):
    page.goto(console_url(deployed_stack))
    page.select_option("select[name=status]", "CANCELLED")
    page.click("form#filters button")
    page.wait_for_url("**status=CANCELLED**")

    statuses = page.locator("#sagas tbody tr").evaluate_all("rows => rows.map(row => row.dataset.status)")
    assert statuses
    assert set(statuses) == {"CANCELLED"}


def test_the_cancelled_saga_highlights_its_compensation_path_and_shows_the_failure(
    page, deployed_stack, console_sagas, tmp_path
):
    order = console_sagas["tok_declined"]
    page.goto(console_url(deployed_stack))
    page.click(f'a:text-is("{order["orderId"]}")')
    page.wait_for_selector("#graph[data-drawn=true]")

    taken = page.evaluate("() => window.sagaGraph.nodes('.taken').map(node => node.id())")
    failed = page.evaluate("() => window.sagaGraph.nodes('.failed').map(node => node.id())")
    assert set(COMPENSATION_PATH) <= set(taken)
    assert "ConfirmOrder" not in taken
    assert failed == ["ChargePayment"]
    # The highlight is what is drawn: taken and failed states are painted differently from the others.
    colours = page.evaluate(
        """() => Object.fromEntries(['RefundPayment', 'ChargePayment', 'ConfirmOrder'].map(
             id => [id, window.sagaGraph.getElementById(id).style('border-color')]))"""
    )
    assert len(set(colours.values())) == 3
    taken_edges = page.evaluate(
        "() => window.sagaGraph.edges('.taken').map(edge => edge.source().id() + '>' + edge.target().id())"
    )
    assert "CancelOrder>CheckoutCancelled" in taken_edges

    failure = page.locator("#failure")
    assert failure.locator(".step").first.inner_text() == order["saga"]["failure"]["step"] == "ChargePayment"
    assert failure.locator(".error").first.inner_text() == "PaymentDeclined"
    assert failure.locator(".cause").first.inner_text() == order["saga"]["failure"]["cause"]
    history = page.locator("#history tbody tr").evaluate_all("rows => rows.map(row => row.dataset.state)")
    assert history[-len(COMPENSATION_PATH) :] == COMPENSATION_PATH
    assert page.locator('#history tr.caught[data-state="ChargePayment"]').count() == 1

    screenshot(page, "console.png", tmp_path)
