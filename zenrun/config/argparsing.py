"""The pytest-style options API: ``parser.addoption`` and ``parser.addini``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, NoReturn

from zenrun.errors import UsageError  # raised here; defined in the leaf module

#: ``addini``'s default when none is given: the type's own (``""``, ``False``, ``[]``, ...).
NOTSET: Any = type("NotSet", (), {"__repr__": lambda self: "NOTSET"})()


class IniOption:
    """A configuration key declared with ``addini``."""

    # A plain class: a dataclass compiles its generated methods when zenrun starts (0.4 ms of
    # zenrun --help); nothing compares or prints a declared key.
    __slots__ = ("default", "help", "name", "type")

    def __init__(self, name: str, help: str, type: IniType = None, default: Any = NOTSET) -> None:
        self.name = name
        self.help = help
        self.type = type
        self.default = default


class IniLiteral:
    """The choices of a key declared with a ``Literal`` type (``Literal["auto", "long"]``)."""

    __slots__ = ("choices",)

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = tuple(choices)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IniLiteral) and other.choices == self.choices

    def __hash__(self) -> int:
        return hash(self.choices)

    def __repr__(self) -> str:
        return f"IniLiteral({self.choices!r})"


#: A declared key's type: a type name (None: untyped, read as a string), the choices of a
#: ``Literal``, or a union of scalar names and ``Literal`` choices (``int | str``).
IniType = str | IniLiteral | tuple[str | IniLiteral, ...] | None

#: The type names ``addini`` takes, as pytest's.
INI_TYPE_NAMES = ("string", "paths", "pathlist", "args", "linelist", "bool", "int", "float")
#: The names a union may hold (no list type), and the Python types that stand for them.
_SCALAR_NAMES = ("string", "bool", "int", "float")
_PYTHON_TYPES: dict[object, str] = {str: "string", bool: "bool", int: "int", float: "float"}


def _declarer() -> str:
    """Who declares a key, for an error: the file of the first caller outside this module."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    if frame is None:
        return "?"
    return str(frame.f_globals.get("__file__") or frame.f_globals.get("__name__") or "?")


def _invalid_type(name: str, type_: object) -> ValueError:
    return ValueError(
        f"invalid type for ini option {name!r}: {type_!r}, declared in {_declarer()} "
        f"(expected one of {', '.join(map(repr, INI_TYPE_NAMES))}, one of the types str, bool, "
        "int, float, a union of these such as `int | str`, or a `Literal` of strings)"
    )


def _ini_member(name: str, type_: object, *, union: bool) -> str | IniLiteral:
    from typing import Literal, get_args, get_origin  # (typing is imported by then)

    if get_origin(type_) is Literal:
        choices = get_args(type_)
        if not choices or not all(isinstance(choice, str) for choice in choices):
            raise ValueError(
                f"invalid type for ini option {name!r}: Literal choices must be strings, "
                f"got {choices!r}, declared in {_declarer()}"
            )
        return IniLiteral(choices)
    try:
        tag = _PYTHON_TYPES.get(type_, type_ if type_ in INI_TYPE_NAMES else None)
    except TypeError:  # unhashable
        tag = None
    if not isinstance(tag, str) or (union and tag not in _SCALAR_NAMES):
        raise _invalid_type(name, type_)
    return tag


def ini_type(name: str, type_: object) -> IniType:
    """``addini``'s ``type`` as zenrun keeps it: a type name (a Python type ``str``, ``bool``,
    ``int``, ``float`` stands for its name), :class:`IniLiteral`, a tuple for a union, None
    when not given; a ``ValueError`` naming who declared the key for any other."""
    if type_ is None:
        return None
    import types
    import typing

    if typing.get_origin(type_) in (typing.Union, types.UnionType):
        return tuple(_ini_member(name, member, union=True) for member in typing.get_args(type_))
    return _ini_member(name, type_, union=False)


