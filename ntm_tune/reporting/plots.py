"""The report of one run: its training jobs, its tuned hyperparameters and the run history.

Figures are built with matplotlib's object API and rendered by the Agg canvas, so no
display and no pyplot state are involved. The figure has, from top to bottom:

1. the objective of each training job in launch order, with the running best;
2. one panel per tuned hyperparameter: objective against the tuned value;
3. the best objective of every succeeded run of the dataset over time.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ntm_spec.hyperparameters import OBJECTIVE_METRIC
from ntm_tune.reporting.run_history import RunRecord
from ntm_tune.reporting.training_jobs import TrainingJobResult, TunedRange

COLUMNS = 3
WIDTH_INCHES = 12.0
ROW_HEIGHT_INCHES = 3.2
DPI = 100
POINT_COLOR = "tab:blue"
BEST_COLOR = "tab:orange"
RANGE_MARGIN_FACTOR = 1.08


def build_report_figure(
    run: RunRecord,
    training_jobs: list[TrainingJobResult],
    ranges: list[TunedRange],
    history: list[RunRecord],
) -> Figure:
    """Build the report figure; the first axes is the launch-order plot, the last the history."""
    range_rows = math.ceil(len(ranges) / COLUMNS)
    rows = 2 + range_rows
    figure = Figure(figsize=(WIDTH_INCHES, ROW_HEIGHT_INCHES * rows), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(rows, COLUMNS)
    figure.suptitle(f"NTM tuning run {run.run_id or run.execution_name}: dataset {run.dataset} version {run.version}")

    scored = [job for job in training_jobs if job.objective_value is not None]
    best = min(scored, key=lambda job: job.objective_value) if scored else None

    _plot_launch_order(figure.add_subplot(grid[0, :]), training_jobs, best)
    for index, tuned_range in enumerate(ranges):
        axes = figure.add_subplot(grid[1 + index // COLUMNS, index % COLUMNS])
        _plot_hyperparameter(axes, tuned_range, scored, best)
    _plot_history(figure.add_subplot(grid[rows - 1, :]), history, run)
    return figure


def save_figure(figure: Figure, path: Path) -> None:
    """Render the figure as PNG; the format follows the file name's suffix."""
    figure.savefig(path, dpi=DPI)


def _plot_launch_order(axes, training_jobs: list[TrainingJobResult], best: TrainingJobResult | None) -> None:
    positions = [index + 1 for index, job in enumerate(training_jobs) if job.objective_value is not None]
    values = [job.objective_value for job in training_jobs if job.objective_value is not None]
    axes.scatter(positions, values, color=POINT_COLOR, label="training job", zorder=3)

    running_best = []
    lowest = math.inf
    for value in values:
        lowest = min(lowest, value)
        running_best.append(lowest)
    if values:
        axes.step(positions, running_best, where="post", color=BEST_COLOR, label="running best")
    if best is not None:
        axes.annotate(
            f"best {best.objective_value:.4g}\n{best.name}",
            xy=(positions[values.index(best.objective_value)], best.objective_value),
            xytext=(8, 12),
            textcoords="offset points",
            fontsize=8,
        )

    unscored = len(training_jobs) - len(values)
    title = f"{OBJECTIVE_METRIC} of each training job in launch order"
    if unscored:
        title += f" ({unscored} without an objective value, not shown)"
    axes.set_title(title)
    axes.set_xlabel("training job (launch order)")
    axes.set_ylabel(OBJECTIVE_METRIC)
    axes.set_xlim(0.5, max(len(training_jobs), 1) + 0.5)
    axes.grid(True, alpha=0.3)
    if values:
        axes.legend(loc="best")


def _plot_hyperparameter(
    axes, tuned_range: TunedRange, scored: list[TrainingJobResult], best: TrainingJobResult | None
) -> None:
    jobs = [job for job in scored if tuned_range.name in job.tuned_hyperparameters]
    values = [job.objective_value for job in jobs]
    if tuned_range.kind == "Categorical":
        categories = list(tuned_range.values)
        for job in jobs:
            if job.tuned_hyperparameters[tuned_range.name] not in categories:
                categories.append(job.tuned_hyperparameters[tuned_range.name])
        positions = [categories.index(job.tuned_hyperparameters[tuned_range.name]) for job in jobs]
        axes.set_xticks(range(len(categories)), categories)
        axes.set_xlim(-0.5, len(categories) - 0.5)
    else:
        positions = [float(job.tuned_hyperparameters[tuned_range.name]) for job in jobs]
        low, high = tuned_range.min_value, tuned_range.max_value
        # The x axis spans the searched range with a margin, so points at its ends stay whole.
        if tuned_range.log_axis:
            axes.set_xscale("log")
            axes.set_xlim(low / RANGE_MARGIN_FACTOR, high * RANGE_MARGIN_FACTOR)
        elif low is not None and high is not None and high > low:
            margin = (high - low) * (RANGE_MARGIN_FACTOR - 1)
            axes.set_xlim(low - margin, high + margin)

    axes.scatter(positions, values, color=POINT_COLOR, s=18, zorder=3)
    if best is not None and best in jobs:
        index = jobs.index(best)
        axes.scatter([positions[index]], [values[index]], color=BEST_COLOR, marker="*", s=140, zorder=4)

    scaling = f", {tuned_range.scaling}" if tuned_range.scaling else ""
    axes.set_title(f"{tuned_range.name} ({tuned_range.kind}{scaling})", fontsize=10)
    axes.set_xlabel(tuned_range.name)
    axes.set_ylabel(OBJECTIVE_METRIC)
    axes.grid(True, alpha=0.3)


def _plot_history(axes, history: list[RunRecord], run: RunRecord) -> None:
    runs = [
        record
        for record in history
        if record.outcome == "succeeded" and record.objective_value is not None and record.started_at_datetime
    ]
    runs.sort(key=lambda record: record.started_at)
    times = [record.started_at_datetime for record in runs]
    values = [record.objective_value for record in runs]
    axes.plot(times, values, color=POINT_COLOR, marker="o", label="best of a succeeded run")
    for record in runs:
        if record.run_key == run.run_key:
            axes.scatter(
                [record.started_at_datetime],
                [record.objective_value],
                color=BEST_COLOR,
                s=120,
                zorder=4,
                label="this run",
            )
        axes.annotate(
            record.version,
            xy=(record.started_at_datetime, record.objective_value),
            xytext=(4, 6),
            textcoords="offset points",
            fontsize=7,
        )

    axes.set_title(f"best {OBJECTIVE_METRIC} per run of dataset {run.dataset} (label: dataset version)")
    axes.set_xlabel("run start (UTC)")
    axes.set_ylabel(OBJECTIVE_METRIC)
    axes.grid(True, alpha=0.3)
    if runs:
        axes.legend(loc="best")
    else:
        axes.text(0.5, 0.5, "no succeeded run yet", transform=axes.transAxes, ha="center", va="center")
