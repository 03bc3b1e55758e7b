"""Imported by the workers' forkserver (engine.workers) before it forks: the pipeline's
modules, jieba and the gazetteers are loaded here once, and every worker starts warm."""
from budgetlens.engine.workers import warm_up

warm_up()
