"""Rendering: one Jinja2 environment for digests (Telegram HTML, Markdown, text) and bot texts."""
