"""Questions asked of the model: analytic screening, sizing, capacity, backlog, paired comparison, sweep
tables, and the tables derived from results (``derived``).
"""
