"""The registry of industry regulations a post-mortem can cite, and what each one demands."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Regulation:
    """One regulation: its code as authors write it and the reporting duty it imposes."""

    code: str
    name: str
    industries: tuple[str, ...]
    requirement: str
    notification_days: int | None = None
    """Days from detection within which notice is due; None when there is no fixed deadline."""
    business_days: bool = False
    """True when `notification_days` counts business days (Mon-Fri, minus holidays)."""

    @property
    def deadline_text(self) -> str:
        """The deadline in words, e.g. `60 calendar days after detection`."""
        if self.notification_days is None:
            return "no fixed deadline"
        unit = "business" if self.business_days else "calendar"
        plural = "" if self.notification_days == 1 else "s"
        return f"{self.notification_days} {unit} day{plural} after detection"


DEFAULT_REGULATIONS: tuple[Regulation, ...] = (
    Regulation(
        code="SOX",
        name="Sarbanes-Oxley Act",
        industries=("fintech",),
        requirement=(
            "Incidents touching financial reporting systems need an audit trail and an"
            " assessment of internal-control impact; material events are disclosed"
            " (Form 8-K) within 4 business days."
        ),
        notification_days=4,
        business_days=True,
    ),
    Regulation(
        code="PCI-DSS",
        name="Payment Card Industry Data Security Standard",
        industries=("fintech", "e-commerce"),
        requirement=(
            "Suspected cardholder-data compromise triggers the incident response plan"
            " (req. 12.10) and notification of the acquirer and card brands; brand rules"
            " commonly expect notice within 72 hours."
        ),
        notification_days=3,
    ),
    Regulation(
        code="HIPAA",
        name="Health Insurance Portability and Accountability Act",
        industries=("healthcare",),
        requirement=(
            "Breaches of unsecured protected health information are notified to affected"
            " individuals without unreasonable delay and no later than 60 days after discovery."
        ),
        notification_days=60,
    ),
    Regulation(
        code="SOC 2",
        name="SOC 2 (AICPA Trust Services Criteria)",
        industries=("saas",),
        requirement=(
            "Incidents are identified, documented, communicated and remediated under the"
            " incident-management controls (CC7.3-CC7.5); customers are notified as committed"
            " in contracts."
        ),
        notification_days=None,
    ),
    Regulation(
        code="OSHA",
        name="Occupational Safety and Health Administration",
        industries=("manufacturing",),
        requirement=(
            "Work-related fatalities are reported within 8 hours; in-patient hospitalisation,"
            " amputation or loss of an eye within 24 hours."
        ),
        notification_days=1,
    ),
)


def regulation_key(code: str) -> str:
    """Normalise a regulation code so `soc2`, `SOC-2` and `SOC 2` compare equal."""
    return re.sub(r"[^a-z0-9]", "", code.lower())


@dataclass(frozen=True)
class RegulationRegistry:
    """The regulations known to one knowledge base: the defaults plus configured ones."""

    regulations: tuple[Regulation, ...] = DEFAULT_REGULATIONS

    def lookup(self, code: str) -> Regulation | None:
        """Find a regulation by any spelling of its code."""
        key = regulation_key(code)
        for regulation in self.regulations:
            if regulation_key(regulation.code) == key:
                return regulation
        return None

    @property
    def codes(self) -> list[str]:
        """The canonical codes, in registry order."""
        return [r.code for r in self.regulations]

    def extended(self, extra: Iterable[Regulation]) -> RegulationRegistry:
        """A registry with `extra` added; an extra with a known code replaces the default."""
        merged: dict[str, Regulation] = {regulation_key(r.code): r for r in self.regulations}
        for regulation in extra:
            merged[regulation_key(regulation.code)] = regulation
        return RegulationRegistry(tuple(merged.values()))
