"""The Zendesk adapter: the few calls triage needs, through zenpy, with failures sorted by what to do next.

zenpy sleeps in the calling thread on a 429 with Retry-After; a worker must never do that, so the
client gets ``ratelimit_budget=1`` (it raises at once instead) and a response hook on its own
requests session remembers the Retry-After value so the task can be rescheduled for that long.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment
from zenpy.lib.api_objects import Ticket as ZTicket
from zenpy.lib.exception import (
    APIException,
    RatelimitBudgetExceeded,
    RecordNotFoundException,
    ZenpyException,
)

from .config import Settings
from .metrics import count_zendesk_response

# zenpy logs request payloads (ticket comments) at DEBUG: never let that reach the logs.
logging.getLogger("zenpy").setLevel(logging.INFO)


class ZendeskError(Exception):
    """Base of the failures below; messages never contain ticket text or secrets."""


class Conflict(ZendeskError):
    """The ticket changed since we read it (safe_update): read it again and retry."""


class RateLimited(ZendeskError):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Transient(ZendeskError):
    """5xx, time-outs, refused or dropped connections: worth retrying later."""


class Permanent(ZendeskError):
    """Not found, forbidden, invalid: retrying will not help."""


@dataclass(frozen=True)
class TicketState:
    """A ticket as one read gives it (a ticket read, or a row of the incremental export)."""

    id: int
    subject: str
    description: str
    tags: tuple[str, ...]
    updated_at: str | None
    requester_id: int | None = None
    submitter_id: int | None = None
    created_at: str | None = None
    status: str = ""


class _RetryAfterHook:
    """Remembers the Retry-After of the last 429 seen by this thread."""

    def __init__(self) -> None:
        self.local = threading.local()

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        if response.status_code == 429:
            self.local.value = _seconds(response.headers.get("Retry-After"))
        return response

    def pop(self) -> float | None:
        value = getattr(self.local, "value", None)
        self.local.value = None
        return value


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class ZendeskClient:
    def __init__(self, settings: Settings) -> None:
        if settings.zendesk_api_url:
            # zenpy's documented override for the base URL (a sandbox proxy, or the tests' fake).
            parts = urlsplit(settings.zendesk_api_url)
            os.environ["ZENPY_FORCE_NETLOC"] = parts.netloc
            os.environ["ZENPY_FORCE_SCHEME"] = parts.scheme
        self._hook = _RetryAfterHook()
        session = requests.Session()
        session.hooks["response"].extend([self._hook, count_zendesk_response])
        self._zenpy = Zenpy(
            subdomain=settings.zendesk_subdomain, email=settings.zendesk_email, token=settings.zendesk_api_token,
            session=session, timeout=settings.zendesk_timeout, ratelimit_budget=1, disable_cache=True,
        )

    @property
    def zenpy(self) -> Zenpy:
        return self._zenpy

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a zenpy call, turning its failures into Conflict, RateLimited, Transient or Permanent."""
        self._hook.pop()
        try:
            return fn(*args, **kwargs)
        except RatelimitBudgetExceeded:
            raise RateLimited(f"{what}: rate limited by Zendesk", self._hook.pop()) from None
        except RecordNotFoundException:
            raise Permanent(f"{what}: not found (404)") from None
        except APIException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 409:
                raise Conflict(f"{what}: ticket changed since it was read (409)") from None
            if status == 429:
                retry_after = _seconds(exc.response.headers.get("Retry-After")) if exc.response is not None else None
                raise RateLimited(f"{what}: rate limited by Zendesk (429)", retry_after) from None
            if status is not None and status >= 500:
                raise Transient(f"{what}: Zendesk answered {status}") from None
            raise Permanent(f"{what}: Zendesk answered {status}") from None
        except requests.exceptions.Timeout:
            raise Transient(f"{what}: timed out") from None
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status is not None and status < 500 and status != 429:
                raise Permanent(f"{what}: Zendesk answered {status}") from None
            raise Transient(f"{what}: Zendesk answered {status}") from None
        except requests.exceptions.RequestException as exc:
            raise Transient(f"{what}: {type(exc).__name__}") from None
        except ZenpyException as exc:
            raise Permanent(f"{what}: {type(exc).__name__}") from None

    def get_json(self, what: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """One GET of ``/api/v2/{path}`` and nothing more (zenpy's generators would fetch further pages).

        The URL is built as zenpy builds it (its ZENPY_FORCE_* overrides included) and sent through
        zenpy's request path, so failures are sorted by ``call`` like every other call.
        """
        api = self._zenpy.tickets
        scheme = os.environ.get("ZENPY_FORCE_SCHEME", "https")
        url = f"{scheme}://{api.base_url}/api/v2/{path}?{urlencode(params)}"
        return self.call(what, api._get, url, raw_response=True).json()

    def ticket(self, ticket_id: int) -> TicketState:
        t = self.call(f"show ticket {ticket_id}", self._zenpy.tickets, id=ticket_id)
        return TicketState(
            id=int(t.id), subject=t.subject or "", description=t.description or "", tags=tuple(t.tags or ()),
            updated_at=t.updated_at, requester_id=t.requester_id, submitter_id=t.submitter_id, created_at=t.created_at,
            status=t.status or "",
        )

    def first_name(self, user_id: int) -> str | None:
        user = self.call(f"show user {user_id}", self._zenpy.users, id=user_id)
        name = (user.name or "").strip()
        return name.split()[0] if name else None

    def me_id(self) -> int:
        return int(self.call("show current user", self._zenpy.users.me).id)

    def macro_comment(self, ticket_id: int, macro_id: int) -> str:
        """The comment body a macro would add to this ticket; nothing is changed in Zendesk."""
        result = self.call(f"macro {macro_id} effect on ticket {ticket_id}",
                            self._zenpy.tickets.show_macro_effect, ticket_id, macro_id)
        comment = getattr(result, "comment", None) or getattr(getattr(result, "ticket", None), "comment", None)
        if isinstance(comment, dict):
            return str(comment.get("body") or "")
        return str(getattr(comment, "body", "") or "")

    def update(self, ticket_id: int, *, body: str, public: bool, tags: list[str], updated_stamp: str | None) -> None:
        """One write: the comment and the merged tag list, refused (409) if the ticket changed."""
        ticket = ZTicket(id=ticket_id, comment=Comment(body=body, public=public), tags=tags)
        if updated_stamp:
            ticket.safe_update = True
            ticket.updated_stamp = updated_stamp
        self.call(f"update ticket {ticket_id}", self._zenpy.tickets.update, ticket)
