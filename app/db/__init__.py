"""Database: declarative base, engines and sessions, models."""
