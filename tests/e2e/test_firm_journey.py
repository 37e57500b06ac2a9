"""A firm's first visit in a real browser: register, fill Exprés (profile, legal floor and
practices) over a reload, submit, and read the results: the legal-floor cap, the index band and a
plan led by the floor gap. Screenshots at 1280×800 and 390×844 go to test-artifacts/e2e/."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from scoring.peru import ruc_check_digit

pytestmark = pytest.mark.e2e

READY = "[data-testid=stApp][data-test-connection-state=CONNECTED]"
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
MAIN = "[data-testid=stMain]"
# The questions' radios (the list of sections is a radio group too).
QUESTION_RADIOS = f"{MAIN} [class*=st-key-pregunta_] [data-testid=stRadio]"
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


# How long a click's run is looked for before the settled page is taken as that run finished.
RUN_SEEN_MS = 10_000


def click_and_wait(page, locator) -> None:
    """Click something that reruns the script, and wait until that rerun has finished.

    A run fast enough to start and end within one render of the page writes no change of the
    script state at all (the answer runs of the form take 20–30 ms): after ``RUN_SEEN_MS``
    without one, the page settled is taken as the run done. A click the server never got
    fails later, where the answer is checked (progress, review, results)."""
    page.evaluate(_WATCH_RUNS)
    locator.click()
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(_RUN_FINISHED, timeout=RUN_SEEN_MS)
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


def fill_registration(
    page, ruc: str, name: str, email: str, *, share_with_sni: bool = True
) -> None:
    """Fill the open «Crear cuenta de empresa» form for a small food firm in Piura (division
    10, S/ 3,5 millones, 35 workers), counted in statistics; ``share_with_sni`` also ticks the
    authorisation to share individual results. Does not submit."""
    page.get_by_role("textbox", name="RUC", exact=True).fill(ruc)
    page.get_by_role("textbox", name="Razón social").fill(name)
    choose(page, "Actividad principal", "alimenticios")
    choose(page, "Región", "Piura")
    page.get_by_role("textbox", name="Ventas anuales (S/)").fill("3.500.000,00")
    page.get_by_role("spinbutton", name="Número de trabajadores").fill("35")
    page.get_by_role("textbox", name="Correo de contacto").fill(email)
    page.get_by_role("textbox", name="Contraseña", exact=True).fill(PASSWORD)
    page.get_by_role("textbox", name="Repita la contraseña").fill(PASSWORD)
    if share_with_sni:
        page.get_by_text("Autorizo a SNI").click()
    page.get_by_text("Acepto que mis resultados").click()


def radio_groups(page):
    return page.locator(QUESTION_RADIOS)


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
    return page.locator(f"{QUESTION_RADIOS} input:checked").count()


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
    # The new section opens at its heading, focused (issue 10): wait for that scroll and the
    # frame the focus changed, so that neither can take the next click.
    page.wait_for_function(_HEADING_FOCUSED)
    page.evaluate(_TWO_FRAMES)


_HEADING_FOCUSED = """() => !!document.activeElement
  && !!document.activeElement.closest('[class*="st-key-seccion_titulo_"]')"""


def progress_text(page) -> str:
    return page.locator(f"{MAIN} [data-testid=stProgress]").first.inner_text()


# --- method 2.0: one answer per question, chosen on purpose --------------------------------------

SIZES = ((1280, 800), (390, 844))
_TOP_OF = """(element) => {
  element.scrollIntoView({block: 'start'});
  let box = element.parentElement;
  while (box && !/(auto|scroll)/.test(getComputedStyle(box).overflowY)) box = box.parentElement;
  (box || document.scrollingElement).scrollBy(0, -150);  // clear the sticky header and progress
}"""
# Charts in a tab that is not open are not drawn until it is: only visible ones count.
_CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
  .filter((chart) => chart.getClientRects().length > 0)
  .every((chart) => chart.querySelector('svg, canvas'))"""
