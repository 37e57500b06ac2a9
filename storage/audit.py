"""Audit trail of sensitive actions (logins, exports, submissions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditLog, utcnow

# A firm changed its consents (the data version moves by itself: ``storage.version_counters``).
CONSENT = "consentimiento"


def record(
    session: Session,
    account_id: int | None,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit entry in the caller's transaction."""
    entry = AuditLog(
        account_id=account_id,
        action=action,
        target=target[:200],
        detail=detail,
        created_at=utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


def recent(session: Session, limit: int = 100) -> list[AuditLog]:
    """The latest entries, newest first."""
    query = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit)
    return list(session.scalars(query))
