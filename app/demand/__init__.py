"""Aggregated open demand for manufacturers: volumes and demand curves, cheap to poll."""
