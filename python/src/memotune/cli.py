"""``python -m memotune worker``: a stage worker from a module of ``@stage`` functions;
``python -m memotune trials <study id>``: a study's trials as CSV or JSON."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import ipaddress
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import temporalio.activity

from .activity import _package_version
from .log_format import TEXT_FORMAT, JsonLogFormatter, parse_log_format, parse_log_level, python_log_level
from .trials import NoWorker, StudyNotFound, TrialLogError, load_study
from .worker import run_worker


def load_stages(spec: str) -> None:
    """Imports a stage module (its ``@stage`` decorators register the stages): a ``.py`` file
    path, with its folder put on sys.path so it can import its siblings, or a module name."""
    path = Path(spec)
    if not path.is_file():
        importlib.import_module(spec)
        return
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot import stages from {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[path.stem] = module
    module_spec.loader.exec_module(module)


def _import_failure(spec: str, error: BaseException) -> str:
    """``memotune: --stages X could not be imported: <error>``, then the traceback's frames in the
    user's code (not this CLI's, not importlib's), most recent call last."""
    own = (str(Path(__file__).resolve().parent), "<frozen importlib")
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if not frame.filename.startswith(own)]
    lines = [f"memotune: --stages {spec} could not be imported: {type(error).__name__}: {error}"]
    if frames:
        lines.append("in your code (most recent call last):")
        lines.extend(line.rstrip("\n") for line in traceback.format_list(frames))
    return "\n".join(lines)


def queue_warning(task_queue: str) -> str | None:
    """A warning for a queue no study routes stages to: studies use ``<prefix>-<kind>`` queues."""
    if "-" in task_queue:
        return None
    return (
        f"memotune: warning: task queue '{task_queue}' has no '<prefix>-' part: a study runs a stage with "
        f"taskQueue '{task_queue}' on '<prefix>-{task_queue}' (memotune-{task_queue} with the default prefix), "
        "so this worker would never be given a stage; pass the full name, e.g. "
        f"--task-queue memotune-{task_queue}"
    )


def _bind_address(value: str) -> str:
    """``ip:port`` (an IPv6 address in brackets) for the metrics exporter, which takes no host names."""
    host, _, port = value.rpartition(":")
    ip = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        valid = ipaddress.ip_address(ip).version == (6 if host.startswith("[") else 4) and 1 <= int(port) <= 65535
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(
            f"must be an IP address and a port from 1 to 65535 (e.g. 0.0.0.0:9464 or [::]:9464), got '{value}'"
        )
    return value


