from app.errors import Conflict, Forbidden


class GroupCancelled(Conflict):
    code, title = "group_cancelled", "The group was cancelled; it has no clearing"


class GroupAlreadyClosed(Conflict):
    code, title = "group_already_closed", "The group is already closed; it cannot be cancelled"


class NotGroupOwner(Forbidden):
    code, title = "not_group_owner", "Only the group's owner or an admin may do this"


class NotInGroup(Forbidden):
    code, title = (
        "not_in_group",
        "Only the group's participants, owner, bidders and admins see this",
    )
