"""Script storage (issue: script data and the outside world)."""
