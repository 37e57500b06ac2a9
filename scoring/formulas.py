"""Indicator formulas: safe arithmetic over number answers (+ - * / and parentheses, no eval).

Two functions are allowed: ``ipc(anio)``, the price index of a year (``scoring.deflator``), to
turn nominal soles into real ones, and ``raiz(x, n)``, the n-th root, to annualise growth.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from scoring.deflator import index_of

_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_FUNCTIONS = {"ipc": 1, "raiz": 2}  # name -> number of arguments
_ALLOWED = "números, ids de preguntas, + - * /, paréntesis, ipc(año) y raiz(x, n)"


class FormulaError(ValueError):
    """A formula that is not plain arithmetic over question ids."""


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.expr
    names: tuple[str, ...]

    def evaluate(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """Evaluate over arrays (one element per assessment); division by zero gives NaN."""
        with np.errstate(divide="ignore", invalid="ignore"):
            result = _eval(self.tree, values)
        result = np.asarray(result, dtype=float)
        return np.where(np.isfinite(result), result, np.nan)


def parse_formula(text: str) -> Formula:
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise FormulaError(f"la fórmula no se puede leer; use solo {_ALLOWED}") from None
    names: list[str] = []
    _check(tree, names)
    return Formula(text=text, tree=tree, names=tuple(dict.fromkeys(names)))


def _check(node: ast.expr, names: list[str]) -> None:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        right = node.right
        if isinstance(node.op, ast.Div) and isinstance(right, ast.Constant) and right.value == 0:
            raise FormulaError("la fórmula divide entre 0")
        _check(node.left, names)
        _check(node.right, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, names)
    elif isinstance(node, ast.Name):
        names.append(node.id)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        pass
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        if len(node.args) != _FUNCTIONS[node.func.id]:
            raise FormulaError(
                f"{node.func.id}() lleva {_FUNCTIONS[node.func.id]} argumento(s), "
                f"no {len(node.args)}"
            )
        for arg in node.args:
            _check(arg, names)
    else:
        fragment = ast.unparse(node)
        raise FormulaError(f"'{fragment}' no está permitido; use solo {_ALLOWED}")


def _eval(node: ast.expr, values: dict[str, np.ndarray]):
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Call):
        args = [np.asarray(_eval(arg, values), dtype=float) for arg in node.args]
        if node.func.id == "ipc":  # type: ignore[attr-defined]
            return index_of(args[0])
        base, degree = args
        valid = (base >= 0) & (degree > 0) & (np.round(degree) == degree)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(valid, np.power(np.where(valid, base, 1.0), 1.0 / degree), np.nan)
    return float(node.value)  # type: ignore[attr-defined]
