"""Script assets (issue: script data and the outside world)."""
