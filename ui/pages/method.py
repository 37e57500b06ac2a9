"""The method in plain words, with the levels, weights and routes read from the questionnaire."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import streamlit as st

from scoring import schema
from scoring.deflator import deflator_table
from scoring.engine import maturity_levels
from scoring.numbers import format_number_es, format_percent_es
from scoring.peers import MIN_GROUP
from scoring.plan import MAX_PER_THEME, TOP
from scoring.privacy import config as privacy_config
from ui import db, widgets
from ui.module_views import module_label, module_summary

loaded = db.current_questionnaire()
model = loaded.model
method2 = bool(model.indices)


def num(value: float, decimals: int = 3) -> str:
    """A number with only the decimals it needs (65,625; 68,75; 20)."""
    text = format_number_es(value, decimals)
    return text.rstrip("0").rstrip(",") if "," in text else text


def level_for(points: float) -> schema.MaturityLevel:
    """The level of a score, by the engine's own level function."""
    number = int(maturity_levels(model, np.array([points]))[0])
    return next(lv for lv in model.niveles if lv.nivel == number)


def indicator_list() -> None:
    """Each indicator with its unit, route and formula in words (the YAML's description; the
    arithmetic itself, over question ids, would mean nothing to a reader)."""
    questions = {q.id: q.texto for d in model.dimensiones for t in d.ejes for q in t.preguntas}
    lines = []
    for indicator in model.indicadores:
        words = indicator.descripcion or formula_words(indicator.formula, questions)
        lines.append(
            f"- **{indicator.nombre}** ({indicator.unidad}, ruta {indicator.ruta}): "
            f"{' '.join(words.split())}"
        )
    st.markdown("\n".join(lines))


def formula_words(formula: str, questions: dict[str, str]) -> str:
    """A formula without a description, read aloud: each question id becomes «its text» and
    each operator a word."""
    words = {"+": "más", "-": "menos", "*": "por", "/": "entre", "(": "(", ")": ")"}
    out = []
    for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[-+*/()]", formula):
        if token in questions:
            out.append(f"«{questions[token]}»")
        elif token in words:
            out.append(words[token])
        else:
            decimals = len(token.partition(".")[2])
            out.append(format_number_es(float(token), decimals) if token[0].isdigit() else token)
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def worked_example() -> None:
    """The hand example of cuestionarios/README.md, computed here step by step."""
    agua_low = (1 * 25 + 1 * 0) / 2  # agua_medicion = 1 (25 points), agua_reuso = «No sé»
    agua_point = 25.0  # «No sé» left out
    agua_high = (1 * 25 + 1 * 100) / 2  # «No sé» as level 4
    residuos = (2 * 100 + 1 * 50) / 3  # res_segregacion (peso 2) = 4, res_valorizacion = 2
    low = (1 * agua_low + 3 * residuos) / 4
    point = (1 * agua_point + 3 * residuos) / 4
    high = (1 * agua_high + 3 * residuos) / 4
    reached = level_for(low)
    st.markdown(
        "Un índice con dos ejes: **Agua** (peso 1) con «¿Mide su consumo de agua?» en el "
        "nivel 1 y «¿Reúsa agua?» respondida «No sé»; **Residuos** (peso 3) con la "
        "segregación (peso 2) en el nivel 4 y la valorización en el nivel 2.\n\n"
        f"- Agua: (25 + 0) / 2 = **{num(agua_low)}** («No sé» = 0); sin contar «No sé», "
        f"{num(agua_point)}; con «No sé» como nivel 4, (25 + 100) / 2 = {num(agua_high)}.\n"
        f"- Residuos: (2 × 100 + 1 × 50) / 3 = **{num(residuos)}**.\n"
        f"- Índice: (1 × {num(agua_low)} + 3 × {num(residuos)}) / 4 = **{num(low)}**; sin "
        f"contar «No sé», **{num(point)}**; con «No sé» = 4, **{num(high)}**. La banda va de "
        f"{num(low)} a {num(high)} ({num(high - low)} puntos)."
    )
    text = (
        f"- Con {num(low)} puntos el índice está en «{reached.nombre}» (desde "
        f"{num(reached.desde)})."
    )
    if model.piso_legal is not None and reached.nivel > model.piso_legal.tope:
        cap = next(lv for lv in model.niveles if lv.nivel == model.piso_legal.tope)
        text += (
            f" Si la empresa no cumple un requisito del piso legal, su nivel queda en "
            f"«{cap.nombre}»: «{reached.nombre}» se limita a «{cap.nombre}»."
        )
    wide = high - low > model.umbral_provisional
    text += (
        f" La banda de {num(high - low)} puntos "
        + ("supera" if wide else "no supera")
        + f" el umbral de {num(model.umbral_provisional)}: el nivel "
        + ("es provisional." if wide else "no es provisional.")
    )
    st.markdown(text)


