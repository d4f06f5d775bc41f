"""Persistence: SQLAlchemy 2 models, repositories (every query lives there) and migrations."""
