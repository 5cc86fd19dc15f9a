"""Who may do what to a case: the role rules of the design, as pure predicates."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.vocabulary import ROLES


@dataclass(frozen=True)
class User:
    username: str
    role: str
    office: str
    display_name: str = ""
    active: bool = True

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; one of {', '.join(ROLES)}")


def is_team_leader_of(user: User, office: str) -> bool:
    return user.role == "team_leader" and user.office == office


def may_update(user: User, office: str, assignee: str | None) -> bool:
    """Only the assigned HRO or a Team Leader of the case's office records and updates a case."""
    if user.role == "hro":
        return assignee == user.username
    return is_team_leader_of(user, office)


def may_read(user: User, office: str) -> bool:
    """Case data is scoped to the office; Directors, auditors and admins see the whole division."""
    return user.role in ("director", "auditor", "admin") or user.office == office