def _log_format(value: str) -> str:
    try:
        return parse_log_format(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _configure_logging(log_format: str, log_level: str | None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    # INFO unless MEMOTUNE_LOG_LEVEL says otherwise: the worker's few lines (start, a stage's
    # retries) are what a stage author watches. Below INFO only memotune's and Temporal's own
    # loggers go lower: botocore's DEBUG lines carry every request's headers, the session token
    # among them (the TypeScript worker keeps its libraries at ERROR alike).
    level = logging.INFO if log_level is None else python_log_level(log_level)
    logging.basicConfig(level=max(level, logging.INFO), handlers=[handler])
    for name in ("memotune", "temporalio"):
        logging.getLogger(name).setLevel(level)
    if log_format == "json":
        # The activity context is a field of the line (temporal_activity), not repeated in its text.
        temporalio.activity.logger.activity_info_on_message = False


def _parser() -> argparse.ArgumentParser:
    # The module docstring is reStructuredText; --help shows it without the markup.
    description = __doc__.replace("``", "") if __doc__ else None
    parser = argparse.ArgumentParser(prog="python -m memotune", description=description)
    parser.add_argument("--version", action="version", version=f"memotune {_package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="serve runStage for Python stages on one task queue")
    worker.add_argument("--stages", action="append", required=True, metavar="FILE_OR_MODULE",
                        help="a .py file or module name defining @stage functions (repeatable)")
    worker.add_argument("--task-queue", required=True, help="the task queue the study routes these stages to")
    worker.add_argument("--address", help="Temporal frontend host:port (default: the profile, $TEMPORAL_ADDRESS, "
                        "the local stack of memotune dev, or 127.0.0.1:7233)")
    worker.add_argument("--namespace", help="Temporal namespace (default: the profile, $TEMPORAL_NAMESPACE, or default)")
    worker.add_argument("--profile", help="profile of the Temporal config file: TLS, API key, address "
                        "(default $TEMPORAL_PROFILE)")
    worker.add_argument("--metrics", type=_bind_address, metavar="IP:PORT",
                        help="serve Prometheus metrics at http://IP:PORT/metrics (the SDK's worker metrics and "
                        "memotune_stage_attempt_seconds)")
    worker.add_argument("--log-format", type=_log_format, metavar="{text,json}",
                        help="text, or json: one JSON object a line, for log shippers (default: $MEMOTUNE_LOG_FORMAT, "
                        "else text)")
    worker.add_argument("--max-concurrent", type=int, default=1, metavar="N",
                        help="stages run at once by this worker (default 1)")
    trials = commands.add_parser("trials", help="a study's trials, one per row (as memotune study trials)")
    trials.add_argument("study_id", metavar="STUDY_ID")
    trials.add_argument("--format", choices=["csv", "json"], default="csv",
                        help="csv: the columns of memotune study trials --format csv; json: the records")
    trials.add_argument("--address", help="Temporal frontend host:port (found as for worker)")
    trials.add_argument("--namespace", help="Temporal namespace (found as for worker)")
    trials.add_argument("--profile", help="profile of the Temporal config file (found as for worker)")
    return parser


def _trials(args: argparse.Namespace) -> int:
    try:
        study = asyncio.run(
            load_study(args.study_id, address=args.address, namespace=args.namespace, profile=args.profile)
        )
    except (StudyNotFound, NoWorker, TrialLogError, ValueError) as error:
        print(f"memotune: {error}", file=sys.stderr)
        return 2 if isinstance(error, ValueError) else 1
    print(study.to_csv() if args.format == "csv" else json.dumps(study.trials, indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "trials":
        return _trials(args)
    log_format = args.log_format
    if log_format is None:
        try:
            log_format = parse_log_format(os.environ.get("MEMOTUNE_LOG_FORMAT") or "text")
        except ValueError as error:
            print(f"memotune: MEMOTUNE_LOG_FORMAT {error}", file=sys.stderr)
            return 2
    log_level = None
    if os.environ.get("MEMOTUNE_LOG_LEVEL"):
        try:
            log_level = parse_log_level(os.environ["MEMOTUNE_LOG_LEVEL"])
        except ValueError as error:
            print(f"memotune: MEMOTUNE_LOG_LEVEL {error}", file=sys.stderr)
            return 2
    _configure_logging(log_format, log_level)
    for spec in args.stages:
        if not Path(spec).is_file() and (spec.endswith(".py") or "/" in spec):
            # Meant as a file: "No module named 'stages'" would not say which path was wrong.
            print(f"memotune: --stages {spec}: no such file", file=sys.stderr)
            return 2
        try:
            load_stages(spec)
        except Exception as error:  # the user's module: say which, and show its own frames only
            print(_import_failure(spec, error), file=sys.stderr)
            return 2
    warning = queue_warning(args.task_queue)
    if warning is not None:
        print(warning, file=sys.stderr)
    try:
        asyncio.run(
            run_worker(
                args.task_queue,
                address=args.address,
                namespace=args.namespace,
                profile=args.profile,
                max_concurrent=args.max_concurrent,
                metrics=args.metrics,
                forward_core_logs=log_format == "json",
                core_log_level=log_level,
            )
        )
    except ValueError as error:  # configuration: no stages, no S3 endpoint
        print(f"memotune: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 130
    except Exception:
        if log_format != "json":
            raise
        # One JSON line like the others rather than a plain traceback between them.
        logging.getLogger("memotune").exception("the worker failed")
        return 1
    return 0
