"""`make bench`: speed and memory measurements of budgetlens (never timed tests).

Entry point: `python -m benchmarks.run` (see benchmarks/run.py and README "Performance")."""
