"""What every command of ketensim shares: from the words a user typed to a validated configuration, or one line.

``python -m sim`` (sim/cli.py), ``python -m sim.size``, ``sim.capacity``, ``sim.backlog`` and ``sim.screening``
all take Hydra overrides (``region=demo staffing.gi.fte=300``). Before any simulated time each of them

1. checks that every argument is an override and that a group choice (``scenario=foo``) names a file in
   ``conf/<group>/`` (:func:`overrides`);
2. composes the configuration exactly as its Hydra app will (:func:`composing`, :func:`compose`) and validates
   it (:func:`validated` for a command that runs one configuration);
3. reports whatever is wrong as one line, ``ketensim: error: <field> = <value> (<what is allowed>)``, with exit
   status 2 and no traceback (:func:`one_line_errors`, :func:`fail`).

:func:`entry` does this and then hands the same command line to the Hydra app; :func:`run_hydra` is that app for a
command whose job is a function of the configuration and its output folder.

Also here, because a run (sim/cli.py) and a comparison of workflows (sim/compare.py) both write and print them:
:func:`assumptions_table` (every assumed value in force, ``assumptions.csv``) and :func:`stability_warnings`.

Depends on sim/config.py (the schema, ``ConfigError``) and sim/provenance.py only. It imports no command module
(cli, compare, size, ...), so every command imports it without an import cycle.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TypeVar

from omegaconf import DictConfig, OmegaConf

from sim import config as config_mod
from sim import kpis, provenance
from sim.config import ConfigError, Model

if TYPE_CHECKING:
    import pandas as pd

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
# Hydra's own flags that show something and run nothing: no preflight, Hydra answers them itself
PASS_THROUGH = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc",
                "--version", "--resolve", "-p", "--package")
MULTIRUN = ("-m", "--multirun")

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


# ====================================================================== the command line


def group_options(group: str) -> list[str]:
    """The choices of a config group: the files in ``conf/<group>/``."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def check_group_choice(override: str) -> None:
    """``scenario=foo``: the option must be a file in ``conf/scenario/``. Raises ConfigError."""
    key, _, value = override.lstrip("+~").partition("=")
    if "." in key or "/" in key or not (CONF_DIR / key).is_dir():
        return
    for choice in value.strip("[]").split(","):
        choice = choice.strip()
        if choice.startswith(("range(", "choice(", "glob(", "interval(")):
            continue
        if choice and not (CONF_DIR / key / f"{choice}.yaml").is_file():
            raise ConfigError(f"{key} = {choice!r} (allowed: {', '.join(group_options(key))})")


def is_multirun(argv: Sequence[str]) -> bool:
    return any(a in MULTIRUN for a in argv)


