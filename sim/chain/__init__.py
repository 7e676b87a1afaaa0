"""The chain's facts and records: validator primitives and domain constants (``checks``), the validated model
objects and the one places() rule (``model``), families and milestones (``entities``), demand, today's open
cases (``initial_state``), staff dynamics (``workforce``), the tables every run writes (``tables``) and the
KPI registry (``kpis``). Imports only ``sim.kernel``.
"""
