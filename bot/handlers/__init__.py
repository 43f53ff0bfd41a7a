"""Telegram handlers, one module per command family."""