def ini_type_repr(type_: IniType) -> str:
    """A declared type as ``--help`` shows it, as pytest's: ``string``, ``int | string``,
    ``'auto' | 'long'``."""
    if type_ is None:
        return "string"
    if isinstance(type_, IniLiteral):
        return " | ".join(repr(choice) for choice in type_.choices)
    if isinstance(type_, tuple):
        return " | ".join(ini_type_repr(member) for member in type_)
    return type_


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's, its options' help wrapped by :func:`_wrap_words` (its own wrapping, by
    ``textwrap``'s regular expressions, was a twentieth of ``zenrun --help``)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return _wrap_words(text, width)


def _wrap_words(text: str, width: int) -> list[str]:
    """``text``'s words in lines of at most ``width`` characters (a longer word alone on its
    line): ``textwrap.wrap``'s result for help texts, without its regular expressions, which
    cost ``zenrun --help`` milliseconds over a hundred keys."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines


#: The value of a key of each type when it is unset and ``addini`` gave no default (pytest's).
TYPE_DEFAULTS: dict[object, Any] = {
    None: "",
    "string": "",
    "bool": False,
    "int": 0,
    "float": 0.0,
}


def non_negative_int(value: str) -> int:
    """An option's ``type``: an integer >= 0 (``--maxfail 0``: no limit)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number, not {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"expects a number >= 0, not {number}")
    return number


def _is_lines(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


#: The words a bool value may be written as, as pytest reads them (``xfail_strict = "true"``).
BOOL_WORDS = {
    **dict.fromkeys(("y", "yes", "t", "true", "on", "1"), True),
    **dict.fromkeys(("n", "no", "f", "false", "off", "0"), False),
}


def _is_bool(value: object) -> bool:
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in BOOL_WORDS)


def _is_number(kind: type) -> Callable[[object], bool]:
    """A check for ``int`` or ``float`` values, written as TOML numbers or as strings
    (``ini_param = "10"``, as pytest reads them)."""

    def check(value: object) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return kind is float or isinstance(value, int)
        if isinstance(value, str):
            try:
                kind(value.strip())
            except ValueError:
                return False
            return True
        return False

    return check


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


_INI_TYPES: dict[str | None, tuple[Callable[[object], bool], str]] = {
    "bool": (_is_bool, "true or false"),
    "int": (_is_number(int), "an integer"),
    "float": (_is_number(float), "a number"),
    "string": (lambda v: isinstance(v, str), "a string"),
    "linelist": (_is_lines, "a string or a list of strings"),
    "paths": (_is_lines, "a string or a list of strings"),
    "pathlist": (_is_lines, "a string or a list of strings"),
    "args": (_is_lines, "a string or a list of strings"),
}


def _member_takes(member: str | IniLiteral, value: object) -> bool:
    if isinstance(member, IniLiteral):
        return isinstance(value, str) and value.strip() in member.choices
    check = _INI_TYPES.get(member)
    return check is None or check[0](value)


def _member_text(member: str | IniLiteral) -> str:
    if isinstance(member, IniLiteral):
        return "one of " + ", ".join(map(repr, member.choices))
    return _INI_TYPES[member][1]


def ini_value_problem(kind: IniType, value: object) -> str | None:
    """None if ``value`` is of the declared type ``kind``; else what it must be."""
    members = kind if isinstance(kind, tuple) else (kind,)
    if kind is None or any(_member_takes(member, value) for member in members if member is not None):
        return None
    return " or ".join(_member_text(member) for member in members if member is not None)


def read_ini_value(kind: IniType, value: object) -> Any:
    """A union's or ``Literal``'s value as ``getini`` gives it: a string read as the first
    member that takes it (``"10"`` of ``int | str``: 10), a ``Literal``'s choice stripped; a
    value of another type as it is."""
    members = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, str):
        if (
            "float" in members
            and "int" not in members
            and isinstance(value, int)
            and not isinstance(value, bool)
        ):
            return float(value)
        return value
    for member in members:
        if member is None or not _member_takes(member, value):
            continue
        if isinstance(member, IniLiteral):
            return value.strip()
        if member == "bool":
            return BOOL_WORDS[value.strip().lower()]
        if member in ("int", "float"):
            return (int if member == "int" else float)(value.strip())
        return value
    return value


#: The types whose value is a list (an unset key without a default: ``[]``, as pytest).
LIST_TYPES = ("linelist", "paths", "pathlist", "args")


