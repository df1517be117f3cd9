from enum import StrEnum


class GroupKind(StrEnum):
    CAMPAIGN = "campaign"
    REQUEST = "request"

    def __str__(self) -> str:
        return str(self.value)
