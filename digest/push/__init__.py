"""Pushes: subscriptions, chat settings, schedules and the delivery ledger."""
