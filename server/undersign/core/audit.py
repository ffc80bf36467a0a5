"""The audit log: every change and every export, with who, when, what and how many rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from undersign.core.models import AuditEntry

if TYPE_CHECKING:  # auth records its own changes here
    from undersign.core.auth import Rights


def record(
    session: Session,
    rights: Rights,
    action: str,
    target: str | None = None,
    rows: int | None = None,
    **detail: Any,
) -> None:
    """Add an entry to the caller's transaction, so it exists exactly if the change does."""
    session.add(
        AuditEntry(actor=rights.name, action=action, target=target, rows=rows, detail=detail)
    )


def page(session: Session, number: int, size: int) -> list[AuditEntry]:
    """Return one page of the log, newest first; pages count from 1."""
    return list(session.scalars(AuditEntry.newest().offset((number - 1) * size).limit(size)))


def describe(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "rows": entry.rows,
        "detail": entry.detail,
    }
