"""Server time and memory of the staff panel («Panel SNI»), «Empresas que comparten» and the
results page's peers, with 100 000 or 1 000 000 submitted Completo assessments (issue 11).

Fills a throwaway SQLite database (and, with ``--postgres URL`` or TEST_DATABASE_URL, a fresh
PostgreSQL schema that is dropped afterwards) with ``bench_fill.fill_fast``: COPY on
PostgreSQL, executemany on SQLite; every row is one of 50 000 simulated assessments scored by
the real engine, under its own firm and date. A sample of the latest assessments of counted
firms (``--detalle``, 10 000 by default) get the real ``detail_json`` of their scored result
(about 80 KB each, as a submission stores); the others keep the bulk load's summary (storing
80 KB for each of a million rows would take 80 GB). ``--conservar CARPETA`` keeps the SQLite
file and the PostgreSQL schema; ``--reusar CARPETA`` measures them again without loading.

Then, each in a fresh process so that its memory is the server's alone, with AppTest:

- staff: first view of the panel (fresh process), filter changes (each a new combination),
  a rerun after a new submission, the time until the new figures are installed (summed in
  the background from 50 000 assessments), the first page of «Empresas que comparten» and
  the next page, and the peak resident memory (VmHWM);
- firms: the results page of firms with a real detail: the first firm of the process, then
  other firms (peers already loaded), and the memory after 1 and after 20 firms.

Run from the project root: ``python benchmarks/bench_dashboard.py [--evaluaciones N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import make_url, select  # noqa: E402

from benchmarks.bench_fill import fill_fast  # noqa: E402
from scoring import compile_questionnaire  # noqa: E402
from scoring.answers import encode_frame  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.engine import score_batch  # noqa: E402
from scoring.numbers import format_number_es  # noqa: E402
from scoring.simulate import simulate  # noqa: E402
from storage.bulk import ScoredBatch, insert_scored  # noqa: E402
from storage.db import make_engine, normalize_url, session_scope  # noqa: E402
from storage.models import Result  # noqa: E402

TARGETS = {  # issue 11, at a million assessments
    "primera": 5.0,
    "filtro": 0.5,
    "tras_envio": 0.5,
    "rss_pico": 1536.0,
    "resultados": 1.0,
}


def fill(url: str, assessments: int, details: int, seed: int = 7) -> None:
    """Migrate and load ``assessments`` scored Completo assessments (``bench_fill``)."""
    fill_fast(url, assessments, details, seed, log=lambda m: print(m, flush=True))


def sign_in(url: str) -> dict:
    """A staff session and 25 firm sessions (firms whose latest assessment has a real detail)."""
    from storage.accounts import create_staff
    from storage.models import Account
    from storage.sessions import open_session

    engine = make_engine(url)
    with session_scope(engine) as session:
        login = "bench@sni.org.pe"
        account = session.scalars(select(Account).where(Account.login == login)).first()
        if account is None:
            account = create_staff(session, login, "Banco de pruebas", "clave-segura-123")
        staff_token = open_session(session, account)
        firm_tokens = _firm_tokens(session, 25)
    engine.dispose()
    return {"personal": staff_token, "empresas": firm_tokens}


def _firm_tokens(session, count: int) -> list[str]:
    """Accounts for ``count`` verified, counted firms whose latest assessment has a real detail."""
    from storage.models import Account, Assessment, Firm
    from storage.sessions import open_session

    latest = (
        select(Assessment.firm_id, Assessment.id, Result.detail_json)
        .join(Result, Result.assessment_id == Assessment.id)
        .join(Firm, Firm.id == Assessment.firm_id)
        .where(Firm.verified_at.is_not(None), Firm.consent_statistics.is_(True))
        .order_by(Assessment.id.desc())
        .limit(20_000)
    )
    tokens: list[str] = []
    seen: set[int] = set()
    for firm_id, _, detail in session.execute(latest):
        if firm_id in seen or not (detail or {}).get("global"):
            continue
        seen.add(firm_id)
        firm = session.get(Firm, firm_id)
        account = session.scalars(select(Account).where(Account.login == firm.ruc)).first()
        if account is not None:
            tokens.append(open_session(session, account))
            if len(tokens) == count:
                break
            continue
        account = Account(
            kind="empresa",
            login=firm.ruc,
            password_hash="sin-clave",
            firm_id=firm_id,
            display_name=firm.razon_social,
        )
        session.add(account)
        session.flush()
        tokens.append(open_session(session, account))
        if len(tokens) == count:
            break
    return tokens


def _memory() -> dict[str, float]:
    status = Path("/proc/self/status").read_text()
    return {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }


def _app(token: str):
    from streamlit.testing.v1 import AppTest

    from ui.session import TOKEN_KEY

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state[TOKEN_KEY] = token
    return at


def _timed(at) -> float:
    begin = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - begin
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def _one_submission(url: str, seed: int) -> None:
    """A new submitted assessment of an existing counted firm, as a replica would store it."""
    from storage.models import Firm

    compiled = compile_questionnaire(default_questionnaire(), "completo")
    encoded, _, _ = encode_frame(compiled, simulate(compiled, 1, seed=seed), strict_rows=False)
    engine = make_engine(url)
    with engine.begin() as connection:
        firm = connection.execute(
            select(Firm.id).where(Firm.verified_at.is_not(None)).order_by(Firm.id).limit(1)
        ).scalar_one()
        batch = ScoredBatch(
            compiled,
            score_batch(compiled, encoded),
            encoded.practice,
            [firm],
            [dt.datetime.now(dt.UTC)],
            requirements=encoded.requirements,
        )
        insert_scored(connection, batch)
    engine.dispose()


def _wait_for(name: str) -> None:
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join()


def measure_staff(url: str, token: str, submit_first: bool = False) -> dict[str, float]:
    """Child process: the staff pages, as one server process sees them. ``submit_first``: a
    submission arrives before the process starts, after the cube was saved (the first view
    comes from the older saved cube; also timed: until the current figures are installed)."""
    os.environ["DATABASE_URL"] = url
    os.environ.pop("BRUJULA_CUESTIONARIO", None)
    if submit_first:
        _one_submission(url, 999)
    at = _app(token)
    first = _timed(at)
    current = float("nan")
    if submit_first:
        begin = time.perf_counter()
        behind = any("se están sumando" in c.value for c in at.caption)
        _wait_for("panel-rows")  # it reads the rows, sees the newer version and builds it
        _timed(at)
        if behind and not any("se están sumando" in c.value for c in at.caption):
            current = time.perf_counter() - begin
    changes = []
    # Fixed partitions only: one CIIU division, one sector group, a size, a period.
    for key, value in (
        ("sni_sector", "ciiu:10"),
        ("sni_sector", "grupo:textil"),
        ("sni_tamano", "micro"),
        ("sni_sector", ""),
        ("sni_tamano", "pequena"),
        ("sni_region", "Arequipa"),
    ):
        at.selectbox(key=key).set_value(value)
        changes.append(_timed(at))
    after_submission = []
    installed = []
    for k in range(3):
        _one_submission(url, 1000 + k)
        begin = time.perf_counter()
        after_submission.append(_timed(at))
        _wait_for("panel-update")  # from 50 000 rows the new figures are summed apart
        installed.append(time.perf_counter() - begin)
        _timed(at)
    at.switch_page("ui/pages/staff_firms.py")
    firms_first = _timed(at)
    firms_next = None
    following = [b for b in at.button if b.key == "sni_empresas_siguiente"]
    if following:
        following[0].click()
        firms_next = _timed(at)
    memory = _memory()
    return {
        "primera": first,
        "al_dia": current,
        "filtro": statistics.median(changes),
        "filtro_max": max(changes),
        "tras_envio": statistics.median(after_submission),
        "tras_envio_max": max(after_submission),
        "cifras_nuevas": statistics.median(installed),
        "empresas": firms_first,
        "empresas_siguiente": firms_next if firms_next is not None else float("nan"),
        "rss": memory.get("VmRSS", 0.0),
        "rss_pico": memory.get("VmHWM", 0.0),
    }


def measure_firms(url: str, tokens: list[str]) -> dict[str, float]:
    """Child process: the results page of several firms (peers shared by the process)."""
    os.environ["DATABASE_URL"] = url
    os.environ.pop("BRUJULA_CUESTIONARIO", None)
    first = _timed(_app(tokens[0]))
    after_one = _memory()["VmRSS"]
    others = [_timed(_app(token)) for token in tokens[1:]]
    memory = _memory()
    return {
        "primera_empresa": first,
        "otras_empresas": statistics.median(others) if others else float("nan"),
        "otras_max": max(others) if others else float("nan"),
        "empresas_vistas": float(len(tokens)),
        "rss_una": after_one,
        "rss_todas": memory.get("VmRSS", 0.0),
    }


def run_child(
    kind: str, url: str, tokens: list[str], submit_first: bool = False
) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--medir", kind, "--url", url, "--fichas", json.dumps(tokens)]
        + (["--envio-antes"] if submit_first else []),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _postgres_schema(base: str, schema: str | None = None) -> tuple[str, str]:
    """A new schema (or the kept ``schema``) and the URL that uses it."""
    if schema is None:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        admin = make_engine(base)
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        admin.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def _drop_schema(base: str, schema: str) -> None:
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def _s(seconds: float) -> str:
    return "—" if seconds != seconds else format_number_es(seconds, 2) + " s"  # NaN: not measured


def _mb(value: float) -> str:
    return format_number_es(value, 0) + " MB"


def _bench(name: str, url: str, args, load: bool = True) -> tuple[str, dict]:
    print(f"{name}:", flush=True)
    if load:
        fill(url, args.evaluaciones, args.detalle)
    if args.solo_cargar:
        return name, {}
    tokens = sign_in(url)
    staff = run_child("personal", url, [tokens["personal"]], args.envio_antes)
    firms = run_child("empresas", url, tokens["empresas"][: args.empresas])
    return name, staff | firms | {"evaluaciones": _stored_rows(url)}


def _stored_rows(url: str) -> int:
    """Panel rows in the database measured (with ``--reusar`` the load's count is unknown)."""
    from sqlalchemy import func

    from storage.models import PanelRow

    engine = make_engine(url)
    with session_scope(engine) as session:
        found = int(session.scalar(select(func.count()).select_from(PanelRow)))
    engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description="Panel SNI y pares con muchas evaluaciones.")
    parser.add_argument("--evaluaciones", type=int, default=100_000)
    parser.add_argument("--detalle", type=int, default=10_000)
    parser.add_argument("--empresas", type=int, default=20)
    parser.add_argument("--postgres", help="URL de PostgreSQL (por defecto TEST_DATABASE_URL).")
    parser.add_argument("--sin-sqlite", action="store_true")
    parser.add_argument("--sin-postgres", action="store_true")
    parser.add_argument("--conservar", help="Carpeta donde dejar las bases cargadas.")
    parser.add_argument("--reusar", help="Carpeta de una corrida con --conservar: no carga.")
    parser.add_argument("--solo-cargar", action="store_true", help="Carga sin medir.")
    parser.add_argument(
        "--envio-antes",
        action="store_true",
        help="un envío llega antes de abrir el panel, después de guardado el cubo",
    )
    parser.add_argument("--medir", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--fichas", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.medir:
        tokens = json.loads(args.fichas)
        if args.medir == "personal":
            print(json.dumps(measure_staff(args.url, tokens[0], args.envio_antes)))
        else:
            print(json.dumps(measure_firms(args.url, tokens)))
        return 0
    kept = Path(args.reusar or args.conservar or tempfile.mkdtemp(prefix="bench_panel_"))
    kept.mkdir(parents=True, exist_ok=True)
    load = args.reusar is None
    results: list[tuple[str, dict]] = []
    if not args.sin_sqlite:
        results.append(_bench("SQLite", f"sqlite:///{kept / 'bench.sqlite3'}", args, load))
    base = args.postgres or os.environ.get("TEST_DATABASE_URL")
    if base and not args.sin_postgres:
        base = normalize_url(base)
        saved = kept / "esquema.txt"
        schema = saved.read_text().strip() if not load else None
        schema, url = _postgres_schema(base, schema)
        if args.conservar:
            saved.write_text(schema)
        try:
            results.append(_bench("PostgreSQL", url, args, load))
        finally:
            if not (args.conservar or args.reusar):
                _drop_schema(base, schema)
    if not (args.conservar or args.reusar):
        for path in kept.glob("bench.sqlite3*"):
            path.unlink()
        kept.rmdir()
    if args.solo_cargar:
        return 0
    count = format_number_es(
        max((r.get("evaluaciones", 0) for _, r in results), default=args.evaluaciones), 0
    )
    print(f"\nPanel SNI con {count} evaluaciones Completo enviadas\n")
    print(
        "| base | primera vista (proceso nuevo) | cambio de filtro (mediana / máx.) | "
        "tras un envío nuevo (mediana / máx.) | cifras nuevas instaladas (mediana) | "
        "«Empresas que comparten» (1.ª / siguiente) | memoria (pico) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in results:
        if args.envio_antes and r["al_dia"] != r["al_dia"]:  # NaN: no older cube was shown
            print(
                f"{name}: la primera vista no vino de un cubo guardado antes del envío "
                "(¿se corrió `python -m storage compactar-panel` sobre esta base?)."
            )
        elif args.envio_antes:
            print(
                f"{name}: con un envío posterior al cubo guardado, primera vista "
                f"{_s(r['primera'])}; cifras al día {_s(r['al_dia'])} después"
            )
        print(
            f"| {name} | {_s(r['primera'])} | {_s(r['filtro'])} / {_s(r['filtro_max'])} | "
            f"{_s(r['tras_envio'])} / {_s(r['tras_envio_max'])} | {_s(r['cifras_nuevas'])} | "
            f"{_s(r['empresas'])} / "
            f"{_s(r['empresas_siguiente'])} | {_mb(r['rss'])} ({_mb(r['rss_pico'])}) |"
        )
    print(f"\nResultados de una empresa (pares) con {count} evaluaciones\n")
    print("| base | primera empresa del proceso | otras empresas (mediana / máx.) | memoria |")
    print("|---|---|---|---|")
    for name, r in results:
        print(
            f"| {name} | {_s(r['primera_empresa'])} | {_s(r['otras_empresas'])} / "
            f"{_s(r['otras_max'])} | {_mb(r['rss_una'])} tras 1 empresa, {_mb(r['rss_todas'])} "
            f"tras {int(r['empresas_vistas'])} |"
        )
    ok = all(
        r["primera"] < TARGETS["primera"]
        and r["filtro"] < TARGETS["filtro"]
        and r["tras_envio"] < TARGETS["tras_envio"]
        and r["rss_pico"] < TARGETS["rss_pico"]
        and r["primera_empresa"] < TARGETS["resultados"]
        for _, r in results
    )
    print("\nMetas cumplidas." if ok else "\nAlguna meta no se cumple.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
