"""Webhooks: endpoints an account registers, the fan-out of events into deliveries, and their
signed, leased, retried delivery (Standard Webhooks)."""