_TWO_FRAMES = (
    "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
)

PROFILE = {
    "perfil_diseno": "Mi empresa diseña sus productos",
    "perfil_clientes": "A otras empresas",
    "perfil_local": "Propio",
    "perfil_electricidad": "Cliente regulado (paga la tarifa de su distribuidora)",
    "perfil_agua_proceso": "No, solo para uso sanitario y limpieza de oficinas",
    "perfil_vertimiento": "No vierte agua residual industrial",
    "perfil_combustibles": "Sí",
}
HAZARDOUS = "Aceites o grasas usados (de máquinas, motores o compresores)"
FLOOR_GAP = "piso_iga"  # answered «No»: the level is capped and this leads the plan
FLOOR_NOT_APPLICABLE = "piso_vertimientos"  # the profile says no industrial waste water
NOT_APPLICABLE = "eco_ecodiseno"  # «No aplica» with its one-line reason
REASON = "Solo envasamos productos con fórmulas y envases fijados por norma sanitaria"
DONT_KNOW = "soc_recicladores"  # «No sé»: its index shows a band
PROFILE_NA = "amb_reuso_agua"  # «No aplica según su perfil» (the process uses no water)
PRACTICE_LEVEL = 3  # high enough that the uncapped level is above «Inicial»


def question(page, qid: str):
    return page.locator(f"{MAIN} .st-key-pregunta_{qid}")


def pick(page, qid: str, option: str) -> None:
    """Choose the radio option whose whole text is ``option`` and wait for it to be saved."""
    label = (
        question(page, qid).locator("label").filter(has_text=re.compile(f"^{re.escape(option)}$"))
    )
    click_and_wait(page, label)
    expect(label.locator("input")).to_be_checked()


def pick_level(page, qid: str, level: int) -> None:
    click_and_wait(page, question(page, qid).locator("[role=radiogroup] label").nth(level))


def shoot(page, artifacts: Path, name: str, target: str) -> None:
    """Screenshots of this page at both sizes, each in a fresh tab of the same user (a resize
    would catch the sidebar mid-animation), scrolled so that ``target`` (a selector) is on top.
    Only reads: the tab opens where the user is and is closed untouched."""
    state = page.context.storage_state()
    for width, height in SIZES:
        context = page.context.browser.new_context(
            viewport={"width": width, "height": height}, locale="es-PE", storage_state=state
        )
        context.set_default_timeout(30_000)
        tab = context.new_page()
        tab.goto(page.url)
        wait_idle(tab)
        element = tab.locator(target).first
        expect(element).to_be_visible()
        tab.wait_for_function(_CHARTS_DRAWN)
        element.evaluate(_TOP_OF)
        tab.evaluate(_TWO_FRAMES)  # let the scroll and the charts settle before the capture
        tab.screenshot(path=str(artifacts / f"{name}-{width}.png"))
        context.close()


def fill_profile(page) -> None:
    size = question(page, "perfil_tamano")
    expect(size.locator("input:checked")).to_have_count(1)  # prefilled from the registration
    expect(size.locator("input:disabled").first).to_be_disabled()
    assert "Pequeña empresa" in size.locator("label:has(input:checked)").inner_text()
    for qid, option in PROFILE.items():
        pick(page, qid, option)
    before = answered(page)
    question(page, "perfil_peligrosos").locator("input").click()  # opens the list, no rerun
    click_and_wait(page, page.get_by_role("option", name=HAZARDOUS))
    page.keyboard.press("Escape")
    expect(page.locator(f"{MAIN} [data-testid=stProgress]").first).to_contain_text(
        f"Avance: {before + 1} de"
    )
    wait_idle(page)
    assert "Faltan" not in page.locator(MAIN).inner_text()


