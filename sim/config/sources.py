"""Where configuration files are read from: ``conf/`` and, before it, a user's own folder (``--config-dir``),
in Hydra's order (the first folder that has a file wins). Every command, the comparison and the report find a
region or scenario file here, so each reads the file the run used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


# ====================================================================== the command line


def config_dirs() -> list[Path]:
    """The folders configuration files are read from, in Hydra's order (the first that has a file wins): those of
    the Hydra instance in use (the app's, or :func:`composing`'s), else ``conf/`` alone."""
    from hydra.core.global_hydra import GlobalHydra

    gh = GlobalHydra.instance()
    if not gh.is_initialized() or gh.hydra is None:
        return [CONF_DIR]
    return [Path(s.path) for s in gh.hydra.config_loader.get_sources() if s.scheme() == "file"]


def group_file(group: str, name: str) -> Path | None:
    """The file ``<group>/<name>.yaml`` Hydra reads for ``group=name`` (see :func:`config_dirs`), or None."""
    return next((d / group / f"{name}.yaml" for d in config_dirs() if (d / group / f"{name}.yaml").is_file()), None)


def group_options(group: str) -> list[str]:
    """The choices of a config group: the files in ``<folder>/<group>/`` of every configuration folder."""
    return sorted({p.stem for d in config_dirs() for p in (d / group).glob("*.yaml")})
