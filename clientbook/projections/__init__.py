"""Projections: read models built from events only, each rebuildable from zero."""
