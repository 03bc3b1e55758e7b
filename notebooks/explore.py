# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exploring a budgetlens store
#
# The store is the DuckDB file `budgetlens process` (or `budgetlens run --out DIR`) fills:
# `documents`, `facts`, `table_cells`, `flags`, `runs`.  Set `BUDGETLENS_STORE` to your
# store; without it this notebook processes the bundled samples into a temporary folder.
# Edit `explore.py` (jupytext keeps `explore.ipynb` in sync: `jupytext --sync notebooks/explore.py`).

# %%
import os
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path.cwd() if (Path.cwd() / "samples").is_dir() else Path.cwd().parent
STORE = os.environ.get("BUDGETLENS_STORE")
if not STORE or not Path(STORE).is_file():
    from budgetlens.engine.run import run_job

    out = Path(tempfile.mkdtemp(prefix="budgetlens-nb-"))
    run_job([str(ROOT / "samples")], out, quiet=True, write_report=False)
    STORE = str(out / "budgetlens.duckdb")
con = duckdb.connect(STORE, read_only=True)
con.sql("SELECT count(*) AS documents, count(*) FILTER (WHERE status = 'ok') AS ok FROM documents").df()

# %% [markdown]
# ## Departments with the most errors

# %%
con.sql("""
    SELECT coalesce(d.department, d.source) AS department,
           count(*) FILTER (WHERE f.severity = 'error')   AS errors,
           count(*) FILTER (WHERE f.severity = 'warning') AS warnings,
           count(f.flag_id)                               AS flags
    FROM documents d LEFT JOIN flags f USING (doc_id)
    GROUP BY 1 ORDER BY errors DESC, flags DESC LIMIT 10
""").df()

# %% [markdown]
# ## One flag and its evidence
# Each evidence line is a sentence quoted verbatim or a cell as `表名 / 行 / 列 = 值`.

# %%
flag = con.sql("""
    SELECT * FROM flags
    ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, len(evidence) DESC
    LIMIT 1
""").df()
if flag.empty:
    print("no flags in this store")
else:
    f = flag.iloc[0]
    print(f"[{f.severity}] {f.family} / {f.rule}\n{f.message}\nstated={f.stated} expected={f.expected}")
    for line in f.evidence:
        print("  ·", line)

# %% [markdown]
# ## A paragraph with its extracted figures (displaCy)
# `extractors/spacy_view.py` runs the same extractors as a spaCy component; when it is not
# there, the facts' own spans from the store are rendered with displaCy's manual mode.

# %%
from IPython.display import HTML, display  # noqa: E402
from spacy import displacy  # noqa: E402

facts = con.sql("""
    SELECT sentence, kind, raw FROM facts
    WHERE origin = 'narrative' AND sentence IS NOT NULL AND raw IS NOT NULL
""").df()
candidates = con.sql("SELECT sentence FROM flags WHERE sentence IS NOT NULL").df()["sentence"].tolist()
if len(facts):
    paragraph = facts.groupby("sentence").size().sort_values(ascending=False).index[0]
elif candidates:
    paragraph = candidates[0]
else:
    paragraph = None
html = None
if paragraph:
    try:
        from budgetlens.extractors.spacy_view import nlp as budget_nlp

        html = displacy.render(budget_nlp()(paragraph), style="ent", jupyter=False)
    except Exception as exc:  # the component is a colleague's work in progress: fall back
        print(f"spacy_view unavailable ({type(exc).__name__}: {exc}); rendering the stored spans")
        ents, pos = [], 0
        for _, r in facts[facts.sentence == paragraph].iterrows():
            i = paragraph.find(str(r.raw), pos)
            if i >= 0:
                ents.append({"start": i, "end": i + len(str(r.raw)), "label": r.kind.upper()})
                pos = i + len(str(r.raw))
        html = displacy.render({"text": paragraph, "ents": ents, "title": None}, style="ent", manual=True,
                               jupyter=False)
    display(HTML(html))
else:
    print("no narrative sentence in this store")

# %% [markdown]
# ## Flags by family

# %%
import matplotlib.pyplot as plt  # noqa: E402

by_family = con.sql("""
    SELECT family, severity, count(*) AS n FROM flags GROUP BY ALL ORDER BY family
""").df()
table = by_family.pivot_table(index="family", columns="severity", values="n", fill_value=0) if len(by_family) \
    else pd.DataFrame({"error": []})
ax = table.plot.barh(stacked=True, figsize=(7, 3), color={"error": "#c62828", "warning": "#ef8f00", "info": "#607d8b"})
ax.set_xlabel("flags")
ax.set_title("flags by family")
plt.tight_layout()
plt.show()
