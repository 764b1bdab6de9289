"""The persistent job queue and history (SQLite) and the worker thread that runs prompts."""

from .store import DuplicatePromptId, Job, JobStore
from .worker import Publisher, Worker

__all__ = ["DuplicatePromptId", "Job", "JobStore", "Publisher", "Worker"]
