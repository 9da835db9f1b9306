"""The seed's tables 二、三、四 (``../shared/seed/2020-annual-report-geology-bureau.txt``), transcribed by hand.

The 2020 report of 宁夏回族自治区地质局 in format gov-2019. Every figure not listed here is printed as 0 in the seed.
``tests/unit/test_seed_transcription.py`` checks this transcription against the seed text itself.
"""

from decimal import Decimal

SEED_YEAR = 2020
SEED_FORMAT = "gov-2019"

#: (table, row, column) -> value, for the seed's non-zero figures.
SEED_NONZERO = {
    ("t2_9", "central_procurement", "purchases"): 50,
    ("t2_9", "central_procurement", "purchase_amount"): Decimal("3421.7"),  # 万元
    ("t3", "new", "natural"): 1,
    ("t3", "new", "total"): 1,
    ("t3", "unable_not_held", "natural"): 1,
    ("t3", "unable_not_held", "total"): 1,
    ("t3", "total", "natural"): 1,
    ("t3", "total", "total"): 1,
}


def seed_figures() -> dict[tuple[str, str, str], int | Decimal]:
    """Every cell of the gov-2019 tables with the seed's value."""
    from disclosure.formats import load_spec

    spec = load_spec(SEED_FORMAT)
    return {(c.table, c.row, c.column): SEED_NONZERO.get((c.table, c.row, c.column), 0) for c in spec.cells()}
