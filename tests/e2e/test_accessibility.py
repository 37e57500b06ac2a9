"""Accessibility in a real browser: axe-core (WCAG 2.1 A and AA) finds no violation on any page,
for a visitor, a firm with a submitted Exprés assessment and a draft, and SNI staff, at 1280×800
and 390×844; the document is in Spanish with a title per page, and every request the browser
makes goes to the app's own origin (no favicon, font or script from elsewhere).

axe-core comes from the pip package ``axe-playwright-python`` (requirements-dev.txt), which
bundles ``axe.min.js`` (axe-core 4.12, MPL-2.0)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import numpy as np
import pytest
from playwright.sync_api import expect

from scoring import compile_questionnaire, score_assessment
from scoring.catalog import default_questionnaire
from storage.accounts import FirmRegistration, create_staff, register_firm
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.db import make_engine, migrate, session_scope
from storage.demo import create_demo, demo_answers
from storage.models import Firm
from storage.results_table import store_result_vector
from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.test_firm_journey import MAIN, click_and_wait, wait_idle

pytestmark = pytest.mark.e2e

PASSWORD = "clave-segura-123"
FIRM_RUC = "20100070970"
STAFF = "analista@sni.org.pe"
SIZES = ((1280, 800), (390, 844))
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VISITOR_PAGES = {"": "Inicio", "ingresar": "Ingresar", "registrarse": "Registrarse",
                 "restablecer": "Restablecer contraseña", "metodologia": "Metodología",
                 "cuestionario": "Cuestionario"}  # fmt: skip
FIRM_PAGES = {"panel": "Mi panel", "llenar?evaluacion={draft}": "Llenar evaluación",
              "revision?evaluacion={draft}": "Revisión y envío",
              "resultados?evaluacion={done}": "Resultados", "mi-empresa": "Mi empresa",
              "equipo": "Equipo",
              "metodologia": "Metodología", "cuestionario": "Cuestionario"}  # fmt: skip
STAFF_PAGES = {"staff-dashboard": "Panel SNI", "staff-firms": "Empresas que comparten",
               "staff-verify": "Verificar empresas", "staff-export": "Exportar"}  # fmt: skip
# Streamlit's own English (menus, toolbars, accessible names, messages), as whole phrases.
ENGLISH = (
    r"\b(Press (Enter|Ctrl|⌘)|Help for|Remove |Search|Fullscreen|Download as|Show |Hide |"
    r"Copy |Choose |Select\.\.\.|Clear (all|value)|No results|Page not found|Skip to|"
    r"(Collapse|Expand) sidebar|Sidebar|App pages|Running\.\.\.|Stop|Close|Open|Increment|"
    r"Decrement|Link to heading|progress|Selected values|Main menu|enable JavaScript)\b"
)
# Texts a person sees or hears that come from Streamlit, not from the page's own markdown.
_CHROME_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (!parent || parent.closest('script, style, [data-testid=stIconMaterial]')) continue;
    if (parent.closest('[data-testid=stMarkdownContainer]')) continue;
    out.push(walker.currentNode.nodeValue);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]'))
    for (const name of ['aria-label', 'title', 'placeholder'])
      if (el.getAttribute(name)) out.push(el.getAttribute(name));
  return out.map((text) => text.trim()).filter(Boolean);
}"""
# Every drawn chart has a text alternative: an accessible name on the chart (or its drawing)
# that says something (Vega's default name, "Vega visualization", says nothing).
_CHARTS_WITHOUT_TEXT = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
  .filter((chart) => chart.querySelector('svg, canvas'))
  .filter((chart) => ![chart, ...chart.querySelectorAll('svg, canvas')]
    .map((el) => (el.getAttribute('aria-label') || '').trim())
    .some((name) => name && !/^Vega visuali[sz]ation$/i.test(name))).length"""
# Charts are drawn when they come into view: bring each shown one into view, then wait for all.
_SHOWN_CHARTS = """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
  .filter((chart) => chart.getClientRects().length > 0)"""
_VISIT_CHARTS = f"""async () => {{
  for (const chart of ({_SHOWN_CHARTS})()) {{
    chart.scrollIntoView({{block: 'center'}});
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  }}
  window.scrollTo(0, 0);
}}"""
_CHARTS_DRAWN = f"() => ({_SHOWN_CHARTS})().every((chart) => chart.querySelector('svg, canvas'))"


def _prepare(url: str) -> dict[str, int]:
    """Demo firms (so peers and staff charts have data), one firm with a submitted Exprés
    assessment and a draft, and one staff account; the ids of the two assessments."""
    migrate(url)
    engine = make_engine(url)
    loaded = default_questionnaire()
    compiled = {d: compile_questionnaire(loaded, d) for d in ("expres", "completo")}
    with session_scope(engine) as database:
        create_demo(database, compiled, firms=40, seed=5)
        firm = register_firm(
            database,
            FirmRegistration(
                ruc=FIRM_RUC,
                razon_social="Plásticos del Sur S.A.C.",
                ciiu_division=22,
                region="Arequipa",
                annual_sales=5_000_000,
                sales_year=2025,
                workers=40,
                email="gerencia@plasticos.pe",
                password=PASSWORD,
                consent_share_sni=True,
                consent_statistics=True,
            ),
        )
        firm = database.get(Firm, firm.id)
        expres = compiled["expres"]
        answers, sources = demo_answers(expres, np.random.default_rng(3), firm, 2.0, {})
        answers = {k: v for k, v in answers.items() if "__" not in k}
        done = start_assessment(database, firm.id, loaded, "expres")
        save_answers(database, done.id, firm.id, answers, sources)
        result = score_assessment(expres, answers, sources)
        submit(database, done.id, firm.id, result_summary(result))
        store_result_vector(database, done.id, expres, result)
        draft = start_assessment(database, firm.id, loaded, "expres")
        half = dict(list(answers.items())[: len(answers) // 2])
        save_answers(database, draft.id, firm.id, half, sources)
        ids = {"done": done.id, "draft": draft.id}
        create_staff(database, STAFF, "Ana Analista", PASSWORD)
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def a11y_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_a11y")
    url = f"sqlite:///{folder / 'a11y.sqlite3'}"
    ids = _prepare(url)
    with streamlit_server(folder, url) as address:
        yield address, ids


def login(page, address: str, login_name: str) -> None:
    page.goto(f"{address}/ingresar")
    wait_idle(page)
    page.get_by_role("textbox", name="RUC o correo").fill(login_name)
    page.get_by_role("textbox", name="Contraseña").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Ingresar", exact=True).click()
    wait_idle(page)


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]}
    return Axe().run(page, options=options).response["violations"]


def describe(violations: list[dict]) -> str:
    """The violations as readable lines: rule, impact, and where (first nodes' selectors)."""
    lines = []
    for item in violations:
        nodes = item["nodes"]
        where = "; ".join(f"{n['target']} {n.get('failureSummary', '')[:160]!r}" for n in nodes[:4])
        lines.append(f"{item['id']} ({item['impact']}, {len(nodes)}): {item['help']} — {where}")
    return "\n".join(lines)


def open_page(page, address: str, path: str) -> None:
    page.goto(f"{address}/{path}")
    wait_idle(page)
    page.locator(f"{MAIN} h1").first.wait_for()
    page.evaluate(_VISIT_CHARTS)
    page.wait_for_function(_CHARTS_DRAWN)
    wait_idle(page)


def _problem(rule: str, detail: str) -> dict:
    return {"id": rule, "impact": "-", "help": detail, "nodes": []}


def page_problems(page, title: str) -> list[dict]:
    """axe's violations plus our own rules: Spanish document, page title, no English from
    Streamlit, a text alternative for every chart."""
    problems = list(axe_violations(page))
    lang = page.evaluate("document.documentElement.lang")
    if lang != "es":
        problems.append(_problem("lang", f"<html lang={lang!r}>, se espera 'es'"))
    expected = f"{title} · Brújula Circular"
    if page.title() != expected:
        problems.append(_problem("title", f"{page.title()!r}, se espera {expected!r}"))
    english = sorted({t for t in page.evaluate(_CHROME_TEXTS) if re.search(ENGLISH, t)})
    if english:
        problems.append(_problem("english", json.dumps(english, ensure_ascii=False)))
    if missing := page.evaluate(_CHARTS_WITHOUT_TEXT):
        problems.append(_problem("chart-text", f"{missing} gráficos sin texto alternativo"))
    return problems


def check_pages(browser, address: str, pages: dict[str, str], who: str | None) -> dict[str, list]:
    """Every page (path → menu title) at both sizes; the problems found, by "page @ width".
    Also every request the browser makes must go to the app's own origin."""
    found: dict[str, list] = {}
    origin = urlsplit(address).netloc
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="es-PE")
        context.set_default_timeout(30_000)
        page = context.new_page()
        foreign: list[str] = []
        page.on("request", lambda r, foreign=foreign: foreign.append(r.url))
        if who:
            login(page, address, who)
        for path, title in pages.items():
            open_page(page, address, path)
            if problems := page_problems(page, title):
                heading = page.locator(f"{MAIN} h1").first.inner_text()
                found[f"/{path} @ {width} ({heading})"] = problems
        outside = [
            u for u in foreign if urlsplit(u).scheme != "data" and urlsplit(u).netloc != origin
        ]
        if outside:
            found[f"fuera de {origin} @ {width}"] = [_problem("origin", json.dumps(outside[:5]))]
        context.close()
    return found


