"""``ganlab sweep SWEEP.yaml``: run a base config x variants x seeds, resumably and in parallel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganlab.cli.options import SetOption


def register(app: typer.Typer) -> None:
    @app.command()
    def sweep(
        file: Annotated[Path, typer.Argument(help="Sweep file (YAML): name, base, seeds, variants, grid.")],
        set_: SetOption = None,
        out: Annotated[Path | None, typer.Option("--out", help="Output folder; the sweep goes in OUT/<name> and "
                                                 "its report in OUT/reports/<name>.html (default: runs/ and "
                                                 "reports/).", show_default=False)] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the expanded runs; train nothing.")] = False,
        workers: Annotated[int | None, typer.Option("--workers", min=1, help="Runs at once (default: CPU cores, "
                                                    "or GPUs x runs_per_gpu).", show_default=False)] = None,
        backend: Annotated[str, typer.Option("--backend", help="local or ray.")] = "local",
        ray_address: Annotated[str | None, typer.Option("--ray-address", help="Ray cluster address "
                                                        "(--backend ray).", show_default=False)] = None,
        report: Annotated[bool, typer.Option("--report/--no-report", help="Write the HTML report "
                                             "when done.")] = True,
    ) -> None:
        """Run a sweep: finished runs are skipped, interrupted ones resume; exit 3 if a run errored."""
        from ganlab.config import parse_set_args
        from ganlab.io import check_output_dir, check_output_file
        from ganlab.schema import RESULTS
        from ganlab.sweep.plan import plan_runs
        from ganlab.sweep.runner import run_sweep
        from ganlab.sweep.spec import load_sweep_spec

        spec = load_sweep_spec(file, parse_set_args(set_ or []))
        root = out if out is not None else Path(DEFAULT_OUT)
        check_output_dir(root / spec.name, "--out")  # before any training, like the report's place below
        if report and not dry_run:
            check_output_file(report_path(spec.name, out), "report")
        if dry_run:
            from ganlab.sweep.runner import finished_info

            tasks = plan_runs(spec, root.absolute() / spec.name)
            done = {t.run_id for t in tasks if finished_info(t)}
            typer.echo(dry_run_table(spec, tasks, done))
            typer.echo(design_text(spec))
            typer.echo(estimate_text(spec, [t for t in tasks if t.run_id not in done], workers))
            return
        try:
            if spec.analysis.sequential is not None:
                from ganlab.sweep.sequential import run_sequential

                result = run_sequential(spec, root, workers=workers, backend=backend, ray_address=ray_address,
                                        echo=typer.echo)
            else:
                result = run_sweep(spec, root, workers=workers, backend=backend, ray_address=ray_address)
        except KeyboardInterrupt:
            typer.echo(f"sweep {spec.name}: interrupted; run the same command again to resume", err=True)
            raise typer.Exit(130) from None
        counts = result.results["status"].value_counts().to_dict()
        summary = ", ".join(f"{counts[s]} {s}" for s in ("completed", "failed", "error", "pending") if counts.get(s))
        typer.echo(f"sweep {spec.name}: {result.n_runs} runs ({summary}); results: "
                   f"{result.sweep_dir / RESULTS}")
        if report:
            _report(result.sweep_dir, report_path(spec.name, out))
        if result.exit_code:
            raise typer.Exit(result.exit_code)


DEFAULT_OUT = "runs"


def report_path(name: str, out: Path | None) -> Path:
    """``reports/<name>.html`` by default (the main job's documented place); ``OUT/reports/<name>.html``
    with ``--out OUT``, so a user who points ``--out`` elsewhere finds everything there."""
    return (Path("reports") if out is None else out / "reports") / f"{name}.html"


def dry_run_table(spec: object, tasks: list, done: set[str]) -> str:
    """Plain aligned columns: variant, seed, run_id, status (done/to run), overrides."""
    import json

    header = ("variant", "seed", "run_id", "status", "overrides")
    from ganlab.errors import escape

    # Escaped: a grid value (a data.path, say) may hold control characters that would drive the terminal.
    rows = [(escape(t.variant), str(t.seed), t.run_id, "done" if t.run_id in done else "to run",
             escape(json.dumps(t.overrides)) if t.overrides else "(base)") for t in tasks]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in [header, *rows]]
    per_variant = {v: sum(t.variant == v for t in tasks) for v in dict.fromkeys(t.variant for t in tasks)}
    todo = sum(r[3] == "to run" for r in rows)
    counts = sorted(set(per_variant.values()))
    seeds = f"{counts[0]} seeds" if len(counts) == 1 else "seeds " + " / ".join(
        f"{v}: {n}" for v, n in per_variant.items())
    lines.append(f"{len(tasks)} runs = {len(per_variant)} variants x {seeds}; {todo} to run (dry run: nothing trained)")
    return "\n".join(lines)


def estimate_text(spec: object, todo: list, workers: int | None) -> str:
    """The time estimate of the runs still to train (``ganlab.sweep.estimate``)."""
    from ganlab.errors import ConfigError
    from ganlab.sweep.estimate import estimate_lines
    from ganlab.sweep.options import default_workers, threads_per_worker
    from ganlab.train.device import resolve_device

    if not todo:
        return "time estimate: nothing left to train"
    try:
        on_cpu = resolve_device(spec.base.train.device).type == "cpu"  # type: ignore[attr-defined]
    except ConfigError:  # e.g. cuda asked for on a machine without one: planning a GPU sweep here
        on_cpu = False
    n_gpus = 0 if on_cpu else None
    n_workers = workers or spec.workers or default_workers(  # type: ignore[attr-defined]
        len(todo), spec.runs_per_gpu, n_gpus)  # type: ignore[attr-defined]
    lines = estimate_lines(todo, n_workers, threads_per_worker(n_workers), on_cpu)
    return "\n".join(["time estimate of the runs still to train:", *(f"  {line}" for line in lines)])


def design_text(spec: object) -> str:
    """The power plan: the smallest p each primary test can reach, the seeds a verdict needs, warnings."""
    from ganlab.stats.design import design
    from ganlab.sweep.spec import BASELINE

    n_variants = max(len(spec.variants) - 1, 1)  # type: ignore[attr-defined]
    plan = spec.analysis  # type: ignore[attr-defined]
    lines = design(plan, n_variants, len(spec.seeds), len(spec.seeds_of(BASELINE))).lines()  # type: ignore[attr-defined]
    if plan.sequential is not None:
        from ganlab.stats.sequential import looks

        lines.append(f"  sequential: looks at {looks(len(spec.seeds), plan.sequential)} seeds "  # type: ignore[attr-defined]
                     f"({plan.sequential.spending} alpha spending); undecided variants get more seeds")
    return "\n".join(lines)


def _report(sweep_dir: Path, out_html: Path) -> None:
    """Build the HTML report; a failing report never fails the sweep (the runs are already on disk)."""
    from ganlab.report import build_report

    try:
        build_report(sweep_dir, out_html, baseline="baseline")
    except Exception as err:  # noqa: BLE001 - the runs are done; the report is a convenience on top
        typer.echo(f"report: not written ({type(err).__name__}: {err}); run `ganlab report {sweep_dir}` later",
                   err=True)
        return
    typer.echo(f"report: {out_html}")
