from enum import StrEnum


class StreamGroupResponse200Event(StrEnum):
    GROUP = "group"

    def __str__(self) -> str:
        return str(self.value)
