"""The firm's own profile, consents and password; the staff password reset and its CLI verb."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from reports.sample import sample_answers
from scoring import compile_questionnaire, score_assessment
from scoring.catalog import default_questionnaire
from storage import __main__ as cli
from storage import audit
from storage.accounts import (
    LoginError,
    ProfileError,
    authenticate,
    change_password,
    create_staff,
    firm_profile,
    open_session,
    reset_password,
    update_consents,
    update_firm_profile,
)
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.models import Account, AuditLog, Firm, PanelRow, Result
from storage.results_table import data_version, load_results_frame, store_result_vector
from storage.sessions import account_for_token
from tests.storage.storage_testdata import PASSWORD, make_firm

NEW_PASSWORD = "otra-clave-muy-segura"
PROFILE = {
    "annual_sales": Decimal("802500"),  # 150 UIT of 2025: a microempresa
    "sales_year": 2025,
    "workers": 12,
    "email": "nuevo@ejemplo.com.pe",
    "region": "Cusco",
}


def _audits(session: Session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def _account(session: Session, firm: Firm) -> Account:
    return session.scalars(select(Account).where(Account.firm_id == firm.id)).one()


# --- profile -------------------------------------------------------------------------------------


def test_profile_update_recomputes_size_with_that_years_uit(session: Session) -> None:
    firm = make_firm(session)
    account = _account(session, firm)
    assert firm.size_class == "pequena"
    update_firm_profile(session, firm.id, **PROFILE, account_id=account.id)
    session.commit()
    profile = firm_profile(session, firm.id)
    assert profile is not None
    assert (profile.annual_sales, profile.sales_year, profile.size_class) == (
        Decimal("802500.00"),
        2025,
        "micro",
    )
    assert (profile.workers, profile.email, profile.region) == (12, PROFILE["email"], "Cusco")
    assert (profile.ruc, profile.razon_social) == (firm.ruc, firm.razon_social)
    # The same sales in 2020 (UIT S/ 4 300) are 186,6 UIT: a pequeña empresa.
    update_firm_profile(session, firm.id, **{**PROFILE, "sales_year": 2020})
    session.commit()
    assert firm_profile(session, firm.id).size_class == "pequena"  # type: ignore[union-attr]
    entries = _audits(session, "perfil")
    assert len(entries) == 2
    assert entries[0].account_id == account.id
    assert entries[0].detail["tamano"] == ["pequena", "micro"]
    assert "annual_sales" in entries[0].detail["campos"]
    assert "802500" not in str(entries[0].detail)  # which fields changed, not their values


def test_profile_update_without_changes_writes_no_audit(session: Session) -> None:
    firm = make_firm(session)
    update_firm_profile(session, firm.id, **PROFILE)
    session.commit()
    update_firm_profile(session, firm.id, **{**PROFILE, "email": f"  {PROFILE['email']} "})
    session.commit()
    assert len(_audits(session, "perfil")) == 1


def test_profile_errors_are_per_field_and_change_nothing(session: Session) -> None:
    firm = make_firm(session)
    with pytest.raises(ProfileError) as info:
        update_firm_profile(
            session,
            firm.id,
            annual_sales=-5,
            sales_year=2019,
            workers=-1,
            email="no-es-correo",
            region="Lima",
        )
    assert set(info.value.errors) == {"annual_sales", "sales_year", "workers", "email", "region"}
    assert "2019" in info.value.errors["sales_year"]
    with pytest.raises(ProfileError) as info:
        update_firm_profile(session, firm.id, **{**PROFILE, "annual_sales": Decimal("1e20")})
    assert "demasiado grande" in info.value.errors["annual_sales"]
    session.rollback()
    assert firm_profile(session, firm.id).size_class == "pequena"  # type: ignore[union-attr]
    assert _audits(session, "perfil") == []


def test_next_submission_uses_the_new_size_class(session: Session) -> None:
    compiled = compile_questionnaire(default_questionnaire(), "expres")
    loaded = compiled.loaded
    firm = make_firm(session)

    def send(seed: int) -> int:
        answers, sources = sample_answers(compiled, seed=seed)
        assessment = start_assessment(
            session, firm.id, (loaded.id, loaded.version, loaded.content_hash), "expres"
        )
        save_answers(session, assessment.id, firm.id, answers, sources)
        result = score_assessment(compiled, answers, sources)
        submit(session, assessment.id, firm.id, result_summary(result))
        store_result_vector(session, assessment.id, compiled, result)
        session.commit()
        return assessment.id

    first = send(1)
    update_firm_profile(session, firm.id, **PROFILE)
    session.commit()
    second = send(2)
    sizes = {r.assessment_id: r.size_class for r in session.scalars(select(Result))}
    assert sizes == {first: "pequena", second: "micro"}
    panel = {r.assessment_id: (r.size_class, r.region) for r in session.scalars(select(PanelRow))}
    assert panel == {first: ("pequena", "Lima Metropolitana"), second: ("micro", "Cusco")}
    frame = load_results_frame(session, loaded.id, "expres")
    assert frame.set_index("assessment_id")["size_class"].to_dict() == {
        first: "pequena",
        second: "micro",
    }


# --- consents ------------------------------------------------------------------------------------


def test_consent_changes_are_stored_and_audited(session: Session) -> None:
    firm = make_firm(session)
    account = _account(session, firm)
    assert update_consents(session, firm.id, True, True, account_id=account.id) == []
    assert update_consents(session, firm.id, True, False, account_id=account.id) == ["estadisticas"]
    session.commit()
    stored = firm_profile(session, firm.id)
    assert stored is not None
    assert (stored.consent_share_sni, stored.consent_statistics) == (True, False)
    assert update_consents(session, firm.id, False, True, account_id=account.id) == [
        "compartir_sni",
        "estadisticas",
    ]
    session.commit()
    entries = _audits(session, audit.CONSENT)
    assert [e.detail["cambios"] for e in entries] == [
        ["estadisticas"],
        ["compartir_sni", "estadisticas"],
    ]
    assert entries[0].detail["antes"] == {"compartir_sni": True, "estadisticas": True}
    assert entries[0].detail["despues"] == {"compartir_sni": True, "estadisticas": False}
    assert entries[1].target == firm.ruc
    assert entries[1].account_id == account.id


def test_data_version_changes_when_consenting_sets_share_count_and_sum(session: Session) -> None:
    # Ids i..i+3: {i, i+3} and {i+1, i+2} have the same count and the same sum.
    firms = [
        make_firm(
            session, f"206000{n:04d}", email=f"f{n}@ejemplo.pe", consent_statistics=n in (0, 3)
        )
        for n in range(4)
    ]
    ids = [f.id for f in firms]
    assert ids == list(range(ids[0], ids[0] + 4))
    before = data_version(session, "cualquiera", "completo")
    for firm in firms:
        update_consents(session, firm.id, True, not firm.consent_statistics)
    session.commit()
    after = data_version(session, "cualquiera", "completo")
    assert after != before  # a count and a sum of the counted firms would not see it
    # Any later change of the counted firms moves it again, even one that restores an
    # earlier set.
    update_consents(session, firms[0].id, True, True)
    update_consents(session, firms[0].id, True, False)
    session.commit()
    assert data_version(session, "cualquiera", "completo") not in (before, after)
    # Other audited actions, and consent to share with SNI alone, leave it alone (the cached
    # staff data stays valid).
    latest = data_version(session, "cualquiera", "completo")
    audit.record(session, None, "ingreso", "alguien")
    update_consents(session, firms[1].id, False, True)
    session.commit()
    assert data_version(session, "cualquiera", "completo") == latest


# --- passwords -----------------------------------------------------------------------------------


def test_change_password_revokes_other_sessions_and_keeps_this_one(session: Session) -> None:
    firm = make_firm(session)
    account = _account(session, firm)
    here = open_session(session, account)
    elsewhere = open_session(session, account)
    session.commit()
    closed = change_password(session, account.id, PASSWORD, NEW_PASSWORD, keep_token=here)
    session.commit()
    assert closed == 1
    assert account_for_token(session, here) is not None
    assert account_for_token(session, elsewhere) is None
    assert authenticate(session, firm.ruc, NEW_PASSWORD).id == account.id
    with pytest.raises(LoginError):
        authenticate(session, firm.ruc, PASSWORD)
    assert session.get(Account, account.id).password_hash.startswith("$argon2id$")  # type: ignore[union-attr]
    assert len(_audits(session, "cambio_clave")) == 1


def test_change_password_refusals(session: Session) -> None:
    firm = make_firm(session)
    account = _account(session, firm)
    with pytest.raises(ProfileError) as info:
        change_password(session, account.id, "no-es-la-clave", NEW_PASSWORD)
    assert info.value.errors == {"current": "La contraseña actual no es correcta."}
    session.rollback()  # the failure was committed: it still counts
    assert session.get(Account, account.id).failed_logins == 1  # type: ignore[union-attr]
    with pytest.raises(ProfileError) as info:
        change_password(session, account.id, PASSWORD, "corta")
    assert set(info.value.errors) == {"new"}
    with pytest.raises(ProfileError) as info:
        change_password(session, account.id, PASSWORD, PASSWORD)
    assert "distinta" in info.value.errors["new"]
    with pytest.raises(ProfileError) as info:
        change_password(session, account.id, "", NEW_PASSWORD)
    assert set(info.value.errors) == {"current"}
    session.rollback()
    assert authenticate(session, firm.ruc, PASSWORD).id == account.id
    assert _audits(session, "cambio_clave") == []


def test_change_password_respects_the_login_slowdown(session: Session) -> None:
    firm = make_firm(session)
    account = _account(session, firm)
    now = dt.datetime.now(dt.UTC)
    for _ in range(6):
        with pytest.raises(ProfileError):
            change_password(session, account.id, "no-es-la-clave", NEW_PASSWORD, now=now)
    with pytest.raises(ProfileError) as info:
        change_password(session, account.id, PASSWORD, NEW_PASSWORD, now=now)
    assert "espere" in info.value.errors["current"]


def test_reset_password_for_firm_and_staff(session: Session) -> None:
    firm = make_firm(session)
    account = _account(session, firm)
    token = open_session(session, account)
    account.failed_logins = 9
    account.last_failed_at = dt.datetime.now(dt.UTC)
    staff = create_staff(session, "ana@sni.org.pe", "Ana", PASSWORD)
    session.commit()
    found, closed = reset_password(session, f" {firm.ruc} ", NEW_PASSWORD)
    session.commit()
    assert (found.id, closed) == (account.id, 1)
    assert account_for_token(session, token) is None
    assert authenticate(session, firm.ruc, NEW_PASSWORD).id == account.id  # no wait left
    found, closed = reset_password(session, "ANA@sni.org.pe", NEW_PASSWORD)
    session.commit()
    assert (found.id, closed) == (staff.id, 0)
    entries = _audits(session, "restablecer_clave")
    assert [e.target for e in entries] == [firm.ruc, "ana@sni.org.pe"]
    assert entries[0].detail == {"cuenta_id": account.id, "tipo": "empresa", "sesiones_cerradas": 1}
    with pytest.raises(ProfileError) as info:
        reset_password(session, "20999999999", NEW_PASSWORD)
    assert "No existe" in info.value.errors["login"]
    with pytest.raises(ProfileError) as info:
        reset_password(session, firm.ruc, "corta")
    assert "al menos" in info.value.errors["password"]


def test_cli_restablecer_clave(engine: Engine, monkeypatch, capsys) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        firm = make_firm(session)
        ruc = firm.ruc
        open_session(session, _account(session, firm))
        session.commit()
    monkeypatch.setenv("BRUJULA_CLAVE_NUEVA", NEW_PASSWORD)
    assert cli.main(["restablecer-clave", "--login", ruc, "--url", url]) == 0
    out = capsys.readouterr().out
    assert "Contraseña restablecida" in out and ruc in out and "Se cerró su sesión" in out
    assert cli.main(["restablecer-clave", "--login", "20999999999", "--url", url]) == 1
    assert "No existe una cuenta" in capsys.readouterr().err
    monkeypatch.delenv("BRUJULA_CLAVE_NUEVA")
    answers = iter(["una-clave-nueva-1", "otra-clave-nueva-2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["restablecer-clave", "--login", ruc, "--url", url]) == 1
    assert "no coinciden" in capsys.readouterr().err
    short = iter(["corta", "corta"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(short))
    assert cli.main(["restablecer-clave", "--login", ruc, "--url", url]) == 1
    assert "al menos" in capsys.readouterr().err
    typed = iter(["clave-por-teclado-1", "clave-por-teclado-1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert cli.main(["restablecer-clave", "--login", ruc, "--url", url]) == 0
    assert "No tenía sesiones abiertas" in capsys.readouterr().out
    with Session(engine) as session:
        assert authenticate(session, ruc, "clave-por-teclado-1").login == ruc
        count = session.scalar(select(func.count()).where(AuditLog.action == "restablecer_clave"))
        assert count == 2
