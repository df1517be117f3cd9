"""The public web face of Pool: the group pages (``/g``) and the live group stream (SSE)."""
