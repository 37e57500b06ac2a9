"""app.py builds its st.Page objects once per process and set of roles (issue 11), and every
run still gets Page objects of its own (st.navigation marks the one it returns as runnable)."""

from __future__ import annotations

import pytest
import streamlit

from tests.ui.helpers import app, make_firm
from ui import session
from ui.session import TOKEN_KEY


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Counts st.Page constructions and records the pages handed to st.navigation per run."""
    seen: dict[str, list] = {"built": [], "navigated": []}
    real_page, real_navigation = streamlit.Page, streamlit.navigation

    class CountedPage(real_page):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            seen["built"].append(self)

    def navigation(pages, *args, **kwargs):
        seen["navigated"].append(list(pages))
        return real_navigation(pages, *args, **kwargs)

    monkeypatch.setattr(streamlit, "Page", CountedPage)
    monkeypatch.setattr(streamlit, "navigation", navigation)
    monkeypatch.setattr(session, "_PAGE_TEMPLATES", {})
    return seen


def test_pages_are_built_once_and_copied_for_every_run(spied: dict[str, list]) -> None:
    first = app().run()
    assert not first.exception
    built = len(spied["built"])
    assert built == len(spied["navigated"][0]) > 10
    # A rerun, and another session of the same role: no page built again.
    first.run()
    second = app().run()
    assert not second.exception
    assert len(spied["built"]) == built
    runs = spied["navigated"]
    assert len(runs) == 3
    # ... but every run has Page objects of its own, none of them the kept ones.
    ids = [{id(page) for page in pages} for pages in runs]
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    assert not {id(page) for page in spied["built"]} & set().union(*ids)
    assert [p.url_path for p in runs[0]] == [p.url_path for p in runs[2]]


def test_each_role_gets_its_own_menu(spied: dict[str, list], app_env: str) -> None:
    visitor = app().run()
    assert not visitor.exception
    at = app()
    at.session_state[TOKEN_KEY] = make_firm(app_env)
    at.run()
    assert not at.exception
    listed = [{p.title for p in pages if p.visibility == "visible"} for pages in spied["navigated"]]
    assert "Ingresar" in listed[0] and "Mi panel" not in listed[0]
    assert "Mi panel" in listed[1] and "Ingresar" not in listed[1]
    # Every page is registered for every role (same URLs), only the menu differs.
    assert [p.url_path for p in spied["navigated"][0]] == [
        p.url_path for p in spied["navigated"][1]
    ]
