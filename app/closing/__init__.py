"""A group's end: close (clearing and its one order) or cancel, exactly once."""
