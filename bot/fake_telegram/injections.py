"""Scripted failures: the next calls touching a chat (or any call) fail as Telegram's would."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ApiError, InjectedTimeout, bad_request, too_many_requests

# Injection kinds and the error each one serves ("migrate" acts at once, in the model).
INJECTION_KINDS = ("blocked", "not_found", "migrate", "server_error", "timeout", "flood")


@dataclass
class Injection:
    """A scripted failure for the next ``remaining`` calls touching ``chat_id``."""

    chat_id: int | None
    kind: str
    remaining: int | None
    retry_after: int = 3
    code: int = 500
    hold: float | None = None

    def fire(self) -> None:
        """Raise the error this injection serves."""
        if self.kind == "blocked":
            raise ApiError(403, "bot was blocked by the user")
        if self.kind == "not_found":
            raise bad_request("chat not found")
        if self.kind == "server_error":
            raise ApiError(self.code)
        if self.kind == "flood":
            raise too_many_requests(self.retry_after)
        raise InjectedTimeout(self.hold)


class Injections:
    """The pending injections, served first come first served."""

    def __init__(self) -> None:
        self._pending: list[Injection] = []

    def add(self, injection: Injection) -> None:
        if injection.kind not in INJECTION_KINDS:
            raise ValueError(
                f"unknown injection {injection.kind!r}; expected one of {INJECTION_KINDS}"
            )
        self._pending.append(injection)

    def clear(self, chat_id: int | None) -> int:
        """Drop the injections made for ``chat_id``; returns how many there were."""
        kept = [i for i in self._pending if i.chat_id != chat_id]
        dropped = len(self._pending) - len(kept)
        self._pending = kept
        return dropped

    def fire(self, chat_id: int | None) -> None:
        """Serve the first injection matching a call for ``chat_id``, if any."""
        for injection in self._pending:
            if injection.chat_id is None or injection.chat_id == chat_id:
                if injection.remaining is not None:
                    injection.remaining -= 1
                    if injection.remaining <= 0:
                        self._pending.remove(injection)
                injection.fire()