class OptionGroup:
    """A titled group of options in ``zenrun --help``."""

    def __init__(self, name: str, description: str, parser: Parser) -> None:
        self.name = name
        self.description = description
        self._parser = parser
        self.options: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def addoption(self, *opts: str, **attrs: Any) -> None:
        """Add an option (``argparse.add_argument`` arguments) to this group."""
        self._parser._check_conflict(opts)
        self.options.append((opts, attrs))
        if self._parser.processopt is not None:
            self._parser.processopt(option_dest(opts, attrs), option_default(attrs))


def _declaring_module() -> str | None:
    """The module whose code is declaring an option (the first caller outside this one)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame.f_globals.get("__name__") if frame is not None else None


def option_dest(opts: Sequence[str], attrs: dict[str, Any]) -> str:
    """The attribute of the parsed options an option is read from, as argparse names it."""
    dest = attrs.get("dest")
    if dest:
        return str(dest)
    long = next((o for o in opts if o.startswith("--")), opts[0])
    return long.lstrip("-").replace("-", "_")


def option_default(attrs: dict[str, Any]) -> Any:
    """The value an option has when the command line does not give it, as argparse's."""
    if "default" in attrs:
        return attrs["default"]
    return {"store_true": False, "store_false": True}.get(str(attrs.get("action")))


#: Option groups of zenrun itself, shown first in ``--help``.
CORE_GROUPS = ("general", "selection", "running", "reporting", "store")


class _ArgumentParser(argparse.ArgumentParser):
    #: Lines added to an error, as pytest's: where the options came from (``config source``),
    #: the config file and rootdir (``inifile``, ``rootdir``).
    extra_info: dict[str, str]

    def error(self, message: str) -> NoReturn:  # argparse would sys.exit(2); we want 4
        lines = [f"  {key}: {value}" for key, value in sorted(self.extra_info.items())]
        raise UsageError("\n".join([message, *lines]))


