"""Reports and their output: the listings each report shows (`listings.py`) and the renderers
that turn a listing into a terminal table, CSV or JSON (`render.py`)."""