def _report(found: dict[str, list]) -> str:
    totals: dict[str, int] = {}
    for items in found.values():
        for item in items:
            totals[item["id"]] = totals.get(item["id"], 0) + max(1, len(item["nodes"]))
    head = f"Problemas (regla: elementos): {json.dumps(totals)}"
    body = "\n\n".join(f"{where}:\n{describe(items)}" for where, items in found.items())
    return f"{head}\n\n{body}"


def test_visitor_pages_have_no_violations(browser, a11y_app) -> None:
    address, _ = a11y_app
    found = check_pages(browser, address, VISITOR_PAGES, None)
    assert not found, _report(found)


def test_firm_pages_have_no_violations(browser, a11y_app) -> None:
    address, ids = a11y_app
    pages = {path.format(**ids): title for path, title in FIRM_PAGES.items()}
    found = check_pages(browser, address, pages, FIRM_RUC)
    assert not found, _report(found)


def test_staff_pages_have_no_violations(browser, a11y_app) -> None:
    address, _ = a11y_app
    found = check_pages(browser, address, STAFF_PAGES, STAFF)
    assert not found, _report(found)


def test_streamlit_messages_are_in_spanish(browser, a11y_app) -> None:
    """What Streamlit only shows on interaction: an unknown address, an empty search, a field's
    error, the hint under a text being typed."""
    address, _ = a11y_app
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-PE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{address}/esta-pagina-no-existe")
    wait_idle(page)
    expect(page.get_by_text("Página no encontrada")).to_be_visible()
    expect(page.get_by_text("La página que pidió no existe.", exact=False)).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)

    open_page(page, address, "cuestionario")
    page.locator("[data-testid=stSelectbox] input").first.fill("zzzz")
    expect(page.get_by_text("Sin resultados")).to_be_visible()
    expect(page.get_by_text("No results")).to_have_count(0)

    # A field's error is tied to the field: aria-invalid and aria-describedby.
    open_page(page, address, "registrarse")
    ruc = page.get_by_role("textbox", name="RUC", exact=True)
    ruc.fill("123")
    click_and_wait(page, page.get_by_role("textbox", name="Razón social"))  # leaving RUC checks it
    expect(ruc).to_have_attribute("aria-invalid", "true")
    described = page.locator(f"#{ruc.get_attribute('aria-describedby')}")
    expect(described).to_contain_text("11 dígitos")

    address, ids = a11y_app
    login(page, address, FIRM_RUC)
    open_page(page, address, f"llenar?evaluacion={ids['draft']}")
    page.get_by_role("textbox", name="Nota o evidencia (opcional)").first.fill("Registro 2025")
    hint = page.locator("[data-testid=InputInstructions]").first
    expect(hint).to_contain_text(re.compile(r"Pulse (Ctrl|⌘)\+Enter para aplicar"))
    expect(hint).not_to_contain_text("Press")
    context.close()
