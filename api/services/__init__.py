"""Writes on the company API's records: its keys (keys.py)."""
