"""The Zendesk reads follow-ups need: new comments of a ticket, and the incremental ticket export.

Both read one page per request and say where to go on, so the caller decides how much to read: a
ticket with 10,000 comments costs one request when only its newest comments are new, and a quiet
reconciliation tick costs one request. zenpy's own generators would fetch further pages behind our
back, so each page is one ``ZendeskClient.get_json`` (the same call wrapper as every other Zendesk
call: failures become RateLimited, Transient...; a 429 never sleeps, see plugin/zendesk.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .core.followup import Comment
from .core.tickets import parse_when
from .zendesk import TicketState, ZendeskClient

COMMENTS_PAGE = 100
EXPORT_PAGE = 1000


@dataclass(frozen=True)
class CommentsRead:
    comments: list[Comment]
    """Oldest first; only comments after the known one (or after our own latest note)."""
    requests: int
    complete: bool
    """False when the page limit stopped the read before the known comment was reached."""


@dataclass(frozen=True)
class ExportPage:
    tickets: list[TicketState]
    after_cursor: str | None
    end_of_stream: bool


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _comment(data: dict[str, Any]) -> Comment | None:
    cid = _int(data.get("id"))
    if cid is None:
        return None
    body = data.get("plain_body") or data.get("body") or ""
    return Comment(cid, str(body), _int(data.get("author_id")), bool(data.get("public", True)), parse_when(data.get("created_at")))


class FollowupReader:
    def __init__(self, client: ZendeskClient) -> None:
        self.client = client

    def comments_since(self, ticket_id: int, last_seen: int | None, me: int | None = None,
                       max_pages: int = 3) -> CommentsRead:
        """The comments after ``last_seen``, newest pages first, stopping as soon as a known one appears.

        Without a known comment, our own latest note (the triage) marks where the new ones begin;
        failing that, at most ``max_pages`` pages are read.
        """
        found: list[Comment] = []
        params: dict[str, Any] = {"page[size]": COMMENTS_PAGE, "sort": "-created_at"}
        for page in range(1, max_pages + 1):
            data = self.client.get_json(f"comments of ticket {ticket_id}", f"tickets/{ticket_id}/comments.json", params)
            for raw in data.get("comments") or ():
                comment = _comment(raw)
                if comment is None:
                    continue
                if last_seen is not None and comment.id <= last_seen:
                    return CommentsRead(sorted(found, key=lambda c: c.id), page, True)
                if last_seen is None and me is not None and comment.author_id == me:
                    return CommentsRead(sorted([*found, comment], key=lambda c: c.id), page, True)
                found.append(comment)
            meta = data.get("meta") or {}
            if not meta.get("has_more") or not meta.get("after_cursor"):
                return CommentsRead(sorted(found, key=lambda c: c.id), page, True)
            params = {**params, "page[after]": meta["after_cursor"]}
        return CommentsRead(sorted(found, key=lambda c: c.id), max_pages, False)

    def export_page(self, *, start_time: int | None = None, cursor: str | None = None,
                    per_page: int = EXPORT_PAGE) -> ExportPage:
        """One page of the cursor-based incremental ticket export (start with a time, go on with the cursor)."""
        if (start_time is None) == (cursor is None):
            raise ValueError("give either start_time or cursor")
        params: dict[str, Any] = {"per_page": per_page}
        params.update({"cursor": cursor} if cursor is not None else {"start_time": start_time})
        data = self.client.get_json("incremental ticket export", "incremental/tickets/cursor.json", params)
        tickets = []
        for raw in data.get("tickets") or ():
            tid = _int(raw.get("id"))
            if tid is None:
                continue
            tags = raw.get("tags")
            tickets.append(TicketState(
                tid, str(raw.get("subject") or raw.get("raw_subject") or ""), str(raw.get("description") or ""),
                tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (), raw.get("updated_at"),
                requester_id=_int(raw.get("requester_id")), created_at=raw.get("created_at"),
                status=str(raw.get("status") or "")))
        return ExportPage(tickets, data.get("after_cursor") or cursor, bool(data.get("end_of_stream", True)))
