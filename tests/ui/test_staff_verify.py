"""Verification of firms by SNI staff (issue 12): the staff page and ``python -m storage
verificar``. Every change asks for a confirmation and is audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.__main__ import main
from storage.db import make_engine, session_scope
from storage.models import AuditLog, Firm
from storage.verification import UNVERIFY_ACTION, VERIFY_ACTION
from tests.ui.helpers import firm_id_for, make_firm, make_staff, open_page, valid_ruc

PAGE = "ui/pages/staff_verify.py"
REFUSED = "Esta página es solo para el equipo de SNI."
RUC = valid_ruc("2010007097")  # make_firm's default


def firm_state(url: str, firm_id: int) -> tuple[bool, list[tuple[str, str]]]:
    engine = make_engine(url)
    with session_scope(engine) as database:
        verified = database.get_one(Firm, firm_id).verified_at is not None
        audits = [(a.action, a.target) for a in database.scalars(select(AuditLog))]
    engine.dispose()
    return verified, [a for a in audits if a[0] in (VERIFY_ACTION, UNVERIFY_ACTION)]


def add_demo_firm(url: str) -> None:
    engine = make_engine(url)
    with session_scope(engine) as database:
        database.add(
            Firm(
                ruc=valid_ruc("2060000001"),
                razon_social="Demostración Uno (DEMO)",
                ciiu_division=10,
                region="Lima",
                annual_sales=Decimal("500000"),
                sales_year=2025,
                size_class="micro",
                workers=5,
                email="demo@ejemplo.pe",
                is_demo=True,
            )
        )
    engine.dispose()


def page_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_staff_verifies_a_firm_after_confirming_and_it_is_audited(app_env: str) -> None:
    firm_id = firm_id_for(app_env, make_firm(app_env))
    add_demo_firm(app_env)
    at = open_page(PAGE, make_staff(app_env))
    assert not at.exception
    assert at.title[0].value == "Verificar empresas"
    listed = page_text(at)
    assert RUC in listed and "Plásticos del Sur S" in listed and "22 · Caucho y plástico" in listed
    assert "Arequipa" in listed and "registrada el" in listed
    assert "DEMO" not in listed  # demo firms are never verified
    at.button(key=f"sni_verificar_{firm_id}").click().run()
    assert any("¿Confirma que desea verificar" in w.value for w in at.warning)
    assert firm_state(app_env, firm_id) == (False, [])  # nothing until confirmed
    at.text_input(key="sni_verificacion_nota").input("RUC activo en SUNAT").run()
    at.button(key="sni_verificacion_si").click().run()
    assert not at.exception
    assert any("verificada" in s.value for s in at.success)
    assert firm_state(app_env, firm_id) == (True, [(VERIFY_ACTION, f"empresa:{firm_id}")])
    assert f"sni_verificar_{firm_id}" not in [b.key for b in at.button]
    # Withdrawal, also confirmed and audited.
    at.button(key=f"sni_quitar_{firm_id}").click().run()
    at.button(key="sni_verificacion_si").click().run()
    verified, audits = firm_state(app_env, firm_id)
    assert not verified and audits[-1] == (UNVERIFY_ACTION, f"empresa:{firm_id}")


def test_cancel_changes_nothing(app_env: str) -> None:
    firm_id = firm_id_for(app_env, make_firm(app_env))
    at = open_page(PAGE, make_staff(app_env))
    at.button(key=f"sni_verificar_{firm_id}").click().run()
    at.button(key="sni_verificacion_no").click().run()
    assert not at.exception and not at.warning
    assert firm_state(app_env, firm_id) == (False, [])


def test_firm_user_and_visitor_are_refused(app_env: str) -> None:
    token = make_firm(app_env)
    at = open_page(PAGE, token)
    assert REFUSED in [e.value for e in at.error]
    assert not at.button
    visitor = open_page(PAGE)
    assert not visitor.exception
    assert not any(t.value == "Verificar empresas" for t in visitor.title)
    assert not [b for b in visitor.button if b.key and b.key.startswith("sni_verificar_")]


def test_page_is_listed_for_staff() -> None:
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "app.py").read_text(encoding="utf-8")
    pages = next(
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES"
    )
    entries = {e.elts[0].value: e.elts[4] for e in pages.elts}
    assert [s.value for s in entries["staff_verify.py"].elts] == ["personal"]


# --- command line ------------------------------------------------------------------------------


def test_cli_verifies_and_withdraws(app_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    firm_id = firm_id_for(app_env, make_firm(app_env))
    make_staff(app_env)
    assert main(["verificar", "--ruc", RUC, "--nota", "SUNAT", "--url", app_env]) == 0
    assert "quedó verificada" in capsys.readouterr().out
    assert firm_state(app_env, firm_id) == (True, [(VERIFY_ACTION, f"empresa:{firm_id}")])
    assert main(["verificar", "--ruc", RUC, "--url", app_env]) == 0
    assert "ya estaba verificada" in capsys.readouterr().out
    assert main(["verificar", "--ruc", RUC, "--quitar", "--url", app_env]) == 0
    assert "ya no está verificada" in capsys.readouterr().out
    verified, audits = firm_state(app_env, firm_id)
    assert not verified and [a[0] for a in audits] == [VERIFY_ACTION, UNVERIFY_ACTION]


def test_cli_errors_are_spanish(app_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    make_firm(app_env)
    assert main(["verificar", "--ruc", RUC, "--url", app_env]) == 1  # no staff account yet
    assert "crear-personal" in capsys.readouterr().err
    make_staff(app_env)
    assert main(["verificar", "--ruc", "123", "--url", app_env]) == 1
    assert "11 dígitos" in capsys.readouterr().err
    assert main(["verificar", "--ruc", valid_ruc("2099999999"), "--url", app_env]) == 1
    assert "No hay ninguna empresa" in capsys.readouterr().err
    add_demo_firm(app_env)
    assert main(["verificar", "--ruc", valid_ruc("2060000001"), "--url", app_env]) == 1
    assert "demostración no se verifican" in capsys.readouterr().err
    assert main(["verificar", "--ruc", RUC, "--personal", "otro@sni.org.pe", "--url", app_env]) == 1
    assert "No hay una cuenta del equipo SNI" in capsys.readouterr().err
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        assert database.scalar(select(Firm).where(Firm.ruc == RUC)).verified_at is None
    engine.dispose()
