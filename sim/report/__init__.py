"""Charts and the HTML report of ketensim results: the house style (``style``), the figure functions
(``figures``) and the page (``html``); ``python -m sim.report`` is ``__main__``.

Every figure is built with matplotlib's object API (``matplotlib.figure.Figure``), never through ``pyplot``: no
global figure state, no GUI backend, and nothing changes for other code in the same process (a run, a test).
"""
