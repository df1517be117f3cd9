from enum import StrEnum


class OrderStatus(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    CONFIRMED = "confirmed"

    def __str__(self) -> str:
        return str(self.value)
