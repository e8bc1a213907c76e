"""Platform services every feature uses.

The clock, dates, errors, masking, private files, rate limits, secrets, the
conversations store and the one database (store/). It imports no feature.
"""
