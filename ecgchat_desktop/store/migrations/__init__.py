"""Alembic migrations of the store, packaged with the program and run by `store.migrate`."""
