"""The spec-string parser and dict loading. A hand-written recursive-descent parser over a small grammar; it
never evaluates Python, imports nothing and reaches no attribute.

Grammar::

    spec    := chain
    chain   := product (">>" product)*
    product := atom ("*" atom)*
    atom    := call | number | "(" chain ")"
    call    := NAME "(" [arg ("," arg)*] [","] ")"
    arg     := [NAME "="] value
    value   := chain | duration | string | list | true | false | none
    list    := "[" [value ("," value)*] [","] "]"

A name without parentheses is a call without arguments: ``"linear(5%) >> cosine"`` is
``"linear(5%) >> cosine()"`` (an argument written as a bare word, ``shape=sqrt``, is a string).

A bare shape name (``linear``, ``cosine``, ``poly``, ``sqrt``, ``geometric``) is a warmup when it is the first
of two or more phases in a ``>>`` chain and a decay when it comes later: ``"linear(5%) >> cosine(to=0.1)"`` is
``linear_warmup(5%) >> cosine_decay(to=0.1)``; a schedule given to a call plays the call's part
(``linear(2%) >> repeat(cosine(1000))`` repeats a cosine decay). Alone (``"linear(500)"``, ``"clip(linear(500))"``)
it is an error that asks for ``linear_warmup`` or ``linear_decay``: a warmup library should not guess which one
was meant.

An unknown name gets the nearest known names, and the rampup spelling of the names other libraries use
(``get_cosine_schedule_with_warmup``, ``CosineAnnealingLR``, ...). A spec is at most ``MAX_SPEC`` characters and
nests at most ``MAX_DEPTH`` schedules deep (:mod:`rampup.core.validate`): everything rampup builds, and no more.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Mapping
from collections.abc import Sequence as _ListLike
from dataclasses import dataclass
from typing import Any

from . import compose, cyclic, decay, growth, noise, schedule, tanh, warmup
from .errors import BudgetError, RampupError, SpecError
from .schedule import Schedule
from .units import DURATION_RE, Budget, Duration, from_parts, make_budget
from .validate import MAX_DEPTH, MAX_SPEC, show

#: spec / dict name -> the public function that builds it: every module of schedules lists its own constructors
FACTORIES: dict[str, Callable[..., Schedule]] = {
    fn.__name__: fn for module in (schedule, warmup, decay, compose, cyclic, growth, tanh, noise)
    for fn in module.SPEC_FUNCTIONS}

__all__ = ["as_schedule", "from_dict", "parse"]

_ALIASES = {"linear", "cosine", "poly", "sqrt", "geometric"}
# a schedule nested MAX_DEPTH deep writes at most two more levels of brackets: the parentheses of a scaled or
# multiplied sequence and a list of milestones
_MAX_DEPTH = MAX_DEPTH + 2
# a dict nests a list and a dict per level of schedules (phases of a sequence)
_MAX_DICT_DEPTH = 2 * MAX_DEPTH + 2
_MAX_DIGITS = 400  # longer than any number a float holds (1e308 has 309 digits)
#: the operators' nodes: written as ``>>``, ``*`` and ``peak * s`` in a spec (a dict names them)
_OPERATORS = {"sequence", "product", "scaled"}

_W = "linear_warmup(W) >> "
#: names other libraries use (HF transformers, torch, optax, Keras, timm, DeepSpeed) -> the rampup spelling
_FOREIGN = {
    "linear_with_warmup": _W + "linear_decay()", "linear_schedule_with_warmup": _W + "linear_decay()",
    "cosine_with_warmup": _W + "cosine_decay()", "cosine_schedule_with_warmup": _W + "cosine_decay()",
    "cosine_with_restarts": _W + "cosine_decay(cycles=k)",
    "cosine_with_hard_restarts_schedule_with_warmup": _W + "cosine_decay(cycles=k)",
    "cosine_with_min_lr": _W + "cosine_decay(to=m)",
    "cosine_with_min_lr_schedule_with_warmup": _W + "cosine_decay(to=m)",
    "polynomial": _W + "poly_decay(to=end / peak, power=p)",
    "polynomial_decay_schedule_with_warmup": _W + "poly_decay(to=end / peak, power=p)",
    "constant_with_warmup": _W + "constant()", "constant_schedule_with_warmup": _W + "constant()",
    "constant_schedule": "constant()", "inverse_sqrt_schedule": _W + "inverse_sqrt()",
    "warmup_stable_decay": "wsd(W, D)", "wsd_schedule": "wsd(W, D)",
    "linearlr": "linear_warmup(total_iters, start=start_factor)",
    "constantlr": "constant_warmup(total_iters, start=factor)",
    "cosineannealinglr": "cosine_decay(T_max, to=eta_min / peak)",
    "cosineannealingwarmrestarts": "repeat(cosine_decay(T_0, to=eta_min / peak), mult=T_mult)",
    "exponentiallr": "exp_decay(gamma)", "steplr": "step_decay(step_size, gamma=gamma)",
    "multisteplr": "multistep([m1, m2], gamma=gamma)", "polynomiallr": "poly_decay(total_iters, power=p)",
    "onecyclelr": "one_cycle(total_steps, pct=pct_start)", "sequentiallr": "a >> b", "lambdalr": "any rampup schedule",
    "warmup_cosine_decay_schedule": "linear_warmup(W, start=init / peak) >> cosine_decay(T - W, to=end / peak)",
    "warmup_exponential_decay_schedule": "linear_warmup(W) >> exp_decay(rate, every=transition_steps)",
    "cosine_decay_schedule": "cosine_decay(decay_steps, to=alpha)",
    "linear_schedule": "linear_warmup(T) or linear_decay(T)",
    "exponential_decay": "exp_decay(rate, every=transition_steps)", "join_schedules": "a >> b",
    "sgdr_schedule": "repeat(linear_warmup(W) >> cosine_decay(D))",
    "cosinedecay": "linear_warmup(W, start=i / peak) >> cosine_decay(D, to=alpha)",
    "cosinedecayrestarts": "repeat(cosine_decay(D, to=alpha), mult=t_mul, decay=m_mul)",
    "exponentialdecay": "exp_decay(rate)", "inversetimedecay": "inverse_time_decay(decay_steps, rate=decay_rate)",
    "polynomialdecay": "poly_decay(D, to=end / peak, power=p)", "cosinelrscheduler": _W + "cosine_decay(T)",
    "tanhlrscheduler": "tanh_decay(T, to=lr_min / peak)", "cycliclr": "cyclic(up, down, start=base_lr / peak)",
    "warmuplr": "log_warmup(W) >> constant()", "warmupdecaylr": "log_warmup(W) >> linear_decay(to=min_lr / peak)",
    "warmupcosinelr": "log_warmup(W) >> cosine_decay(T - W, to=cos_min_ratio, offset=1)",
    "lrrangetest": "linear_growth(step_rate, every=step_size, duration=N)", "noam_schedule": "noam(W)",
}

_TOKEN = re.compile(
    r"(?P<ws>\s+)|(?P<op>>>|[*(),=\[\]])|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<str>'[^'\\]*'|\"[^\"\\]*\")"
)


@dataclass
class _Tok:
    kind: str  # op, name, num, str, end
    text: str
    pos: int
    value: Any = None


def _tokenize(spec: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    while i < len(spec):
        c = spec[i]
        if c.isdigit() or (c in ".-+" and i + 1 < len(spec) and (spec[i + 1].isdigit() or spec[i + 1] == ".")):
            sign = -1 if c == "-" else 1
            j = i + 1 if c in "-+" else i
            m = DURATION_RE.match(spec, j)
            if m is None or m.end() == j:
                raise SpecError("expected a number", i, spec)
            text = spec[i:m.end()]
            try:
                value = _number(m, sign)
            except RampupError as e:
                raise SpecError(str(e), i, spec) from None
            toks.append(_Tok("num", text, i, value))
            i = m.end()
            continue
        m = _TOKEN.match(spec, i)
        if m is None:
            raise SpecError(f"unexpected character {c!r}", i, spec)
        kind = m.lastgroup
        if kind != "ws":
            text = m.group()
            value = text[1:-1] if kind == "str" else None
            toks.append(_Tok(kind, text, i, value))  # type: ignore[arg-type]
        i = m.end()
    toks.append(_Tok("end", "end of spec", len(spec)))
    return toks


def _number(m: re.Match[str], sign: int) -> Any:
    num, mult, unit = m.group("num"), m.group("mult") or "", m.group("unit") or ""
    if len(num) > _MAX_DIGITS:
        raise RampupError(f"the number {num[:12]}... is {len(num)} characters long: no schedule takes a number "
                          "that large or that precise")
    if not mult and not unit:  # a plain number: an int or a float, as written
        value: Any = float(num) if any(c in num for c in ".eE") else int(num)
        return sign * value
    if sign < 0:
        raise RampupError(f"a duration must be >= 0, got -{m.group()}")
    return from_parts(num, mult, unit)


@dataclass
class _Node:
    kind: str  # call, chain, product, lit, list
    pos: int
    name: str = ""
    items: list[Any] | None = None
    kwargs: dict[str, Any] | None = None
    value: Any = None


class _Parser:
    def __init__(self, spec: str):
        self.spec = spec
        self.toks = _tokenize(spec)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, text: str, what: str) -> _Tok:
        tok = self.peek()
        if tok.text != text or tok.kind not in ("op",):
            self.fail(f"expected {what}", tok)
        return self.take()

    def fail(self, what: str, tok: _Tok) -> None:
        raise SpecError(f"{what}, found {show(tok.text)}" if tok.kind != "end" else f"{what}, found the end", tok.pos,
                        self.spec)

    def parse(self) -> _Node:
        node = self.chain()
        if self.peek().kind != "end":
            self.fail("expected '>>', '*' or the end of the spec", self.peek())
        return node

    def chain(self) -> _Node:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise SpecError(f"spec nested more than {_MAX_DEPTH} levels deep (schedules nest at most {MAX_DEPTH})",
                            self.peek().pos, self.spec)
        first = self.product()
        items = [first]
        while self.peek().text == ">>" and self.peek().kind == "op":
            self.take()
            items.append(self.product())
        self.depth -= 1
        return first if len(items) == 1 else _Node("chain", first.pos, items=items)

    def product(self) -> _Node:
        first = self.atom()
        items = [first]
        while self.peek().text == "*" and self.peek().kind == "op":
            self.take()
            items.append(self.atom())
        return first if len(items) == 1 else _Node("product", first.pos, items=items)

    def atom(self) -> _Node:
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            return _Node("lit", tok.pos, value=tok.value)
        if tok.kind == "str":
            self.take()
            return _Node("lit", tok.pos, value=tok.value)
        if tok.kind == "op" and tok.text == "(":
            self.take()
            node = self.chain()
            self.expect(")", "')'")
            return node
        if tok.kind == "op" and tok.text == "[":
            return self.list_()
        if tok.kind == "name":
            self.take()
            low = tok.text.lower()
            if low in ("true", "false", "none") and self.peek().text != "(":
                return _Node("lit", tok.pos, value={"true": True, "false": False, "none": None}[low])
            if self.peek().text != "(":  # a bare name: the call without arguments
                return _Node("call", tok.pos, name=tok.text, items=[], kwargs={})
            return self.call(tok)
        self.fail("expected a schedule such as linear(5%), a number, '(' or '['", tok)
        raise AssertionError  # unreachable: fail raises

    def list_(self) -> _Node:
        start = self.take()
        items: list[Any] = []
        while not (self.peek().kind == "op" and self.peek().text == "]"):
            items.append(self.chain())
            if self.peek().text == ",":
                self.take()
            elif self.peek().text != "]":
                self.fail("expected ',' or ']'", self.peek())
        self.take()
        return _Node("list", start.pos, items=items)

    def value(self) -> _Node:
        """An argument: a bare word such as ``sqrt`` in ``shape=sqrt`` is a string; anything else a chain."""
        tok = self.peek()
        nxt = self.toks[self.i + 1] if tok.kind != "end" else tok
        if tok.kind == "name" and nxt.text in (",", ")") and tok.text.lower() not in ("true", "false", "none"):
            self.take()
            return _Node("lit", tok.pos, value=tok.text)
        return self.chain()

    def call(self, name: _Tok) -> _Node:
        self.expect("(", "'('")
        args: list[_Node] = []
        kwargs: dict[str, _Node] = {}
        while not (self.peek().kind == "op" and self.peek().text == ")"):
            tok = self.peek()
            if tok.kind == "name" and self.toks[self.i + 1].text == "=":
                self.take()
                self.take()
                if tok.text in kwargs:
                    raise SpecError(f"{name.text}(): argument {tok.text!r} given twice", tok.pos, self.spec)
                kwargs[tok.text] = self.value()
            else:
                if kwargs:
                    self.fail("expected a keyword argument (name=value) after a keyword argument", tok)
                args.append(self.value())
            if self.peek().text == ",":
                self.take()
            elif self.peek().text != ")":
                self.fail(f"expected ',' or ')' in {name.text}(...)", self.peek())
        self.take()
        return _Node("call", name.pos, name=name.text, items=args, kwargs=kwargs)


class _Builder:
    def __init__(self, spec: str):
        self.spec = spec

    def build(self, node: _Node, role: str = "alone") -> Any:
        if node.kind == "lit":
            return node.value
        if node.kind == "list":
            return [self.build(n, role) for n in node.items or []]
        if node.kind == "chain":
            items = node.items or []
            built = [self.build(n, "warmup" if i == 0 else "decay") for i, n in enumerate(items)]
            for n, b in zip(items, built, strict=True):
                self.need_schedule(b, n, "a phase of '>>'")
            try:
                return FACTORIES["sequence"](built)
            except RampupError as e:
                m = re.match(r"phase (\d+) ", str(e))
                at = items[int(m.group(1)) - 1].pos if m and int(m.group(1)) <= len(items) else node.pos
                raise SpecError(str(e), at, self.spec) from None
        if node.kind == "product":
            items = node.items or []
            built = [self.build(n, role) for n in items]
            scheds = [b for b in built if isinstance(b, Schedule)]
            if not scheds:
                raise SpecError("'*' needs a schedule on one side", node.pos, self.spec)
            out: Any = None
            for n, b in zip(items, built, strict=True):
                if out is None:
                    out = b
                elif isinstance(out, Schedule) and isinstance(b, Schedule):
                    out = self.guard(n, lambda o=out, b=b: o * b)
                elif isinstance(out, Schedule) or isinstance(b, Schedule):
                    num, sch = (b, out) if isinstance(out, Schedule) else (out, b)
                    if isinstance(num, bool) or not isinstance(num, (int, float)):
                        raise SpecError(f"'*' multiplies a schedule by a number, got {show(num)}", n.pos, self.spec)
                    out = self.guard(n, lambda s=sch, k=num: s.scale(k))
                else:
                    raise SpecError("'*' between two numbers: write the product as one number", n.pos, self.spec)
            return out
        return self.call(node, role)

    @staticmethod
    def lone_role(name: str, node: _Node) -> str:
        """The one part a lone bare shape name can play with the arguments it is given (``cosine(to=0.1)`` and
        ``cosine()`` can only be decays: a warmup has no floor and needs a duration), else ``"alone"``."""
        fits = []
        for role in ("warmup", "decay"):
            fn = FACTORIES.get(f"{name}_{role}")
            if fn is None:
                continue
            params = inspect.signature(fn).parameters
            names = list(params)
            args, kwargs = node.items or [], node.kwargs or {}
            given = set(names[:len(args)]) | set(kwargs)
            required = {k for k, p in params.items() if p.default is inspect.Parameter.empty}
            if len(args) <= len(names) and set(kwargs) <= set(names) and required <= given:
                fits.append(role)
        return fits[0] if len(fits) == 1 else "alone"

    def _phases(self, node: _Node) -> list[Any]:
        items = node.items or []
        return [self.build(n, "warmup" if i == 0 and len(items) > 1 else "decay" if i else "alone")
                for i, n in enumerate(items)]

    def need_schedule(self, value: Any, node: _Node, where: str) -> None:
        if not isinstance(value, Schedule):
            raise SpecError(f"{where} must be a schedule, got {show(value)}", node.pos, self.spec)

    def guard(self, node: _Node, make: Any) -> Any:
        try:
            return make()
        except SpecError:
            raise
        except RampupError as e:
            raise SpecError(str(e), node.pos, self.spec) from None

    def call(self, node: _Node, role: str) -> Schedule:
        name = node.name
        if name in _ALIASES:
            if role == "alone":
                role = self.lone_role(name, node)
            if role == "alone":
                raise SpecError(f"{name}(...) on its own could be a rise or a fall: write {name}_warmup(...) for a "
                                f"warmup to the peak or {name}_decay(...) for a decay from it (a bare {name}(...) is a "
                                "warmup as the first phase of a '>>' chain and a decay after it)", node.pos, self.spec)
            name = f"{name}_{role}"
        fn = FACTORIES.get(name)
        if fn is None:
            raise SpecError(unknown_name(name), node.pos, self.spec)
        params = inspect.signature(fn).parameters
        names = list(params)
        # a schedule inside a call plays the call's part: in "linear(2%) >> repeat(cosine(1000))" the cosine is a
        # decay; the phases of sequence([...]) play their parts in the chain they spell out
        args = [self._phases(n) if name == "sequence" and n.kind == "list" else self.build(n, role)
                for n in node.items or []]
        kwargs = {k: self._phases(v) if name == "sequence" and v.kind == "list" else self.build(v, role)
                  for k, v in (node.kwargs or {}).items()}
        if len(args) > len(names):
            raise SpecError(f"{name}() takes at most {len(names)} arguments ({', '.join(names)}), got {len(args)}",
                            node.pos, self.spec)
        for k in kwargs:
            if k not in params:
                raise SpecError(f"{name}() has no argument {k!r}; its arguments are {', '.join(names)}",
                                node.pos, self.spec)
            if k in names[:len(args)]:
                raise SpecError(f"{name}(): argument {k!r} given twice", node.pos, self.spec)
        given = set(names[:len(args)]) | set(kwargs)
        missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in given]
        if missing:
            raise SpecError(f"{name}() needs the argument {missing[0]!r}", node.pos, self.spec)
        try:
            return fn(*args, **kwargs)
        except RampupError as e:
            # point at the argument the message names, else at the call
            nodes = dict(zip(names, node.items or [], strict=False), **(node.kwargs or {}))
            named = [n for k, n in nodes.items() if re.search(rf"(^|[:(] ?){re.escape(k)}[ =]", str(e))]
            raise SpecError(str(e), named[0].pos if named else node.pos, self.spec) from None


def parse(spec: str, budget: Budget | None = None, *, role: str | None = None, **budget_fields: Any) -> Schedule:
    """Read a schedule from its spec string; with a budget, resolve its durations to steps.

    Args:
        spec: for example ``"linear(5%) >> cosine(to=0.1)"``; every schedule's ``repr`` is a spec.
        budget: a :class:`Budget`, or its fields as keywords (``total_steps=10_000``, ``steps_per_epoch=...``).
        role: what a bare shape name standing alone means here, ``"warmup"`` or ``"decay"`` (an argument that
            can only be a decay, such as ``then=``, passes ``"decay"``). Without it a lone ``linear(500)`` is an
            error asking for ``linear_warmup`` or ``linear_decay``, unless its arguments fit only one of them.

    Raises:
        SpecError: the position in the spec and what was expected there.
        BudgetError: a duration needs a budget field that was not given.

    Example:
        >>> from rampup import parse
        >>> s = parse("linear(5%) >> cosine(to=0.1)", total_steps=10_000)
        >>> s
        linear_warmup(500) >> cosine_decay(9500, to=0.1)
        >>> s(0), s(500), s(10_000)
        (0.0, 1.0, 0.1)
    """
    if not isinstance(spec, str):
        raise SpecError(f"a spec must be a string, got {show(spec)}")
    if len(spec) > MAX_SPEC:
        raise SpecError(f"a spec must be at most {MAX_SPEC} characters, got {len(spec)}")
    if not spec.strip():
        raise SpecError("the spec is empty: expected a schedule such as linear(5%) >> cosine()")
    tree = _Parser(spec).parse()
    if role not in (None, "warmup", "decay"):
        raise RampupError(f"parse: role must be 'warmup', 'decay' or None, got {show(role)}")
    out = _Builder(spec).build(tree, role or "alone")
    if not isinstance(out, Schedule):
        raise SpecError(f"a spec must describe a schedule, got the value {show(out)}", 0, spec)
    if budget is not None or budget_fields:
        return out.resolve(budget, **budget_fields)
    return out


def from_dict(data: Any, budget: Budget | None = None, **budget_fields: Any) -> Schedule:
    """Read a schedule from :meth:`Schedule.to_dict`'s JSON-safe form ``{"type": name, param: value}``.

    Example:
        >>> from rampup import from_dict, parse
        >>> s = parse("linear(5%) >> cosine(to=0.1)")
        >>> from_dict(s.to_dict()) == s
        True
    """
    out = _from_value(data, "$", 0)
    if not isinstance(out, Schedule):
        raise SpecError(f"from_dict: expected a schedule mapping with a 'type', got {show(data)}")
    if budget is not None or budget_fields:
        return out.resolve(budget, **budget_fields)
    return out


def _from_value(v: Any, path: str, depth: int) -> Any:
    if depth > _MAX_DICT_DEPTH:
        raise SpecError(f"from_dict: {path[:60]}...: nested more than {_MAX_DICT_DEPTH} levels deep (schedules nest "
                        f"at most {MAX_DEPTH})")
    if isinstance(v, Mapping):
        if "type" not in v:
            raise SpecError(f"from_dict: {path} has no 'type' key: {show(v)}")
        name = v["type"]
        fn = FACTORIES.get(name) if isinstance(name, str) else None
        if fn is None:
            raise SpecError(f"from_dict: {path}.type: " + (unknown_name(name, spec=False) if isinstance(name, str)
                                                          else f"the type must be a schedule name, got {show(name)}"))
        params = inspect.signature(fn).parameters
        kwargs = {}
        for k, x in v.items():
            if k == "type":
                continue
            if k not in params:
                raise SpecError(f"from_dict: {path}: {name}() has no argument {show(k)}; its arguments are "
                                f"{', '.join(params)}")
            kwargs[k] = _from_value(x, f"{path}.{k}", depth + 1)
        try:
            return fn(**kwargs)
        except TypeError as e:
            raise SpecError(f"from_dict: {path}: {name}(): {e}") from None
        except RampupError as e:
            raise SpecError(f"from_dict: {path}: {e}") from None
    if isinstance(v, _ListLike) and not isinstance(v, (str, bytes)):
        return [_from_value(x, f"{path}[{i}]", depth + 1) for i, x in enumerate(v)]
    if isinstance(v, str):
        try:
            return Duration.parse(v)
        except RampupError:
            return v
    return v


def known_names() -> list[str]:
    """The names a spec may call, sorted: every constructor and the bare shape names, without the operators'
    nodes (``sequence``, ``product``, ``scaled``: written ``>>``, ``*`` and ``peak * s``)."""
    return sorted((set(FACTORIES) - _OPERATORS) | _ALIASES)


def unknown_name(name: str, spec: bool = True) -> str:
    """The message for a name that is not a schedule: the rampup spelling of another library's name, or the
    nearest known names, then the list of known names.

    Example:
        >>> from rampup.core.spec import unknown_name
        >>> unknown_name("cosin_decay").split(";")[0]
        "unknown schedule 'cosin_decay': did you mean cosine_decay or cosine or linear_decay?"
        >>> unknown_name("get_cosine_schedule_with_warmup").split(";")[0]
        "unknown schedule 'get_cosine_schedule_with_warmup': in rampup it is linear_warmup(W) >> cosine_decay()"
    """
    names = known_names() if spec else sorted(FACTORIES)
    key = re.sub(r"^get_|_schedule$|^torch\.optim\.lr_scheduler\.", "", name.lower())
    foreign = _FOREIGN.get(name.lower()) or _FOREIGN.get(key) or _FOREIGN.get(key.replace("_", ""))
    if foreign is not None:
        hint = f": in rampup it is {foreign}"
    else:
        near = difflib.get_close_matches(name.lower(), names, n=3, cutoff=0.6)
        hint = f": did you mean {' or '.join(near)}?" if near else ""
    return f"unknown schedule {show(name)}{hint}; known: {', '.join(names)}"


def as_schedule(value: Any, budget: Budget | None = None, *, owner: str = "rampup", where: str = "schedule",
                resolved: bool = True, role: str | None = None, **budget_fields: Any) -> Schedule:
    """The one way into rampup for a schedule given by a user: accept a Schedule, a spec string or a
    :meth:`Schedule.to_dict` mapping (a dict, an OmegaConf ``DictConfig``, any ``Mapping``), resolve it with the
    budget, and make sure it can be evaluated, so that a missing budget field fails here, at construction, and not
    at update 1000. Every adapter, the config loader, lint and ``rampup.auto`` call it.

    Args:
        value: the schedule, its spec string or its dict.
        budget: a :class:`Budget`, or its fields as keywords (``total_steps=...``).
        owner, where: named in error messages (``"rampup.keras.LRSchedule"``, ``"schedule"``).
        resolved: when False, a schedule that still needs budget fields is returned as it is (for callers that
            resolve it later, once the budget is known).
        role: what a lone bare shape name in a spec string means (:func:`parse`): ``then=`` arguments pass
            ``"decay"``, so ``then="cosine(to=0.1)"`` is a cosine decay.

    Example:
        >>> from rampup import as_schedule
        >>> as_schedule("linear(5%) >> cosine()", total_steps=100)
        linear_warmup(5) >> cosine_decay(95)
        >>> as_schedule("linear(5%) >> cosine()", owner="MyTrainer")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rampup.BudgetError: MyTrainer: schedule: ...: the duration 5% needs the budget field total_steps: ...
    """
    given = {k: v for k, v in budget_fields.items() if v is not None}
    if budget is None and given:
        budget = make_budget(owner, given)
    elif given:
        raise RampupError(f"{owner}: pass a Budget or budget fields, not both")
    if isinstance(value, str):
        s = parse(value, role=role)
    elif isinstance(value, Mapping):
        s = from_dict(value)
    elif isinstance(value, Schedule):
        s = value
    else:
        raise RampupError(f"{owner}: {where} must be a rampup schedule, a spec string or a schedule dict, got "
                          f"{show(value)}")
    if budget is not None:
        s = s.resolve(budget)
    if resolved and s._missing is not None:
        raise BudgetError(f"{owner}: {where}: {s.spec()}: {s._missing}")
    return s
