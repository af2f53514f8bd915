"""Step executors that touch no database: shell, HTTP and PromQL, each returning a StepResult."""

from warroom.runbooks.executors.result import StepResult

__all__ = ["StepResult"]
