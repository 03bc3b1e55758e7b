"""Imported by the workers' forkserver (engine.workers) before it forks: the pipeline's
modules, jieba and the gazetteers are loaded here once, and every worker starts warm.  The
forkserver dies with the run that started it."""
from budgetlens.engine.workers import exit_with_parent, warm_up

exit_with_parent()
warm_up()
