"""Demand groups while open: create, bid, join, withdraw, and their live price."""