def method_v2() -> None:
    """Method 2.0 as scoring/engine.py, scoring/result.py and scoring/plan.py compute it."""
    themes = {t.id: t.nombre for d in model.dimensiones for t in d.ejes}
    st.subheader("Cómo se calcula el nivel (método 2.0)")
    if model.perfil is not None:
        st.markdown("**1. Perfil y aplicabilidad**")
        st.markdown(
            "La evaluación empieza con preguntas sobre su empresa: "
            + "; ".join(f"«{q.texto}»" for q in model.perfil.preguntas)
            + ". El tamaño se toma de su registro (Ley 30056) y no se cambia en el formulario. "
            "Según esas respuestas, algunas prácticas **no aplican** a su empresa: no se le "
            "preguntan y salen del cálculo (no suman ni restan). En cualquier otra práctica "
            "que lo admita, «No aplica» pide un motivo de una línea; sin motivo cuenta como "
            "pregunta sin responder (0 puntos), así que un «No aplica» suelto nunca sube un "
            "puntaje."
        )
        automatic = [
            q.texto
            for d in model.dimensiones
            for t in d.ejes
            for q in t.preguntas
            if q.no_aplica_si is not None
        ]
        if automatic:
            verb = "depende" if len(automatic) == 1 else "dependen"
            st.caption(
                f"{widgets.count_es(len(automatic), 'práctica', 'prácticas')} {verb} del perfil: "
                + "; ".join(automatic)
                + "."
            )
    if model.piso_legal is not None:
        floor = model.piso_legal
        cap = next(lv for lv in model.niveles if lv.nivel == floor.tope)
        st.markdown("**2. Piso legal y tope**")
        st.markdown(
            "Antes de las prácticas se revisan obligaciones legales mínimas. Cada una se "
            "responde «Sí, cumple», «No», «En trámite» o —solo cuando su perfil lo indica— «No "
            f"corresponde». Si alguna no se cumple (o está en trámite, o sin respuesta), su "
            f"nivel no pasa de «{cap.nombre}» (nivel {cap.nivel}), sea cual sea su puntaje, y "
            "esas obligaciones encabezan su plan de acción."
        )
        for question in floor.preguntas:  # long texts: a list reads better than a table
            st.markdown(
                f"- **{question.texto}**  \n  Norma: {question.norma}  \n  "
                f"Evidencia: {question.evidencia}"
            )
    st.markdown("**3. Índices**")
    st.markdown(
        "Cada práctica vale **nivel × 25** puntos (0, 25, 50, 75 o 100). Cada eje es el "
        "promedio de sus prácticas aplicables, ponderado por el peso de cada pregunta; cada "
        "índice es el promedio de sus ejes, ponderado por el peso de cada eje (un eje sin "
        "prácticas aplicables sale y su peso se reparte entre los demás). "
        + "".join(
            f"El índice principal, **«{i.nombre}»**, decide su nivel. "
            for i in model.indices
            if i.principal
        )
        + "Los otros índices se muestran al lado, sin cambiar el nivel."
    )
    for index in model.indices:
        label = index.nombre + (" (principal)" if index.principal else "")
        names = ", ".join(themes.get(t, t) for t in index.ejes)
        st.markdown(f"- **{label}**: {names}.")
    st.markdown("**4. «No sé», banda y nivel provisional**")
    st.markdown(
        "«No sé» cuenta como 0 en el puntaje que vale (el extremo bajo de la banda). Junto a "
        "él se muestran el puntaje **sin contar** las respuestas «No sé» y el que tendría si "
        "todas fueran nivel 4: esa es la **banda**. Si la banda del índice principal mide "
        f"más de {num(model.umbral_provisional)} puntos, el nivel se marca **provisional**: "
        "averiguar esos datos puede cambiarlo."
    )
    st.markdown("**5. Dimensión más débil**")
    st.markdown(
        "Las dimensiones se calculan con los mismos ejes. La más baja se nombra como «la más "
        f"débil» solo si queda al menos {num(model.margen_dimension_debil)} puntos por debajo "
        "de la siguiente; con una diferencia de menos de "
        f"{num(model.margen_dimension_debil)} puntos se dice que ninguna es claramente más "
        "débil."
    )
    st.markdown("**6. Desempeño medido (indicadores)**")
    indicators = {i.id: i for i in model.indicadores}
    core = [indicators[c].nombre for c in model.indicadores_nucleo if c in indicators]
    sector = [i.nombre for i in model.indicadores if i.comparar_en_sector]
    text = (
        "Las cifras que usted da (cada una marcada como medida, estimada o «No sé») calculan "
        "indicadores con su frontera (sitio o empresa) y su periodo. "
    )
    if core:
        text += (
            "El puntaje de desempeño es el promedio (ponderado) de los puntos del conjunto "
            f"núcleo —{', '.join(core)}— y solo se calcula cuando **todos** tienen un valor "
            "válido: dejar fuera una cifra desfavorable nunca lo sube. "
        )
    text += (
        "Las intensidades y la productividad **no** se puntúan con una escala fija (ordenaría "
        "sectores, no empresas): se comparan con las empresas de su misma división CIIU que "
        f"respondieron la misma versión, y solo cuando hay al menos {MIN_GROUP}; el puntaje es "
        "el porcentaje de esas empresas con un valor peor que el suyo (los empates cuentan la "
        "mitad)."
    )
    st.markdown(text)
    if sector:
        st.caption("Se comparan dentro de la división: " + "; ".join(sector) + ".")
    with st.expander("Cómo se calcula cada indicador"):
        indicator_list()
    table = deflator_table()
    status = "por confirmar" if str(table.get("estado", "")).startswith("por") else "verificadas"
    context = [
        f"{r.nombre} {format_number_es(r.valor, 1)} {i.unidad}"
        for i in model.indicadores
        for r in i.referencias
        if r.uso == "contexto"
    ]
    st.markdown(
        "La **productividad real** quita la inflación con un deflactor: el índice de precios "
        f"({table.get('fuente', '')}, base {table.get('anio_base')} = 100), cifras **{status}**. "
        + (
            "Las cifras nacionales ("
            + "; ".join(context)
            + ") se muestran solo como contexto, nunca como comparación con su empresa."
            if context
            else "Las cifras nacionales se muestran solo como contexto, nunca como comparación."
        )
    )
    st.markdown("**7. Un ejemplo a mano**")
    worked_example()


