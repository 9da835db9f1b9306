"""``make bench``: how the yearly workflow scales from the bureau's 12 units to 1,000 (see ``docs/benchmarks.md``).

Figures are measured here, never asserted in tests: timing depends on the machine and its load.
"""
