"""Two replicas behind nginx on one PostgreSQL, started from the files in ``despliegue/``.

A fresh PostgreSQL database is migrated once (the ``ExecStart`` of ``brujula-migrar.service``),
a staff account is created with ``python -m storage crear-personal``, two Streamlit servers run
the ``ExecStart`` of ``brujula@.service`` with the environment of ``brujula.env.ejemplo``, and
nginx runs ``nginx-brujula.conf`` itself, with only its ports and log folder replaced. Through
the balancer: a firm registers, fills a section and a half, loses the replica that served it
(its websocket reconnects to the other one), keeps its session and answers, and goes on to
submit and see results; the staff panel and the firm's shared record; and the backup script
dumps the database and restores it into a scratch database.

Needs Chromium, nginx, PostgreSQL (``TEST_DATABASE_URL``) and pg_dump: skipped without them,
failed with ``CI=true``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import make_url

from scoring.peru import ruc_check_digit
from storage.db import make_engine, normalize_url
from tests.e2e.conftest import ARTIFACTS, ROOT, _free_port, _healthy, _require_chromium
from tests.e2e.test_firm_journey import (
    MAIN,
    QUESTION_RADIOS,
    choose,
    click_and_wait,
    expect_title,
    fill_floor,
    fill_practices,
    fill_profile,
    fill_registration,
    move,
    progress_text,
    question,
    section_marker,
    wait_idle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

DEPLOY = ROOT / "despliegue"
INSTALL = "/opt/brujula"  # where the shipped units expect the project
PASSWORD = "clave-segura-123"
STAFF = "operaciones@sni.org.pe"
FIRM = "Conservas Réplica S.A.C."
RUC = "2077788899" + str(ruc_check_digit("2077788899"))
START_SECONDS = 90


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true pero falta {what}: no se puede probar el despliegue con réplicas.")
    pytest.skip(f"Falta {what}: se omite la prueba de réplicas.")


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        _missing("nginx (apt-get install nginx)")
    return found


def _postgres_base() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        _missing("TEST_DATABASE_URL (PostgreSQL)")
    return normalize_url(url)


# --- the shipped files ----------------------------------------------------------------------


def unit_settings(name: str) -> dict[str, str]:
    """``Key=Value`` lines of a shipped systemd unit (the first of each key)."""
    settings: dict[str, str] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", ";")):
            settings.setdefault(key.strip(), value.strip())
    return settings


def unit_command(name: str, port: int | None = None) -> list[str]:
    """The unit's ExecStart for this checkout: ``/opt/brujula/.venv/bin`` is our venv's."""
    settings = unit_settings(name)
    assert settings["WorkingDirectory"] == INSTALL
    assert settings["EnvironmentFile"] == "/etc/brujula/brujula.env"
    argv = shlex.split(settings["ExecStart"])
    prefix = f"{INSTALL}/.venv/bin/"
    assert argv[0].startswith(prefix), argv[0]
    argv[0] = str(Path(sys.executable).parent / argv[0][len(prefix) :])
    return [arg.replace("%i", str(port)) for arg in argv]


def shipped_environment() -> dict[str, str]:
    """The variables ``brujula.env.ejemplo`` sets (comments skipped)."""
    values = {}
    for line in (DEPLOY / "brujula.env.ejemplo").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def environment(database_url: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRUJULA_")}
    shipped = shipped_environment()
    assert shipped["DATABASE_URL"].startswith("postgresql+psycopg://")
    env.update(shipped)
    env["DATABASE_URL"] = database_url
    env["BRUJULA_DATOS"] = str(folder / "datos")
    return env


def nginx_site(replica_ports: list[int], listen_port: int, logs: Path) -> str:
    """``nginx-brujula.conf`` with this test's ports and log folder, nothing else changed."""
    text = (DEPLOY / "nginx-brujula.conf").read_text(encoding="utf-8")
    replacements = {
        "server 127.0.0.1:8501 ": f"server 127.0.0.1:{replica_ports[0]} ",
        "server 127.0.0.1:8502 ": f"server 127.0.0.1:{replica_ports[1]} ",
        "listen 80;": f"listen 127.0.0.1:{listen_port};",
        "/var/log/nginx/": f"{logs}/",
    }
    for old, new in replacements.items():
        count = text.count(old)
        assert count == (2 if old == "/var/log/nginx/" else 1), f"{old!r} aparece {count} veces"
        text = text.replace(old, new)
    return text


# --- the deployment -------------------------------------------------------------------------