def privacy_rule() -> None:
    """How peer and panel figures are protected (scoring/privacy.py, configuracion/)."""
    cfg = privacy_config()
    st.subheader("Cómo se protegen las cifras de otras empresas")
    st.markdown(
        f"- **Solo empresas verificadas**: las comparaciones y las cifras del panel SNI cuentan "
        f"solo a las empresas que el equipo SNI verificó y que aceptaron las estadísticas "
        f"anónimas. Las cuentas de demostración nunca cuentan fuera del modo de demostración.\n"
        f"- **Grupos mínimos**: no se publica nada de un grupo con menos de {MIN_GROUP} "
        f"empresas, ni de un corte que se diferencia de otro en menos de {MIN_GROUP}.\n"
        f"- **Cortes fijos**: el panel muestra años o trimestres y grupos de sectores "
        f"predefinidos, no rangos de fechas a medida; así nadie arma dos cortes vecinos para "
        f"restarlos.\n"
        f"- **Ruido calibrado** (privacidad diferencial, con la biblioteca OpenDP): a cada "
        f"cifra publicada se le suma un poco de ruido aleatorio, suficiente para que nadie "
        f"pueda deducir el puntaje de una empresa, ni registrando empresas falsas ni restando "
        f"dos cortes. El parámetro ε (épsilon) dice cuánto puede cambiar una cifra por la "
        f"presencia de una sola empresa: menor ε, más ruido y más protección. Hoy: "
        f"ε = {num(cfg.pares_epsilon_por_puntaje)} por cada puntaje comparado en su página "
        f"de resultados (repartido entre la mediana y los dos cuartiles), "
        f"ε = {num(cfg.pares_epsilon_por_indicador)} por cada indicador comparado en su "
        f"división y ε = {num(cfg.panel_epsilon_por_cifra)} por cada cifra del panel SNI.\n"
        f"- **Qué significa para usted**: las medianas y cuartiles de su grupo son "
        f"aproximados (en un grupo de 20 empresas suelen moverse unos pocos puntos; en grupos "
        f"grandes, menos de uno). El ruido de una cifra no cambia al recargar la página: solo "
        f"cambia cuando cambian los datos, para que no se pueda promediar recargando. Sus "
        f"propios puntajes nunca llevan ruido."
    )


