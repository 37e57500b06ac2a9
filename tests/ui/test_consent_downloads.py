"""Issue 12, consent and audit: staff downloads re-check consent when clicked, are audited
inside the download callable, and belong to the session that made them.

Streamlit runs a download button's callable when the user clicks, in a thread without script
context. These tests capture the callables the pages register (``MediaFileManager.add_deferred``)
and run them in a plain thread after the page has rendered, as the server does.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zipfile

import pandas as pd
import pytest
from sqlalchemy import update
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import _calculate_file_id

from storage.db import make_engine, session_scope
from storage.models import Firm
from tests.ui.helpers import make_staff, open_page
from tests.ui.test_staff_pages import _negligible_noise, audit_actions, seed  # noqa: F401
from ui import background, report_downloads


@pytest.fixture
def clicks(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict]:
    """file name -> the deferred entry (callable, mime) the latest run registered for it."""
    found: dict[str, dict] = {}
    original = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        found[file_name] = {"callable": data_callable, "mime": mimetype}
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return found


def click(entry: dict) -> bytes:
    """Run a download callable as Streamlit does on click: another thread, no script context."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["data"] = entry["callable"]()
        except Exception as exc:  # pragma: no cover - reported below
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert "error" not in out, out.get("error")
    return out["data"]  # type: ignore[return-value]


def set_consent(url: str, firm_id: int, value: bool) -> None:
    engine = make_engine(url)
    with session_scope(engine) as database:
        database.execute(update(Firm).where(Firm.id == firm_id).values(consent_share_sni=value))
    engine.dispose()


def media_path(data: bytes, entry: dict, name: str) -> str:
    return f"/media/{_calculate_file_id(data, entry['mime'], name)}.bin"


def test_open_detail_page_refuses_download_after_withdrawal(app_env: str, clicks) -> None:
    firm_id = seed(app_env, 1)[0]
    token = make_staff(app_env)
    at = open_page("ui/pages/staff_firms.py", token)
    at.selectbox(key="sni_empresa").set_value(firm_id).run()
    assert not at.exception
    names = sorted(n for n in clicks if n and n.startswith("brujula_"))
    assert [n.rsplit(".", 1)[1] for n in names] == ["json", "pdf", "xlsx"]
    json_name = next(n for n in names if n.endswith(".json"))
    pdf_name = next(n for n in names if n.endswith(".pdf"))

    data = click(clicks[json_name])  # consent still given: the report, audited
    assert data.lstrip().startswith(b"{")
    actions = [a for a in audit_actions(app_env) if a[0].startswith("descarga_")]
    assert [a[0] for a in actions] == ["descarga_json_empresa"]

    set_consent(app_env, firm_id, False)  # the page stays open: no rerun
    refused = click(clicks[pdf_name])
    text = refused.decode("utf-8")
    assert "ya no comparte sus resultados" in text and not refused.startswith(b"%PDF")
    actions = [a for a in audit_actions(app_env) if a[0].startswith("descarga_")]
    assert [a[0] for a in actions] == ["descarga_json_empresa", "descarga_pdf_rechazada"]
    assert actions[-1][2] == {"empresa": firm_id}

    at.run()  # the next rerun of the open page shows the withdrawal too
    assert not at.exception and not at.get("download_button")


def finished(token: str, kind: str) -> background.Job:
    """The session's latest background job of ``kind``, once it has ended (the pool's threads
    run it; this only waits, with a generous bound, and checks the outcome)."""
    job = background.jobs().latest(report_downloads.owner_key(token), kind)
    assert job is not None
    for _ in range(1200):
        if not job.active:
            break
        time.sleep(0.05)
    assert job.state == background.DONE, (job.state, job.message, job.error)
    return job


