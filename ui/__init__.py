"""Streamlit user interface: the only package that imports streamlit (pages live in ui/pages)."""
