"""The audit trail: who did what, on which object, with what outcome."""