def fill_floor(page, first_two_only: bool) -> None:
    answers = {FLOOR_GAP: "No"}
    for box in page.locator(f"{MAIN} [class*=st-key-pregunta_piso_]").all():
        qid = re.search(r"st-key-pregunta_(\S+)", box.get_attribute("class") or "").group(1)
        answers.setdefault(qid, "No corresponde" if qid == FLOOR_NOT_APPLICABLE else "Sí, cumple")
    items = list(answers.items())
    for qid, option in items[:2] if first_two_only else items[2:]:
        pick(page, qid, option)


def fill_practices(page) -> None:
    """Every practice of the page: level 3, except the planned «No aplica» and «No sé»."""
    for box in page.locator(f"{MAIN} [class*=st-key-pregunta_]").all():
        qid = re.search(r"st-key-pregunta_(\S+)", box.get_attribute("class") or "").group(1)
        if box.locator("input:checked").count():
            continue
        if qid == NOT_APPLICABLE:
            pick(page, qid, "No aplica a mi empresa")
            expect(box.get_by_text("Escriba el motivo")).to_be_visible()
            box.get_by_role("textbox").fill(REASON)
            page.evaluate(_WATCH_RUNS)
            box.get_by_role("textbox").press("Enter")
            page.wait_for_function(_RUN_FINISHED)
            wait_idle(page)
            expect(box.get_by_text("Escriba el motivo")).to_have_count(0)
        elif qid == DONT_KNOW:
            pick(page, qid, "No sé")
        else:
            pick_level(page, qid, PRACTICE_LEVEL)


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
    fill_registration(page, ruc, "Conservas del Pacífico S.A.C.", "gerencia@conservas.pe")
    # The server sets the session cookie (/sesion/entrar) and opens the dashboard: a new page.
    page.get_by_role("button", name="Crear cuenta").click()
    page.wait_for_url("**/panel*")
    expect_title(page, "Mi panel")
    assert "pequeña empresa" in page.locator(MAIN).inner_text()

    # Division 10 gets the food and beverages module, said before starting.
    assert "módulo Alimentos y bebidas" in page.locator(MAIN).inner_text()
    click_and_wait(page, page.get_by_role("button", name="Iniciar evaluación Exprés").first)
    expect_title(page, "Llenar evaluación")
    expect(section_marker(page)).to_contain_text("Sección 1 de")
    expect(page.locator(f"{MAIN} h3").first).to_have_text("Perfil de la empresa")
    assert "evaluacion=" in page.url

    # 1. Profile: the size comes from the registration; the rest decides what is asked.
    fill_profile(page)
    profile_checked = checked_count(page)
    shoot(page, artifacts, "02-perfil", f"{MAIN} h3")
    move(page, "Guardar y continuar", 1)

    # 2. Legal floor, half of it; a reload is a new Streamlit session: the cookie and the URL
    # must bring back the section and every answer.
    expect(page.locator(f"{MAIN} h3").first).to_have_text("Piso legal")
    fill_floor(page, first_two_only=True)
    before = progress_text(page)
    page.reload()
    wait_idle(page)
    expect_title(page, "Llenar evaluación")
    expect(page.locator(f"{MAIN} h3").first).to_have_text("Piso legal")
    # Waits for the answers to be drawn (a reload may draw the section before its values).
    expect(page.locator(f"{QUESTION_RADIOS} input:checked")).to_have_count(2)
    assert progress_text(page) == before
    expect(question(page, FLOOR_GAP).locator("label:has(input:checked)")).to_have_text("No")
    move(page, "Anterior", -1)
    assert checked_count(page) == profile_checked
    expect(question(page, "perfil_peligrosos")).to_contain_text(HAZARDOUS)
    move(page, "Guardar y continuar", 1)
    # «No corresponde» is offered only where the profile justifies it.
    expect(question(page, FLOOR_NOT_APPLICABLE).get_by_text("No corresponde")).to_be_visible()
    expect(
        question(page, "piso_manifiestos_peligrosos").get_by_text("No corresponde")
    ).to_have_count(0)
    fill_floor(page, first_two_only=False)
    shoot(page, artifacts, "03-piso-legal", f"{MAIN} h3")
    move(page, "Guardar y continuar", 1)

    # 3. Practices, page by page; the sector module of division 10 comes last.
    profile_na_seen = False
    headings = []
    while True:
        fill_practices(page)
        headings.append(page.locator(f"{MAIN} h3").first.inner_text())
        marker = page.locator(f"{MAIN} .st-key-perfil_na_{PROFILE_NA}")
        if marker.count():
            expect(marker.get_by_text("No aplica según su perfil", exact=False)).to_be_visible()
            shoot(page, artifacts, "04-practicas", f"{MAIN} .st-key-perfil_na_{PROFILE_NA}")
            profile_na_seen = True
        if page.get_by_role("button", name="Guardar e ir a revisión").count():
            page.get_by_role("button", name="Guardar e ir a revisión").click()
            break
        move(page, "Guardar y continuar", 1)
    assert profile_na_seen
    assert any("Pérdidas" in h or "alimentos" in h.lower() for h in headings[-3:]), headings
    expect_title(page, "Revisión y envío")
    assert "Todas las preguntas obligatorias tienen respuesta" in page.locator(MAIN).inner_text()

    click_and_wait(page, page.get_by_role("button", name="Enviar evaluación"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert "quedarán como registro" in dialog.inner_text()
    click_and_wait(page, dialog.get_by_role("button", name="Sí, enviar"))
    page.wait_for_url("**/resultados**")
    wait_idle(page)
    main = page.locator(MAIN)
    expect_title(page, "Resultados de su evaluación")
    text = main.inner_text()
    assert "Inicie sesión" not in text

    # The legal floor caps the level, says why and what would be reached without the cap.
    level = main.locator(".st-key-nivel")
    expect(level).to_contain_text("Nivel 2 · Inicial")
    expect(level).to_contain_text("Limitado por el piso legal")
    assert "Su nivel se limita a Inicial porque no cumple" in text
    assert "instrumento de gestión ambiental" in text.split("Su nivel se limita a")[1]
    # Indices with their band: the «No sé» answer opens one.
    indices = main.locator("[data-testid=stTable]").filter(has_text="Índice de circularidad")
    expect(indices).to_contain_text("(principal)")
    expect(indices).to_contain_text(re.compile(r"\d+,\d a \d+,\d \(sin contar «No sé»: \d+,\d\)"))
    # Each index's own level beside the capped one is explained.
    assert "Su nivel de madurez es «Inicial» y no «Avanzado» porque el piso legal" in text
    expect(main.locator("h3").filter(has_text="Indicadores de desempeño")).to_have_count(1)
    # The plan starts with the floor gap, with its reason.
    plan = text.split("Plan de acción")[-1]
    first = plan.split("Siguiente paso:")[0]
    assert "Obligación legal" in first and "instrumento de gestión ambiental" in first, plan[:400]
    # The plan comes before the detail tabs (issue 10); decimal comma throughout it.
    assert re.search(r"\d\.\d", plan.split("Detalle de su resultado")[0]) is None

    shoot(page, artifacts, "05-resultados", f"{MAIN} h1")
    shoot(page, artifacts, "06-piso-legal", f"{MAIN} h3:has-text('Piso legal')")
    shoot(page, artifacts, "07-indices", f"{MAIN} h3:has-text('Índices y dimensiones')")
    # The charts are in the «Puntajes» tab: tests/e2e/test_results_layout.py shoots the radar.
    shoot(page, artifacts, "08-detalle", f"{MAIN} h3:has-text('Detalle de su resultado')")
    shoot(page, artifacts, "09-plan", f"{MAIN} h3:has-text('Plan de acción')")

    page.goto(f"{app_url}/metodologia")
    wait_idle(page)
    shoot(page, artifacts, "10-metodo", f"{MAIN} h1")
