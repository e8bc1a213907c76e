"""The web front: the service-hall kiosk at ``/`` and the staff console under ``/staff``.

``create_app(rasa_url, staff_token)`` (in :mod:`.app`) builds the aiohttp
application; ``juzhu web`` (see :mod:`.cli`) serves it. Imported lazily so
that other ``juzhu`` commands do not load aiohttp.
"""
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)


__all__ = ["create_app"]
