"""Forms of the hearings floor, one module per part (scheduling, room, outcome)."""
