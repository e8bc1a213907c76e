"""Hypothesis in CI is deterministic: the same examples on every run (issue 17)."""
from hypothesis import HealthCheck, settings

settings.register_profile("juzhu", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("juzhu")
