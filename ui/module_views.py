"""How sector modules read on the public pages (questionnaire and methodology)."""

from __future__ import annotations

import streamlit as st

from scoring.modules import LoadedModule
from scoring.numbers import format_number_es
from ui import db

NO_MODULE = ""


def ciiu_text(codes) -> str:
    return ", ".join(str(c) for c in codes)


def factor_text(value: float) -> str:
    """A materiality factor as written in the module (1,5; 1,25; 2), in Spanish format."""
    decimals = next(d for d in range(4) if abs(value * 10**d - round(value * 10**d)) < 1e-9)
    return format_number_es(value, decimals)


def module_label(module: LoadedModule) -> str:
    return f"{module.model.nombre} (CIIU {ciiu_text(module.model.ciiu)})"


def pick_module(key: str) -> str:
    """A selector of the sector modules of the current questionnaire; "" is none."""
    found = db.current_modules()
    names = {NO_MODULE: "Ninguno (solo las preguntas comunes)"} | {
        ident: module_label(found[ident]) for ident in sorted(found)
    }
    choice = st.selectbox(
        "Módulo sectorial",
        options=list(names),
        format_func=names.__getitem__,
        key=key,
        help="Cada empresa recibe el módulo de su división CIIU y puede agregar uno más.",
    )
    return choice or NO_MODULE


def module_summary(module: LoadedModule) -> None:
    """What a module adds: CIIU, questions, indicators and its materiality factors."""
    model = module.model
    core_themes = {
        t.id: t.nombre for d in db.current_questionnaire().model.dimensiones for t in d.ejes
    }
    practice = sum(q.tipo == "practica" for t in model.ejes for q in t.preguntas)
    express = sum("expres" in q.profundidades for t in model.ejes for q in t.preguntas)
    st.markdown(
        f"**{model.nombre}** · versión {model.version} · CIIU {ciiu_text(model.ciiu)} · "
        f"{practice} prácticas ({express} en la Exprés) en "
        f"{len(model.ejes)} ejes · {len(model.indicadores)} indicadores"
    )
    if model.descripcion:
        st.caption(model.descripcion)
    if model.materialidad:
        st.markdown(
            "Materialidad (el peso del eje se multiplica por): "
            + "; ".join(
                f"{core_themes.get(t, t)} × {factor_text(f)}" for t, f in model.materialidad.items()
            )
        )
    if model.indicadores:
        st.markdown(
            "\n".join(
                f"- **{i.nombre}** ({i.unidad}): "
                + (
                    "se compara con las empresas del mismo módulo"
                    if i.comparar_en_sector
                    else "escala fija"
                    if i.escala is not None
                    else "se informa sin puntaje"
                )
                for i in model.indicadores
            )
        )
