"""The bot's CallbackContext: one typed property to reach the shared services."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from .services import Services

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with ``services``, so handlers never dig through bot_data."""

    @property
    def services(self) -> Services:
        services = self.application.bot_data.get(SERVICES_KEY)
        if not isinstance(services, Services):
            raise RuntimeError("services are created in post_init; the bot is not started")
        return services


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The services of an application (for jobs and lifecycle hooks)."""
    return application.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]
