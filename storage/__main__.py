"""Command line of the storage package.

``python -m storage migrar | crear-personal | restablecer-clave | verificar | demo |
compactar-panel``.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Iterator

from sqlalchemy.orm import Session

from storage.db import database_url, make_engine, migrate, normalize_url, safe_url, session_scope

PASSWORD_ENV = "BRUJULA_CLAVE_PERSONAL"
RESET_PASSWORD_ENV = "BRUJULA_CLAVE_NUEVA"


def _url_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help="URL de la base de datos (por defecto DATABASE_URL o el archivo SQLite local).",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m storage", description="Administración de la base de datos."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="comando")
    migrar = commands.add_parser(
        "migrar", help="Crea o actualiza las tablas a la última versión del esquema."
    )
    _url_option(migrar)
    staff = commands.add_parser(
        "crear-personal",
        help="Crea una cuenta del equipo SNI (la contraseña se pide dos veces o se lee de "
        f"{PASSWORD_ENV}).",
    )
    staff.add_argument("--correo", required=True, help="Correo de la persona (su usuario).")
    staff.add_argument("--nombre", required=True, help="Nombre que verá en la aplicación.")
    _url_option(staff)
    reset = commands.add_parser(
        "restablecer-clave",
        help="Pone una contraseña nueva a una empresa o a una persona del equipo SNI y cierra "
        f"sus sesiones abiertas (se pide dos veces o se lee de {RESET_PASSWORD_ENV}).",
    )
    reset.add_argument(
        "--login",
        required=True,
        metavar="RUC_O_CORREO",
        help="El RUC de la empresa o el correo de la persona del equipo SNI.",
    )
    _url_option(reset)
    verify = commands.add_parser(
        "verificar",
        help="Marca una empresa como verificada por SNI (solo las verificadas cuentan en las "
        "cifras de pares y en el Panel SNI); con --quitar retira la verificación.",
    )
    verify.add_argument("--ruc", required=True, help="El RUC de la empresa (11 dígitos).")
    verify.add_argument(
        "--quitar", action="store_true", help="Retira la verificación en lugar de darla."
    )
    verify.add_argument(
        "--personal",
        metavar="CORREO",
        help="Correo de la persona del equipo SNI que verifica (queda en el registro de "
        "auditoría; por defecto la única cuenta del equipo, si hay solo una).",
    )
    verify.add_argument("--nota", default="", help="Nota para el registro de auditoría.")
    _url_option(verify)
    demo = commands.add_parser(
        "demo", help="Crea empresas y evaluaciones sintéticas, marcadas «(DEMO)»."
    )
    demo.add_argument("--empresas", type=int, default=300, help="Cuántas empresas (300).")
    demo.add_argument("--semilla", type=int, default=None, help="Semilla para repetir los datos.")
    demo.add_argument(
        "--reemplazar",
        action="store_true",
        help="Borra antes los datos de demostración que ya existan.",
    )
    _url_option(demo)
    blocks = commands.add_parser(
        "compactar-panel",
        help="Guarda las filas del Panel SNI en bloques por columnas dentro de la base, para "
        "que un proceso nuevo (o una réplica) las lea en segundos; la primera lectura completa "
        "de cada proceso ya lo hace en segundo plano cuando faltan muchas filas.",
    )
    blocks.add_argument(
        "--filas", type=int, default=None, help="Filas por bloque (por defecto 50 000)."
    )
    blocks.add_argument(
        "--comprimir",
        action="store_true",
        help="Comprime los bloques con zlib (ocupan menos y se leen algo más lento).",
    )
    _url_option(blocks)
    return parser


@contextlib.contextmanager
def _transaction(url: str) -> Iterator[Session]:
    """The migrated database at ``url`` in one transaction; its engine is disposed afterwards."""
    migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _migrar(url: str) -> int:
    from storage.results_table import backfill

    revision = migrate(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            filled = backfill(session)
    finally:
        engine.dispose()
    print(f"Base de datos al día: {safe_url(url)} (revisión {revision}).")
    if filled:
        print(f"Se completaron {filled} filas del panel del equipo SNI.")
    return 0


def _ask_password(
    env: str = PASSWORD_ENV,
    prompt: str = "Contraseña de la nueva cuenta: ",
    refused: str = "No se creó la cuenta.",
) -> str | None:
    password = os.environ.get(env)
    if password:
        return password
    try:
        first = getpass.getpass(prompt)
        second = getpass.getpass("Repita la contraseña: ")
    except (EOFError, OSError):
        print(
            f"No se pudo leer la contraseña (no hay terminal). Defínala en la variable {env}. "
            + refused,
            file=sys.stderr,
        )
        return None
    if first != second:
        print(f"Las contraseñas no coinciden. {refused}", file=sys.stderr)
        return None
    return first


def _crear_personal(url: str, email: str, name: str) -> int:
    from storage.accounts import RegistrationError, create_staff

    password = _ask_password()
    if password is None:
        return 1
    try:
        with _transaction(url) as session:
            account = create_staff(session, email, name, password)
            login = account.login
    except RegistrationError as exc:
        for message in exc.errors.values():
            print(message, file=sys.stderr)
        return 1
    print(f"Cuenta del equipo SNI creada: {login}. Ingrese con ese correo en «Ingresar».")
    return 0


def _restablecer_clave(url: str, login: str) -> int:
    from storage.accounts import ProfileError, reset_password

    password = _ask_password(
        RESET_PASSWORD_ENV, "Contraseña nueva: ", "No se cambió la contraseña."
    )
    if password is None:
        return 1
    try:
        with _transaction(url) as session:
            account, closed = reset_password(session, login, password)
            who = account.display_name
            name = account.login
            firm = account.kind == "empresa"
    except ProfileError as exc:
        for message in exc.errors.values():
            print(message, file=sys.stderr)
        return 1
    if closed == 0:
        sessions = "No tenía sesiones abiertas."
    elif closed == 1:
        sessions = "Se cerró su sesión abierta."
    else:
        sessions = f"Se cerraron sus {closed} sesiones abiertas."
    holder = "La empresa" if firm else "La persona"
    print(
        f"Contraseña restablecida para {who} (usuario {name}). {sessions} {holder} ya puede "
        "ingresar con la contraseña nueva: comuníquesela por un canal seguro."
    )
    return 0


def _verificar(url: str, ruc: str, remove: bool, staff_login: str | None, note: str) -> int:
    from sqlalchemy import select

    from storage.models import Account, Firm
    from storage.verification import VerificationError, unverify_firm, verify_firm

    ruc = ruc.strip()
    if not (ruc.isdigit() and len(ruc) == 11):
        print("El RUC debe tener 11 dígitos.", file=sys.stderr)
        return 1
    with _transaction(url) as session:
        firm = session.scalar(select(Firm).where(Firm.ruc == ruc))
        if firm is None:
            print(f"No hay ninguna empresa registrada con el RUC {ruc}.", file=sys.stderr)
            return 1
        staff = select(Account).where(Account.kind == "personal")
        if staff_login:
            staff = staff.where(Account.login == staff_login.strip().lower())
        found = list(session.scalars(staff.limit(2)))
        if len(found) != 1:
            problem = (
                f"No hay una cuenta del equipo SNI con el correo {staff_login}."
                if staff_login
                else "Indique con --personal el correo de la persona del equipo SNI que "
                "verifica (hay varias cuentas o ninguna; cree una con «crear-personal»)."
            )
            print(problem + " No se cambió nada.", file=sys.stderr)
            return 1
        was_verified = firm.verified_at is not None
        try:
            apply = unverify_firm if remove else verify_firm
            apply(session, firm.id, found[0].id, note)
        except VerificationError as exc:
            print(f"{exc} No se cambió nada.", file=sys.stderr)
            return 1
        name = firm.razon_social
    if remove:
        state = "ya no está verificada" if was_verified else "no estaba verificada"
    else:
        state = "ya estaba verificada" if was_verified else "quedó verificada"
    print(f"{name} (RUC {ruc}) {state}. El cambio quedó registrado en la auditoría.")
    return 0


def _demo(url: str, firms: int, seed: int | None, replace: bool) -> int:
    from scoring import compile_questionnaire
    from scoring.catalog import available_modules, default_questionnaire
    from storage.demo import count_demo, create_demo, remove_demo

    if firms < 1:
        print("Indique al menos 1 empresa con --empresas.", file=sys.stderr)
        return 1
    loaded = default_questionnaire()
    compiled = {depth: compile_questionnaire(loaded, depth) for depth in ("expres", "completo")}
    with _transaction(url) as session:
        existing = count_demo(session)
        if existing and not replace:
            print(
                f"Ya hay {existing} empresas de demostración. Use --reemplazar para borrarlas "
                "y crear otras; no se cambió nada.",
                file=sys.stderr,
            )
            return 1
        removed = remove_demo(session) if replace else 0
        summary = create_demo(session, compiled, firms, seed, modules=available_modules())
    if removed:
        print(f"Se borraron {removed} empresas de demostración anteriores.")
    print(
        f"Datos de demostración creados en {safe_url(url)}: {summary.firms} empresas, "
        f"{summary.assessments} evaluaciones enviadas ({summary.reassessed} empresas "
        "evaluadas dos veces)."
    )
    return 0


def _compactar_panel(url: str, rows: int | None, compress: bool) -> int:
    from scoring.numbers import format_number_es
    from storage.panel_blocks import BLOCK_ROWS, block_stats, compact
    from storage.panel_snapshots import build_and_save
    from storage.results_table import stored_versions

    if rows is not None and rows < 1:
        print("Indique al menos 1 fila por bloque con --filas.", file=sys.stderr)
        return 1
    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            versions = stored_versions(session)
            if not versions:
                print(
                    f"No hay evaluaciones enviadas en {safe_url(url)}: no hay nada que compactar."
                )
                return 0
            for version in versions:
                done = compact(
                    session,
                    version.questionnaire_id,
                    version.depth,
                    version.hash,
                    block_rows=rows or BLOCK_ROWS,
                    compression="zlib" if compress else "",
                )
                label = f"{version.questionnaire_id} {version.version} ({version.depth})"
                dropped = (
                    f"; se borraron {done.dropped} bloques de otro formato" if done.dropped else ""
                )
                print(
                    f"{label}: {done.blocks} bloques nuevos con "
                    f"{format_number_es(done.rows, 0)} filas{dropped}."
                )
                key = (version.questionnaire_id, version.depth, version.hash)
                counted = build_and_save(session, key, version.version)
                session.commit()
                if counted is None:
                    print(
                        f"{label}: el cubo del panel no se guardó porque los datos cambiaron "
                        "mientras se armaba; el primer proceso que abra el Panel SNI lo guardará."
                    )
                else:
                    print(
                        f"{label}: cubo del panel guardado con {format_number_es(counted, 0)} "
                        "evaluaciones que cuentan."
                    )
            stats = block_stats(session)
    finally:
        engine.dispose()
    blocks = sum(s[3] for s in stats)
    stored = sum(s[4] for s in stats)
    print(
        f"En {safe_url(url)} quedan {blocks} bloques con {format_number_es(stored, 0)} filas "
        "del Panel SNI. Las filas que aún no están en un bloque se leen una por una."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = normalize_url(args.url or database_url())
    try:
        if args.command == "crear-personal":
            return _crear_personal(url, args.correo, args.nombre)
        if args.command == "restablecer-clave":
            return _restablecer_clave(url, args.login)
        if args.command == "verificar":
            return _verificar(url, args.ruc, args.quitar, args.personal, args.nota)
        if args.command == "demo":
            return _demo(url, args.empresas, args.semilla, args.reemplazar)
        if args.command == "compactar-panel":
            return _compactar_panel(url, args.filas, args.comprimir)
        return _migrar(url)
    except Exception as exc:  # the one boundary where errors become user-facing text
        print(f"No se pudo completar «{args.command}» en {safe_url(url)}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
