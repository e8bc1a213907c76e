"""Alembic migrations of the one database (bookings, hand-offs, reminders, staff sessions, WeChat); run by bot.store.db.ensure_schema."""