# eq=False: no parser is compared to another (pytest's compare as objects), and a generated
# __eq__ is compiled when zenrun starts (zenrun --help)
@dataclass(eq=False)
class Parser:
    """Collects options from every plugin, then parses the command line."""

    usage: str = "%(prog)s [options] [path ...]"
    groups: list[OptionGroup] = field(default_factory=list)
    inis: dict[str, IniOption] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    #: The module (plugin, conftest) that declared each option name.
    _owners: dict[str, str] = field(default_factory=dict)
    ignore_required: bool = False  # -h: options declared required=True are not enforced
    #: Shown under an error in the arguments (see ``_ArgumentParser.extra_info``).
    extra_info: dict[str, str] = field(default_factory=dict)
    #: Called with each option's dest and default as it is added (the configuration sets
    #: an option added once the command line was parsed to its default, as pytest's).
    processopt: Callable[[str, Any], None] | None = field(default=None, repr=False)
    #: The argparse parser built last, and what it was built from (see :meth:`_build`).
    _built: tuple[_Declared, argparse.ArgumentParser] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._anonymous = OptionGroup("custom options", "", self)

    def dest_of(self, flag: str) -> str | None:
        """The dest of the declared option spelled ``flag`` (``-X`` or ``--hello``), or None."""
        for group in [*self.groups, self._anonymous]:
            for opts, attrs in group.options:
                if flag in opts:
                    return option_dest(opts, attrs)
        return None

    def getgroup(self, name: str, description: str = "", after: str | None = None) -> OptionGroup:
        """Return the option group ``name``, creating it on first use (placed after the
        group ``after`` when given, as pytest's)."""
        for group in self.groups:
            if group.name == name:
                return group
        group = OptionGroup(name, description, self)
        index = next((i + 1 for i, g in enumerate(self.groups) if g.name == after), len(self.groups))
        self.groups.insert(index, group)
        return group

    def addoption(self, *opts: str, **attrs: Any) -> None:
        """Add an option outside any group, like ``pytest_addoption``."""
        self._anonymous.addoption(*opts, **attrs)

    def addini(self, name: str, help: str, type: Any = None, default: object = NOTSET) -> None:
        """Declare a ``[tool.zenrun]`` key (``type``, as pytest's: None or "string", "bool",
        "int", "float", "linelist", "paths" / "pathlist" (``Path`` objects, relative to the
        config file's directory), "args"). Without a ``default``, an unset key reads as its
        type's empty value (``""``, ``False``, ``0``, ``[]``), as pytest's.

        ``type`` may also be ``str``, ``bool``, ``int`` or ``float``, a union of these
        (``int | str``: a value of any of them; a string is read as the first that takes it)
        or a ``Literal`` of strings (``Literal["auto", "long"]``: one of these), alone or in a
        union; a union or ``Literal`` needs a ``default``. Any other ``type``, or a ``help``
        of None, is a ``ValueError`` / ``TypeError`` naming who declared the key.

        A value of the wrong type in the config file is a usage error naming file and key.
        """
        if help is None:  # as pytest: a plugin's mistake, said where it is made
            raise TypeError(f"help argument cannot be None for {name} (declared in {_declarer()})")
        kind = ini_type(name, type)
        if default is NOTSET and isinstance(kind, (tuple, IniLiteral)):
            raise ValueError(
                f"ini option {name!r} has a {'union' if isinstance(kind, tuple) else 'Literal'} type, "
                f"which has no implicit default; pass an explicit `default` to `addini` "
                f"(declared in {_declarer()})"
            )
        self.inis[name] = IniOption(name, help, kind, default)

    def check_ini(self, ini: dict[str, Any], source: object) -> None:
        """Raise :class:`UsageError` for a declared key of ``ini`` whose value has the wrong type."""
        for name, value in ini.items():
            declared = self.inis.get(name)
            problem = ini_value_problem(declared.type if declared else None, value)
            if problem is not None:
                raise UsageError(f"{source}: {name} must be {problem}, not {value!r}")
            if _has_nul(value):  # no path, URL, pattern or option holds one ("\u0000" in TOML)
                raise UsageError(f"{source}: {name} holds a NUL character (\\u0000): {value!r}")

    def _check_conflict(self, opts: Sequence[str]) -> None:
        owner = _declaring_module()
        clash = sorted(name for name in opts if name in self._seen)
        if clash:
            first = self._owners.get(clash[0])
            if first is not None and owner is not None and first != owner:
                raise UsageError(
                    f"option names {clash} already added: {owner} declares {clash[0]}, which "
                    f"{first} declared first (two plugins with one option: disable one, -p no:NAME)"
                )
            raise ValueError(f"option names {clash} already added")
        self._seen.update(opts)
        if owner is not None:
            self._owners.update(dict.fromkeys(opts, owner))

    def _build(self) -> argparse.ArgumentParser:
        """The argparse parser of the options declared so far: the one built last if no
        group, option or attribute but a help text changed since. zenrun parses its arguments
        before and after loading the initial conftests, which mostly add no option, and
        ``--help`` then only names the orchestrators in one option's help: one build."""
        declared = self._declared()
        changes = _help_changes(self._built[0], declared) if self._built is not None else None
        if changes is not None:
            assert self._built is not None
            ap = self._built[1]
            for opts, text in changes:  # argparse reads an action's help when it formats it
                ap._option_string_actions[opts[0]].help = text
            self._built = (declared, ap)
            return ap
        ap = self._new_parser()
        self._built = (declared, ap)
        return ap

    def _declared(self) -> _Declared:
        """What the argparse parser is built from, held as it is (not copied), to compare by
        identity: an option replaced, or an attribute of it set anew, differs."""
        groups = [*self.groups, self._anonymous]
        # ignore_required matters only with an option declared required
        required = self.ignore_required and any(a.get("required") for g in groups for _, a in g.options)
        entries = [
            (
                group,
                group.name,
                group.description,
                [(opts, tuple(attrs.items())) for opts, attrs in group.options],
            )
            for group in groups
        ]
        return self.usage, required, entries

    def _new_parser(self) -> argparse.ArgumentParser:
        ap = _ArgumentParser(
            prog="zenrun",
            usage=self.usage,
            add_help=False,
            formatter_class=_HelpFormatter,
            fromfile_prefix_chars="@",  # as pytest: ``zenrun @args.txt``, one argument a line
        )
        ap.extra_info = self.extra_info
        ap.add_argument(
            "paths",
            nargs="*",
            metavar="path",
            help="files or directories to collect; path::name selects one pipeline",
        )
        # Core groups first, in this order; plugins' groups after them, by name.
        core = {name: index for index, name in enumerate(CORE_GROUPS)}
        groups = sorted(self.groups, key=lambda g: (core.get(g.name, len(core)), g.name))
        for group in [*groups, self._anonymous]:
            if not group.options:
                continue
            ag = ap.add_argument_group(group.name, group.description or None)
            for opts, attrs in group.options:
                if self.ignore_required and attrs.get("required"):
                    attrs = {**attrs, "required": False}
                ag.add_argument(*opts, **attrs)
        return ap

    def parse(self, args: Sequence[str]) -> argparse.Namespace:
        """Parse ``args``; unknown options are a :class:`UsageError`."""
        # Intermixed, as pytest: paths may follow options (``zenrun a.py -q b.py``).
        head, tail = _split_at_double_dash(args)
        namespace = self._build().parse_intermixed_args(head)
        namespace.paths = [*namespace.paths, *tail]
        return namespace

    def parse_known(self, args: Sequence[str]) -> argparse.Namespace:
        """Parse what is known so far (before conftest files add options)."""
        head, tail = _split_at_double_dash(args)
        namespace, unknown = self._build().parse_known_intermixed_args(head)
        # As pytest's: an argument after an unknown option is still a path (argparse leaves
        # it unparsed once the positionals were taken).
        namespace.paths = [*namespace.paths, *(a for a in unknown if not a.startswith("-")), *tail]
        return namespace

    def check_source(self, args: Sequence[str], source: str) -> None:
        """Parse ``args`` (``addopts``, ``$ZENRUN_ADDOPTS``) on their own: an option at their
        end that lacks its value is an error naming ``source``, not given the command
        line's first argument (pytest #4265)."""
        self.extra_info["config source"] = source
        ignore_required, self.ignore_required = self.ignore_required, True
        try:
            self.parse_known(args)
        finally:
            self.ignore_required = ignore_required
            self.extra_info.pop("config source", None)

    def format_help(self) -> str:
        text = self._build().format_help()
        if self.inis:
            import shutil

            from zenrun.config.findpaths import CONFIG_NAMES

            # as pytest's: "name (type):", the help from column 24 (on the next line after a
            # long name), wrapped to the terminal as argparse wraps the options' help
            width = max(shutil.get_terminal_size().columns - 2 - 24, 20)
            lines = [
                "",
                f"[zenrun] configuration options in the first {'|'.join(CONFIG_NAMES)} file found:",
                "",
            ]
            for ini in self.inis.values():
                spec = f"  {ini.name} ({ini_type_repr(ini.type)}):"
                wrapped = _wrap_words(str(ini.help), width)
                if len(spec) > 24 - 1:
                    lines += [spec, *(" " * 24 + line for line in wrapped)]
                else:
                    lines += [f"{spec:<24}{wrapped[0]}".rstrip(), *(" " * 24 + line for line in wrapped[1:])]
            text += "\n".join(lines) + "\n"
        return text