def overrides(argv: Sequence[str], example: str, *, hydra_app: bool = True) -> list[str]:
    """The overrides on the command line, each checked to be ``key=value`` with an existing group choice.

    ``example`` is the override the error message suggests (``region=national``). ``hydra_app``: a Hydra app reads
    the same command line, so its flags (``-m``, ``--cfg job``) may stand among the overrides and are passed over
    here; a command without one takes overrides only. Raises ConfigError.
    """
    args = [a for a in argv if not a.startswith("-")] if hydra_app else list(argv)
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
def composing() -> Iterator[None]:
    """Hydra's compose API on ``conf/`` for the duration of the block, cleared again afterwards (also on error),
    so the Hydra app that follows starts clean."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    config_mod.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            yield
    finally:
        GlobalHydra.instance().clear()


def compose(config_name: str, args: Sequence[str], return_hydra_config: bool = False) -> DictConfig:
    """``conf/<config_name>.yaml`` with ``args`` applied (inside :func:`composing`); an error is one ConfigError."""
    from hydra import compose as hydra_compose

    try:
        return hydra_compose(config_name, overrides=list(args), return_hydra_config=return_hydra_config)
    except Exception as err:  # noqa: BLE001 - every composition error becomes one line
        raise ConfigError(describe_compose_error(err)) from None


def validated(config_name: str, argv: Sequence[str], check: Callable[[DictConfig], T], *, example: str,
              single_run: str | None = None, hydra_app: bool = True) -> T:
    """Compose the one configuration a command runs and return ``check(cfg)``, which validates it.

    ``single_run``: the command runs one configuration (or its own grid); ``-m`` is refused with this reason.
    ``example`` and ``hydra_app``: see :func:`overrides`. Raises ConfigError.
    """
    if single_run is not None and is_multirun(argv):
        raise ConfigError(f"-m ({single_run})")
    args = overrides(argv, example, hydra_app=hydra_app)
    with composing():
        return check(compose(config_name, model_overrides(args) if hydra_app else args))


# ====================================================================== what every run writes and prints


def assumptions_table(cfg: DictConfig, model: Model, scenario_file: str | None = None) -> pd.DataFrame:
    """Every value in force whose provenance says 'assumption', with its current value: the process and region
    files, the chosen ``conf/scenario/<scenario_file>.yaml`` (its assumed effects) and the workflow's structural
    assumptions."""
    import pandas as pd
    from hydra.core.hydra_config import HydraConfig

    rows = []
    if scenario_file is None:
        chosen = HydraConfig.get().runtime.choices.get("scenario") if HydraConfig.initialized() else None
        scenario_file = chosen or model.scenario.name
    files = [CONF_DIR / "process" / f"{HydraConfig.get().runtime.choices.get('process', 'nl_2023')}.yaml"
             if HydraConfig.initialized() else CONF_DIR / "process" / "nl_2023.yaml",
             CONF_DIR / "region" / f"{model.region_name}.yaml",
             CONF_DIR / "scenario" / f"{scenario_file}.yaml"]
    staff_file = HydraConfig.get().runtime.choices.get("staff_dynamics") if HydraConfig.initialized() else None
    if staff_file:  # +staff_dynamics=<name>: its turnover, hiring and onboarding assumptions (sim/staff.py)
        files.append(CONF_DIR / "staff_dynamics" / f"{staff_file}.yaml")
    for path in files:
        if not path.is_file():
            continue
        # conf/scenario and conf/staff_dynamics files sit under their group's package
        package = path.parent.name if path.parent.name in ("scenario", "staff_dynamics") else ""
        for p in provenance.read_file(path, package)[0]:
            if p.kind == "assumption":
                value = OmegaConf.select(cfg, p.key, default=None)
                if isinstance(value, DictConfig) or OmegaConf.is_list(value):
                    value = OmegaConf.to_container(value)
                rows.append((p.key, str(value), p.text, f"{path.parent.name}/{path.name}" if package else path.name))
    for key, value, why in model.scenario.assumptions:
        rows.append((key, str(value), why, f"scenario/{model.scenario.name}"))
    return pd.DataFrame(rows, columns=["parameter", "value", "why", "file"])


def stability_warnings(summary: pd.DataFrame, model: Model) -> list[str]:
    """Say which organisation cannot carry its demand: offered load (arrivals x mean holding time) at or above
    its capacity, or a full caseload with a waiting list that grew through the whole window."""
    s = summary.set_index("kpi")["mean"]
    warnings = []
    for kpi in s.index:
        pool = kpis.pool_of(kpi, kpis.UNSTABLE)
        if pool is None:
            continue
        offered = s.get(kpis.of(kpis.OFFERED_LOAD, pool), float("nan"))
        cap = s.get(kpis.of(kpis.CAPACITY, pool), float("nan"))
        end = s.get(kpis.of(kpis.WAITING_LIST_END, pool), float("nan"))
        util = s.get(kpis.of(kpis.UTILISATION, pool), float("nan"))
        if offered >= cap:
            warnings.append(f"UNSTABLE: {pool}: offered load ~{offered:,.0f} cases exceeds its capacity of {cap:,.0f} "
                            f"places; its waiting list grows without bound ({end:,.0f} waiting at the end). Lead "
                            f"times through {pool} are not meaningful: raise staffing, caseload or lower demand.scale.")
        elif s[kpi] >= 0.5:
            warnings.append(f"SATURATED: {pool}: {util:.0%} of its {cap:,.0f} places in use and its waiting list grew "
                            f"through the window ({end:,.0f} waiting at the end): lead times through {pool} still "
                            f"depend on the run length.")
    return warnings
