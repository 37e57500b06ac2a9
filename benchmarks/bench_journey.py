"""Clicks and time from the landing page to a first Exprés result, scripted in Chromium.

A new firm registers, starts an Exprés assessment, answers every question it is shown (each
radio question with its second option — «Sí, cumple» on the legal floor — and the first option
of a list), goes to review, submits and waits until the results page shows its level. Counts the
clicks a person would make, split into answers and everything else (navigation, buttons, menus),
and the wall time. Run: ``python benchmarks/bench_journey.py`` (starts its own server on a
throwaway SQLite database; needs /usr/bin/chromium).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from scoring.peru import ruc_check_digit  # noqa: E402
from tests.e2e.conftest import streamlit_server  # noqa: E402
from tests.e2e.test_firm_journey import (  # noqa: E402
    MAIN,
    click_and_wait,
    fill_registration,
    wait_idle,
)


class Counter:
    def __init__(self) -> None:
        self.answers = 0
        self.other = 0


PROGRESS = f"{MAIN} [data-testid=stProgress]"


def progress(page) -> str:
    """«Avance: X de Y preguntas respondidas»: changes once the server has stored an answer."""
    return page.locator(PROGRESS).first.inner_text()


def _pending(page):
    """The first question on screen still to answer (conditions may add or remove some after
    each answer, so the list is read again every time)."""
    for box in page.locator(f"{MAIN} [class*=st-key-pregunta_]").all():
        if (
            box.locator("input:checked").count()
            or box.locator("[data-testid=stMultiSelectTagsContainer] > :not(input)").count()
        ):
            continue
        if box.locator("[role=radiogroup] input:disabled").count():
            continue
        if box.locator("[role=radiogroup] label").count():
            return box
        if box.locator("[data-testid=stMultiSelect] input").count():
            return box
    return None


def answer_section(page, clicks: Counter) -> None:
    while (box := _pending(page)) is not None:
        radios = box.locator("[role=radiogroup] label")
        if radios.count():
            labels = [radios.nth(i).inner_text() for i in range(radios.count())]
            index = next((i for i, t in enumerate(labels) if t.startswith("Sí, cumple")), None)
            if index is None:
                index = 1 if len(labels) > 1 and "No aplica" not in labels[1] else 0
            before = progress(page)
            radios.nth(index).click()
            expect(page.locator(PROGRESS).first).not_to_have_text(before)
            wait_idle(page)
            clicks.answers += 1
            continue
        combo = box.locator("[data-testid=stMultiSelect] input").first
        combo.click()
        if combo.get_attribute("aria-expanded") != "true":
            page.keyboard.press("ArrowDown")  # a click on a focused box may not open it
        before = progress(page)
        page.get_by_role("option").first.click()
        page.keyboard.press("Escape")
        expect(page.locator(PROGRESS).first).not_to_have_text(before)
        wait_idle(page)
        clicks.answers += 2


def run(url: str) -> tuple[Counter, float]:
    clicks = Counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="es-PE")
        page.set_default_timeout(60_000)
        start = time.perf_counter()
        page.goto(url)
        wait_idle(page)
        click_and_wait(page, page.get_by_role("button", name="Crear cuenta de empresa"))
        clicks.other += 1
        ruc = "2055566677" + str(ruc_check_digit("2055566677"))
        fill_registration(page, ruc, "Conservas del Pacífico S.A.C.", "gerencia@conservas.pe")
        page.get_by_role("button", name="Crear cuenta").click()
        clicks.other += 14  # a click into each of 7 fields, 2 × (list + option), 2 boxes, submit
        page.wait_for_url("**/panel*")
        wait_idle(page)
        click_and_wait(page, page.get_by_role("button", name="Iniciar evaluación Exprés").first)
        clicks.other += 1
        while True:
            answer_section(page, clicks)
            review = page.get_by_role("button", name="Guardar e ir a revisión")
            if review.count():
                review.click()
                clicks.other += 1
                break
            click_and_wait(page, page.get_by_role("button", name="Guardar y continuar"))
            clicks.other += 1
        expect(page.locator(f"{MAIN} h1").first).to_have_text("Revisión y envío")
        wait_idle(page)
        click_and_wait(page, page.get_by_role("button", name="Enviar evaluación"))
        click_and_wait(page, page.get_by_role("dialog").get_by_role("button", name="Sí, enviar"))
        clicks.other += 2
        page.wait_for_url("**/resultados**")
        expect(page.locator(f"{MAIN} .st-key-nivel")).to_contain_text(re.compile(r"Nivel \d"))
        elapsed = time.perf_counter() - start
        browser.close()
    return clicks, elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/journey.sqlite3"
        with streamlit_server(Path(folder), database) as url:
            clicks, elapsed = run(url)
    print(
        f"Clics: {clicks.answers + clicks.other} ({clicks.answers} respuestas, "
        f"{clicks.other} de navegación y registro); tiempo hasta el primer resultado Exprés: "
        f"{elapsed:.1f} s".replace(".", ",")
    )


if __name__ == "__main__":
    main()
