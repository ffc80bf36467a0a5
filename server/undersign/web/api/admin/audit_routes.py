"""The audit log: every change and export, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel

from undersign.core import audit
from undersign.core.db import get_session
from undersign.web.access import needs
from undersign.web.api.contract import described
from undersign.web.api.fields import Number, Paging

bp = Blueprint("admin_audit", __name__)

PER_PAGE, MAX_PER_PAGE = 100, 200


class AuditQuery(Paging):
    per_page: Annotated[int, Number(1, MAX_PER_PAGE)] = PER_PAGE


class AuditPage(BaseModel):
    entries: list[dict[str, Any]]
    page: int
    per_page: int


@bp.get("/audit")
@needs("audit.read")
@described(
    "The audit log, newest first",
    (200, "Entries", AuditPage),
    {422: "Bad paging."},
    query=AuditQuery,
)
def audit_log(query: AuditQuery) -> Response:
    found = audit.page(get_session(), query.page, query.per_page)
    return jsonify(query.answer("entries", [audit.describe(e) for e in found]))
