"""Command line: ``simcore run CONFIG`` -> zarr store under ``results/`` + summary table."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from simcore.schema.config import BASELINE_POLICY, load_config
from simcore.schema.errors import InputError
from simcore.run.runner import (
    Simulation,
    chunk_dataset,
    daily_trajectories,
    iter_chunks,
    normal_times,
    run_attributes,
)
from simcore.run.summary import pillar_effects, summarize
from simcore.run.store import open_results, set_attributes, write_chunk, write_group


def run_to_store(config, output: Path, *, scenarios: int, chunk_size: int, log=print):
    """Stream every chunk to ``output`` and write summary groups; returns (summary, effects)."""
    sim = Simulation.from_config(config)
    output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    done = 0
    for first, metrics, draws in iter_chunks(sim, scenarios, chunk_size):
        write_chunk(chunk_dataset(sim, first, metrics, draws), output, first=(done == 0))
        done += next(iter(metrics.values())).shape[1]
        log(f"  {done:>10,d} / {scenarios:,d} scenarios  ({time.perf_counter() - started:6.1f} s)")
    attrs = run_attributes(sim, scenarios)
    attrs["config"] = str(config.path)
    set_attributes(output, attrs)
    per_scenario = open_results(output)  # lazy: summarize loads one variable at a time
    summary = summarize(per_scenario)
    normal = normal_times(sim)
    effects = pillar_effects(summary, normal)
    if config.daily_scenarios:
        write_group(daily_trajectories(sim, range(config.daily_scenarios)), output, "daily")
    write_group(summary, output, "summary")
    write_group(normal, output, "normal_times")
    write_group(effects, output, "effects")
    return summary, effects


def format_summary(summary, effects) -> str:
    """A readable table: per product and policy, then policy-level effects."""
    lines = []
    header = (f"{'product':<22} {'policy':<26} {'mean short.':>11} {'P(short.)':>9} {'q95 days':>8} "
              f"{'CVaR95':>8} {'peak price':>10}")
    lines.append("Shortage days and prices per product (across scenarios)")
    lines.append(header)
    lines.append("-" * len(header))
    for product in summary["product"].values:
        for policy in summary.policy.values:
            row = summary.sel(policy=policy, product=product)
            short = row["shortage_days"]
            lines.append(
                f"{str(product):<22} {str(policy):<26} {float(short.sel(statistic='mean')):>11.1f} "
                f"{float(short.sel(statistic='p_positive')):>9.1%} {float(short.sel(statistic='q95')):>8.0f} "
                f"{float(short.sel(statistic='cvar95')):>8.1f} "
                f"{float(row['peak_price_change'].sel(statistic='mean')):>+10.0%}"
            )
    lines.append("")
    header = (f"{'policy':<26} {'short. days':>11} {'reduction':>9} {'P(any)':>7} {'index chg':>9} "
              f"{'normal-time':>11} {'lost output':>12} {'fiscal/yr':>10}")
    lines.append("Policy mixes against the no-policy baseline (same scenarios; sums over products)")
    lines.append(header)
    lines.append("-" * len(header))
    for policy in effects.policy.values:
        e = effects.sel(policy=policy)
        total = float(e["shortage_days_mean"].sum())
        reduction = float(e["shortage_days_mean_reduction"].sum())
        p_any = float(summary["shortage_days"].sel(policy=policy, statistic="p_positive").max())
        lines.append(
            f"{str(policy):<26} {total:>11.1f} {reduction:>9.1f} {p_any:>7.1%} "
            f"{float(e['price_index_change_mean']):>+9.4%} {float(e['normal_price_index_change']):>+11.4%} "
            f"{float(e['lost_output_mean'].sum()):>12.3g} {float(e['stockpile_fiscal_cost_per_year']):>10.3g}"
        )
    lines.append("")
    lines.append(f"short. = shortage; P(any) = highest probability of a shortage across products; index chg = mean "
                 f"final-demand price index change over the horizon; normal-time = the policy's price side effect "
                 f"with no disruption; baseline policy: {BASELINE_POLICY}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="simcore", description="Stochastic supply-disruption simulator.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a configured sweep and write a zarr store")
    run.add_argument("config", help="config file (TOML), e.g. configs/quickstart.toml")
    run.add_argument("--scenarios", type=int, help="override run.scenarios")
    run.add_argument("--chunk-size", type=int, help="override run.chunk_size")
    run.add_argument("--output", help="zarr store path (default results/<config name>.zarr)")
    args = parser.parse_args(argv)

    try:
        config = load_config(args.config)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 2
    scenarios = args.scenarios or config.scenarios
    chunk_size = args.chunk_size or config.chunk_size
    if scenarios < 1 or chunk_size < 1:
        print("--scenarios and --chunk-size must be >= 1", file=sys.stderr)
        return 2
    output = Path(args.output or config.output or Path("results") / f"{Path(args.config).stem}.zarr")
    loaded = config.loaded
    print(f"simcore: model {loaded.name!r} ({len(loaded.products)} products, {len(loaded.origins)} origins, "
          f"{len(loaded.sectors)} sectors), {len(config.events.hazard_per_year)} event(s), "
          f"{len(config.policies)} policy mix(es), {scenarios:,d} scenarios x {config.horizon_days} days")
    summary, effects = run_to_store(config, output, scenarios=scenarios, chunk_size=chunk_size)
    print()
    print(format_summary(summary, effects))
    print(f"\nresults written to {output} (groups: root per-scenario, summary, effects, normal_times"
          f"{', daily' if config.daily_scenarios else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
