"""A fake Zendesk: a real HTTP server on 127.0.0.1 that real zenpy talks to.

It keeps tickets, users, macros, webhooks and triggers in memory, enforces ``safe_update`` with a
409, records every request, and can be told to misbehave: 429 with or without Retry-After, 500,
slow answers and dropped connections.

Like Zendesk, it also FIRES what ``amazon-triage zendesk setup`` created: on every ticket creation or
change (by a test playing a merchant or an agent, or by the service's own API writes) it evaluates the
active triggers' conditions, renders their webhook bodies' placeholders and POSTs them, and sends the
ticket events (created, comment added, tags changed) to webhooks subscribed to them, each signed with
the webhook's signing secret. Deliveries go out in order from one background thread, only ever to
127.0.0.1 or localhost; ``settle()`` waits for them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

ME_ID = 900001
"""The API token's user: the service's own writes are made as this agent."""
AGENT_ID = 777
"""An agent working the tickets (tests make their tag changes and replies as this user)."""
ACCOUNT_ID = 4242
EPOCH = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
CREATED = "zen:event-type:ticket.created"
COMMENT_ADDED = "zen:event-type:ticket.comment_added"
TAGS_CHANGED = "zen:event-type:ticket.tags_changed"
EVENTS_DOC = "https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/"
"""The ticket event payloads the fake sends: ``detail`` (the ticket, ids as strings), ``event.meta.sequence``,
``event.comment`` {id, body, is_public, author {id, is_staff, name}} and ``event.tags_added``/``tags_removed``."""


@dataclass
class Fault:
    method: str
    path: str
    """A regex searched in the request path."""
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    drop: bool = False
    times: int = 1


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    status: int


@dataclass
class Sent:
    """One webhook call the fake made (or refused to make: ``status`` 0 with ``error``)."""

    hook_id: str
    kind: str
    """"trigger:<trigger id>" or the event type."""
    url: str
    body: bytes
    status: int = 0
    error: str = ""
    invocation_id: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Change:
    """What one ticket creation or update did, for triggers and events."""

    ticket: dict[str, Any]
    created: bool
    actor_id: int
    comment: dict[str, Any] | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass
class FakeZendesk:
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=lambda: {
        ME_ID: {"id": ME_ID, "name": "Triage Bot", "role": "admin", "locale": "en-US"},
        AGENT_ID: {"id": AGENT_ID, "name": "Alex Agent", "role": "agent", "locale": "en-US"}})
    macros: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    triggers: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock: itertools.count = field(default_factory=lambda: itertools.count(1))
    comment_ids: itertools.count = field(default_factory=lambda: itertools.count(10001))
    epoch: datetime = EPOCH
    """Ticket times are epoch + 1 s per change: deterministic, and ordered like Zendesk's."""
    deleted: dict[int, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    paused: bool = False
    problems: list[str] = field(default_factory=list)
    """What the fake could not do as Zendesk would (an unsupported trigger condition): tests assert it is empty."""
    """Zendesk's circuit breaker (or an outage): triggers and events fire but nothing is sent."""
    url: str = ""
    server: ThreadingHTTPServer | None = None
    _outbox: queue.Queue = field(default_factory=queue.Queue)
    _query: dict[str, str] = field(default_factory=dict)

    # --- set-up helpers for tests ----------------------------------------------------------

    def _stamp(self) -> str:
        return (self.epoch + timedelta(seconds=next(self.clock))).strftime("%Y-%m-%dT%H:%M:%SZ")

    def add_user(self, user_id: int, name: str, role: str = "end-user", locale: str = "en-US") -> dict[str, Any]:
        with self.lock:
            user = {"id": user_id, "name": name, "role": role, "locale": locale}
            self.users[user_id] = user
            return user

    def _new_comment(self, body: str, author_id: int, public: bool) -> dict[str, Any]:
        return {"id": next(self.comment_ids), "type": "Comment", "body": body, "html_body": f"<p>{body}</p>",
                "plain_body": body, "public": public, "author_id": author_id, "created_at": self._stamp(),
                "attachments": [], "via": {"channel": "web"}}

    def add_ticket(self, ticket_id: int, subject: str = "", description: str = "", tags: list[str] | None = None,
                   requester_id: int = 501, requester_name: str = "Jane Merchant", locale: str = "en-US",
                   fire: bool = False) -> dict[str, Any]:
        """A ticket as a merchant's e-mail creates it; ``fire`` sends what Zendesk would send for it."""
        with self.lock:
            if requester_id not in self.users:
                self.add_user(requester_id, requester_name, locale=locale)
            stamp = self._stamp()
            ticket = {"id": ticket_id, "subject": subject, "raw_subject": subject, "description": description,
                      "tags": list(tags or []), "requester_id": requester_id, "submitter_id": requester_id,
                      "status": "new", "created_at": stamp, "updated_at": stamp, "via": {"channel": "email"},
                      "comments": [{**self._new_comment(description, requester_id, True), "created_at": stamp}]}
            self.tickets[ticket_id] = ticket
            if fire:
                self._fire(Change(ticket, True, requester_id, ticket["comments"][0], tuple(ticket["tags"])))
            return ticket

    def create_ticket(self, ticket_id: int, subject: str = "", description: str = "", **kwargs: Any) -> dict[str, Any]:
        """add_ticket, and Zendesk's triggers and events fire."""
        return self.add_ticket(ticket_id, subject, description, fire=True, **kwargs)

    def add_comment(self, ticket_id: int, body: str, author_id: int | None = None, public: bool = True,
                    fire: bool = True) -> dict[str, Any]:
        """A reply on the ticket (by default the requester's, public)."""
        with self.lock:
            ticket = self.tickets[ticket_id]
            author = ticket["requester_id"] if author_id is None else author_id
            comment = self._new_comment(body, author, public)
            ticket["comments"].append(comment)
            ticket["updated_at"] = comment["created_at"]
            if fire:
                self._fire(Change(ticket, False, author, comment))
            return comment

    def bulk_comments(self, ticket_id: int, count: int, author_id: int | None = None) -> None:
        """Many old comments at once (no triggers): a long-running ticket."""
        with self.lock:
            ticket = self.tickets[ticket_id]
            author = ticket["requester_id"] if author_id is None else author_id
            ticket["comments"] += [self._new_comment(f"Old message {i}", author, True) for i in range(count)]

    def change_tags(self, ticket_id: int, add: list[str] | tuple[str, ...] = (), remove: list[str] | tuple[str, ...] = (),
                    actor_id: int = AGENT_ID) -> dict[str, Any]:
        """An agent editing the ticket's tags in the agent workspace."""
        with self.lock:
            ticket = self.tickets[ticket_id]
            before = list(ticket["tags"])
            ticket["tags"] = [t for t in dict.fromkeys([*before, *add]) if t not in set(remove)]
            ticket["updated_at"] = self._stamp()
            added = tuple(t for t in ticket["tags"] if t not in before)
            removed = tuple(t for t in before if t not in ticket["tags"])
            if added or removed:
                self._fire(Change(ticket, False, actor_id, None, added, removed))
            return ticket

    def delete_ticket(self, ticket_id: int) -> None:
        with self.lock:
            ticket = self.tickets.pop(ticket_id)
            ticket["status"] = "deleted"
            ticket["updated_at"] = self._stamp()
            self.deleted[ticket_id] = ticket

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every webhook call fired so far has been made."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._outbox.unfinished_tasks:
            raise AssertionError("the fake Zendesk's webhook calls did not finish")

    def replay(self, record: Sent, same_invocation: bool = True) -> Sent:
        """Send a webhook call again, freshly signed: a Zendesk retry (same invocation id) or a duplicate."""
        again = Sent(record.hook_id, record.kind, record.url, record.body,
                     invocation_id=record.invocation_id if same_invocation else "")
        self._send_one(self.webhooks[record.hook_id], again)
        return again

    def deliveries(self, kind: str | None = None) -> list[Sent]:
        with self.lock:
            return [s for s in self.sent if kind is None or s.kind == kind or s.kind.startswith(kind + ":")]

    def add_macro(self, macro_id: int, body: str, public: bool = False) -> None:
        self.macros[macro_id] = {"id": macro_id, "title": f"Macro {macro_id}", "comment": {"body": body, "public": public}}

    def inject(self, method: str, path: str, **kwargs: Any) -> Fault:
        fault = Fault(method, path, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def writes(self, ticket_id: int | None = None) -> list[Recorded]:
        """Successful writes (PUT/POST answered 2xx), optionally for one ticket."""
        with self.lock:
            return [r for r in self.requests if r.method in {"PUT", "POST", "PATCH", "DELETE"} and 200 <= r.status < 300
                    and (ticket_id is None or f"/tickets/{ticket_id}" in r.path)]

    def calls(self, method: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if method is None or r.method == method]

    # --- server ------------------------------------------------------------------------------

    def start(self) -> FakeZendesk:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                fault = fake._take_fault(method, self.path)
                if fault is not None:
                    if fault.delay:
                        time.sleep(fault.delay)
                    if fault.drop:
                        fake._record(method, self.path, body, 0)
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    if fault.status is not None:
                        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                        fake._record(method, self.path, body, fault.status)
                        self._send(fault.status, {"error": "injected", "description": f"fault {fault.status}"}, headers)
                        return
                if not fake._authorised(self.headers.get("Authorization", "")):
                    fake._record(method, self.path, body, 401)
                    self._send(401, {"error": "Couldn't authenticate you"})
                    return
                path, _, query = self.path.partition("?")
                status, payload = fake._route(method, path, body, query)
                fake._record(method, self.path, body, status)
                self._send(status, payload)

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = b"" if status == 204 else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a time-out test): nothing to tell

            def do_GET(self) -> None:
                self._handle("GET")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        threading.Thread(target=self._send_loop, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self._outbox.put(None)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and re.search(fault.path, path):
                    fault.times -= 1
                    return fault
        return None

    def _record(self, method: str, path: str, body: Any, status: int) -> None:
        with self.lock:
            self.requests.append(Recorded(method, path, body, status))

    @staticmethod
    def _authorised(header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            user = base64.b64decode(header[6:]).decode()
        except ValueError:
            return False
        return user.endswith("/token:" + user.rsplit(":", 1)[-1]) and "/token:" in user

    # --- the API -------------------------------------------------------------------------------

    def _route(self, method: str, path: str, body: Any, query: str = "") -> tuple[int, Any]:
        with self.lock:
            self._query = {k: v[-1] for k, v in parse_qs(query).items()}
            for pattern, handler in self._routes():
                m = re.fullmatch(pattern, path)
                if m and handler[0] == method:
                    return handler[1](body, *m.groups())
        return 404, {"error": "InvalidEndpoint", "description": f"no route {method} {path}"}

    def _routes(self) -> list[tuple[str, tuple[str, Any]]]:
        return [
            (r"/api/v2/tickets/(\d+)\.json", ("GET", self._show_ticket)),
            (r"/api/v2/tickets/(\d+)\.json", ("PUT", self._update_ticket)),
            (r"/api/v2/tickets/(\d+)/comments\.json", ("GET", self._comments)),
            (r"/api/v2/tickets/(\d+)/tags\.json", ("PUT", self._add_tags)),
            (r"/api/v2/tickets/(\d+)/macros/(\d+)/apply\.json", ("GET", self._macro_effect)),
            (r"/api/v2/incremental/tickets/cursor\.json", ("GET", self._incremental)),
            (r"/api/v2/users/me\.json", ("GET", lambda body: (200, {"user": self.users[ME_ID]}))),
            (r"/api/v2/users/(\d+)\.json", ("GET", self._show_user)),
            (r"/api/v2/webhooks", ("GET", self._list_webhooks)),
            (r"/api/v2/webhooks", ("POST", self._create_webhook)),
            (r"/api/v2/webhooks/([\w-]+)", ("PATCH", self._patch_webhook)),
            (r"/api/v2/webhooks/([\w-]+)", ("PUT", self._put_webhook)),
            (r"/api/v2/webhooks/([\w-]+)", ("GET", self._show_webhook)),
            (r"/api/v2/webhooks/([\w-]+)/signing_secret", ("GET", self._webhook_secret)),
            (r"/api/v2/triggers\.json", ("GET", self._list_triggers)),
            (r"/api/v2/triggers\.json", ("POST", self._create_trigger)),
            (r"/api/v2/triggers/(\d+)\.json", ("PUT", self._update_trigger)),
        ]

    def _public(self, ticket: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in ticket.items() if k != "comments"}

    def _show_ticket(self, body: Any, tid: str) -> tuple[int, Any]:
        ticket = self.tickets.get(int(tid))
        if ticket is None:
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        return 200, {"ticket": self._public(ticket)}

    def _update_ticket(self, body: Any, tid: str) -> tuple[int, Any]:
        ticket = self.tickets.get(int(tid))
        if ticket is None:
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        data = (body or {}).get("ticket", {})
        if data.get("safe_update") and data.get("updated_stamp") != ticket["updated_at"]:
            return 409, {"error": "UpdateConflict", "description": "Safe Update prevented the update due to outdated ticket data."}
        comment = None
        if "comment" in data:
            sent = data["comment"]
            comment = self._new_comment(sent.get("body") or sent.get("html_body"), ME_ID, sent.get("public", True))
            ticket["comments"].append(comment)
        before = list(ticket["tags"])
        if "tags" in data:
            ticket["tags"] = list(data["tags"])
        ticket["updated_at"] = self._stamp()
        self._fire(Change(ticket, False, ME_ID, comment, tuple(t for t in ticket["tags"] if t not in before),
                          tuple(t for t in before if t not in ticket["tags"])))
        return 200, {"ticket": self._public(ticket), "audit": {"events": []}}

    def _comments(self, body: Any, tid: str) -> tuple[int, Any]:
        """List Comments: offset paging (page, per_page, sort_order) or cursor paging (page[size], sort)."""
        ticket = self.tickets.get(int(tid))
        if ticket is None:
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        q, comments = self._query, ticket["comments"]
        base = f"{self.url}/api/v2/tickets/{tid}/comments.json"
        if "page[size]" in q or "page[after]" in q:
            size = min(100, int(q.get("page[size]", 100)))
            ordered = list(reversed(comments)) if q.get("sort", "created_at").startswith("-") else list(comments)
            start = int(base64.urlsafe_b64decode(q["page[after]"]).decode()) if q.get("page[after]") else 0
            page = ordered[start:start + size]
            more = start + size < len(ordered)
            after = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None
            nxt = f"{base}?{urlencode({**q, 'page[after]': after})}" if more else None
            return 200, {"comments": page, "meta": {"has_more": more, "after_cursor": after, "before_cursor": None},
                         "links": {"next": nxt, "prev": None}}
        per_page = min(100, int(q.get("per_page", 100)))
        number = int(q.get("page", 1))
        ordered = list(reversed(comments)) if q.get("sort_order") == "desc" else list(comments)
        page = ordered[(number - 1) * per_page:number * per_page]
        more = number * per_page < len(ordered)
        nxt = f"{base}?{urlencode({**q, 'page': number + 1})}" if more else None
        return 200, {"comments": page, "next_page": nxt, "previous_page": None, "count": len(comments)}

    def _add_tags(self, body: Any, tid: str) -> tuple[int, Any]:
        ticket = self.tickets[int(tid)]
        before = list(ticket["tags"])
        ticket["tags"] = list(dict.fromkeys([*ticket["tags"], *(body or {}).get("tags", [])]))
        ticket["updated_at"] = self._stamp()
        self._fire(Change(ticket, False, ME_ID, None, tuple(t for t in ticket["tags"] if t not in before)))
        return 200, {"tags": ticket["tags"]}

    # the cursor-based incremental ticket export
    def _incremental(self, body: Any) -> tuple[int, Any]:
        q = self._query
        per_page = min(1000, int(q.get("per_page", 1000)))
        if q.get("cursor"):
            try:
                position = tuple(json.loads(base64.urlsafe_b64decode(q["cursor"]).decode()))
            except ValueError:
                return 400, {"error": "InvalidCursor", "description": "cursor is not valid"}
        elif "start_time" in q and q["start_time"].isdigit():
            position = (int(q["start_time"]) - 1, 2**63)
        else:
            return 400, {"error": "InvalidValue", "description": "start_time or cursor is required"}

        def key(t: dict[str, Any]) -> tuple[int, int]:
            return int(datetime.fromisoformat(t["updated_at"].replace("Z", "+00:00")).timestamp()), t["id"]

        everything = sorted([*self.tickets.values(), *self.deleted.values()], key=key)
        after = [t for t in everything if key(t) > position]
        page = after[:per_page]
        last = key(page[-1]) if page else position
        cursor = base64.urlsafe_b64encode(json.dumps(list(last)).encode()).decode()
        base = f"{self.url}/api/v2/incremental/tickets/cursor.json"
        return 200, {"tickets": [self._public(t) for t in page], "after_cursor": cursor,
                     "after_url": f"{base}?{urlencode({'cursor': cursor})}", "before_cursor": None, "before_url": None,
                     "end_of_stream": len(after) <= per_page}

    def _macro_effect(self, body: Any, tid: str, mid: str) -> tuple[int, Any]:
        ticket, macro = self.tickets.get(int(tid)), self.macros.get(int(mid))
        if ticket is None or macro is None:
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        effect = {**self._public(ticket), "comment": dict(macro["comment"])}
        return 200, {"result": {"ticket": effect}}

    def _show_user(self, body: Any, uid: str) -> tuple[int, Any]:
        user = self.users.get(int(uid))
        if user is None:
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        return 200, {"user": user}

    # webhooks and triggers, for `amazon-triage zendesk setup`
    def _list_webhooks(self, body: Any) -> tuple[int, Any]:
        return 200, {"webhooks": list(self.webhooks.values()), "meta": {"has_more": False}, "links": {}}

    def _create_webhook(self, body: Any) -> tuple[int, Any]:
        hook = dict((body or {}).get("webhook", {}))
        hook["id"] = f"01HW{len(self.webhooks) + 1:06d}"
        hook.setdefault("status", "active")
        hook["signing_secret"] = {"algorithm": "SHA256", "secret": f"secret-{hook['id']}"}
        self.webhooks[hook["id"]] = hook
        return 201, {"webhook": {k: v for k, v in hook.items() if k != "signing_secret"}}

    def _patch_webhook(self, body: Any, wid: str) -> tuple[int, Any]:
        if wid not in self.webhooks:
            return 404, {"errors": [{"code": "WebhookNotFound"}]}
        self.webhooks[wid].update((body or {}).get("webhook", {}))
        return 204, {}

    def _put_webhook(self, body: Any, wid: str) -> tuple[int, Any]:
        if wid not in self.webhooks:
            return 404, {"errors": [{"code": "WebhookNotFound"}]}
        secret = self.webhooks[wid]["signing_secret"]
        self.webhooks[wid] = {**(body or {}).get("webhook", {}), "id": wid, "signing_secret": secret}
        return 204, {}

    def _show_webhook(self, body: Any, wid: str) -> tuple[int, Any]:
        hook = self.webhooks.get(wid)
        if hook is None:
            return 404, {"errors": [{"code": "WebhookNotFound"}]}
        return 200, {"webhook": {k: v for k, v in hook.items() if k != "signing_secret"}}

    def _webhook_secret(self, body: Any, wid: str) -> tuple[int, Any]:
        hook = self.webhooks.get(wid)
        if hook is None:
            return 404, {"errors": [{"code": "WebhookNotFound"}]}
        return 200, {"signing_secret": hook["signing_secret"]}

    def _list_triggers(self, body: Any) -> tuple[int, Any]:
        return 200, {"triggers": list(self.triggers.values()), "next_page": None, "count": len(self.triggers)}

    def _create_trigger(self, body: Any) -> tuple[int, Any]:
        trig = dict((body or {}).get("trigger", {}))
        trig["id"] = 7000 + len(self.triggers) + 1
        trig.setdefault("active", True)
        self.triggers[trig["id"]] = trig
        return 201, {"trigger": trig}

    def _update_trigger(self, body: Any, tid: str) -> tuple[int, Any]:
        trig = self.triggers.get(int(tid))
        if trig is None:
            return 404, {"error": "RecordNotFound"}
        trig.update((body or {}).get("trigger", {}))
        return 200, {"trigger": trig}

    # --- firing triggers and event webhooks, as Zendesk does --------------------------------------

    def _fire(self, change: Change) -> None:
        """Queue every webhook call this change causes (called with the lock held)."""
        for trig in sorted(self.triggers.values(), key=lambda t: t.get("position", t["id"])):
            if not trig.get("active", True) or not self._conditions_hold(trig.get("conditions") or {}, change):
                continue
            for action in trig.get("actions") or ():
                if action.get("field") == "notification_webhook":
                    hook_id, template = action["value"][0], action["value"][1]
                    self._queue(hook_id, f"trigger:{trig['id']}", self._render(template, change))
        events: list[tuple[str, dict[str, Any]]] = []
        if change.created:
            events.append((CREATED, {}))
        if change.comment is not None and not change.created:
            c = change.comment
            author = self.users.get(c["author_id"], {})
            events.append((COMMENT_ADDED, {"comment": {
                "id": str(c["id"]), "body": c["body"], "is_public": c["public"],
                "author": {"id": str(c["author_id"]), "is_staff": author.get("role") in {"agent", "admin"},
                           "name": author.get("name", "")}}}))
        if (change.added or change.removed) and not change.created:
            events.append((TAGS_CHANGED, {"tags_added": list(change.added), "tags_removed": list(change.removed)}))
        sequence = uuid.uuid4().hex.upper()  # one action, one sequence: its events share the id
        for position, (_, event) in enumerate(events, start=1):
            event["meta"] = {"sequence": {"id": sequence, "position": position}}
        for hook in self.webhooks.values():
            for kind, event in events:
                if kind in (hook.get("subscriptions") or ()) and hook.get("status", "active") == "active":
                    self._queue(hook["id"], kind, json.dumps(self._event(kind, change, event)).encode())

    def _event(self, kind: str, change: Change, event: dict[str, Any]) -> dict[str, Any]:
        """An event webhook's body, in the documented shape (see EVENTS_DOC): top level, ``detail``, ``event``."""
        t = change.ticket
        detail = {"actor_id": str(change.actor_id), "assignee_id": None, "brand_id": "1", "created_at": t["created_at"],
                  "custom_status": None, "description": t["description"], "external_id": None, "form_id": None,
                  "group_id": None, "id": str(t["id"]), "is_public": True, "organization_id": None, "priority": None,
                  "requester_id": str(t["requester_id"]), "status": t["status"].upper(), "subject": t["subject"],
                  "submitter_id": str(t["submitter_id"]), "tags": list(t["tags"]), "type": None,
                  "updated_at": t["updated_at"], "via": {"channel": "web_service"}}
        return {"account_id": ACCOUNT_ID, "detail": detail, "event": event, "id": str(uuid.uuid4()),
                "subject": f"zen:ticket:{t['id']}", "time": t["updated_at"], "type": kind,
                "zendesk_event_version": "2022-11-06"}

    def _conditions_hold(self, conditions: dict[str, Any], change: Change) -> bool:
        def holds(cond: dict[str, Any]) -> bool:
            name, op, value = cond.get("field"), cond.get("operator"), cond.get("value")
            tags = set(change.ticket["tags"])
            if name == "update_type":
                actual = "Create" if change.created else "Change"
                return (actual == value) if op == "is" else (actual != value)
            if name == "current_tags":
                wanted = set(str(value or "").split())
                if op == "includes":
                    return bool(wanted & tags)
                if op == "not_includes":
                    return not (wanted & tags)
            if name == "comment_is_public":
                if value in {"not_relevant", None}:
                    return True
                present = change.comment is not None
                public = present and bool(change.comment["public"])  # type: ignore[index]
                return public if str(value) == "true" else (present and not public)
            if name == "comment_present" or name == "comment_includes_word" and op == "present":
                return change.comment is not None
            if name == "current_user" and op in {"is", "is_not"}:
                same = str(change.actor_id) == str(value)
                return same if op == "is" else not same
            self.problems.append(f"unsupported trigger condition {cond}")
            return False

        every = conditions.get("all") or []
        some = conditions.get("any") or []
        return all(holds(c) for c in every) and (not some or any(holds(c) for c in some))

    def _render(self, template: str, change: Change) -> bytes:
        """Placeholders as plain text, JSON-escaped (the body is JSON), unknown ones left as they are."""
        t = change.ticket
        requester = self.users.get(t["requester_id"], {})
        latest = t["comments"][-1] if t["comments"] else {"body": ""}
        values = {
            "ticket.id": str(t["id"]), "ticket.title": t["subject"], "ticket.description": t["description"],
            "ticket.latest_comment": latest["body"], "ticket.tags": " ".join(t["tags"]),
            "ticket.requester.first_name": (requester.get("name") or "").split(" ")[0],
            "ticket.requester.locale": requester.get("locale", ""), "ticket.via": t.get("via", {}).get("channel", ""),
            "ticket.created_at_with_timestamp": t["created_at"], "ticket.updated_at_with_timestamp": t["updated_at"],
            "ticket.link": f"acme.zendesk.com/agent/tickets/{t['id']}", "current_user.id": str(change.actor_id),
        }

        def sub(m: re.Match[str]) -> str:
            value = values.get(m.group(1).strip())
            return m.group(0) if value is None else json.dumps(value)[1:-1]

        return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", sub, template).encode()

    def _queue(self, hook_id: str, kind: str, body: bytes) -> None:
        hook = self.webhooks.get(hook_id)
        if hook is None:
            return
        self._outbox.put((hook, kind, body))

    def _send_loop(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                self._outbox.task_done()
                return
            hook, kind, body = item
            try:
                self._send_one(hook, Sent(hook["id"], kind, hook.get("endpoint", ""), body))
            finally:
                self._outbox.task_done()

    def _send_one(self, hook: dict[str, Any], record: Sent) -> None:
        url, body = record.url, record.body
        with self.lock:
            self.sent.append(record)
        if self.paused:
            record.error = "paused"
            return
        if urlsplit(url).hostname not in {"127.0.0.1", "localhost"}:
            record.error = "not sent: tests only call 127.0.0.1"
            return
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        secret = hook["signing_secret"]["secret"].encode()
        signature = base64.b64encode(hmac.new(secret, stamp.encode() + body, hashlib.sha256).digest()).decode()
        record.invocation_id = record.invocation_id or str(uuid.uuid4().int)[:12]
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Zendesk Webhook",
                   "X-Zendesk-Webhook-Id": hook["id"], "X-Zendesk-Webhook-Invocation-Id": record.invocation_id,
                   "X-Zendesk-Account-Id": str(ACCOUNT_ID), "X-Zendesk-Webhook-Signature": signature,
                   "X-Zendesk-Webhook-Signature-Timestamp": stamp}
        try:
            record.status = requests.post(url, data=body, headers=headers, timeout=10).status_code
        except requests.RequestException as exc:
            record.error = type(exc).__name__
