"""A fake Zendesk: a real HTTP server on 127.0.0.1 that real zenpy talks to.

It keeps tickets, users, macros, webhooks and triggers in memory, enforces ``safe_update`` with a
409, records every request, and can be told to misbehave: 429 with or without Retry-After, 500,
slow answers and dropped connections.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ME_ID = 900001


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
class FakeZendesk:
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    macros: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    triggers: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock: itertools.count = field(default_factory=lambda: itertools.count(1))
    url: str = ""
    server: ThreadingHTTPServer | None = None

    # --- set-up helpers for tests ----------------------------------------------------------

    def _stamp(self) -> str:
        base = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
        return (base + timedelta(seconds=next(self.clock))).strftime("%Y-%m-%dT%H:%M:%SZ")

    def add_ticket(self, ticket_id: int, subject: str = "", description: str = "", tags: list[str] | None = None,
                   requester_id: int = 501, requester_name: str = "Jane Merchant") -> dict[str, Any]:
        with self.lock:
            self.users.setdefault(requester_id, {"id": requester_id, "name": requester_name})
            stamp = self._stamp()
            ticket = {"id": ticket_id, "subject": subject, "raw_subject": subject, "description": description,
                      "tags": list(tags or []), "requester_id": requester_id, "submitter_id": requester_id,
                      "status": "new", "created_at": stamp, "updated_at": stamp,
                      "comments": [{"body": description, "public": True, "author_id": requester_id}]}
            self.tickets[ticket_id] = ticket
            return ticket

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
                status, payload = fake._route(method, self.path.split("?")[0], body)
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
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

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

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        with self.lock:
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
            (r"/api/v2/users/me\.json", ("GET", lambda body: (200, {"user": {"id": ME_ID, "name": "Triage Bot"}}))),
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
        if "comment" in data:
            comment = data["comment"]
            ticket["comments"].append({"body": comment.get("body") or comment.get("html_body"),
                                       "public": comment.get("public", True), "author_id": ME_ID})
        if "tags" in data:
            ticket["tags"] = list(data["tags"])
        ticket["updated_at"] = self._stamp()
        return 200, {"ticket": self._public(ticket), "audit": {"events": []}}

    def _comments(self, body: Any, tid: str) -> tuple[int, Any]:
        ticket = self.tickets.get(int(tid))
        if ticket is None:
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        return 200, {"comments": ticket["comments"], "next_page": None, "count": len(ticket["comments"])}

    def _add_tags(self, body: Any, tid: str) -> tuple[int, Any]:
        ticket = self.tickets[int(tid)]
        ticket["tags"] = list(dict.fromkeys([*ticket["tags"], *(body or {}).get("tags", [])]))
        ticket["updated_at"] = self._stamp()
        return 200, {"tags": ticket["tags"]}

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
