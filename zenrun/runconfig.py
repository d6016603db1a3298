"""Run configuration: ``--config FILE.yaml`` in the seed's format and ``--set STEP.FIELD=VALUE``.

::

    enable_cache: false          # the whole run (like --no-cache)
    steps:
      svc_trainer:               # an invocation id
        enable_cache: false      # or, as in the seed, under parameters:
        cache_expires: 6h        # how old a cache hit may be
        parameters:
          gamma: 0.01
          enable_cache: true
        settings:                # plugins' per-step settings, by namespace
          mlflow: {experiment: digits}

``--set`` values are parsed as YAML scalars and override the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zenrun.datadeps import parse_duration
from zenrun.errors import UsageError
from zenrun.hookspec import hookimpl
from zenrun.settings import check_settings, merge_settings

_TOP_KEYS = {"enable_cache", "steps"}
_STEP_KEYS = {"enable_cache", "parameters", "settings", "cache_expires"}


class SharedSteps(dict[str, dict[str, Any]]):
    """Step settings applied to several pipelines: an id only needs to exist in one of them."""

    def __init__(self, steps: dict[str, dict[str, Any]]) -> None:
        super().__init__(steps)
        self.matched: set[str] = set()


class RunConfig:
    """What a run config says: run-wide caching and per-step settings by invocation id."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints a run config.
    __slots__ = ("enable_cache", "source", "steps")

    def __init__(
        self,
        enable_cache: bool | None = None,
        steps: dict[str, dict[str, Any]] | None = None,
        source: str = "<run config>",
    ) -> None:
        self.enable_cache = enable_cache
        self.steps = {} if steps is None else steps
        self.source = source

    def merge(self, other: RunConfig) -> RunConfig:
        steps = {
            k: {
                "parameters": dict(v.get("parameters", {})),
                **({"enable_cache": v["enable_cache"]} if "enable_cache" in v else {}),
                **({"settings": v["settings"]} if "settings" in v else {}),
                **({"cache_expires": v["cache_expires"]} if "cache_expires" in v else {}),
            }
            for k, v in self.steps.items()
        }
        for step_id, settings in other.steps.items():
            target = steps.setdefault(step_id, {"parameters": {}})
            target["parameters"].update(settings.get("parameters", {}))
            if "enable_cache" in settings:
                target["enable_cache"] = settings["enable_cache"]
            if "cache_expires" in settings:
                target["cache_expires"] = settings["cache_expires"]
            if "settings" in settings:
                target["settings"] = merge_settings(target.get("settings"), settings["settings"])
        enable_cache = other.enable_cache if other.enable_cache is not None else self.enable_cache
        return RunConfig(enable_cache, steps, f"{self.source} and {other.source}")


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise UsageError(f"{where}: enable_cache must be true or false, not {value!r}")


def parse_run_config(data: Any, source: str) -> RunConfig:
    """Validate the structure of a run config mapping; errors name the file and key."""
    if data is None:
        return RunConfig(source=source)
    if not isinstance(data, dict):
        raise UsageError(f"{source}: a run config is a mapping with keys {sorted(_TOP_KEYS)}")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise UsageError(f"{source}: unknown key(s) {sorted(unknown)}; expected {sorted(_TOP_KEYS)}")
    config = RunConfig(source=source)
    if data.get("enable_cache") is not None:
        config.enable_cache = _bool(data["enable_cache"], f"{source}: enable_cache")
    steps = data.get("steps") or {}
    if not isinstance(steps, dict):
        raise UsageError(f"{source}: 'steps' must map step ids to settings")
    for step_id, settings in steps.items():
        where = f"{source}: steps.{step_id}"
        settings = settings or {}
        if not isinstance(settings, dict) or set(settings) - _STEP_KEYS:
            raise UsageError(
                f"{where}: expected keys {sorted(_STEP_KEYS)}, got "
                f"{sorted(settings) if isinstance(settings, dict) else settings!r}"
            )
        raw_parameters = settings.get("parameters") or {}
        if not isinstance(raw_parameters, dict):
            raise UsageError(
                f"{where}.parameters: expected a mapping of config fields to values, "
                f"got {type(raw_parameters).__name__} {raw_parameters!r:.80}"
            )
        parameters = dict(raw_parameters)
        entry: dict[str, Any] = {"parameters": parameters}
        if "enable_cache" in parameters:  # the seed puts it among the parameters
            entry["enable_cache"] = _bool(parameters.pop("enable_cache"), f"{where}.parameters.enable_cache")
        if settings.get("enable_cache") is not None:
            entry["enable_cache"] = _bool(settings["enable_cache"], f"{where}.enable_cache")
        if settings.get("cache_expires") is not None:
            try:
                entry["cache_expires"] = parse_duration(settings["cache_expires"])
            except ValueError as exc:
                raise UsageError(f"{where}.cache_expires={settings['cache_expires']!r}: {exc}") from None
        if settings.get("settings") is not None:  # plugins' settings, validated by their owners
            try:
                entry["settings"] = check_settings(settings["settings"], f"{where}.settings")
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        config.steps[str(step_id)] = entry
    return config


