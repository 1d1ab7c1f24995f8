"""Recommendation: from requirements to ranked, explained serving options that hold their SLOs.

Entry point: :func:`recommend.engine.recommend` with a :class:`recommend.context.RecommendContext`
(:func:`recommend.context.default_context` builds one). The pipeline, one module per step:
``demand`` (load, shapes, SLOs, assumptions) → ``candidates`` (families × GPUs × precisions ×
TP) → ``rules`` / ``pruning`` / ``screening`` (hard rules, first look, bounds) → ``search`` and
``sizing`` (replicas via the simulator) → ``ranking`` → ``explain``; ``near_miss`` when nothing
fits; ``inputs`` validates requirements from files. Imports domain, knowledge and simulate only.
"""
