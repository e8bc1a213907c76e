import pytest

from .helpers import TODAY, decide_on


@pytest.fixture
def decide():
    """assess_dict with a fixed 'today', so dates in tests never drift."""
    def run(**facts):
        return decide_on(TODAY, **facts)
    return run
