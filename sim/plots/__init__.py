"""Charts of ketensim results: the house style (``style``) and the figure functions (``figures``).

Every figure is built with matplotlib's object API (``matplotlib.figure.Figure``), never through ``pyplot``: no
global figure state, no GUI backend, and nothing changes for other code in the same process (a run, a test).
"""
