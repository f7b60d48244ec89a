"""Progress bars for the operations that can take more than a couple of seconds.

:func:`simlab.run`, :func:`~simlab.tornado`, :func:`~simlab.sensitivity.spider`,
:func:`~simlab.sweep`, :func:`~simlab.sobol` and :func:`~simlab.morris` show one bar, on by
default in a Jupyter notebook and in a terminal (standard error is a TTY), off elsewhere
(a log, a test run) and with ``progress=False``. In a notebook the bar is a widget when
ipywidgets is installed and text otherwise, so a missing ipywidgets never warns.

Examples
--------
>>> with progress_bar(False, total=3, desc="demo", unit="run") as bar:
...     bar.disable
True
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.util
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from simlab.errors import ScenarioError

__all__ = [
    "check_progress",
    "progress_bar",
    "progress_scope",
    "shown_by_default",
    "with_progress",
]

#: The ``progress=`` of the public function now running, for the helpers it calls.
_CURRENT: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "simlab_progress", default=None
)


def check_progress(progress: object) -> bool | None:
    """Return ``progress`` if it is None, True or False; raise otherwise."""
    if progress is not None and not isinstance(progress, bool):
        raise ScenarioError(f"progress must be None, True or False, got {progress!r}")
    return progress


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    get = getattr(shell, "get_ipython", None)
    ip = get() if callable(get) else None
    return type(ip).__name__ == "ZMQInteractiveShell"


def shown_by_default() -> bool:
    """Whether a bar shows when ``progress`` is None: in a notebook or a terminal."""
    if _in_notebook():
        return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


@contextlib.contextmanager
def progress_scope(progress: bool | None) -> Iterator[None]:
    """Let the helpers of a public function know its ``progress=`` (a context variable)."""
    token = _CURRENT.set(check_progress(progress))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def progress_bar(progress: bool | None, total: int, desc: str, unit: str) -> Any:
    """Return a tqdm bar (a context manager); disabled when it should not show.

    Parameters
    ----------
    progress : bool or None
        True or False to force it; None for the default (notebook or terminal), or the
        setting of the enclosing :func:`progress_scope`.
    total : int
        Units of work.
    desc : str
        What is running.
    unit : str
        The unit of work (``"draw"``, ``"run"``).
    """
    if progress is None:
        progress = _CURRENT.get()
    show = shown_by_default() if progress is None else bool(progress)
    if show and _in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(
        total=total, unit=unit, desc=desc, disable=not show, file=sys.stderr, dynamic_ncols=True
    )


_F = TypeVar("_F", bound=Callable[..., Any])


def with_progress(func: _F) -> _F:
    """Run ``func`` inside :func:`progress_scope` of its keyword-only ``progress=``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with progress_scope(kwargs.get("progress")):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