#: A run config larger than this is refused before it is parsed.
MAX_RUN_CONFIG_BYTES = 4 << 20
#: How many nodes YAML aliases may add when expanded (a "billion laughs" file adds 10**9).
MAX_ALIAS_EXPANSION = 100_000


def _safe_yaml(text: str) -> Any:
    """``yaml.safe_load`` that refuses aliases expanding past :data:`MAX_ALIAS_EXPANSION` nodes.

    PyYAML composes an alias as a shared node, cheaply; the cost comes later,
    when the value is walked as a tree (validation, canonical JSON, records).
    The expanded size is counted on the composed graph, once per distinct node.
    """
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        def compose_document(self) -> Any:
            node = super().compose_document()
            sizes: dict[int, int] = {}
            expanded = _expanded_size(node, sizes)
            if expanded - len(sizes) > MAX_ALIAS_EXPANSION:
                raise yaml.YAMLError(
                    f"aliases expand to {expanded} nodes, more than the "
                    f"{MAX_ALIAS_EXPANSION} allowed beyond the file's own"
                )
            return node

    return yaml.load(text, Loader=BoundedLoader)


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """Nodes in the tree ``node`` expands to; ``sizes`` memoizes per node (id)."""
    import yaml

    known = sizes.get(id(node))
    if known is not None:
        if known < 0:
            raise yaml.YAMLError("an alias refers to a node that contains it (a recursive value)")
        return known
    sizes[id(node)] = -1
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    sizes[id(node)] = size
    return size


def load_run_config(path: str | Path) -> RunConfig:
    """Read a YAML run config; malformed YAML is an error naming the file and line.

    Files over :data:`MAX_RUN_CONFIG_BYTES` and aliases that expand past
    :data:`MAX_ALIAS_EXPANSION` nodes are refused.
    """
    import yaml

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_RUN_CONFIG_BYTES:
            raise UsageError(f"run config {path} is {size} bytes; at most {MAX_RUN_CONFIG_BYTES} are read")
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read run config {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not a text file: {exc.reason}") from None
    try:
        data = _safe_yaml(text)
    except RecursionError:
        raise UsageError(f"{path}: malformed YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise UsageError(f"{where}: malformed YAML: {problem}") from None
    return parse_run_config(data, str(path))


def parse_set_options(values: list[str]) -> RunConfig:
    """``STEP.FIELD=VALUE`` strings as a run config (VALUE parsed as YAML)."""
    import yaml

    steps: dict[str, Any] = {}
    for value in values:
        target, sep, raw = value.partition("=")
        step_id, dot, field_name = target.rpartition(".")
        if not sep or not dot or not step_id or not field_name:
            raise UsageError(f"--set {value!r}: expected STEP.FIELD=VALUE")
        # Scalars stay strings for pydantic to convert to the field's type ("123"
        # is a fine str and a fine int); YAML is for lists, mappings and null.
        parsed: Any = raw
        if field_name == "enable_cache" or raw.strip().startswith(("[", "{")) or raw.strip() in ("null", "~"):
            try:
                parsed = _safe_yaml(raw)
            except yaml.YAMLError as exc:
                raise UsageError(f"--set {value!r}: malformed value: {exc}") from None
        entry = steps.setdefault(step_id, {"parameters": {}})
        if field_name == "enable_cache":
            entry["enable_cache"] = parsed
        else:
            entry["parameters"][field_name] = parsed
    return parse_run_config({"steps": steps}, "--set")


@hookimpl
def zenrun_addoption(parser: Any) -> None:
    group = parser.getgroup("running")
    group.addoption(
        "--config",
        dest="run_config_file",
        default=None,
        metavar="FILE.yaml",
        help="run config: enable_cache and steps.<id>.parameters.<field>",
    )
    group.addoption(
        "--set",
        dest="run_config_set",
        action="append",
        default=[],
        metavar="STEP.FIELD=VALUE",
        help="set one step config field for this run",
    )


@hookimpl
def zenrun_configure(config: Any) -> None:
    path, sets = config.getoption("run_config_file", None), config.getoption("run_config_set", [])
    if not path and not sets:
        return
    if path:
        run_config = load_run_config(path)
        if sets:
            run_config = run_config.merge(parse_set_options(sets))
    else:
        run_config = parse_set_options(sets)
    config.stash["run_config"] = run_config
