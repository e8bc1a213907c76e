"""Platform services every feature uses: the clock, errors, masking, private files, rate limits, secrets, the conversations store and the one database (store/)."""
