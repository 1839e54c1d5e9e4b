"""Server-Sent Event streams (issue: real-time streams)."""
