"""The configuration edge: Hydra schemas (``schema``), the one gate that validates a composed configuration
into a frozen :class:`~sim.chain.model.Model` (``gate``), and the provenance of every value (``provenance``).
"""
