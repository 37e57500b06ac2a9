"""Login and registration throttling with the ``limits`` library.

Storage: ``BRUJULA_LIMITES_URL`` (for example ``redis://127.0.0.1:6379/0``) so that every replica
shares the counters; without it, ``memory://`` (one process: counters reset on restart).

Only *failures* are counted, in moving windows, under three kinds of key:

* **account + client address**: the guesser's own delay. A few free failures, then waits that
  grow with each tier (minute, ten minutes, hour, day).
* **client address** (every account): slows password spraying across many RUCs.
* **account** (every address): a distributed attack. When it is over its limit, only clients
  *without recent failures* may still try; so a stranger can never lock a firm out: the right
  password from a clean client always gets in.

Firm (RUC) and staff (e-mail) logins are counted in separate namespaces with their own, stricter
limits for staff. Keys are SHA-256 digests of the login as typed (normalised), whether or not an
account exists, so the throttle behaves the same for unknown and known logins.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

LIMITS_ENV = "BRUJULA_LIMITES_URL"
MEMORY = "memory://"


@dataclass(frozen=True)
class Policy:
    """Failure limits for one kind of account (``limits`` notation, e.g. "5/minute")."""

    per_pair: str  # one account from one client address
    per_client: str  # one client address, every account of this kind
    per_account: str  # one account, every client address
    recent: str  # the per-client tier whose window defines "recent failures"


FIRM = Policy(
    per_pair="5/minute;10/10 minutes;20/hour;50/day",
    per_client="20/minute;100/hour;300/day",
    per_account="30/hour;100/day",
    recent="1000/hour",
)
STAFF = Policy(
    per_pair="3/minute;6/10 minutes;10/hour;20/day",
    per_client="10/minute;30/hour;100/day",
    per_account="15/hour;50/day",
    recent="1000/hour",
)
# Registrations refused because the RUC is taken, per client address: enumerating RUCs through
# the registration form is as slow as guessing through the login form.
REGISTRATION = "5/10 minutes;20/day"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def normalize_login(login: str) -> str:
    login = (login or "").strip()
    return login.lower() if "@" in login else login


def is_staff_login(login: str) -> bool:
    """Staff log in with an e-mail, firms with their RUC."""
    return "@" in (login or "")


class Throttle:
    """Failure counters shared through ``limits`` storage (memory or Redis)."""

    def __init__(
        self,
        url: str | None = None,
        firm: Policy = FIRM,
        staff: Policy = STAFF,
        registration: str = REGISTRATION,
    ) -> None:
        self.url = url or MEMORY
        self.storage = storage_from_string(self.url)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._policies = {"empresa": firm, "personal": staff}
        self._tiers: dict[str, list[RateLimitItem]] = {}
        self._registration = parse_many(registration)
        self._namespace = f"brujula-{_digest(self.url)[:6]}"

    def _items(self, spec: str) -> list[RateLimitItem]:
        if spec not in self._tiers:
            self._tiers[spec] = parse_many(spec)
        return self._tiers[spec]

    def _keys(self, login: str, client: str | None) -> tuple[Policy, str, str, str]:
        kind = "personal" if is_staff_login(login) else "empresa"
        account = f"{self._namespace}:{kind}:cuenta:{_digest(normalize_login(login))}"
        address = f"{self._namespace}:{kind}:cliente:{_digest(client or 'desconocido')}"
        return self._policies[kind], account, address, f"{account}:{address}"

    def _wait(self, spec: str, key: str, now: float) -> float:
        """Seconds until a failure slot frees under every tier of ``spec`` (0 if free now)."""
        wait = 0.0
        for item in self._items(spec):
            if not self.limiter.test(item, key):
                reset, _ = self.limiter.get_window_stats(item, key)
                wait = max(wait, reset - now, 1.0)
        return wait

    def _has_recent_failures(self, spec: str, key: str) -> bool:
        item = self._items(spec)[0]
        return self.limiter.get_window_stats(item, key).remaining < item.amount

    def login_wait(self, login: str, client: str | None) -> float:
        """Seconds this client must wait before trying ``login`` again; 0 means it may try."""
        policy, account, address, pair = self._keys(login, client)
        now = time.time()
        wait = max(
            self._wait(policy.per_pair, pair, now), self._wait(policy.per_client, address, now)
        )
        account_wait = self._wait(policy.per_account, account, now)
        if account_wait and self._has_recent_failures(policy.recent, address):
            wait = max(wait, account_wait)
        return math.ceil(wait) if wait else 0.0

    def login_failed(self, login: str, client: str | None) -> None:
        policy, account, address, pair = self._keys(login, client)
        for spec, key in (
            (policy.per_pair, pair),
            (policy.per_client, address),
            (policy.per_account, account),
            (policy.recent, address),
        ):
            for item in self._items(spec):
                self.limiter.hit(item, key)

    def login_succeeded(self, login: str, client: str | None) -> None:
        """The right password: forget this client's failures for this account."""
        policy, _account, _address, pair = self._keys(login, client)
        for item in self._items(policy.per_pair):
            self.limiter.clear(item, pair)

    def registration_wait(self, client: str | None) -> float:
        key = f"{self._namespace}:registro:{_digest(client or 'desconocido')}"
        now = time.time()
        wait = 0.0
        for item in self._registration:
            if not self.limiter.test(item, key):
                reset, _ = self.limiter.get_window_stats(item, key)
                wait = max(wait, reset - now, 1.0)
        return math.ceil(wait) if wait else 0.0

    def registration_refused(self, client: str | None) -> None:
        key = f"{self._namespace}:registro:{_digest(client or 'desconocido')}"
        for item in self._registration:
            self.limiter.hit(item, key)

    def reset(self) -> None:
        """Forget every counter (tests)."""
        self.storage.reset()


_lock = threading.Lock()
_shared: dict[str, Throttle] = {}


def shared() -> Throttle:
    """The process-wide throttle for the configured storage (``BRUJULA_LIMITES_URL``)."""
    url = os.environ.get(LIMITS_ENV, "").strip() or MEMORY
    with _lock:
        if url not in _shared:
            _shared[url] = Throttle(url)
        return _shared[url]


def wait_text(seconds: float) -> str:
    """«45 segundos», «3 minutos», «2 horas»."""
    if seconds < 60:
        whole = max(1, math.ceil(seconds))
        return f"{whole} segundo" + ("s" if whole != 1 else "")
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minuto" + ("s" if minutes != 1 else "")
    hours = math.ceil(seconds / 3600)
    return f"{hours} hora" + ("s" if hours != 1 else "")
