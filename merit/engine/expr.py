"""The policy expression language: small, safe, exact.

Conditions and formulas in a policy (``"kind == 'complaint.attitude'"``, ``"points.closing < 15"``,
``"8 if errors == 0 else 3"``) are parsed with Python's own grammar (``ast.parse(mode="eval")``) and then
walked against a whitelist of node types. Nothing is ever passed to ``eval``: names resolve only to
values the engine hands over, calls only to the functions listed in ``FUNCTIONS``, and there is no
attribute access, indexing, comprehension or lambda. Numbers are exact ``Decimal``.

A parsed expression can be evaluated two ways:

* ``evaluate(node, env)`` over per-agent values in Python (scoring, points, flags, bonus);
* ``to_ibis(node, table, params)`` into a column expression of a table (metric filters and values),
  so the same text runs set-based on DuckDB or Spark.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Any


class ExprError(ValueError):
    """A policy expression that cannot be parsed or uses something the language does not have."""

    def __init__(self, message: str, text: str = "", col: int | None = None):
        self.text = text
        self.col = col
        where = (
            f" (at column {col + 1} of {text!r})" if col is not None else (f" in {text!r}" if text else "")
        )
        super().__init__(message + where)


# ---- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    value: Any  # Decimal, str, bool or None


@dataclass(frozen=True)
class Name:
    name: str  # dotted: "points.closing", "param.rate"


@dataclass(frozen=True)
class Unary:
    op: str  # "-", "not"
    arg: Any


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / // % and or == != < <= > >= in notin
    left: Any
    right: Any


@dataclass(frozen=True)
class Cond:
    test: Any
    then: Any
    other: Any


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple


@dataclass(frozen=True)
class Seq:
    items: tuple  # literal list for `in`


Node = Lit | Name | Unary | Binary | Cond | Call | Seq

# name -> (min args, max args)
FUNCTIONS: dict[str, tuple[int, int]] = {
    "min": (1, 99),
    "max": (1, 99),
    "abs": (1, 1),
    "floor": (1, 1),
    "ceil": (1, 1),
    "coalesce": (1, 99),
    "startswith": (2, 2),
    "seconds_between": (2, 2),  # seconds from the first timestamp to the second
    "is_null": (1, 1),
}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}
_CMPOPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "notin",
}


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse ``text`` into the expression tree, or raise ExprError naming what is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression", str(text))
    text = " ".join(text.splitlines()).strip()  # a YAML block may break a long expression
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise ExprError(f"syntax error: {e.msg}", text, (e.offset or 1) - 1) from None
    return _convert(tree.body, text.strip())


def _dotted(node: ast.AST, text: str) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value, text) + "." + node.attr
    raise ExprError("only names may be dotted (like points.closing)", text, getattr(node, "col_offset", None))


def _convert(node: ast.AST, text: str) -> Node:
    col = getattr(node, "col_offset", None)
    match node:
        case ast.Constant(value=v):
            if isinstance(v, bool) or v is None or isinstance(v, str):
                return Lit(v)
            if isinstance(v, int):
                return Lit(Decimal(v))
            if isinstance(v, float):
                # The literal as written (shortest repr), never the binary float.
                return Lit(Decimal(repr(v)))
            raise ExprError(f"literal {v!r} is not allowed", text, col)
        case ast.Name() | ast.Attribute():
            name = _dotted(node, text)
            if name in ("true", "True"):
                return Lit(True)
            if name in ("false", "False"):
                return Lit(False)
            if name.startswith("_") or "._" in name:
                raise ExprError(f"name {name!r} is not allowed", text, col)
            return Name(name)
        case ast.UnaryOp(op=ast.USub(), operand=a):
            return Unary("-", _convert(a, text))
        case ast.UnaryOp(op=ast.UAdd(), operand=a):
            return _convert(a, text)
        case ast.UnaryOp(op=ast.Not(), operand=a):
            return Unary("not", _convert(a, text))
        case ast.BinOp(op=op, left=a, right=b) if type(op) in _BINOPS:
            return Binary(_BINOPS[type(op)], _convert(a, text), _convert(b, text))
        case ast.BoolOp(op=op, values=vals):
            name = "and" if isinstance(op, ast.And) else "or"
            out = _convert(vals[0], text)
            for v in vals[1:]:
                out = Binary(name, out, _convert(v, text))
            return out
        case ast.Compare(left=a, ops=ops, comparators=comps):
            parts = []
            left = _convert(a, text)
            for op, c in zip(ops, comps, strict=True):
                if type(op) not in _CMPOPS:
                    raise ExprError("comparison not allowed", text, col)
                right = _convert(c, text)
                parts.append(Binary(_CMPOPS[type(op)], left, right))
                left = right
            out = parts[0]
            for p in parts[1:]:
                out = Binary("and", out, p)
            return out
        case ast.IfExp(test=t, body=b, orelse=o):
            return Cond(_convert(t, text), _convert(b, text), _convert(o, text))
        case ast.Call(func=ast.Name(id=fname), args=args, keywords=[]):
            if fname not in FUNCTIONS:
                allowed = ", ".join(sorted(FUNCTIONS))
                raise ExprError(f"unknown function {fname!r} (allowed: {allowed})", text, col)
            lo, hi = FUNCTIONS[fname]
            if not lo <= len(args) <= hi:
                raise ExprError(f"{fname}() takes {lo}..{hi} arguments, got {len(args)}", text, col)
            return Call(fname, tuple(_convert(a, text) for a in args))
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            items = tuple(_convert(e, text) for e in elts)
            if not all(isinstance(i, Lit) for i in items):
                raise ExprError("lists may hold only literals", text, col)
            return Seq(items)
    raise ExprError(f"{type(node).__name__} is not part of the policy language", text, col)


@lru_cache(maxsize=4096)
def names_of(text: str) -> frozenset[str]:
    """The names an expression text reads (cached)."""
    return frozenset(names(parse(text)))


def names(node: Node) -> set[str]:
    """Every name the expression reads (to check them against what a policy may use)."""
    match node:
        case Name(name=n):
            return {n}
        case Unary(arg=a):
            return names(a)
        case Binary(left=a, right=b):
            return names(a) | names(b)
        case Cond(test=t, then=a, other=b):
            return names(t) | names(a) | names(b)
        case Call(args=args):
            out: set[str] = set()
            for a in args:
                out |= names(a)
            return out
    return set()


# ---- evaluation over Python values ------------------------------------------------------------


def _num(v):
    if isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, int):
        return Decimal(v)
    return v


def evaluate(node: Node, env: dict[str, Any]) -> Any:
    """Evaluate over ``env`` (dotted names as keys). NULL (None) propagates through arithmetic and
    comparisons; ``and``/``or`` and conditions treat NULL as false."""
    match node:
        case Lit(value=v):
            return v
        case Name(name=n):
            return env.get(n)
        case Seq(items=items):
            return [i.value for i in items]
        case Unary(op="-", arg=a):
            v = evaluate(a, env)
            return None if v is None else -_num(v)
        case Unary(op="not", arg=a):
            return not truthy(evaluate(a, env))
        case Binary(op="and", left=a, right=b):
            return truthy(evaluate(a, env)) and truthy(evaluate(b, env))
        case Binary(op="or", left=a, right=b):
            return truthy(evaluate(a, env)) or truthy(evaluate(b, env))
        case Binary(op=op, left=a, right=b):
            return _binary(op, evaluate(a, env), evaluate(b, env))
        case Cond(test=t, then=a, other=b):
            return evaluate(a, env) if truthy(evaluate(t, env)) else evaluate(b, env)
        case Call(func=f, args=args):
            return _call(f, [evaluate(a, env) for a in args])
    raise ExprError(f"cannot evaluate {node!r}")


def truthy(v) -> bool:
    """NULL counts as false."""
    return bool(v) if v is not None else False


def _binary(op: str, a, b):
    if op in ("in", "notin"):
        if a is None:
            return None
        found = a in (b or [])
        return found if op == "in" else not found
    if a is None or b is None:
        return None
    if op in ("==", "!="):
        same = False if isinstance(a, str) != isinstance(b, str) else _num(a) == _num(b)
        return same if op == "==" else not same
    a, b = _num(a), _num(b)
    match op:
        case "+":
            return a + b
        case "-":
            return a - b
        case "*":
            return a * b
        case "/":
            return None if b == 0 else a / b  # zero-safe: x / 0 is NULL, never an error
        case "//":
            return None if b == 0 else (a / b).to_integral_value(ROUND_FLOOR)
        case "%":
            return None if b == 0 else a % b
        case "<":
            return a < b
        case "<=":
            return a <= b
        case ">":
            return a > b
        case ">=":
            return a >= b
    raise ExprError(f"operator {op} unknown")


def _call(f: str, args: list):
    match f:
        case "coalesce":
            return next((a for a in args if a is not None), None)
        case "is_null":
            return args[0] is None
        case "startswith":
            return None if args[0] is None else str(args[0]).startswith(str(args[1]))
    if any(a is None for a in args):
        return None
    args = [_num(a) for a in args]
    match f:
        case "min":
            return min(args)
        case "max":
            return max(args)
        case "abs":
            return abs(args[0])
        case "floor":
            return args[0].to_integral_value(ROUND_FLOOR)
        case "ceil":
            return args[0].to_integral_value(ROUND_CEILING)
    raise ExprError(f"function {f} cannot be used here")


# ---- compilation to Python closures (the fast path of ``evaluate``) ---------------------------------


@lru_cache(maxsize=4096)
def compiled(text: str):
    """``text`` parsed and compiled once into a function of ``env``; same semantics as ``evaluate``."""
    return _compile(parse(text))


def _compile(node: Node):
    match node:
        case Lit(value=v):
            return lambda env: v
        case Name(name=n):
            # Names were checked when the policy was loaded; one still missing here is a value the
            # period does not have (no supervisor score, no benchmark row): NULL, not an error.
            return lambda env, n=n: env.get(n)
        case Seq(items=items):
            values = [i.value for i in items]
            return lambda env: values
        case Unary(op="-", arg=a):
            fa = _compile(a)

            def neg(env):
                v = fa(env)
                return None if v is None else -_num(v)

            return neg
        case Unary(op="not", arg=a):
            fa = _compile(a)
            return lambda env: not truthy(fa(env))
        case Binary(op="and", left=a, right=b):
            fa, fb = _compile(a), _compile(b)
            return lambda env: truthy(fa(env)) and truthy(fb(env))
        case Binary(op="or", left=a, right=b):
            fa, fb = _compile(a), _compile(b)
            return lambda env: truthy(fa(env)) or truthy(fb(env))
        case Binary(op=op, left=a, right=b):
            fa, fb = _compile(a), _compile(b)
            return lambda env: _binary(op, fa(env), fb(env))
        case Cond(test=t, then=a, other=b):
            ft, fa, fb = _compile(t), _compile(a), _compile(b)
            return lambda env: fa(env) if truthy(ft(env)) else fb(env)
        case Call(func=f, args=args):
            fs = [_compile(x) for x in args]
            return lambda env: _call(f, [g(env) for g in fs])
    raise ExprError(f"cannot compile {node!r}")


def run(text: str, env: dict[str, Any]) -> Any:
    """Evaluate policy text over ``env`` (compiled once, then cached)."""
    return compiled(text)(env)


# ---- compilation to Ibis column expressions ------------------------------------------------------


def to_ibis(node: Node, table, params: dict[str, Any] | None = None):
    """Compile to an Ibis expression over ``table``'s columns. ``param.X`` names become literals."""
    import ibis

    params = params or {}

    def lit(v):
        if isinstance(v, Decimal):
            return (
                ibis.literal(int(v)) if v == v.to_integral_value() else ibis.literal(v, type="decimal(18,6)")
            )
        return ibis.literal(v)

    def go(n):
        match n:
            case Lit(value=v):
                return lit(v)
            case Name(name=name) if name.startswith("param."):
                key = name.removeprefix("param.")
                if key not in params:
                    raise ExprError(f"unknown parameter {key!r}")
                return lit(params[key])
            case Name(name=name):
                if name not in table.columns:
                    raise ExprError(f"unknown column {name!r} (columns: {', '.join(table.columns)})")
                return table[name]
            case Unary(op="-", arg=a):
                return -go(a)
            case Unary(op="not", arg=a):
                return ~go(a).fill_null(False)
            case Binary(op="and", left=a, right=b):
                return go(a).fill_null(False) & go(b).fill_null(False)
            case Binary(op="or", left=a, right=b):
                return go(a).fill_null(False) | go(b).fill_null(False)
            case Binary(op="in", left=a, right=Seq(items=items)):
                return go(a).isin([i.value for i in items])
            case Binary(op="notin", left=a, right=Seq(items=items)):
                return go(a).notin([i.value for i in items])
            case Binary(op=op, left=a, right=b):
                x, y = go(a), go(b)
                match op:
                    case "+":
                        return x + y
                    case "-":
                        return x - y
                    case "*":
                        return x * y
                    case "/":
                        # zero-safe division: NULL instead of an error (Spark 4 raises on x/0)
                        return x / ibis.ifelse(y == 0, ibis.null(), y)
                    case "==":
                        return x == y
                    case "!=":
                        return x != y
                    case "<":
                        return x < y
                    case "<=":
                        return x <= y
                    case ">":
                        return x > y
                    case ">=":
                        return x >= y
                raise ExprError(f"operator {op} is not available in metric expressions")
            case Cond(test=t, then=a, other=b):
                return ibis.ifelse(go(t).fill_null(False), go(a), go(b))
            case Call(func="coalesce", args=args):
                return ibis.coalesce(*[go(a) for a in args])
            case Call(func="is_null", args=(a,)):
                return go(a).isnull()
            case Call(func="startswith", args=(a, Lit(value=prefix))):
                return go(a).startswith(prefix)
            case Call(func="seconds_between", args=(a, b)):
                return go(b).epoch_seconds() - go(a).epoch_seconds()
            case Call(func="abs", args=(a,)):
                return go(a).abs()
            case Call(func="min", args=args):
                return ibis.least(*[go(a) for a in args])
            case Call(func="max", args=args):
                return ibis.greatest(*[go(a) for a in args])
        raise ExprError(f"{n!r} cannot be used in a metric expression")

    return go(node)


def quantize_steps(delta: Decimal, step: Decimal, rounding: str) -> int:
    """Whole steps in ``delta`` (exact decimals: 0.005 / 0.001 is exactly 5).

    ``floor``: only completed steps count; ``ceil``: a started step counts whole."""
    if step <= 0:
        raise ValueError("step must be positive")
    q = abs(delta) / step
    return int(q.to_integral_value(ROUND_FLOOR if rounding == "floor" else ROUND_CEILING))


def is_finite(v) -> bool:
    return v is not None and not (isinstance(v, float) and (math.isnan(v) or math.isinf(v)))
