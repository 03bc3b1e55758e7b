"""budgetlens: reads Chinese public budget and final-account disclosures and flags, with
evidence, where the narrative and the tables disagree.

One import package; its layers depend downwards only (tests/test_layers.py checks it):

    budgetlens.gazetteers   vocabularies, patterns, table types, templates, messages (YAML)
    budgetlens.limits       resource limits every layer may read
    budgetlens.readers      files → Blocks (paragraphs and raw tables, with pages)
    budgetlens.document     Blocks → Document: text, sections, sentences, typed tables, metadata
    budgetlens.extractors   Document → facts (amounts, rates, comparisons, staffing, indicators)
    budgetlens.reconcile    Document + facts → flags (one module per rule family)
    budgetlens.engine       one document group → results (discover, process, corpus checks)
    budgetlens.store        DuckDB store and Parquet snapshots
    budgetlens.report       report.html
    budgetlens.engine.run   the runner: many inputs → engine → store and report
    budgetlens.review       the reviewer's web app over the store (`budgetlens review`)
    budgetlens.crawler      portals → raw files
    budgetlens.pipelines    Prefect flows and the `budgetlens` command line

`extractors/`, `gazetteers/` and `pipelines/` sit at the top of the repository, as the
project asked; `pyproject.toml` maps them into this package.
"""

__version__ = "0.2.0"
