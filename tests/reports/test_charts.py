"""Chart data for the PDF: one row per item, peer figures only when published, legend colours."""

from __future__ import annotations

import pytest

from reports import charts


def test_dimension_chart_with_peers(sample):
    result, context = sample
    data = charts.chart_data("dimensiones", result, context.peers)
    assert data["titulo"] == "Puntaje por dimensión"
    assert data["eje"] == "Puntaje (0–100)"
    assert [row["etiqueta"] for row in data["filas"]] == [d.nombre for d in result.dimensiones]
    assert all(row["mediana"] is not None for row in data["filas"])
    assert data["con_pares"] and "mediana" in data["subtitulo"]


def test_no_peer_marks_without_peers(sample):
    result, _ = sample
    data = charts.chart_data("rutas", result, None)
    assert len(data["filas"]) == 3 and not data["con_pares"] and data["subtitulo"] == ""
    assert data["filas"][0]["etiqueta"].startswith("R1 · ")


def test_theme_chart_colours_follow_the_legend(sample):
    result, _ = sample
    data = charts.chart_data("ejes", result)
    colors = {item["nombre"]: item["color"] for item in data["leyenda"]}
    names = {d.id: d.nombre for d in result.dimensiones}
    assert len(data["filas"]) == len(result.ejes)
    for row, theme in zip(data["filas"], result.ejes, strict=True):
        assert row["color"] == colors[names[theme.dimension]]
        assert row["texto"] in ("No aplica",) or "," in row["texto"]


def test_unknown_kind_is_an_error(sample):
    with pytest.raises(ValueError):
        charts.chart_data("otra", sample[0])
