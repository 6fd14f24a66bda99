"""Storage: one SQLAlchemy Core schema, Alembic migrations, one repository module per area."""
