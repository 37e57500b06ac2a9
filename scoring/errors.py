"""Error catalogue for questionnaire files: every problem says where, what, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a questionnaire file."""

    code: str
    file: str
    line: int | None
    question_id: str | None
    message: str
    fix: str
    element_kind: str = "pregunta"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" [{self.element_kind} {self.question_id}]" if self.question_id else ""
        return f"{where}:{who} {self.message} Solución: {self.fix}"


class QuestionnaireError(Exception):
    """Raised with every problem of one file, gathered before raising."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        noun = "problema" if count == 1 else "problemas"
        super().__init__(f"{count} {noun}:\n" + "\n".join(str(p) for p in problems))


# Codes: a stable identifier per rule, used by tests and in the authoring guide.
CODES = {
    "E_ARCHIVO": "El archivo no se puede leer.",
    "E_YAML": "El texto no es YAML válido.",
    "E_CLAVE_DUPLICADA": "Una clave aparece dos veces en el mismo bloque.",
    "E_YAML11_BOOLEANO": "Palabra que YAML 1.1 convierte en verdadero/falso (no, sí, on, off…).",
    "E_YAML11_CERO_INICIAL": "Número con cero inicial (YAML 1.1 lo lee como octal).",
    "E_YAML11_FECHA": "Fecha sin comillas (YAML la convierte en otro tipo).",
    "E_CLAVE_DESCONOCIDA": "Clave que el formato no conoce.",
    "E_FALTA_CLAVE": "Falta una clave obligatoria.",
    "E_TIPO": "Valor de tipo equivocado.",
    "E_VALOR": "Valor fuera de lo permitido.",
    "E_ID_DUPLICADO": "Dos elementos con el mismo id.",
    "E_CONDICION": "Condición de salto que no se puede cumplir o no existe.",
    "E_PESO": "Peso no permitido.",
    "E_UMBRALES": "Umbrales de nivel mal ordenados.",
    "E_INDICADOR": "Indicador con una fórmula o un rango inválido.",
    "E_RANGO": "Rango numérico inválido.",
    "E_PROFUNDIDAD": "Una profundidad queda sin preguntas puntuables.",
}
