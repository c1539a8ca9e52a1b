"""The Jinja sandbox template texts compile in: jinja2's SandboxedEnvironment behind a budget per render.

The sandbox keeps a template from Python's internals (and from files: there is no loader), not from the CPU
or the memory: nested `range(100000)` loops run for hours, `'x' * 10**10` (folded at compile time) raises
MemoryError. BudgetedEnvironment keeps its attribute rules and puts every loop iteration, piece of output,
`~`, call, filter and intercepted operator (`*`, `**`, `+`, `%`) through the budget of
secassets.evaluation.render_budget: each ticks it, and what `*`, `**`, `+`, str.replace / join and the
replace / join / indent / wordwrap filters build is sized before it is built. `%` and str.format
formatting, expandtabs, translate, the format and urlize filters and lipsum are not there. Intercepted
operators and (context) filters are never folded at compile time, so nothing a text says runs then.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from jinja2 import nodes
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import pass_context
from jinja2.visitor import NodeTransformer

from secassets.evaluation.render_budget import (
    TEXT_TYPES,
    TemplateBudgetError,
    check_built,
    check_ints,
    check_size,
    emit,
    replaced_size,
    size_of,
    tick,
)

MAX_INT_BITS: Final = 4096  # an integer built by * or ** (about 1200 digits)
MAX_JSON_INDENT: Final = 16
_REFUSED_STR_METHODS: Final = frozenset({"format", "format_map", "expandtabs", "translate"})
_REFUSED_FILTERS: Final = frozenset({"format", "urlize"})
_WRITE_IT_FIX: Final = "write the text itself, with {{ name }} where a value goes."


def _filter_replace(b: inspect.BoundArguments) -> None:
    a = b.arguments
    count = a.get("count")
    check_built(replaced_size(str(a["s"]), str(a["old"]), str(a["new"]), -1 if count is None else count),
                 "the replace filter")


def _filter_join(b: inspect.BoundArguments) -> None:
    items = list(b.arguments["value"])  # a generator is read once: the filter gets the list
    b.arguments["value"] = items
    d = str(b.arguments.get("d", ""))
    check_built(sum(size_of(x) for x in items) + len(d) * max(len(items) - 1, 0), "the join filter")


def _filter_indent(b: inspect.BoundArguments) -> None:
    s, width = str(b.arguments["s"]), b.arguments.get("width", 4)
    per_line = width if isinstance(width, int) else len(str(width))
    check_built(len(s) + (s.count("\n") + 1) * per_line, "the indent filter")


def _filter_wordwrap(b: inspect.BoundArguments) -> None:
    s, width = str(b.arguments["s"]), b.arguments.get("width", 79)
    wrap = b.arguments.get("wrapstring") or b.arguments["environment"].newline_sequence
    lines = len(s) // max(width if isinstance(width, int) else 1, 1) + s.count("\n") + 1
    check_built(len(s) + lines * len(str(wrap)), "the wordwrap filter")


def _filter_sum(b: inspect.BoundArguments) -> None:
    if not isinstance(b.arguments.get("start", 0), int | float):
        raise TemplateBudgetError("the sum filter adds numbers only (a list or text start copies itself on every "
                                  "item)")


def _filter_tojson(b: inspect.BoundArguments) -> None:
    indent = b.arguments.get("indent")
    if isinstance(indent, int) and indent > MAX_JSON_INDENT:
        raise TemplateBudgetError(f"tojson indents by at most {MAX_JSON_INDENT}")


_FILTER_CHECKS: Final[dict[str, Callable[[inspect.BoundArguments], None]]] = {
    "replace": _filter_replace, "join": _filter_join, "indent": _filter_indent, "wordwrap": _filter_wordwrap,
    "sum": _filter_sum, "tojson": _filter_tojson,
}


def _bound(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> inspect.BoundArguments | None:
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None  # the filter itself says what is wrong with the call
    bound.apply_defaults()
    return bound


def _budgeted_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """The filter behind the budget: ticked, its arguments and result sized, its special growth sized first."""
    pass_arg = getattr(func, "jinja_pass_arg", None)
    first = {"context": lambda c: c, "eval_context": lambda c: c.eval_ctx,
             "environment": lambda c: c.environment}.get(getattr(pass_arg, "name", ""))
    check = _FILTER_CHECKS.get(name)
    signature = inspect.signature(func) if check else None

    @pass_context  # also keeps the filter from being run at compile time
    def budgeted(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        tick()
        if name in _REFUSED_FILTERS:
            raise TemplateBudgetError(f"the {name} filter is not available in a prompt template", _WRITE_IT_FIX)
        check_ints((*args, *kwargs.values()))
        check_size(value)
        call_args = (value, *args) if first is None else (first(context), value, *args)
        call_kwargs = kwargs
        if check is not None and signature is not None and (bound := _bound(signature, call_args, kwargs)):
            check(bound)
            call_args, call_kwargs = bound.args, bound.kwargs
        result = func(*call_args, **call_kwargs)
        check_size(result)
        return result

    budgeted.__name__ = budgeted.__qualname__ = f"budgeted_{name}"
    budgeted.__doc__ = func.__doc__
    return budgeted


def _helper(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), args, [], None, None, lineno=lineno)


class _Budgeting(NodeTransformer):
    """Every loop's iterable, every piece of output and every `~` through the environment's budgeted helpers."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _helper("budgeted_iter", [node.iter], node.lineno)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [_helper("budgeted_output", [child], child.lineno) for child in node.nodes]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _helper("budgeted_concat", list(node.nodes), node.lineno)


