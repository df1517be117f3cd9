from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CONSUMER = "consumer"
    MANUFACTURER = "manufacturer"

    def __str__(self) -> str:
        return str(self.value)
