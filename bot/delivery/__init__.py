"""The one send path: the outbox every message takes its turn in, push runs, the transport."""
