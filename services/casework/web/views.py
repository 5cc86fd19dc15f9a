"""Every page of /web, registered on one blueprint (importing the modules adds their routes)."""

from services.casework.web import (
    account_pages,
    alert_pages,
    case_pages,
    duplicate_pages,
    incident_pages,
    overview,
    people_pages,
    search_pages,
    unit_pages,
)
from services.casework.web.blueprint import bp

__all__ = ["account_pages", "alert_pages", "bp", "case_pages", "duplicate_pages", "incident_pages", "overview",
           "people_pages", "search_pages", "unit_pages"]
