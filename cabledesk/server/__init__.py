"""Newsroom server mode: accounts, collections shared per organisation, and the audit trail.

Everything here needs a PostgreSQL database (``postgresql://`` URL) and the ``server`` extra; the
embedded single-user SQLite mode never imports it. See docs/deployment.md.
"""
