from enum import StrEnum


class IntentStatus(StrEnum):
    ACTIVE = "active"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return str(self.value)
