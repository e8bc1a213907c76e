"""The stations a person can call or visit, from the appointment store."""
from __future__ import annotations

import logging
from typing import Any, Optional

from bot.rules.policy import load_city

from . import texts

logger = logging.getLogger(__name__)


def handoff_text(city: Optional[str], county: Optional[str] = None) -> str:
    """The stations' phone numbers (or the general route) for a person who wants a person."""
    stations = stations_of(city, county) if city else []
    if stations:
        lines = [texts.HANDOFF_STATIONS.format(city=load_city(city).name)]
        lines += [texts.HANDOFF_STATION_LINE.format(name=s.name, county=s.county, phone=s.phone,
                                                    address=s.address) for s in stations[:3]]
        if any(s.sample for s in stations[:3]):
            lines.append(texts.HANDOFF_SAMPLE)
        lines.append(texts.HANDOFF_HOTLINE)
    else:
        lines = [texts.HANDOFF_GENERAL]
    lines.append(texts.HANDOFF_MORE)
    return "\n".join(lines)


def stations_of(city: str, county: Optional[str] = None) -> list[Any]:
    """The stations of a city from the appointment store; [] when it is not available."""
    try:
        from bot.appointments.service import AppointmentService

        return AppointmentService().stations(city=city, county=county)
    except Exception:  # no store yet, or no database: the general advice is given instead
        logger.warning("appointment store not available", exc_info=True)
        return []
