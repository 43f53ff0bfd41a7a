"""The one send path: preparing pushes, pacing by Telegram's limits, the transport."""
