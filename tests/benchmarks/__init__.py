"""Performance measurements, run by ``make bench`` (never timed asserts in tests)."""
