"""memotune for Python: run Python functions as stages of a memotune pipeline.

Stages are registered with :func:`stage` and served by :func:`run_worker` (or
``python -m memotune worker``) on a Temporal task queue; they share the S3 stage cache with
TypeScript stages (docs/stage-contract.md, contract version 1). :func:`load_study` reads a study's
trials (``python -m memotune trials``); :func:`start_study`, :func:`study_progress`,
:func:`enqueue_trials`, :func:`extend_budget`, :func:`stop_study` and :func:`wait_for_study`
start, steer and await studies.
"""

from .activity import CONTRACT_VERSION, StageActivity, _package_version
from .cache import CacheReadError
from .control import (
    StudyConfigRejected,
    StudyExists,
    StudyFinished,
    enqueue_trials,
    extend_budget,
    start_study,
    stop_study,
    study_progress,
    wait_for_study,
)
from .context import MAX_INTERMEDIATE_STEPS, StageContext, StageOutput, TrialPruned
from .registry import StageDefinition, registered_stages, stage
from .result import StageResult, output_directory, output_file, output_stream
from .s3 import S3ObjectStore, S3Settings
from .store import MemoryObjectStore, ObjectStore
from .trials import NoWorker, Study, StudyNotFound, TrialLogError, load_study
from .worker import run_worker

__version__ = _package_version()
"""This package's version; with the commit of its npm package's build when installed from one."""

__all__ = [
    "__version__",
    "CONTRACT_VERSION",
    "CacheReadError",
    "MAX_INTERMEDIATE_STEPS",
    "MemoryObjectStore",
    "NoWorker",
    "ObjectStore",
    "S3ObjectStore",
    "S3Settings",
    "StageActivity",
    "StageContext",
    "StageDefinition",
    "StageOutput",
    "StageResult",
    "StudyConfigRejected",
    "StudyExists",
    "StudyFinished",
    "Study",
    "StudyNotFound",
    "TrialLogError",
    "TrialPruned",
    "enqueue_trials",
    "extend_budget",
    "load_study",
    "output_directory",
    "output_file",
    "output_stream",
    "registered_stages",
    "run_worker",
    "stage",
    "start_study",
    "stop_study",
    "study_progress",
    "wait_for_study",
]
