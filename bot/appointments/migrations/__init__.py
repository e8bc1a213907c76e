"""Alembic migrations of the appointment store; run by bot.appointments.db.ensure_schema."""
