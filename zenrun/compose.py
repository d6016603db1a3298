"""Composition: running a pipeline body turns step calls into a networkx DiGraph.

This module holds no execution logic, only the graph: which invocations
exist, what each receives (upstream outputs or literal values, and the
outputs a :class:`GatherStepsParameters` config gathers) and its resolved
config.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zenrun.canonical import config_json, exactness_digest
from zenrun.errors import ComposeError
from zenrun.settings import merge_settings
from zenrun.stepcontext import GATHERED_INPUT
from zenrun.steps import STEP_ID, Step, StepInstance, check_step_id, composing, is_step_config

if TYPE_CHECKING:
    import networkx as nx
    from pydantic import ValidationError

    from zenrun.stepconfig import StepConfig


_MISSING = object()
_NO_AFTER: frozenset[str] = frozenset()
#: Input values that are never a step output nor hold one: no check needed.
_LITERALS = frozenset({int, float, str, bool, bytes, complex, type(None)})


def current() -> Composer | None:
    """The composer of the pipeline body being run, or None outside one."""
    composer: Composer | None = composing.get()
    return composer


@dataclass(frozen=True, slots=True, init=False)
class OutputHandle:
    """A reference to one output of one invocation, valid inside its pipeline."""

    step_id: str
    name: str
    #: Which composition made it (:attr:`Composer.handle_owner`): a handle kept from another
    #: pipeline's body must not be wired to this pipeline's step of the same id.
    owner: int = field(default=0, compare=False, repr=False)

    def __init__(self, step_id: str, name: str, owner: int = 0) -> None:
        # A frozen dataclass's own __init__ goes through object.__setattr__: the slots'
        # setters take half the time, and a pipeline makes one or two handles per step.
        _set_step_id(self, step_id)
        _set_name(self, name)
        _set_owner(self, owner)

    def __iter__(self) -> Iterator[Any]:
        raise TypeError(f"step {self.step_id!r} has a single output; it cannot be unpacked")

    def _no_value(self, *_: Any) -> Any:
        # A body that tests a step's output (``assert acc > 0.9``, ``if model:``) would
        # otherwise test the handle: always true, or an unhelpful TypeError.
        output = self.step_id if self.name == "output" else f"{self.step_id}.{self.name}"
        raise TypeError(
            f"the output of step {output!r} has no value while the pipeline body runs: steps run "
            "after the body returns; test it in a step that takes it as an input"
        )

    __bool__ = __lt__ = __le__ = __gt__ = __ge__ = _no_value


_set_step_id = OutputHandle.__dict__["step_id"].__set__  # the slots' own setters
_set_name = OutputHandle.__dict__["name"].__set__
_set_owner = OutputHandle.__dict__["owner"].__set__
_compositions = itertools.count(1)


@dataclass
class Invocation:
    """One node of the graph: a step called once, with its inputs and config."""

    id: str
    step: Step
    config: StepConfig | None
    inputs: dict[str, Any]
    after: frozenset[str] = frozenset()  # ids of the steps it runs after (``.after()``), no data
    enable_cache: bool | None = None
    config_data: Any = None  # the config as JSON, for keys and records
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # plugins', unvalidated
    cache_expires: float | None = None  # seconds, from the run config (else the step's)
    #: What ``config_data`` leaves out of the config, as a digest for its key (None: nothing).
    config_exact: str | None = None

    def upstream_handles(self) -> Iterator[tuple[str, int | None, OutputHandle]]:
        """``(input name, position in a list input or None, handle)`` for each wired input."""
        for name, value in self.inputs.items():
            if isinstance(value, OutputHandle):
                yield name, None, value
            elif isinstance(value, list) and value and all(isinstance(v, OutputHandle) for v in value):
                for position, handle in enumerate(value):
                    yield name, position, handle

    def upstream_ids(self) -> dict[str, None]:
        """The ids of the steps it takes inputs from or runs after, each once (a dict's keys):
        its inputs' in the order it takes them, so that sorting a gather's thousands of ids
        sorts runs already in order, not a set's shuffle of them."""
        ids = dict.fromkeys(self.after)  # as upstream_handles() finds them, without a generator per input
        for value in self.inputs.values():
            if type(value) in _LITERALS:
                continue
            if isinstance(value, OutputHandle):
                ids[value.step_id] = None
            elif isinstance(value, list) and value and all(isinstance(v, OutputHandle) for v in value):
                ids.update(dict.fromkeys([h.step_id for h in value]))
        return ids


@dataclass
class ComposedPipeline:
    """The outcome of composing a pipeline: invocations in call order and the graph."""

    name: str
    invocations: dict[str, Invocation]
    enable_cache: bool | None = None
    item_id: str | None = None
    _graph: nx.DiGraph[str] | None = None
    #: Config fields the run config set (``--set`` / ``--config``): ``{"train.lr": 0.1}``.
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def graph(self) -> nx.DiGraph[str]:
        """The networkx DiGraph: nodes are invocation ids, edges carry input names."""
        if self._graph is None:
            import networkx as nx

            graph: nx.DiGraph[str] = nx.DiGraph(name=self.name)
            for inv in self.invocations.values():
                graph.add_node(inv.id, step=inv.step.name)
            for inv in self.invocations.values():
                for input_name, _, handle in inv.upstream_handles():
                    graph.add_edge(handle.step_id, inv.id, input=input_name, output=handle.name)
                for upstream in inv.after:
                    if not graph.has_edge(upstream, inv.id):
                        graph.add_edge(upstream, inv.id, input=None, output=None)
            self._graph = graph
        return self._graph

    def order(self) -> list[str]:
        """Invocation ids in an order where every step comes after its upstream.

        Call order already is one (a handle exists only after its producer
        was called), except for ``.after()`` edges, so only those need sorting.
        """
        if not any(inv.after for inv in self.invocations.values()):
            return list(self.invocations)
        import networkx as nx

        position = {step_id: i for i, step_id in enumerate(self.invocations)}
        try:
            return list(nx.lexicographical_topological_sort(self.graph, key=position.__getitem__))
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(self.graph)
            raise ComposeError(f"pipeline {self.name!r}: .after() makes a cycle: {cycle}") from None


class Composer:
    """Records step calls while a pipeline body runs."""

    def __init__(
        self,
        pipeline_name: str,
        *,
        run_config: dict[str, dict[str, Any]] | None = None,
        fixture_lookup: Callable[[str], object] | None = None,
    ) -> None:
        self.pipeline_name = pipeline_name
        self.handle_owner = next(_compositions)  # stamped on the handles this body makes
        self.invocations: dict[str, Invocation] = {}
        self.run_config = run_config or {}
        self.fixture_lookup = fixture_lookup
        self._instance_ids: dict[int, list[str]] = {}
        self._next_suffix: dict[str, int] = {}  # ids only accumulate: resume where the search stopped
        self._instances: list[StepInstance] = []

    def __enter__(self) -> Composer:
        self._token = composing.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        composing.reset(self._token)

    # -- adding nodes -------------------------------------------------------
    def _new_id(self, base: str, explicit: str | None) -> str:
        if explicit is not None:
            check_step_id(explicit)
            if explicit in self.invocations:
                raise ComposeError(f"pipeline {self.pipeline_name!r}: step id {explicit!r} is used twice")
            return explicit
        n = self._next_suffix.get(base, 1)
        candidate = base if n == 1 else f"{base}_{n}"
        while candidate in self.invocations:
            n += 1
            candidate = f"{base}_{n}"
        self._next_suffix[base] = n
        return candidate

    def add(
        self, instance: StepInstance, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> OutputHandle | tuple[OutputHandle, ...] | None:
        """Add a call of a configured instance (its name, config, settings, ``.after()``)."""
        return self.add_call(instance.step, instance, args, kwargs)

    def add_call(
        self, step: Step, instance: StepInstance | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> OutputHandle | tuple[OutputHandle, ...] | None:
        """Add a call of ``step``: ``instance`` None is the step called as it was decorated
        (no config, name or settings of its own, nothing to run after), the common case,
        which allocates no instance."""
        explicit_id = kwargs.pop("id", None) if kwargs else None
        if (
            explicit_id is None
            and instance is not None
            and instance.name is not None
            and instance.name not in self.invocations
        ):
            explicit_id = instance.name
        if (
            type(explicit_id) is str
            and explicit_id not in self.invocations
            and STEP_ID.fullmatch(explicit_id)
        ):
            step_id: str = explicit_id  # a valid new id: what _new_id() returns, without the call
        else:
            step_id = self._new_id(step.name if instance is None else instance.id, explicit_id)
        run_settings = self.run_config.get(step_id) if self.run_config else None
        if run_settings is not None:
            matched = getattr(self.run_config, "matched", None)
            if matched is not None:  # it exists, even if it fails below
                matched.add(step_id)

        code_config = None if instance is None else instance.config
        input_names = step.input_names
        if not kwargs and len(args) == len(input_names):  # all inputs by position: nothing to check
            inputs: dict[str, Any] = (
                {input_names[0]: args[0]} if len(args) == 1 else dict(zip(input_names, args, strict=False))
            )
        else:
            if step.config_param is not None and step.config_param in kwargs:
                code_config = kwargs.pop(step.config_param)
            inputs = self._bind(step, step_id, args, kwargs)
        for name, value in inputs.items():
            kind = type(value)
            if kind is OutputHandle:
                if value.owner != self.handle_owner or value.step_id not in self.invocations:
                    self._check_input(self._where(step_id), name, value)
            elif kind not in _LITERALS:
                self._check_input(self._where(step_id), name, value)

        if step.config_class is None and code_config is None and run_settings is None:
            config = config_data = config_exact = None  # no config: nothing to resolve or to serialise
        else:
            where = self._where(step_id)
            config = self._resolve_config(step, step_id, code_config, where)
            try:
                config_data = config_json(config)
            except TypeError as exc:
                raise ComposeError(f"{where}: {exc}") from None
            config_exact = exactness_digest(config, config_data) if config is not None else None

        enable_cache = None if instance is None else instance.enable_cache
        cache_expires = None
        if run_settings is None:
            if instance is not None:
                settings = merge_settings(step.settings, instance.settings)
            else:  # the step's own, each namespace copied as merging copies it
                settings = {ns: dict(values) for ns, values in step.settings.items()} if step.settings else {}
        else:
            if run_settings.get("enable_cache") is not None:
                enable_cache = bool(run_settings["enable_cache"])
            cache_expires = run_settings.get("cache_expires")
            settings = merge_settings(
                step.settings, instance.settings if instance else None, run_settings.get("settings")
            )
        invocation = Invocation(
            step_id,
            step,
            config,
            inputs,
            _NO_AFTER,
            enable_cache,
            config_data,
            settings,
            cache_expires,
            config_exact,
        )
        if config is not None:
            gathered = gathered_handles(self, config)
            if gathered is not None:
                inputs[GATHERED_INPUT] = gathered
        self.invocations[step_id] = invocation
        if instance is not None:
            self._instance_ids.setdefault(id(instance), []).append(step_id)
            self._instances.append(instance)

        outputs = step.output_names
        if len(outputs) == 1:
            return OutputHandle(step_id, outputs[0], self.handle_owner)
        owner = self.handle_owner
        return tuple(OutputHandle(step_id, name, owner) for name in outputs) or None

    def _where(self, step_id: str) -> str:
        return f"pipeline {self.pipeline_name!r}, step {step_id!r}"

    def _bind(
        self, step: Step, step_id: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The inputs of a call given by keyword too, or missing some: defaults filled in."""
        input_names = step.input_names
        if len(args) > len(input_names):
            raise ComposeError(
                f"{self._where(step_id)}: takes {len(input_names)} inputs "
                f"({', '.join(input_names) or 'none'}) but got {len(args)}"
            )
        inputs: dict[str, Any] = dict(zip(input_names, args, strict=False))
        for name, value in kwargs.items():
            if name not in step.input_set:
                raise ComposeError(
                    f"{self._where(step_id)}: unexpected input {name!r}; "
                    f"inputs are {', '.join(input_names) or 'none'}"
                )
            if name in inputs:
                raise ComposeError(f"{self._where(step_id)}: input {name!r} given twice")
            inputs[name] = value
        if len(inputs) < len(input_names):
            for name in input_names:
                if name not in inputs:
                    if name in step.defaults:
                        inputs[name] = step.defaults[name]
                    else:
                        raise ComposeError(f"{self._where(step_id)}: missing input {name!r}")
        return inputs

    def _check_input(self, where: str, name: str, value: object) -> None:
        if isinstance(value, (Step, StepInstance)):
            raise ComposeError(f"{where}: input {name!r} is a step, not its output; call it first")
        if isinstance(value, list) and any(isinstance(v, OutputHandle) for v in value):
            if not all(isinstance(v, OutputHandle) for v in value):
                raise ComposeError(f"{where}: input {name!r} mixes step outputs and literal values")
            invocations = self.invocations
            for handle in value:
                if handle.owner != self.handle_owner or handle.step_id not in invocations:
                    self._check_known(where, handle)
        elif isinstance(value, OutputHandle):
            self._check_known(where, value)
        elif isinstance(value, tuple) and value and all(isinstance(v, OutputHandle) for v in value):
            raise ComposeError(
                f"{where}: input {name!r} got all outputs of step "
                f"{value[0].step_id!r}; unpack them and pass one"
            )
        else:
            nested = _nested_handle(value)
            if nested is not None:
                handle, container = nested
                raise ComposeError(
                    f"{where}: input {name!r} holds the output of step {handle.step_id!r} inside a "
                    f"{container}; pass step outputs as inputs themselves, or several as a flat list"
                )

    def _check_known(self, where: str, handle: OutputHandle) -> None:
        if handle.owner != self.handle_owner or handle.step_id not in self.invocations:
            raise ComposeError(f"{where}: output of step {handle.step_id!r} from another pipeline")

    def _resolve_config(
        self,
        step: Step,
        step_id: str,
        code_config: StepConfig | dict[str, Any] | None,
        where: str,
    ) -> StepConfig | None:
        """Run config over code config over a same-named fixture over defaults."""
        run_step = self.run_config.get(step_id) if self.run_config else None
        overrides = (
            {k: v for k, v in run_step.get("parameters", {}).items() if k != "enable_cache"}
            if run_step
            else {}
        )
        if step.config_class is None:
            if code_config is not None or overrides:
                raise ComposeError(f"{where}: step {step.name!r} has no StepConfig parameter")
            return None
        unknown = sorted(set(overrides) - set(step.config_class.model_fields)) if overrides else None
        if unknown and step.config_class.model_config.get("extra") != "allow":
            raise ComposeError(
                f"{where}: run config sets unknown field(s) {', '.join(unknown)} of "
                f"{step.config_class.__name__}; its fields are: "
                f"{', '.join(step.config_class.model_fields) or 'none'}"
            )
        base = code_config
        if base is None and self.fixture_lookup is not None and step.config_param is not None:
            found = self.fixture_lookup(step.config_param)
            if isinstance(found, step.config_class):
                base = found
            elif isinstance(found, Mapping):
                base = dict(found)
            elif hasattr(type(found), "model_fields"):  # a config of another class: never the
                # defaults in its place, silently (a value of another kind, ``config="small"``,
                # is the pipeline's own, not meant for the step)
                raise ComposeError(
                    f"{where}: {step.config_param!r} (a fixture, or a parameter of the pipeline, "
                    f"named like the step's config parameter) is a {type(found).__name__} config; "
                    f"the step's config is a {step.config_class.__name__} or a dict of its fields"
                )
        if is_step_config(base) and not isinstance(base, step.config_class):
            raise ComposeError(
                f"{where}: config is a {type(base).__name__}, expected {step.config_class.__name__}"
            )
        if is_step_config(base) and not overrides:
            return base
        fields = base.model_dump() if is_step_config(base) else dict(base or {})
        fields.update(overrides)
        from pydantic import ValidationError  # imported already: the step has a config class

        try:
            return step.config_class.model_validate(fields)
        except ValidationError as exc:
            raise ComposeError(format_validation_error(where, exc)) from None

    # -- gathering and finishing -----------------------------------------------
    def gather(self, prefix: str | None = None, names: list[str] | None = None) -> list[OutputHandle]:
        """Output handles of the steps composed so far whose ids match."""
        if (prefix is None) == (names is None):
            raise ComposeError("gather() takes exactly one of prefix= or names=")
        if prefix is not None:
            return self.handles_of([i for i in self.invocations if i.startswith(prefix)])
        if isinstance(names, str):
            raise ComposeError(
                f"pipeline {self.pipeline_name!r}: gather(names=...) takes a list of step ids, "
                f"not the string {names!r}"
            )
        wanted = set(names or ())
        missing = wanted.difference(self.invocations)
        if missing:
            raise ComposeError(
                f"pipeline {self.pipeline_name!r}: gather(names=...) names unknown "
                f"steps {sorted(missing)}; composed so far: {list(self.invocations)}"
            )
        return self.handles_of([i for i in self.invocations if i in wanted])

    def handles_of(self, step_ids: list[str]) -> list[OutputHandle]:
        """The output handles of these composed steps, in their order."""
        handles: list[OutputHandle] = []
        invocations, owner = self.invocations, self.handle_owner
        for step_id in step_ids:
            outputs = invocations[step_id].step.output_names
            if len(outputs) == 1:
                handles.append(OutputHandle(step_id, outputs[0], owner))
            else:
                handles.extend([OutputHandle(step_id, name, owner) for name in outputs])
        return handles

    def finish(self, enable_cache: bool | None = None, item_id: str | None = None) -> ComposedPipeline:
        unknown = {step_id for step_id in self.run_config if step_id not in self.invocations}
        matched = getattr(self.run_config, "matched", None)
        if matched is not None:  # shared by several pipelines: checked once all are composed
            matched.update(step_id for step_id in self.run_config if step_id in self.invocations)
        elif unknown:
            raise ComposeError(
                f"pipeline {self.pipeline_name!r}: run config names unknown step(s) "
                f"{', '.join(sorted(unknown))}; steps are: {', '.join(self.invocations) or 'none'}"
            )
        for instance in self._instances:
            for upstream in instance.upstream:
                before = self._instance_ids.get(id(upstream))
                if not before:
                    raise ComposeError(
                        f"pipeline {self.pipeline_name!r}: step {instance.id!r} runs "
                        f"after {upstream.id!r}, which was never called"
                    )
                for step_id in self._instance_ids[id(instance)]:
                    invocation = self.invocations[step_id]
                    invocation.after = invocation.after.union(before)
        return ComposedPipeline(
            self.pipeline_name, self.invocations, enable_cache, item_id, overrides=self._overrides()
        )

    def _overrides(self) -> dict[str, Any]:
        """``{"step.field": value}`` of the config fields the run config set, as validated."""
        overrides: dict[str, Any] = {}
        for step_id, settings in self.run_config.items():
            invocation = self.invocations.get(step_id)
            if invocation is None:
                continue
            data = invocation.config_data if isinstance(invocation.config_data, dict) else {}
            for name, value in (settings.get("parameters") or {}).items():
                if name != "enable_cache":
                    overrides[f"{step_id}.{name}"] = data.get(name, value)
        return overrides


def _nested_handle(value: object) -> tuple[OutputHandle, str] | None:
    """A step output held in a container literal (a dict, a set, a tuple, a list of lists),
    where it would reach the step as a handle instead of the value: it and its container."""
    stack, seen = [value], set()
    while stack:
        container = stack.pop()
        if id(container) in seen:
            continue
        seen.add(id(container))
        if isinstance(container, dict):
            items: Iterable[object] = [*container, *container.values()]
        elif isinstance(container, (list, tuple, set, frozenset)):
            items = container
        else:
            continue
        for item in items:
            if isinstance(item, OutputHandle):
                return item, type(container).__name__
            if type(item) not in _LITERALS:
                stack.append(item)
    return None


def format_validation_error(where: str, exc: ValidationError) -> str:
    lines = [f"{where}: invalid config"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "<config>"
        value = err.get("input")
        lines.append(f"  field {loc!r}: {err['msg']} (got {value!r})")
    return "\n".join(lines)


def gather(prefix: str | None = None, names: list[str] | None = None) -> list[OutputHandle]:
    """In a pipeline body: the outputs of the steps composed so far whose ids
    start with ``prefix`` or are in ``names``, as a list to pass to a step."""
    composer = current()
    if composer is None:
        raise ComposeError("zenrun.gather() can only be called inside a pipeline body")
    return composer.gather(prefix=prefix, names=names)


# -- gathering ------------------------------------------------------------------------------


def gathered_handles(composer: Composer, config: StepConfig | None) -> list[OutputHandle] | None:
    """The handles a gathering config selects among the steps composed so far."""
    if config is None:
        return None
    # Imported here: a config exists only once its module (and pydantic) is imported.
    from zenrun.stepconfig import GatherStepsParameters

    if not isinstance(config, GatherStepsParameters):
        return None
    if config.output_steps_prefix is None and config.output_steps_names is None:
        raise ComposeError(
            f"pipeline {composer.pipeline_name!r}: {type(config).__name__} needs "
            "output_steps_prefix or output_steps_names"
        )
    prefix = config.output_steps_prefix
    wanted = set(config.output_steps_names or ())  # as gathers() selects, without a scan per id
    return composer.handles_of(
        [i for i in composer.invocations if i in wanted or (prefix and i.startswith(prefix))]
    )
