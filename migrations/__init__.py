"""Alembic migrations of the desk's database (`wargabot db upgrade`); shipped with the package."""
