"""`llmdyn run`: run an experiment into a SQLite store (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def command(
    config: Annotated[Optional[Path], typer.Argument(
        help="Experiment config (TOML). Optional: flags alone run the bundled tasks.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model name.")] = None,
    base_url: Annotated[Optional[str], typer.Option(
        "--base-url", help="OpenAI-compatible API root (OpenAI, vLLM, Ollama, llama.cpp).")] = None,
    api_key_env: Annotated[Optional[str], typer.Option(
        "--api-key-env", help="Environment variable holding the API key.")] = None,
    tasks: Annotated[Optional[str], typer.Option(
        "--tasks", help="Task ids, comma-separated (default: all bundled).")] = None,
    strategies: Annotated[Optional[str], typer.Option(
        "--strategies", help="Strategies, comma-separated (default EF,SF,FF,AI).")] = None,
    sessions: Annotated[Optional[int], typer.Option(
        "--sessions", help="Sessions per task x strategy.")] = None,
    iterations: Annotated[Optional[int], typer.Option(
        "--iterations", help="Improvement turns after the first answer.")] = None,
    concurrency: Annotated[Optional[int], typer.Option(
        "--concurrency", help="Sessions in flight at once.")] = None,
    store: Annotated[Optional[str], typer.Option("--store", help="SQLite store path.")] = None,
    name: Annotated[Optional[str], typer.Option(
        "--name", help="Experiment name (default: model + hash of the settings).")] = None,
    temperature: Annotated[Optional[float], typer.Option("--temperature")] = None,
    seed: Annotated[Optional[int], typer.Option(
        "--seed", help="Seed sent to the server (plus the replicate index).")] = None,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens")] = None,
    timeout: Annotated[Optional[float], typer.Option(
        "--timeout", help="Per-request timeout in seconds.")] = None,
    retries: Annotated[Optional[int], typer.Option(
        "--retries", help="Retries of a transient failure before the session fails.")] = None,
    backoff_base: Annotated[Optional[float], typer.Option(
        "--backoff-base", help="Base of the exponential backoff in seconds.")] = None,
    history: Annotated[Optional[str], typer.Option(
        "--history", help="full (keep the conversation) or last (only the latest version).")] = None,
    replay: Annotated[bool, typer.Option(
        "--replay", help="Answer from the bundled recorded corpus (no network).")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the response cache.")] = False,
    policy: Annotated[Optional[str], typer.Option(
        "--policy", help="Steering policy spec: fixed:EF, schedule:FF3-SF4-EF3-AI, phase, bandit, mpc.")
    ] = None,
    policy_data: Annotated[Optional[Path], typer.Option(
        "--policy-data", help="Trajectory file or store to fit the models a policy needs.")] = None,
    probe_determinism: Annotated[int, typer.Option(
        "--probe-determinism", min=0,
        help="Before the run, send the first request of this many tasks 3 times each with the "
             "same seed (uncached) and record how many answered identically.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run sessions (task prompt, then improvement turns under a strategy), score
    every response and store each step; rerun the same command to resume."""
    from ..experiment import load_config, run_experiment

    overrides = {
        "model": model, "base_url": base_url, "api_key_env": api_key_env,
        "tasks": _split(tasks), "strategies": _split(strategies), "sessions": sessions,
        "iterations": iterations, "concurrency": concurrency, "store": store, "name": name,
        "temperature": temperature, "seed": seed, "max_tokens": max_tokens, "timeout": timeout,
        "retries": retries, "backoff_base": backoff_base, "history": history,
        "policy": policy, "policy_data": str(policy_data) if policy_data else None,
    }
    if replay:
        overrides["backend"] = "replay"
    if no_cache:
        overrides["cache"] = False
    cfg = load_config(config, overrides)
    if probe_determinism:
        from ..experiment import probe_determinism as probe

        typer.echo(probe(cfg, probe_determinism).summary(), err=True)
    summary = run_experiment(cfg, progress=not quiet)
    d = summary.to_dict()
    typer.echo(
        f"experiment {d['experiment']} in {d['store']}: {d['sessions']} sessions "
        f"({d['sessions_done']} completed now, {d['sessions_failed']} failed, "
        f"{d['sessions_stopped']} stopped by the policy); steps: {d['steps_ok']} scored, "
        f"{d['steps_failed']} failed, {d['steps_resumed']} kept from before; "
        f"{d['requests']} requests ({d['retries']} retries, {d['cached']} from cache), "
        f"{d['tokens']} tokens, {d['wall_s']:.1f} s", err=True)
    if summary.interrupted:
        typer.echo("interrupted: completed steps are kept; rerun the same command to resume",
                   err=True)
        raise typer.Exit(130)
