"""The platform core feature apps plug into; it names no feature app (R14)."""
