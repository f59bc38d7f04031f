"""SQLAlchemy adapter: tables, repositories, the unit of work, outbox queries, migrations."""
