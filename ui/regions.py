"""How the region selectbox labels Peru's regions (register and «Mi empresa»).

Streamlit's selectbox puts the shortest matching label first, so typing «Lima» used to offer
«Lima Provincias» before «Lima Metropolitana», where most firms are. The label of Lima
Provincias names its main provinces, which makes it longer and says what it covers.
"""

from __future__ import annotations

from scoring import peru

LABELS = {"Lima Provincias": "Lima Provincias (Cañete, Huaral, Huaura y otras)"}


def label(region: str) -> str:
    """The text shown for ``region`` (the stored value is always the name in ``peru.REGIONS``)."""
    return LABELS.get(region, region)


OPTIONS = list(peru.REGIONS)
