"""Running a validated model: replications (``runner``), atomic output (``output``).
"""