#: See :meth:`Parser._declared`: the usage, whether required options are made optional, and
#: each group with its name, description and options (names, attributes).
_Declared = tuple[
    str, bool, list[tuple["OptionGroup", str, str, list[tuple[tuple[str, ...], tuple[tuple[str, Any], ...]]]]]
]


def _help_changes(a: _Declared, b: _Declared) -> list[tuple[tuple[str, ...], Any]] | None:
    """None if ``b`` (a :meth:`Parser._declared`) holds other objects than ``a`` but for the
    help texts of options; else the options whose help changed, with their new help."""
    if a[0] is not b[0] or a[1] != b[1] or len(a[2]) != len(b[2]):
        return None
    changes = []
    for (group, name, text, options), (group_b, name_b, text_b, options_b) in zip(a[2], b[2], strict=True):
        if group is not group_b or name is not name_b or text is not text_b or len(options) != len(options_b):
            return None
        for (opts, items), (opts_b, items_b) in zip(options, options_b, strict=True):
            if opts is not opts_b or len(items) != len(items_b):
                return None
            for (key, value), (key_b, value_b) in zip(items, items_b, strict=True):
                if key is not key_b or (value is not value_b and key != "help"):
                    return None
                if value is not value_b:
                    changes.append((opts, value_b))
    return changes


def _split_at_double_dash(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """``args`` before a ``--`` and the paths after it (argparse's intermixed parsing takes
    what follows ``--`` for options again)."""
    args = list(args)
    if "--" not in args:
        return args, []
    index = args.index("--")
    return args[:index], args[index + 1 :]
