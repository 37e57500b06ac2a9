"""The methodology page explains the privacy protection with the configured ε."""

from __future__ import annotations

from scoring import privacy
from tests.ui.helpers import open_page, texts


def test_method_page_states_the_configured_epsilons(app_env: str) -> None:
    privacy.reset(privacy.PrivacyConfig(pares_epsilon_por_puntaje=0.7, panel_epsilon_por_cifra=2))
    try:
        at = open_page("ui/pages/method.py")
        assert not at.exception
        shown = texts(at)
        headings = [h.value for h in at.subheader]
        assert "Cómo se protegen las cifras de otras empresas" in headings
        assert "ε = 0,7 por cada puntaje comparado" in shown
        assert "ε = 2 por cada cifra del panel SNI" in shown
        assert "Solo empresas verificadas" in shown
    finally:
        privacy.reset()
