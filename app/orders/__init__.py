"""Orders: what confirmed groups emit to their winning manufacturers."""