class BudgetedEnvironment(SandboxedEnvironment):
    """SandboxedEnvironment whose renders stop at a deadline, a step budget and a size cap (see the module)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _budgeted_filter(name, f) for name, f in self.filters.items()}
        self.globals.pop("lipsum", None)  # lipsum(100000) writes megabytes; nothing in a prompt needs it

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Budgeting().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def budgeted_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            tick()
            yield item

    def budgeted_output(self, value: Any) -> Any:
        """A piece of output (of the message, a macro, a block): counted against the text one render may emit."""
        if not isinstance(value, str):
            check_size(value)
            text = str(value)
        else:
            text = value
        emit(len(text))
        return value

    @pass_context
    def budgeted_concat(self, context: Context, *parts: Any) -> str:
        check_built(sum(size_of(p) for p in parts), "`~`")
        return markup_join(parts) if context.eval_ctx.autoescape else str_join(parts)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """str.format and str.format_map (which the sandbox would run through its own formatter): refused."""
        if super().wrap_str_format(value) is None:
            return None

        def refused(*args: Any, **kwargs: Any) -> str:
            raise TemplateBudgetError(f"str.{value.__name__} is not available in a prompt template", _WRITE_IT_FIX)

        return refused

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        tick()
        if operator == "%" and isinstance(left, TEXT_TYPES):
            raise TemplateBudgetError("`%` formatting is not available in a prompt template", _WRITE_IT_FIX)
        if (operator == "**" and isinstance(left, int) and isinstance(right, int)
                and max(abs(left).bit_length(), 1) * right > MAX_INT_BITS):
            raise TemplateBudgetError(f"`**` would build an integer of more than {MAX_INT_BITS} bits")
        if operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise TemplateBudgetError(f"`*` would build an integer of more than {MAX_INT_BITS} bits")
            elif isinstance(left, int) or isinstance(right, int):
                times, seq = (left, right) if isinstance(left, int) else (right, left)
                if isinstance(seq, (*TEXT_TYPES, list, tuple)):
                    check_built(size_of(seq) * max(times, 0), "`*`")
        if operator == "+" and isinstance(left, (*TEXT_TYPES, list, tuple)) and isinstance(right, (*TEXT_TYPES, list, tuple)):
            check_built(size_of(left) + size_of(right), "`+`")
        return super().call_binop(context, operator, left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Every call a template makes: ticked, integer arguments capped, text growth sized before it happens."""
        tick()
        owner = getattr(obj, "__self__", None)
        if owner is self:  # the budgeted helpers the loops and outputs go through
            return super().call(context, obj, *args, **kwargs)
        check_ints((*args, *(v for k, v in kwargs.items() if k not in ("_loop_vars", "_block_vars"))))
        method = getattr(obj, "__name__", "")
        if isinstance(owner, TEXT_TYPES):
            if method in _REFUSED_STR_METHODS:
                raise TemplateBudgetError(f"str.{method} is not available in a prompt template", _WRITE_IT_FIX)
            if method == "replace" and len(args) >= 2 and all(isinstance(a, TEXT_TYPES) for a in args[:2]):
                check_built(replaced_size(owner, args[0], args[1], args[2] if len(args) > 2 else -1),
                             "str.replace")
            if method == "join" and args:
                items = list(args[0])
                check_built(sum(len(x) for x in items if isinstance(x, TEXT_TYPES)) + len(owner) * max(len(items) - 1, 0),
                             "str.join")
                args = (items, *args[1:])
        result = super().call(context, obj, *args, **kwargs)
        if isinstance(owner, (list, dict, set, bytearray)):  # append, update, ...: what it holds is sized again
            check_size(owner)
        check_size(result)
        return result