class Deployment:
    """nginx plus one process per replica port, as systemd would run them."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.env = environment(database_url, folder)
        ports: set[int] = set()
        while len(ports) < 3:
            ports.add(_free_port())
        self.nginx_port, *self.ports = sorted(ports)
        self.url = f"http://127.0.0.1:{self.nginx_port}"
        self.replicas: dict[int, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None
        # nginx's workers run as "nobody" when the master is root (CI): a world-readable folder.
        self.nginx_dir = Path(tempfile.mkdtemp(prefix="brujula-nginx-"))
        self.nginx_dir.chmod(0o755)
        self.access_log = self.nginx_dir / "brujula.access.log"

    def start_replicas(self, *ports: int) -> None:
        for port in ports:
            log = (self.folder / f"replica-{port}.log").open("a")
            self.replicas[port] = subprocess.Popen(
                unit_command("brujula@.service", port),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
        for port in ports:
            self._wait(f"http://127.0.0.1:{port}", f"la réplica {port}", self.replicas[port])

    def stop_replica(self, port: int) -> None:
        process = self.replicas.pop(port)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def start_nginx(self) -> None:
        nginx = _nginx()
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.nginx_dir / name).mkdir(mode=0o777)
            (self.nginx_dir / name).chmod(0o777)
        site = self.nginx_dir / "brujula.conf"
        site.write_text(nginx_site(self.ports, self.nginx_port, self.nginx_dir), encoding="utf-8")
        d = self.nginx_dir
        main = self.nginx_dir / "nginx.conf"
        main.write_text(
            f"daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n"
            "events { worker_connections 512; }\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n"
            f"  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n"
            f"  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  include {site};\n}}\n",
            encoding="utf-8",
        )
        command = [nginx, "-p", str(d), "-c", str(main), "-e", str(d / "error.log")]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, f"nginx -t rechazó la configuración:\n{check.stderr}"
        log = (self.folder / "nginx.log").open("w")
        self.nginx = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait(self.url, "nginx", self.nginx)

    def _wait(self, url: str, what: str, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} no respondió en {START_SECONDS} s; vea {self.folder}.")
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.25)  # pause between polls on the process itself

    def replica_for(self, context) -> int:
        """The replica nginx sends this browser to: a probe with its cookies, read back from the
        access log (the shipped log format names the replica)."""
        probe = uuid.uuid4().hex
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
        request = urllib.request.Request(
            f"{self.url}/_stcore/health?sonda={probe}", headers={"Cookie": cookies}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.read().decode().strip() == "ok"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # nginx logs a request just after answering it
            for line in self.access_log.read_text(encoding="utf-8").splitlines():
                if probe in line:  # "replica=A, B" when A refused: B answered
                    return int(re.findall(r"127\.0\.0\.1:(\d+)", line.split("replica=")[1])[-1])
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.nginx.wait(timeout=0.05)  # pause on the balancer itself
        raise AssertionError(f"la sonda {probe} no está en {self.access_log}")

    def close(self) -> None:
        for port in list(self.replicas):
            self.stop_replica(port)
        if self.nginx is not None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for name in ("brujula.access.log", "brujula.error.log", "error.log", "brujula.conf"):
            if (self.nginx_dir / name).exists():
                shutil.copy(self.nginx_dir / name, self.folder / f"nginx-{name}")
        shutil.rmtree(self.nginx_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A new PostgreSQL database, migrated once as a deploy does, with one staff account."""
    base = _postgres_base()
    folder = tmp_path_factory.mktemp("replicas")
    name = f"brujula_replicas_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        env = environment(url, folder)
        for command, extra in (
            (unit_command("brujula-migrar.service"), {}),
            (
                [sys.executable, "-m", "storage", "crear-personal", "--correo", STAFF,
                 "--nombre", "Equipo de operaciones"],
                {"BRUJULA_CLAVE_PERSONAL": PASSWORD},
            ),
        ):  # fmt: skip
            done = subprocess.run(
                command, cwd=ROOT, env={**env, **extra}, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
        yield url, folder
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def deployment(database: tuple[str, Path]) -> Iterator[Deployment]:
    _require_chromium()
    _nginx()
    url, folder = database
    deployed = Deployment(folder, url)
    try:
        deployed.start_replicas(*deployed.ports)
        deployed.start_nginx()
        yield deployed
    finally:
        deployed.close()


def _context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-PE")
    context.set_default_timeout(30_000)
    return context


def _register(page, address: str) -> None:
    page.goto(f"{address}/registrarse")
    wait_idle(page)
    fill_registration(page, RUC, FIRM, "gerencia@replica.pe")
    page.get_by_role("button", name="Crear cuenta").click()
    page.wait_for_url("**/panel*")
    expect_title(page, "Mi panel")


# Counts changes of the connection state, so a reconnection cannot be missed however fast.
_WATCH_CONNECTION = """() => {
  window.__bcConnection = 0;
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver((changes) => { window.__bcConnection += changes.length; })
    .observe(app, {attributes: true, attributeFilter: ['data-test-connection-state']});
}"""
_RECONNECTED = """() => window.__bcConnection >= 2 && document.querySelector(
  '[data-testid=stApp]').getAttribute('data-test-connection-state') === 'CONNECTED'"""


@contextlib.contextmanager
def _screenshot_on_failure(page, name: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        page.screenshot(path=str(_artifacts() / f"{name}.png"), full_page=True)
        raise


def _still_there(page, progress: str) -> None:
    """Logged in, on the legal floor, with its two answers and the same progress."""
    expect_title(page, "Llenar evaluación")
    expect(section_marker(page)).to_contain_text("Sección 2 de")
    expect(page.locator(f"{MAIN} h3").first).to_have_text("Piso legal")
    expect(page.locator(f"{QUESTION_RADIOS} input:checked")).to_have_count(2)
    assert progress_text(page) == progress
    expect(question(page, "piso_iga").locator("label:has(input:checked)")).to_have_text("No")


def test_a_firm_keeps_its_session_and_answers_when_its_replica_goes_away(
    browser, deployment: Deployment
) -> None:
    context = _context(browser)
    page = context.new_page()
    with _screenshot_on_failure(page, "replicas-fallo-empresa"):
        _register(page, deployment.url)
        click_and_wait(page, page.get_by_role("button", name="Iniciar evaluación Exprés").first)
        expect_title(page, "Llenar evaluación")
        fill_profile(page)
        move(page, "Guardar y continuar", 1)
        expect(page.locator(f"{MAIN} h3").first).to_have_text("Piso legal")
        fill_floor(page, first_two_only=True)
        before = progress_text(page)

        # The replica serving this browser stops; nginx sends the reconnecting websocket to the
        # other one, which has never seen this browser: cookie and database must be enough.
        served_by = deployment.replica_for(context)
        page.evaluate(_WATCH_CONNECTION)
        deployment.stop_replica(served_by)
        page.wait_for_function(_RECONNECTED, timeout=60_000)
        wait_idle(page)
        assert deployment.replica_for(context) != served_by
        _still_there(page, before)
        page.screenshot(path=str(_artifacts() / "replicas-01-reconectada.png"), full_page=True)

        # A reload (advised after a change of replica, see README «Despliegue»: Streamlit may drop
        # the first click after a reconnection) keeps it all too; the section is finished there.
        page.reload()
        wait_idle(page)
        _still_there(page, before)
        fill_floor(page, first_two_only=False)
        move(page, "Guardar y continuar", 1)

        # The replica comes back (a restart after a deploy) while the firm finishes.
        deployment.start_replicas(served_by)
        while True:
            fill_practices(page)
            if page.get_by_role("button", name="Guardar e ir a revisión").count():
                page.get_by_role("button", name="Guardar e ir a revisión").click()
                break
            move(page, "Guardar y continuar", 1)
        expect_title(page, "Revisión y envío")
        click_and_wait(page, page.get_by_role("button", name="Enviar evaluación"))
        click_and_wait(page, page.get_by_role("dialog").get_by_role("button", name="Sí, enviar"))
        page.wait_for_url("**/resultados**")
        expect_title(page, "Resultados de su evaluación")
        expect(page.locator(f"{MAIN} .st-key-nivel")).to_contain_text("Limitado por el piso legal")
        page.screenshot(path=str(_artifacts() / "replicas-02-resultados.png"), full_page=True)
    context.close()


def test_staff_sees_the_panel_and_the_firm_through_the_balancer(
    browser, deployment: Deployment
) -> None:
    """Runs after the firm's test (file order): its submission is on the staff's record."""
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{deployment.url}/ingresar")
    wait_idle(page)
    page.get_by_role("textbox", name="RUC o correo").fill(STAFF)
    page.get_by_role("textbox", name="Contraseña").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Ingresar", exact=True).click()
    wait_idle(page)
    expect_title(page, "Panel SNI")
    page.goto(f"{deployment.url}/staff-firms")
    wait_idle(page)
    expect_title(page, "Empresas que comparten sus resultados")
    with _screenshot_on_failure(page, "replicas-fallo-personal"):
        choose(page, "Ver el detalle de", FIRM)
        wait_idle(page)
        # The page keeps a firm's dots from becoming links (word joiners around them).
        heading = page.locator(f"{MAIN} h3").filter(has_text=FIRM.split(" S.")[0])
        expect(heading).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Última evaluación enviada")).to_be_visible()
    page.screenshot(path=str(_artifacts() / "replicas-03-personal.png"), full_page=True)
    context.close()


def test_the_backup_script_dumps_and_restores(database: tuple[str, Path]) -> None:
    url, folder = database
    for tool in ("pg_dump", "pg_restore", "psql"):
        if not shutil.which(tool):
            _missing(f"{tool} (apt-get install postgresql-client)")
    env = {**environment(url, folder), "BRUJULA_RESPALDOS": str(folder / "respaldos")}
    script = str(DEPLOY / "respaldo.sh")
    dump = subprocess.run([script, "respaldar"], env=env, capture_output=True, text=True)
    assert dump.returncode == 0, dump.stderr
    assert "Respaldo listo" in dump.stdout
    check = subprocess.run([script, "probar"], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "Restauración correcta" in check.stdout
    rows = dict(
        (line.split()[0], line.split()[1:])
        for line in check.stdout.splitlines()
        if re.fullmatch(r"\w+ \d+ \d+", line)
    )
    assert {"cuentas", "empresas", "alembic_version"} <= rows.keys()
    assert all(restored == live for restored, live in rows.values()), rows
    assert int(rows["cuentas"][0]) >= 1  # at least the staff account


def _artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
