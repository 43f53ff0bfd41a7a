"""The store: one SQLite file, its schema, imports, digest archive and caches."""
