"""The terminal view of a sweep: an overall bar, one bar per running job, one line per finished job."""

from __future__ import annotations

from typing import Any

from locbench.sweep.job import JobEvent, JobReport
from locbench.sweep.plan import Job


class RichSweepReporter:
    """SweepReporter drawing rich progress bars (transient: the lines printed above them stay)."""

    def __init__(self, console: Any, *, retries: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console, self.max_attempts = console, retries + 1
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)
        self.overall: Any = None
        self.tasks: dict[str, Any] = {}
        self.labels: dict[str, str] = {}
        self.settled: set[str] = set()  # done or failed: late events (Dask delivers them asynchronously) are dropped

    def __enter__(self) -> RichSweepReporter:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def begin(self, jobs: list[Job], states: dict[str, str], executor: str) -> None:
        done = sum(s == "done" for s in states.values())
        self.console.print(f"sweep: {len(jobs)} jobs, {done} already done, {len(jobs) - done} to run on {executor}")
        self.overall = self.progress.add_task("[bold]sweep[/bold]", total=len(jobs), completed=done)

    def event(self, event: JobEvent) -> None:
        if event.job in self.settled:
            return
        if event.kind == "start":
            self._drop(event.job)
            self.labels[event.job] = f"  {event.job} (attempt {event.attempt}, {event.worker})"
            self.tasks[event.job] = self.progress.add_task(self.labels[event.job], total=None)
        elif event.job in self.tasks:
            self.progress.update(self.tasks[event.job], description=f"{self.labels[event.job]} · {event.stage}",
                                 completed=event.completed, total=event.total)

    def done(self, job: Job, report: JobReport) -> None:
        self._drop(job.name)
        self.settled.add(job.name)
        self.progress.advance(self.overall)
        value = "—" if report.primary_value is None else f"{report.primary_value:.3f}"
        note = " (finished by an earlier attempt)" if report.status == "skipped" else ""
        self.console.print(f"[green]✓[/green] {job.name}: {report.primary_metric} {value} "
                           f"({report.seconds:.1f} s, attempt {report.attempts}){note}")

    def retry(self, job: Job, error: str, attempts: int) -> None:
        self._drop(job.name)
        self.console.print(f"[yellow]↻[/yellow] {job.name}: attempt {attempts} of {self.max_attempts} failed "
                           f"({error}); retrying")

    def failed(self, job: Job, error: str, attempts: int) -> None:
        self._drop(job.name)
        self.settled.add(job.name)
        self.progress.advance(self.overall)
        self.console.print(f"[red]✗[/red] {job.name}: failed after {attempts} attempt(s): {error}")

    def _drop(self, name: str) -> None:
        task = self.tasks.pop(name, None)
        if task is not None:
            self.progress.remove_task(task)
