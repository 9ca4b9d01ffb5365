"""kubectl-batch: a kubectl plugin with a terminal UI for Jobs and CronJobs."""

__version__ = "0.1.0"
