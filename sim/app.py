"""What every command of ketensim shares: from the words a user typed to a validated configuration, or one line.

``python -m sim`` (sim/cli.py), ``python -m sim.size``, ``sim.capacity``, ``sim.backlog`` and ``sim.screening``
all take Hydra overrides (``region=demo staffing.gi.fte=300``). Before any simulated time each of them

1. reads where the configuration comes from, as Hydra will (:func:`config_source`: ``conf/``, and a user's own
   folder added with Hydra's ``--config-dir DIR``; ``--config-path``, ``--config-name``);
2. checks that every argument is an override and that a group choice (``region=myregion``) names a file of that
   group in one of those folders, the one Hydra reads (:func:`overrides`, :func:`check_group_choice`);
3. composes the configuration exactly as its Hydra app will, from the same folders (:func:`composing`,
   :func:`compose`) and validates it (:func:`validated` for a command that runs one configuration);
4. reports whatever is wrong as one line, ``ketensim: error: <field> = <value> (<what is allowed>)``, with exit
   status 2 and no traceback (:func:`one_line_errors`, :func:`fail`).

:func:`entry` does this and then hands the same command line to the Hydra app; :func:`run_hydra` is that app for a
command whose job is a function of the configuration and its output folder.

Also here, because a run (sim/cli.py) and a comparison of workflows (sim/analysis/compare.py) both write and print them:
:func:`assumptions_table` (every assumed value in force, ``assumptions.csv``) and :func:`stability_warnings`.

Depends on sim/config/ (the schema, its sources, the gate), sim/chain/checks.py (``ConfigError``) and sim/config/provenance.py only. It imports no command module
(cli, compare, size, ...), so every command imports it without an import cycle.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TypeVar

from omegaconf import DictConfig, OmegaConf

from sim.chain.checks import ConfigError
from sim.config import schema as config_mod

if TYPE_CHECKING:
    pass
from sim.config import provenance
from sim.config.sources import CONF_DIR, config_dirs, group_file, group_options

# Hydra's own flags that show something and run nothing: no preflight, Hydra answers them itself
PASS_THROUGH = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc",
                "--version", "--resolve", "-p", "--package")
MULTIRUN = ("-m", "--multirun")
# Hydra's flags that take the next argument as their value (or are written --flag=value)
VALUE_FLAGS = {"--config-dir": "config_dir", "-cd": "config_dir", "--config-path": "config_path",
               "-cp": "config_path", "--config-name": "config_name", "-cn": "config_name",
               "--experimental-rerun": "rerun"}

T = TypeVar("T")


# ====================================================================== one line, exit status 2


def fail(message: str) -> SystemExit:
    """Print ``ketensim: error: <message>`` on stderr; the SystemExit (status 2) to raise ``from None``."""
    print(f"ketensim: error: {message}", file=sys.stderr)
    return SystemExit(2)


@contextlib.contextmanager
def one_line_errors(*also: type[Exception]) -> Iterator[None]:
    """Turn a :class:`ConfigError` (and the exception types in ``also``) into one line on stderr and exit 2,
    without a traceback. Any other exception is a bug and keeps its traceback."""
    try:
        yield
    except (ConfigError, *also) as err:
        raise fail(str(err)) from None


@dataclass(frozen=True)
class Source:
    """Where a command's configuration comes from, as Hydra's own flags say: the primary folder (``conf/``, or
    ``--config-path``), a user's folder added to the search path (``--config-dir``, read after the primary one:
    Hydra's order) and the primary config's name (``--config-name``; None: the command's own)."""

    primary: Path = CONF_DIR
    extra: Path | None = None
    config_name: str | None = None


def flag_values(argv: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(Hydra's value flags by name, the other arguments): ``--config-dir DIR``, ``-cd DIR``, ``--config-dir=DIR``.
    Raises ConfigError for a flag without its value."""
    flags: dict[str, str] = {}
    rest: list[str] = []
    args = iter(argv)
    for a in args:
        name, eq, value = a.partition("=")
        if a.startswith("-") and name in VALUE_FLAGS:
            if not eq:
                value = next(args, "")
            if not value:
                raise ConfigError(f"{name} needs a value (e.g. {name} DIR)")
            flags[VALUE_FLAGS[name]] = value
        else:
            rest.append(a)
    return flags, rest


def config_source(argv: Sequence[str]) -> Source:
    """The :class:`Source` a command line names. Raises ConfigError for a folder that is not there, or a relative
    ``--config-path`` (Hydra reads that relative to the sim package, not to the working folder)."""
    flags, _ = flag_values(argv)
    extra = None
    if "config_dir" in flags:
        extra = Path(flags["config_dir"]).expanduser().resolve()
        if not extra.is_dir():
            raise ConfigError(f"--config-dir = {flags['config_dir']!r} (not a folder: give the folder that holds "
                              f"your region/<name>.yaml, e.g. --config-dir ./myconf region=<name>)")
    primary = CONF_DIR
    if "config_path" in flags:
        given = Path(flags["config_path"]).expanduser()
        if not given.is_absolute():
            raise ConfigError(f"--config-path = {flags['config_path']!r} (must be an absolute folder: Hydra reads a "
                              f"relative one inside the sim package; to add files of your own use --config-dir DIR)")
        if not given.is_dir():
            raise ConfigError(f"--config-path = {flags['config_path']!r} (not a folder)")
        primary = given.resolve()
    return Source(primary, extra, flags.get("config_name"))


def entry(argv: list[str] | None, preflight: Callable[[list[str]], object], run: Callable[[], None]) -> None:
    """A command with a Hydra app: ``preflight(argv)`` composes and validates what the app would run (bad input:
    one line, exit 2), then ``run()`` starts the app, which reads the command line itself. Hydra's own flags
    (``--cfg job``, ``--help``, :data:`PASS_THROUGH`) skip the preflight."""
    argv = sys.argv[1:] if argv is None else argv
    if not any(a.split("=")[0] in PASS_THROUGH for a in argv):
        with one_line_errors():
            preflight(argv)
    run()


def run_hydra(config_name: str, job: Callable[[DictConfig, Path], object]) -> None:
    """Run ``job(cfg, output folder)`` as the Hydra app of ``conf/<config_name>.yaml`` on this command line.

    The app is ``job`` itself to Hydra (``functools.wraps``): Hydra names the run (``hydra.job.name``, its log
    file) after the module that defines ``job``, as when every command declared its own ``@hydra.main``."""
    import hydra
    from hydra.core.hydra_config import HydraConfig

    config_mod.register()

    @hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name=config_name)
    @functools.wraps(job)
    def app(cfg: DictConfig) -> None:
        job(cfg, Path(HydraConfig.get().runtime.output_dir))

    app()


def check_group_choice(override: str) -> None:
    """``region=myregion``: the option must be a file of the group in a configuration folder, and a user's file
    must not be hidden by a built-in one of the same name (Hydra would read the built-in). Raises ConfigError."""
    key, _, value = override.lstrip("+~").partition("=")
    dirs = config_dirs()
    if "." in key or "/" in key or not any((d / key).is_dir() for d in dirs):
        return
    for choice in value.strip("[]").split(","):
        choice = choice.strip()
        if choice.startswith(("range(", "choice(", "glob(", "interval(")):
            continue
        found = [d / key / f"{choice}.yaml" for d in dirs if (d / key / f"{choice}.yaml").is_file()]
        if choice and not found:
            raise ConfigError(f"{key} = {choice!r} (allowed: {', '.join(group_options(key))})")
        if len(found) > 1:
            raise ConfigError(f"{key} = {choice!r} ({found[1]} is hidden by {found[0]}, which Hydra reads first: "
                              f"give your file another name)")


def is_multirun(argv: Sequence[str]) -> bool:
    return any(a in MULTIRUN for a in argv)


def overrides(argv: Sequence[str], example: str, *, hydra_app: bool = True) -> list[str]:
    """The overrides on the command line, each checked to be ``key=value`` with an existing group choice.

    ``example`` is the override the error message suggests (``region=national``). ``hydra_app``: a Hydra app reads
    the same command line, so its flags (``-m``, ``--cfg job``) may stand among the overrides and are passed over
    here; a command without one takes overrides only. Raises ConfigError.
    """
    args = [a for a in flag_values(argv)[1] if not a.startswith("-")] if hydra_app else list(argv)
    for o in args:
        if "=" not in o:
            raise ConfigError(f"{o!r} is not an override (write key=value, e.g. {example})")
        check_group_choice(o)
    return args


def model_overrides(args: Sequence[str]) -> list[str]:
    """Without ``hydra.*`` overrides: those set up the Hydra app (run folder, launcher), not the configuration."""
    return [o for o in args if not o.lstrip("+~").startswith("hydra")]


# ====================================================================== composing as Hydra will


def describe_compose_error(err: BaseException) -> str:
    """One line for an error Hydra or OmegaConf raised while composing: ``<key> = <value> (<why>)`` when the
    error names a key, else its first 300 characters."""
    cause: BaseException | None = err
    while cause is not None:
        key = getattr(cause, "full_key", None)
        if key:
            value = getattr(cause, "value", None)
            first = str(cause).splitlines()[0]
            return f"{key} = {value!r} ({first})" if value is not None else f"{key}: {first}"
        cause = cause.__cause__ or cause.__context__
    text = " ".join(str(err).split())
    return text[:300]


@contextlib.contextmanager
def composing(source: Source | None = None) -> Iterator[None]:
    """Hydra's compose API for the duration of the block, on the folders the Hydra app will read (``source``:
    ``conf/`` by default; a ``--config-dir`` folder is added after it, as Hydra adds it), cleared again afterwards
    (also on error), so the Hydra app that follows starts clean."""
    from hydra import initialize_config_dir
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.global_hydra import GlobalHydra

    source = source or Source()
    config_mod.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(source.primary), version_base="1.3"):
            if source.extra is not None:  # exactly as hydra.main adds --config-dir (hydra/_internal/utils.py)
                GlobalHydra.instance().clear()
                search_path = create_config_search_path(search_path_dir=str(source.primary))
                search_path.prepend(provider="command-line", path=f"file://{source.extra}",
                                    anchor=SearchPathQuery(provider="schema"))
                Hydra.create_main_hydra2(task_name="app", config_search_path=search_path)
            yield
    finally:
        GlobalHydra.instance().clear()


def compose(config_name: str, args: Sequence[str], return_hydra_config: bool = False) -> DictConfig:
    """``conf/<config_name>.yaml`` with ``args`` applied (inside :func:`composing`); an error is one ConfigError."""
    from hydra import compose as hydra_compose

    try:
        cfg = hydra_compose(config_name, overrides=list(args), return_hydra_config=return_hydra_config)
    except Exception as err:  # noqa: BLE001 - every composition error becomes one line
        raise ConfigError(describe_compose_error(err)) from None
    check_region_sources(cfg)
    return cfg


def check_region_sources(cfg: DictConfig) -> None:
    """Refuse a region file (``region/<region.name>.yaml`` in the folders Hydra reads) with a value that carries no
    ``# source:``, ``# derived:``, ``# assumption:`` or ``# calibrated:`` comment: a region's numbers are published
    figures or stated assumptions (README, "Where the numbers come from"), for a user's own file as for ours.
    A region whose file is not named after ``region.name`` is not looked up (its values are still validated)."""
    name = OmegaConf.select(cfg, "region.name", default=None)
    path = group_file("region", str(name)) if isinstance(name, str) and name else None
    if path is None:
        return
    missing = provenance.read_file(path)[1]
    if missing:
        lines = provenance.walk(path.read_text(encoding="utf-8").splitlines())
        value = next((ln.value for ln in lines if ln.dotted == missing[0]), OmegaConf.select(cfg, missing[0]))
        raise ConfigError(f"{missing[0]} = {value} ({path} gives it without a source: every region value needs a "
                          "'# source:', '# derived:', '# assumption:' or '# calibrated:' comment beside it)")


def validated(config_name: str, argv: Sequence[str], check: Callable[[DictConfig], T], *, example: str,
              single_run: str | None = None, hydra_app: bool = True) -> T:
    """Compose the one configuration a command runs and return ``check(cfg)``, which validates it.

    ``single_run``: the command runs one configuration (or its own grid); ``-m`` is refused with this reason.
    ``example`` and ``hydra_app``: see :func:`overrides`. Raises ConfigError.
    """
    if single_run is not None and is_multirun(argv):
        raise ConfigError(f"-m ({single_run})")
    source = config_source(argv) if hydra_app else Source()
    with composing(source):
        args = overrides(argv, example, hydra_app=hydra_app)
        return check(compose(source.config_name or config_name, model_overrides(args) if hydra_app else args))
