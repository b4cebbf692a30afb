"""Receivers of the floors below (filled by the surveys work)."""
