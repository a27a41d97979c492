"""Sourcemark benchmarks (SPEC §7): ``python -m bench`` (``make bench``).

Every figure of SPEC §7 is measured on seeded synthetic data (``bench.data``), on SQLite and on
PostgreSQL, and printed as one table beside its target; the same table, with a description of
the machine, goes to ``docs/benchmarks.md``. ``python -m bench --help`` lists the options.
"""
