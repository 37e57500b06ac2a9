"""Follow-up of a firm's action plan (table ``plan_seguimiento``): read and save, with audit.

Every query filters by the firm; an action is keyed by the question (or legal requirement) it
is about, so its owner, target date and state carry over to the next assessment's plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.plan_follow import check_status, clean_owner
from storage import audit
from storage.assessments import get_assessment
from storage.models import PlanItem, utcnow

AUDIT_ACTION = "plan_seguimiento"


@dataclass(frozen=True)
class FollowUp:
    """One action's follow-up as plain data (safe to use after the session closes)."""

    question_id: str
    assessment_id: int | None
    action_text: str
    owner: str | None
    target_date: dt.date | None
    status: str
    done_at: dt.datetime | None
    updated_at: dt.datetime


def _plain(item: PlanItem) -> FollowUp:
    return FollowUp(
        question_id=item.question_id,
        assessment_id=item.assessment_id,
        action_text=item.action_text,
        owner=item.owner,
        target_date=item.target_date,
        status=item.status,
        done_at=item.done_at,
        updated_at=item.updated_at,
    )


def follow_ups(session: Session, firm_id: int) -> dict[str, FollowUp]:
    """The firm's followed actions by question id (only this firm's)."""
    query = select(PlanItem).where(PlanItem.firm_id == firm_id).order_by(PlanItem.id)
    return {item.question_id: _plain(item) for item in session.scalars(query)}


def save_follow_up(
    session: Session,
    firm_id: int,
    account_id: int | None,
    assessment_id: int,
    question_id: str,
    action_text: str,
    owner: str | None,
    target_date: dt.date | None,
    status: str,
) -> FollowUp:
    """Create or update the follow-up of one action of ``assessment_id``'s plan.

    The assessment must be the firm's own (LookupError otherwise). The first assessment that
    proposed the action stays recorded, so a later result can tell what changed since. Marking
    it «hecho» stamps ``done_at``; leaving «hecho» clears it. Each change is audited.
    """
    status = check_status(status)
    owner = clean_owner(owner)
    if get_assessment(session, assessment_id, firm_id) is None:
        raise LookupError("assessment not found for this firm")
    item = session.scalar(
        select(PlanItem)
        .where(PlanItem.firm_id == firm_id, PlanItem.question_id == question_id)
        .with_for_update()
    )
    now = utcnow()
    before = None
    if item is None:
        item = PlanItem(
            firm_id=firm_id,
            question_id=question_id,
            assessment_id=assessment_id,
            action_text=action_text,
            status="pendiente",
        )
        session.add(item)
    else:
        before = {
            "responsable": item.owner,
            "fecha_meta": item.target_date.isoformat() if item.target_date else None,
            "estado": item.status,
        }
    if status == "hecho" and item.status != "hecho":
        item.done_at = now
    elif status != "hecho":
        item.done_at = None
    item.owner = owner
    item.target_date = target_date
    item.status = status
    item.updated_at = now
    item.updated_by = account_id
    session.flush()
    after = {
        "responsable": owner,
        "fecha_meta": target_date.isoformat() if target_date else None,
        "estado": status,
    }
    audit.record(
        session,
        account_id,
        AUDIT_ACTION,
        f"empresa {firm_id} · {question_id}",
        {"evaluacion": assessment_id, "antes": before, "despues": after},
    )
    return _plain(item)
