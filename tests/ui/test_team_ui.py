"""Issue 10 item 12 in the pages: «Equipo» (titular only), «Unirse» and what collaborators see."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage import team
from storage.accounts import authenticate, hash_password, open_session
from storage.db import make_engine, session_scope
from storage.models import Account
from storage.sessions import account_for_token, new_token
from tests.ui.helpers import logged_in, make_firm, open_page, press, texts

TEAM = "ui/pages/team.py"
JOIN = "ui/pages/join.py"
PROFILE = "ui/pages/profile.py"
OTHER = "otra-clave-segura-456"


def _db(url: str):
    return session_scope(make_engine(url))


def _collaborator(url: str, email: str = "rosa@empresa.pe") -> tuple[str, int]:
    """A collaborator of the firm made by ``make_firm``; returns (session token, account id)."""
    with _db(url) as database:
        owner = database.scalar(select(Account).where(Account.role == "titular"))
        code = team.invite(database, owner.firm_id, owner.id, email)
        member = team.accept(database, code, "Rosa Quispe", OTHER, hash_password(OTHER))
        return open_session(database, member), member.id


def _link(at) -> str:
    [code] = [c.value for c in at.code]
    return code


def test_the_titular_invites_and_the_link_is_shown_once(app_env: str) -> None:
    token = make_firm(app_env)
    at = logged_in(token, TEAM)
    assert not at.exception, at.exception
    assert "Quiénes están" in [s.value for s in at.subheader]
    at.text_input(key="equipo_correo").input("Rosa@Empresa.pe")
    at = press(at)
    assert not at.exception, at.exception
    link = _link(at)
    assert re.search(r"/unirse\?codigo=[A-Za-z0-9_-]{43}$", link), link
    assert "no se vuelve a mostrar" in texts(at)
    assert "vence el" in texts(at) and "Anular" in [b.label for b in at.button]  # listed
    at = at.run()
    assert not at.code  # shown once


def test_a_colleague_joins_with_the_link_and_the_invitation_is_spent(app_env: str) -> None:
    token = make_firm(app_env)
    at = logged_in(token, TEAM)
    at.text_input(key="equipo_correo").input("rosa@empresa.pe")
    code = _link(press(at)).split("codigo=")[1]
    at = open_page(JOIN, codigo=code)
    assert not at.exception, at.exception
    assert "Plásticos del Sur" in texts(at) and "rosa" in texts(at)
    at.text_input(key="unirse_nombre").input("Rosa Quispe")
    at.text_input(key="unirse_clave").input(OTHER)
    at.text_input(key="unirse_clave2").input("otra-cosa-distinta")
    at = press(at)
    assert any("no coinciden" in e.value for e in at.error)
    assert at.text_input(key="unirse_nombre").value == "Rosa Quispe"  # nothing typed is lost
    at.text_input(key="unirse_clave2").input(OTHER)
    at = press(at)
    assert not at.exception, at.exception
    assert "Su cuenta está creada" in texts(at)
    with _db(app_env) as database:
        member = authenticate(database, "rosa@empresa.pe", OTHER)
        assert (member.role, member.display_name) == ("colaborador", "Rosa Quispe")
    again = open_page(JOIN, codigo=code)
    assert team.INVITE_INVALID in [e.value for e in again.error]


def test_joining_hands_the_login_to_the_server(app_env: str, monkeypatch) -> None:
    from ui import session

    make_firm(app_env)
    binding = new_token()
    monkeypatch.setattr(session, "_cookie_header", lambda: f"brujula_vinculo={binding}")
    with _db(app_env) as database:
        owner = database.scalar(select(Account).where(Account.role == "titular"))
        code = team.invite(database, owner.firm_id, owner.id, "rosa@empresa.pe")
    at = open_page(JOIN, codigo=code)
    at.text_input(key="unirse_nombre").input("Rosa Quispe")
    at.text_input(key="unirse_clave").input(OTHER)
    at.text_input(key="unirse_clave2").input(OTHER)
    at = press(at)
    page = " ".join(str(e.proto.body) for e in at.get("html"))
    assert "/sesion/entrar" in page and binding not in page


def test_a_bad_invitation_link_is_explained(app_env: str) -> None:
    at = open_page(JOIN, codigo="no-es-un-codigo")
    assert not at.exception, at.exception
    assert team.INVITE_INVALID in [e.value for e in at.error]
    assert not at.text_input


def test_collaborators_cannot_manage_the_team_profile_or_consents(app_env: str) -> None:
    make_firm(app_env)
    token, _ = _collaborator(app_env)
    at = logged_in(token, TEAM)
    assert not at.exception, at.exception
    assert "para el titular" in texts(at)
    assert not at.text_input and not at.form_submit_button
    at = logged_in(token, PROFILE)
    assert not at.exception, at.exception
    assert "los cambia el titular" in texts(at)
    keys = {w.key for w in at.checkbox} | {w.key for w in at.text_input}
    assert "perfil_compartir" not in keys and "perfil_correo" not in keys
    assert "perfil_clave_nueva" in keys  # their own password, yes


def test_the_titular_removes_a_member_whose_session_ends(app_env: str) -> None:
    owner_token = make_firm(app_env)
    member_token, member_id = _collaborator(app_env)
    at = logged_in(owner_token, TEAM)
    at.selectbox(key="equipo_quitar").select(member_id)
    at = press(at, 1)
    assert any("confirmar" in e.value for e in at.error)  # the confirmation is required
    at.selectbox(key="equipo_quitar").select(member_id)
    at.checkbox(key="equipo_confirmar").check()
    at = press(at, 1)
    assert not at.exception, at.exception
    assert "ya no puede ingresar" in texts(at)
    with _db(app_env) as database:
        assert account_for_token(database, member_token) is None
    at = logged_in(member_token, TEAM)
    assert "Inicie sesión" in texts(at)


def test_the_login_page_offers_the_password_reset(app_env: str) -> None:
    at = open_page("ui/pages/login.py")
    labels = [str(e.proto.label) for e in at.get("page_link")]
    assert "¿Olvidó su contraseña?" in labels
