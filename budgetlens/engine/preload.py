"""Imported by the workers' forkserver (engine.workers) before it forks: the pipeline's
modules, jieba and the gazetteers are loaded here once, and every worker starts warm.  The
forkserver dies with the run that started it.

After the warm-up everything loaded is frozen out of the garbage collector (gc.freeze):
a worker's collections then never write to those objects' headers, so the pages forked
from here (jieba's dictionary, the gazetteers, the modules) stay shared between the
workers instead of being copied into each one."""
import gc

import budgetlens.readers.pdf  # noqa: F401  (imported lazily in one process; here once for every worker)
from budgetlens.engine.workers import GC_THRESHOLD, exit_with_parent, warm_up

exit_with_parent()
warm_up()
gc.collect()
gc.freeze()
gc.set_threshold(*GC_THRESHOLD)  # the workers forked from here inherit it
