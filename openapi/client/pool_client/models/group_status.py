from enum import StrEnum


class GroupStatus(StrEnum):
    CANCELLED = "cancelled"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    OPEN = "open"

    def __str__(self) -> str:
        return str(self.value)