def test_firm_export_runs_in_background_and_refuses_after_a_withdrawal(
    app_env: str, clicks
) -> None:
    ids = seed(app_env, 6)
    token = make_staff(app_env)
    at = open_page("ui/pages/staff_export.py", token)
    at.button(key="sni_prep_empresas_csv").click().run()
    assert not at.exception
    at.button(key="sni_prep_empresas_xlsx").click().run()
    job = finished(token, "empresas_csv")
    assert job.detail == {"filas": 6, "empresas": 6}
    finished(token, "empresas_xlsx")
    at.run()  # the finished jobs offer their files
    assert not at.exception
    csv_name = next(n for n in clicks if n and n.startswith("empresas_") and n.endswith(".csv"))
    xlsx_name = csv_name.removesuffix(".csv") + ".xlsx"
    table = pd.read_csv(io.BytesIO(click(clicks[csv_name])), encoding="utf-8-sig", dtype=str)
    assert len(table) == 6 and table["Razón social"].str.lstrip("'").str.startswith("Empresa").all()
    set_consent(app_env, ids[0], False)  # after the file was prepared, before the next click
    refused = click(clicks[xlsx_name])
    assert b"retir" in refused and not refused.startswith(b"PK")
    downloads = [a for a in audit_actions(app_env) if a[0].startswith("descarga_empresas")]
    assert [a[0] for a in downloads] == [
        "descarga_empresas_csv",
        "descarga_empresas_xlsx_rechazada",
    ]
    assert downloads[0][2]["filas"] == 6 and downloads[0][2]["empresas"] == 6
    at.button(key="sni_prep_empresas_csv").click().run()  # prepared again: without that firm
    assert finished(token, "empresas_csv").detail == {"filas": 5, "empresas": 5}


def test_bulk_pdf_zip_holds_the_sharing_firms_reports(app_env: str, clicks) -> None:
    ids = seed(app_env, 6)
    seed(app_env, 1, first=20, consent_share_sni=False, razon_social="Sin permiso")
    token = make_staff(app_env)
    at = open_page("ui/pages/staff_export.py", token)
    at.button(key="sni_prep_informes_pdf").click().run()
    assert not at.exception
    job = finished(token, "informes_pdf")
    assert job.detail["informes"] == 6 and sorted(job.firm_ids) == sorted(ids)
    at.run()
    name = next(n for n in clicks if n and n.startswith("informes_") and n.endswith(".zip"))
    with zipfile.ZipFile(io.BytesIO(click(clicks[name]))) as archive:
        names = archive.namelist()
        pdfs = [n for n in names if n.endswith(".pdf")]
        assert len(pdfs) == 6 and "LEEME.txt" in names
        assert all(archive.read(n).startswith(b"%PDF") for n in pdfs)
    actions = [a[0] for a in audit_actions(app_env)]
    assert "exportacion_informes_pdf" in actions and "descarga_informes_pdf" in actions


def test_aggregate_downloads_are_audited(app_env: str, clicks) -> None:
    seed(app_env, 6)
    at = open_page("ui/pages/staff_export.py", make_staff(app_env))
    at.button(key="sni_prep_agregados").click().run()
    assert not at.exception
    name = next(n for n in clicks if n and n.startswith("agregados_") and n.endswith(".csv"))
    assert click(clicks[name])
    assert "descarga_agregados_csv" in [a[0] for a in audit_actions(app_env)]


def test_download_urls_belong_to_the_session_that_made_them(app_env: str, clicks) -> None:
    firm_id = seed(app_env, 1)[0]
    token, other = make_staff(app_env), "x" * 43
    at = open_page("ui/pages/staff_firms.py", token)
    at.selectbox(key="sni_empresa").set_value(firm_id).run()
    name = next(n for n in clicks if n and n.endswith(".json"))
    data = click(clicks[name])
    path = media_path(data, clicks[name], name)
    assert report_downloads.may_fetch(path, token)
    assert report_downloads.may_fetch(f"/base{path}", token)
    assert not report_downloads.may_fetch(path, None)  # no cookie
    assert not report_downloads.may_fetch(path, other)  # another session
    assert not report_downloads.may_fetch("/media/0123abcd.pdf", token)  # never recorded
    assert report_downloads.owner_key(token) == hashlib.sha256(token.encode()).hexdigest()


def test_staff_tables_have_no_toolbar(app_env: str) -> None:
    firm_id = seed(app_env, 1)[0]
    at = open_page("ui/pages/staff_firms.py", make_staff(app_env))
    at.selectbox(key="sni_empresa").set_value(firm_id).run()
    assert len(at.dataframe) >= 2
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert '[data-testid="stElementToolbar"]{display:none' in styles.replace(" !important", "")
