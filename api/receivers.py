"""Webhooks follow the case record (filled in by the webhook engine)."""
