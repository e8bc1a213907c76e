"""The one database of bookings, hand-offs, reminders, staff sessions and WeChat followers: engines and migrations.

A platform service: it knows no feature; each feature owns its tables
(models) and this package's migrations create them.
"""
