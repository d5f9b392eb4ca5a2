"""Contract tests: each seed document's endpoints called with its own examples."""
