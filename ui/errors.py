"""The one error boundary: an unexpected exception is logged with a request id, and the page
shows a Spanish message with that id instead of a traceback (which would reveal file paths,
SQL and the database host)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from storage.db import DatabaseBusy, is_locked

log = logging.getLogger("brujula.errores")

DB_DOWN_TITLE = "El servicio no está disponible en este momento"
DB_DOWN_TEXT = (
    "No podemos conectarnos con la base de datos. Sus respuestas guardadas no se pierden: "
    "intente de nuevo en unos minutos. Si el problema continúa, escriba a la SNI indicando el "
    "código {id}."
)
BUSY_TITLE = "Hay muchas empresas usando Brújula Circular en este momento"
BUSY_TEXT = (
    "La base de datos estuvo ocupada y no pudimos completar esta acción. Lo que ya estaba "
    "guardado no se pierde: espere unos segundos y vuelva a intentarlo. Si se repite, escriba "
    "a la SNI indicando el código {id}."
)
GENERIC_TITLE = "Algo salió mal al mostrar esta página"
GENERIC_TEXT = (
    "El error quedó registrado con el código {id}. Vuelva a intentarlo; si se repite, escriba "
    "a la SNI indicando ese código."
)


def new_request_id() -> str:
    """A short id the user can read out over the phone (8 hexadecimal characters)."""
    return secrets.token_hex(4).upper()


def database_busy(exc: BaseException) -> bool:
    """SQLite stayed locked by other writers (after the retries of ``db.write``)."""
    if isinstance(exc, DatabaseBusy) or is_locked(exc):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and database_busy(cause)


def database_unreachable(exc: BaseException) -> bool:
    """The database cannot be reached (refused, closed, timed out), as opposed to a bad query."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and database_unreachable(cause)


def show_error(exc: BaseException) -> str:
    """Log ``exc`` with a new request id and show the Spanish message; returns the id."""
    request_id = new_request_id()
    page = ""
    try:
        page = st.context.url or ""
    except Exception:  # no script context (tests of the function alone)
        page = ""
    log.error("solicitud %s falló en %s", request_id, page or "?", exc_info=exc)
    if database_busy(exc):
        st.header(BUSY_TITLE, anchor=False)
        st.warning(BUSY_TEXT.format(id=request_id), icon=":material/hourglass_top:")
    elif database_unreachable(exc):
        st.header(DB_DOWN_TITLE, anchor=False)
        st.error(DB_DOWN_TEXT.format(id=request_id), icon=":material/cloud_off:")
    else:
        st.error(
            f"**{GENERIC_TITLE}.** {GENERIC_TEXT.format(id=request_id)}",
            icon=":material/error:",
        )
    return request_id


@contextmanager
def boundary() -> Iterator[None]:
    """Run a block; any exception it raises becomes a logged, Spanish message and stops the run.

    ``st.stop``, ``st.rerun`` and ``st.switch_page`` raise BaseExceptions, so they pass through.
    """
    try:
        yield
    except Exception as exc:
        show_error(exc)
        st.stop()
