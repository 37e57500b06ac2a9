"""A firm's first visit in a real browser: register, fill Exprés over a reload, submit, results."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from scoring.peru import ruc_check_digit

pytestmark = pytest.mark.e2e

READY = "[data-testid=stApp][data-test-connection-state=CONNECTED]"
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
MAIN = "[data-testid=stMain]"
PASSWORD = "clave-segura-123"


def wait_idle(page) -> None:
    """Connected, the script finished and no element is left over from an earlier run."""
    page.wait_for_selector(READY)
    page.wait_for_selector(IDLE)
    page.wait_for_function(_SETTLED)


_WATCH_RUNS = """() => {
  window.__bcRuns = 0;
  if (window.__bcObserver) return;
  // Count every change of the script state: a fast run can go to "running" and back before
  // the observer is called, so the attribute's current value cannot tell that a run happened.
  window.__bcObserver = new MutationObserver((changes) => { window.__bcRuns += changes.length; });
  window.__bcObserver.observe(document.body, {
    attributes: true, subtree: true, attributeFilter: ['data-test-script-state'],
  });
}"""
_SETTLED = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale=true]');
}"""
_RUN_FINISHED = "() => window.__bcRuns > 0 && (" + _SETTLED + ")()"


def click_and_wait(page, locator) -> None:
    """Click something that reruns the script, and wait until that rerun has finished."""
    page.evaluate(_WATCH_RUNS)
    locator.click()
    page.wait_for_function(_RUN_FINISHED)
    wait_idle(page)


def expect_title(page, text: str) -> None:
    """Wait until the page heading reads ``text`` (a page switch may take two runs)."""
    expect(page.locator(f"{MAIN} h1").first).to_have_text(text)
    wait_idle(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a selectbox by typing part of it."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label)
    box.locator("input").click()
    page.keyboard.type(option)
    page.get_by_role("option").filter(has_text=option).first.click()


def radio_groups(page):
    return page.locator(f"{MAIN} [data-testid=stRadio]")


def answered(page) -> int:
    """Answered questions, from the progress line "Avance: X de Y preguntas respondidas"."""
    text = progress_text(page)
    return int(text.split("Avance:")[1].split("de")[0])


def answer_open_questions(page, limit: int | None = None) -> int:
    """Answer unanswered radio questions on the page (conditions may add more as we go).

    Each answer is saved by the server, which then shows one more answered question: that
    count, not the script state alone, tells us the answer has been stored.
    """
    done = 0
    while limit is None or done < limit:
        groups = radio_groups(page)
        pending = [
            groups.nth(i)
            for i in range(groups.count())
            if groups.nth(i).locator("input:checked").count() == 0
            and groups.nth(i).locator("input:disabled").count() == 0
        ]
        if not pending:
            break
        before = answered(page)
        options = pending[0].locator("label")
        options.nth(min(1 + done % 3, options.count() - 1)).click()
        expect(page.locator(f"{MAIN} [data-testid=stProgress]").first).to_contain_text(
            f"Avance: {before + 1} de"
        )
        wait_idle(page)
        done += 1
    return done


def checked_count(page) -> int:
    return page.locator(f"{MAIN} [data-testid=stRadio] input:checked").count()


def section_marker(page):
    """The "Sección i de n" line of the form."""
    return page.locator(f"{MAIN} [data-testid=stExpander] summary").first


def section_number(page) -> int:
    return int(section_marker(page).inner_text().split("Sección")[1].split("de")[0])


def move(page, button: str, step: int) -> None:
    """Press a form navigation button and wait until the server shows the expected section."""
    target = section_number(page) + step
    page.get_by_role("button", name=button).click()
    expect(section_marker(page)).to_contain_text(f"Sección {target} de")
    wait_idle(page)


def progress_text(page) -> str:
    return page.locator(f"{MAIN} [data-testid=stProgress]").first.inner_text()


def test_register_fill_reload_resume_submit_and_see_results(
    page, app_url: str, artifacts: Path
) -> None:
    page.goto(app_url)
    wait_idle(page)
    expect_title(page, "Brújula Circular")
    page.screenshot(path=str(artifacts / "01-inicio.png"), full_page=True)

    click_and_wait(page, page.get_by_role("button", name="Crear cuenta de empresa"))
    expect_title(page, "Crear cuenta de empresa")
    ruc = "2055566677" + str(ruc_check_digit("2055566677"))
    page.get_by_role("textbox", name="RUC", exact=True).fill(ruc)
    page.get_by_role("textbox", name="Razón social").fill("Conservas del Pacífico S.A.C.")
    choose(page, "Actividad principal", "alimenticios")
    choose(page, "Región", "Piura")
    page.get_by_role("textbox", name="Ventas anuales (S/)").fill("3.500.000,00")
    page.get_by_role("spinbutton", name="Número de trabajadores").fill("35")
    page.get_by_role("textbox", name="Correo de contacto").fill("gerencia@conservas.pe")
    page.get_by_role("textbox", name="Contraseña", exact=True).fill(PASSWORD)
    page.get_by_role("textbox", name="Repita la contraseña").fill(PASSWORD)
    page.get_by_text("Autorizo a SNI").click()
    page.get_by_text("Acepto que mis resultados").click()
    click_and_wait(page, page.get_by_role("button", name="Crear cuenta"))
    expect_title(page, "Mi panel")
    assert "pequeña empresa" in page.locator(MAIN).inner_text()

    click_and_wait(page, page.get_by_role("button", name="Iniciar evaluación Exprés").first)
    expect_title(page, "Llenar evaluación")
    expect(section_marker(page)).to_contain_text("Sección 1 de")
    expect(radio_groups(page).first).to_be_visible()
    wait_idle(page)
    assert "evaluacion=" in page.url
    total_first = answer_open_questions(page)
    assert total_first > 0
    page.screenshot(path=str(artifacts / "02-seccion.png"), full_page=True)
    move(page, "Guardar y continuar", 1)
    second_page_heading = page.locator(f"{MAIN} h3").first.inner_text()
    answer_open_questions(page, limit=2)
    before = progress_text(page)

    # A reload is a new Streamlit session: the cookie and the URL must bring everything back.
    page.reload()
    wait_idle(page)
    expect_title(page, "Llenar evaluación")
    assert page.locator(f"{MAIN} h3").first.inner_text() == second_page_heading, page.url
    assert checked_count(page) == 2
    assert progress_text(page) == before
    move(page, "Anterior", -1)
    assert checked_count(page) == total_first
    move(page, "Guardar y continuar", 1)

    # Finish every page.
    while True:
        answer_open_questions(page)
        last = page.get_by_role("button", name="Guardar e ir a revisión")
        if last.count():
            last.click()
            break
        move(page, "Guardar y continuar", 1)
    expect_title(page, "Revisión y envío")
    assert "Todas las preguntas obligatorias tienen respuesta" in page.locator(MAIN).inner_text()

    click_and_wait(page, page.get_by_role("button", name="Enviar evaluación"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert "quedarán como registro" in dialog.inner_text()
    click_and_wait(page, dialog.get_by_role("button", name="Sí, enviar"))
    page.wait_for_url("**/resultados**")
    wait_idle(page)
    assert "Inicie sesión" not in page.locator(MAIN).inner_text()
    page.screenshot(path=str(artifacts / "03-resultados.png"), full_page=True)
