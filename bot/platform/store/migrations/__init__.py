"""Alembic migrations of the one database (bookings, hand-offs, reminders, staff sessions, WeChat); run by bot.platform.store.db.ensure_schema."""
