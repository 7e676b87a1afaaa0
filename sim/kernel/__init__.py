"""The kernel: what a discrete-event model of any service chain needs, and nothing of youth protection.

Engine and pools, named random streams, distributions, queueing formulas, the flow-model DSL with its
vectorised evaluation, and pure statistics. It imports nothing of ``sim`` outside itself.
"""
