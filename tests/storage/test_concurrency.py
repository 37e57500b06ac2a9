"""Many firms at once (issue 11): sequences after a bulk load, which unique violation is a
duplicate RUC, retried SQLite writes, argon2 with bounded concurrency and without a held
connection, and a storm of 50 simultaneous registrations."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from storage import accounts, audit
from storage.accounts import (
    DuplicateRuc,
    LoginError,
    check_login,
    hash_password,
    register_firm,
)
from storage.bulk import insert_firms
from storage.db import DatabaseBusy, session_scope, write_transaction
from storage.models import Account, AuditLog, Firm
from tests.storage.storage_testdata import PASSWORD, registration, valid_ruc


def _bulk_firms(count: int) -> list[dict[str, object]]:
    return [
        {
            "ruc": valid_ruc(f"20{i:08d}"),
            "razon_social": f"Empresa masiva {i}",
            "ciiu_division": 10 + i % 3,
            "region": "Piura",
            "annual_sales": 1000,
            "sales_year": 2025,
            "size_class": "micro",
            "workers": 3,
            "email": f"e{i}@ejemplo.pe",
            "consent_share_sni": True,
            "consent_statistics": True,
            "is_demo": True,
            "created_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        }
        for i in range(1, count + 1)
    ]


def test_registration_right_after_a_bulk_load(engine: Engine) -> None:
    """The bulk loader inserts explicit ids: PostgreSQL's sequence must follow them, or the
    next registration collides with a loaded firm (and used to be called a duplicate RUC)."""
    with engine.begin() as connection:
        ids = insert_firms(connection, _bulk_firms(5))
    with session_scope(engine) as session:
        firm = register_firm(session, registration(ruc=valid_ruc("2055500011")))
        assert firm.id > max(ids)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Firm)) == 6


def test_registration_right_after_demo(engine: Engine) -> None:
    from scoring import compile_questionnaire
    from scoring.catalog import default_questionnaire
    from storage.demo import create_demo

    loaded = default_questionnaire()
    compiled = {d: compile_questionnaire(loaded, d) for d in ("expres", "completo")}
    with session_scope(engine) as session:
        create_demo(session, compiled, firms=3, seed=7)
    with session_scope(engine) as session:
        register_firm(session, registration(ruc=valid_ruc("2055500011")))


def test_another_unique_violation_is_not_a_duplicate_ruc(engine: Engine) -> None:
    """A primary key that collides (a sequence left behind) is an error, not «RUC taken»."""
    with session_scope(engine) as session:
        first = register_firm(session, registration())
        first_id = first.id

    def reuse_id(session: Session, _context, _instances) -> None:
        for item in session.new:
            if isinstance(item, Firm):
                item.id = first_id

    with Session(engine) as session:
        event.listen(session, "before_flush", reuse_id)
        with pytest.raises(IntegrityError) as info:
            register_firm(session, registration(ruc=valid_ruc("2055500011")))
        assert not isinstance(info.value, DuplicateRuc)
    # The real duplicate is still recognised as one.
    with Session(engine) as session, pytest.raises(DuplicateRuc):
        register_firm(session, registration())


def test_concurrent_duplicate_is_recognised_from_the_constraint(engine: Engine) -> None:
    """The RUC taken between the check and the insert: the unique constraint says so."""
    with session_scope(engine) as session:
        register_firm(session, registration())
    with Session(engine) as session:
        original = session.execute

        def hide_existing(statement, *args, **kwargs):  # the check sees no firm yet
            result = original(statement, *args, **kwargs)
            if "UNION" in str(statement):
                return original(select(Firm.id).where(Firm.id < 0))
            return result

        session.execute = hide_existing  # type: ignore[method-assign]
        with pytest.raises(DuplicateRuc):
            register_firm(session, registration())


# --- retried SQLite writes -------------------------------------------------------------------


def _locked() -> OperationalError:
    import sqlite3

    return OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))


def test_locked_writes_are_retried_then_reported_in_spanish(tmp_path) -> None:
    from storage.db import WRITE_ATTEMPTS, make_engine, migrate

    url = f"sqlite:///{tmp_path / 'reintento.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    calls: list[int] = []
    pauses: list[float] = []

    def flaky(session: Session) -> int:
        calls.append(1)
        audit.record(session, None, "prueba", f"intento {len(calls)}")
        if len(calls) < WRITE_ATTEMPTS:
            session.flush()
            raise _locked()
        return len(calls)

    assert write_transaction(engine, flaky, pause=pauses.append) == WRITE_ATTEMPTS
    assert len(pauses) == WRITE_ATTEMPTS - 1
    with session_scope(engine) as session:  # the failed attempts were rolled back
        targets = session.scalars(select(AuditLog.target)).all()
    assert targets == [f"intento {WRITE_ATTEMPTS}"]

    def always_locked(session: Session) -> None:
        raise _locked()

    with pytest.raises(DatabaseBusy) as info:
        write_transaction(engine, always_locked, pause=pauses.append)
    assert "ocupada" in str(info.value) and "sigue en pantalla" in str(info.value)

    other: list[int] = []

    def broken(session: Session) -> None:  # not a lock: raised at once, never retried
        other.append(1)
        raise OperationalError("SELECT", {}, Exception("no such table: x"))

    with pytest.raises(OperationalError):
        write_transaction(engine, broken, pause=pauses.append)
    assert other == [1]
    engine.dispose()


# --- argon2: bounded, and never while a connection is held -------------------------------------


def test_argon2_runs_with_bounded_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    inside = 0
    most = 0
    changed = threading.Condition()
    release = threading.Event()

    class SlowHasher:
        def hash(self, password: str) -> str:
            nonlocal inside, most
            with changed:
                inside += 1
                most = max(most, inside)
                changed.notify_all()
            release.wait(30)
            with changed:
                inside -= 1
            return "$argon2id$falso"

    monkeypatch.setattr(accounts, "_hasher", SlowHasher())
    workers = 3 * accounts.HASH_SLOTS
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(hash_password, f"clave-{i}") for i in range(workers)]
        with changed:
            assert changed.wait_for(lambda: inside >= accounts.HASH_SLOTS, timeout=30)
            # Give the other threads every chance to get in; none may while all slots are used.
            changed.wait_for(lambda: inside > accounts.HASH_SLOTS, timeout=0.3)
        release.set()
        assert all(f.result() == "$argon2id$falso" for f in futures)
    assert most == accounts.HASH_SLOTS


def test_no_connection_is_held_while_hashing_or_verifying(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[int] = []
    real_hash, real_verify = accounts.hash_password, accounts._verify

    def spy_hash(password: str) -> str:
        held.append(engine.pool.checkedout())
        return real_hash(password)

    def spy_verify(password_hash: str, password: str) -> None:
        held.append(engine.pool.checkedout())
        real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "hash_password", spy_hash)
    monkeypatch.setattr(accounts, "_verify", spy_verify)
    with session_scope(engine) as session:
        register_firm(session, registration())
    from storage import throttle

    def sessions():
        return session_scope(engine)

    limiter = throttle.Throttle()
    ruc = registration().ruc
    account_id = check_login(sessions, ruc, PASSWORD, "198.51.100.1", limiter)
    with pytest.raises(LoginError):
        check_login(sessions, ruc, "otra-clave-123", "198.51.100.1", limiter)
    with pytest.raises(LoginError):
        check_login(sessions, "20999999991", PASSWORD, "198.51.100.1", limiter)
    with session_scope(engine) as session:
        assert session.get(Account, account_id).login == ruc
    assert len(held) == 4 and held == [0, 0, 0, 0]


# --- a registration storm ------------------------------------------------------------------


STORM = 50


def test_a_storm_of_50_registrations_completes(engine: Engine) -> None:
    """As the registration page does it: hash first, then one retried write transaction."""

    def register(i: int) -> int:
        data = registration(ruc=valid_ruc(f"20{600000 + i:08d}"), razon_social=f"Empresa {i}")
        hashed = hash_password(data.password)

        def work(session: Session) -> int:
            firm = register_firm(session, data, password_hash=hashed)
            audit.record(session, None, "registro", data.ruc)
            return firm.id

        return write_transaction(engine, work)

    start = threading.Barrier(STORM)

    def at_once(i: int) -> int:
        start.wait()
        return register(i)

    with ThreadPoolExecutor(STORM) as pool:
        ids = list(pool.map(at_once, range(STORM)))
    assert len(set(ids)) == STORM
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Firm)) == STORM
        assert session.scalar(select(func.count()).select_from(Account)) == STORM
