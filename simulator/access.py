"""Who may use the admin API, the pages and the hosted LAS's control API.

Open for one developer on their own machine (loopback, plain HTTP, at most one outside vendor); guarded
as soon as others can reach them: beyond loopback, under ``--tls``, with several vendors' LASes in the
register, or when an admin token file is given. Guarded, they take

* the admin token, ``Authorization: Bearer <token>`` (generated at start, or ``--admin-token-file``), or
* under ``--tls`` the admin client certificate (CN ``osokit-admin``, made by ``osokit pki init``):
  everything, as when open;
* a vendor's certificate: only reading its own schools' sessions and messages (the pages and the
  admin listings of sessions and messages); every other endpoint is 403.

Anything else is 401. The SOAP endpoints (/tc, /schools/...), /healthz and the schemas are never
guarded here: OSO's own authorisation (the vendor certificate and the mandates) governs them.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from oso.errors import UserError
from oso.session import Session
from simulator.pki import ADMIN
from simulator.register import REFERENCE, Register
from simulator.tls import App, Receive, Scope, Send, peer_vendor

TOKEN_ENV = "OSOKIT_ADMIN_TOKEN"  # where osokit's own clients (CLI, load runs) take the token from
VIEWER = "osokit.viewer"  # in the request scope: the vendor whose data a request may see; absent: all
UNGUARDED = re.compile(r"/tc|/schools/[^/]*|/schemas/[^/]*|/healthz")
VENDOR_READS = re.compile(
    r"/|/sessions/[^/]+|/messages(/\d+)?|/static/[^/]+|/admin/sessions(/[^/]+)?|/admin/messages(/\d+)?"
)


class AccessError(UserError):
    """The admin token cannot be read; the message says why."""


@dataclass(frozen=True)
class Access:
    token: str | None = None  # None: open
    why: str = "loopback, plain HTTP, one vendor"  # why open, or why guarded
    generated: bool = False  # the token was made at start (so the banner prints it)

    @property
    def open(self) -> bool:
        return self.token is None

    @classmethod
    def decide(cls, *, loopback: bool, tls: bool, register: Register, token_file: Path | None = None) -> Access:
        outside = [v for v in register.vendors if v != REFERENCE and _has_las(register, v)]
        reasons = [
            *(["not loopback"] if not loopback else []),
            *(["--tls"] if tls else []),
            *([f"{len(outside)} vendors"] if len(outside) > 1 else []),
            *(["--admin-token-file"] if token_file else []),
        ]
        if not reasons:
            return cls()
        if token_file is None:
            return cls(secrets.token_urlsafe(32), ", ".join(reasons), generated=True)
        return cls(read_token(token_file), ", ".join(reasons))

    def banner(self) -> str:
        if self.open:
            return f"open to anyone who can reach this port ({self.why}): no credential needed"
        via = self.token if self.generated else "from --admin-token-file"
        return f"needs Authorization: Bearer {via}{' or the admin certificate' * ('--tls' in self.why)} ({self.why})"


def _has_las(register: Register, vendor: str) -> bool:
    return any(e.vendor == vendor for e in register.endpoints.values())


def read_token(path: Path) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessError(f"--admin-token-file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if len(token) < 16 or any(c.isspace() for c in token):
        raise AccessError(f"--admin-token-file {path}: the token must be one word of at least 16 characters")
    return token


def client_headers(token: str | None = None) -> dict[str, str]:
    """What osokit's own clients send: the token given, or the one in $OSOKIT_ADMIN_TOKEN, if any."""
    token = token or os.environ.get(TOKEN_ENV)
    return {"authorization": f"Bearer {token}"} if token else {}


class Guard:
    """ASGI middleware: the credential check in front of everything but the unguarded paths."""

    def __init__(self, app: App, access: Access, register: Register | None) -> None:
        self.app, self.access, self.register = app, access, register
        self.expected = f"Bearer {access.token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.access.open or scope["type"] != "http" or UNGUARDED.fullmatch(scope["path"]):
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"authorization", b"")
        who = peer_vendor(scope)
        if hmac.compare_digest(given, self.expected) or who == ADMIN:
            return await self.app(scope, receive, send)
        if self.register is not None and who in self.register.vendors:
            if scope["method"] in ("GET", "HEAD") and VENDOR_READS.fullmatch(scope["path"]):
                return await self.app({**scope, VIEWER: who}, receive, send)
            refusal = JSONResponse({"error": f"vendor '{who}' may only read its own sessions and messages"}, 403)
        else:
            refusal = JSONResponse(
                {"error": "this needs the admin token (Authorization: Bearer ...) or the admin certificate"},
                401,
                headers={"www-authenticate": "Bearer"},
            )
        await refusal(scope, receive, send)


# --- what a vendor's certificate sees --------------------------------------------------------------


def viewer(request: Request) -> str | None:
    """The vendor a request is limited to; None: it sees everything."""
    return request.scope.get(VIEWER)


def sees_session(request: Request, register: Register, s: Session) -> bool:
    vendor = viewer(request)
    return vendor is None or vendor in {
        _vendor_of(register, s.granted.bron_brin),
        _vendor_of(register, s.granted.doel_brin),
    }


def sees_message(request: Request, sim: Any, m: dict[str, Any]) -> bool:
    vendor = viewer(request)
    if vendor is None or m.get("vendor") == vendor:
        return True
    session = sim.store.get_session(m["sessie_id"]) if m.get("sessie_id") else None
    return session is not None and sees_session(request, sim.register, session)


def _vendor_of(register: Register, brin: str | None) -> str | None:
    school = register.schools.get(brin or "")
    return school.vendor if school else None