def module_rule() -> None:
    """What scoring/modules.py does with a sector module, in words, and each module."""
    found = db.current_modules()
    if not found:
        return
    st.subheader("Módulos sectoriales")
    st.markdown(
        "Una planta de harina de pescado, un taller de confecciones y una ladrillera no tienen "
        "los mismos puntos críticos. Por eso, además de las preguntas comunes, cada empresa "
        "responde el **módulo de su división CIIU** (y, si tiene otra actividad importante, "
        "puede agregar uno más):\n"
        "- Las **prácticas del módulo** suman a su propio eje y ese eje entra al índice de "
        "circularidad (el que decide el nivel), con el mismo cálculo que los demás ejes. Hasta "
        "3 preguntas de cada módulo entran en la Exprés.\n"
        "- La **materialidad** del sector multiplica el peso de algunos ejes comunes (por "
        "ejemplo, agua × 1,5 en textiles). Con dos módulos, cada eje toma el factor mayor. Así "
        "el plan de acción, que se ordena por los puntos que cada acción sumaría al índice, "
        "también sigue la materialidad del sector.\n"
        "- Los **indicadores del módulo** están en unidades del sector (kilos de retazo por "
        "1 000 prendas, % de resina reciclada, GJ por tonelada de clínker…) y se comparan solo "
        "con empresas del **mismo módulo y la misma versión**, con al menos 5 empresas.\n"
        "- La huella de la evaluación cubre el cuestionario y sus módulos: dos empresas solo se "
        "comparan si respondieron exactamente lo mismo."
    )
    for ident in sorted(found):
        with st.expander(module_label(found[ident])):
            module_summary(found[ident])


def plan_rule() -> None:
    """The order of scoring/plan.py, in words."""
    st.subheader("Cómo se ordena el plan de acción")
    st.markdown(
        "1. **Primero, el piso legal**: las obligaciones que no cumple («No» o sin respuesta "
        "antes de «En trámite»). Todas limitan el nivel por igual, así que entre ellas decide "
        "el mismo sorteo fijo de los empates (abajo), no el orden del cuestionario.\n"
        "2. **Luego, las prácticas** que le aplican y no están en el nivel 4, ordenadas por "
        "los puntos que sumaría a su índice si la práctica llegara al nivel 4: 25 × niveles "
        "que faltan × la parte de la pregunta en su índice (peso del eje entre los pesos de "
        "los ejes puntuados del índice × peso de la pregunta entre el peso aplicable de su "
        "eje). Primero van las del índice principal, el que decide su nivel; después las de "
        "los otros índices (habilitadores, práctica social), por los puntos de su propio "
        "índice. Una práctica que espera un paso previo (por ejemplo, medir antes de mejorar) "
        "va detrás de todas las que se pueden empezar ya. Empates: la que es paso previo de "
        "otras, luego más niveles por subir, luego el eje más débil de su empresa, luego el "
        "eje de más peso y, si aún empatan, un sorteo fijo calculado con sus propias "
        "respuestas (las mismas respuestas dan siempre el mismo plan; nunca decide el código "
        "de la pregunta).\n"
        f"3. Entre las primeras {TOP} acciones hay como máximo {MAX_PER_THEME} del mismo eje; "
        "las que se apartan siguen después.\n\n"
        "Cada acción dice por qué se propone (su nivel actual y cuántos puntos sumaría) y el "
        "siguiente paso concreto."
    )


st.title("Metodología")
st.write(
    "Así se calcula cada puntaje. Todo sale del cuestionario publicado, por lo que cualquier "
    "resultado se puede reproducir a mano."
)

