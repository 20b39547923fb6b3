"""Who is acting at the desk: the signed-in staff member and where the request came from.
A plain value handed to the repositories; it carries no session or database handle."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    username: str
    office_id: str
    role: str  # staff | admin
    ip: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