st.subheader("Niveles de madurez")
st.write("Cada puntaje va de 0 a 100 y se ubica en uno de estos niveles:")
levels = sorted(model.niveles, key=lambda lv: lv.desde)
for i, level in enumerate(levels):
    upper = levels[i + 1].desde if i + 1 < len(levels) else 100
    with st.container(border=True):
        st.markdown(
            f"**{level.nivel}. {level.nombre}** · de {format_number_es(level.desde, 0)} a "
            f"{format_number_es(upper, 0)} puntos"
        )
        st.write(level.descripcion)

st.subheader("Dimensiones y ejes")
dims_total = sum(d.peso for d in model.dimensiones)
st.write(
    "El cuestionario se organiza en dimensiones, y cada dimensión en ejes temáticos. El peso "
    "dice cuánto cuenta cada eje dentro de su dimensión."
)
for dimension in model.dimensiones:
    themes_total = sum(t.peso for t in dimension.ejes)
    if method2:  # the level comes from the principal index; dimensions are for reading
        st.markdown(f"**{dimension.nombre}**")
    else:
        st.markdown(
            f"**{dimension.nombre}** · {format_percent_es(dimension.peso / dims_total)} del "
            "puntaje global"
        )
    if dimension.descripcion:
        st.caption(dimension.descripcion)
    table = pd.DataFrame(
        {
            "Eje": [t.nombre for t in dimension.ejes],
            "Peso": [format_percent_es(t.peso / themes_total) for t in dimension.ejes],
            "Preguntas (Exprés / Completa)": [
                f"{sum('expres' in q.profundidades for q in t.preguntas)} / "
                f"{sum('completo' in q.profundidades for q in t.preguntas)}"
                for t in dimension.ejes
            ],
        }
    )
    # A plain table: it wraps to fit a phone (390 px) and has no English toolbar.
    st.table(table, hide_index=True, alt=f"Ejes de la dimensión {dimension.nombre}")
st.caption(
    "Si un eje no tiene preguntas aplicables para su empresa, su peso se reparte entre los "
    "demás ejes de la dimensión."
)

st.subheader("Rutas del ODS 9")
st.write(
    "Cada pregunta también pertenece a una de las tres rutas de acción de la Mesa de Acción "
    "del ODS 9 (Industria, Innovación e Infraestructura), así que sus resultados se pueden "
    "leer por dimensión y por ruta:"
)
for route, name in schema.ROUTE_NAMES.items():
    st.markdown(f"- **{route}** · {name}")

if method2:
    method_v2()
else:
    st.subheader("Cómo se calcula el puntaje")
    st.markdown(
        "1. **Cada pregunta de práctica** tiene cinco respuestas, del nivel 0 al 4, cada una con "
        "una práctica concreta. Su puntaje es **nivel × 25**: 0, 25, 50, 75 o 100 puntos.\n"
        "2. **Cada eje** es el promedio ponderado (por el peso de cada pregunta) de sus "
        "preguntas. **Cada dimensión** es el promedio ponderado de sus ejes, y el **puntaje "
        "global** es el promedio ponderado de las dimensiones.\n"
        "3. **«No aplica»** saca la pregunta del cálculo: no suma ni resta, y su peso no entra "
        "en el denominador.\n"
        "4. **«No sé»** cuenta como 0 puntos y se marca como dato por completar en su informe.\n"
        "5. Junto al nivel global siempre se muestra **la dimensión más débil**, para que un "
        "buen promedio no esconda una brecha.\n"
        "6. **Las cifras** (materiales, agua, energía, personal) se usan para calcular "
        "indicadores de desempeño, como el porcentaje de entrada circular o de agua reutilizada. "
        "Forman un puntaje de desempeño **separado** de la madurez de prácticas. Para cada "
        "cifra usted indica si es medida, estimada o si no la sabe."
    )
    if model.indicadores:
        st.markdown("**Indicadores de desempeño**")
        indicator_list()
plan_rule()
privacy_rule()
module_rule()

st.subheader("Versión del cuestionario")
st.markdown(
    f"- Identificador: `{loaded.id}`\n"
    f"- Versión: `{loaded.version}`\n"
    f"- Huella del contenido (SHA-256): `{loaded.content_hash}`"
)
st.caption(
    "La huella cambia si cambia cualquier pregunta, peso o nivel. Cada evaluación guarda la "
    "versión y la huella con las que se respondió."
)
