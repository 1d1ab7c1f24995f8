"""The serving simulator: pure functions over ``domain`` types, calibrated on measured rows.

Public entry points (signatures are stable; the recommendation engine calls them):

* :func:`simulate.memory.memory_fit` — weights, KV capacity, "does not fit: needs X GiB";
* :func:`simulate.analytical.estimate` — steady-state percentiles in well under a millisecond,
  with the engine version basis and an 80 % interval;
* :class:`simulate.batch.BatchPricer` — many replicas under many loads in one vectorised call;
* :func:`simulate.scheduler.simulate_run` — discrete-event continuous batching;
* :func:`simulate.capacity.max_rate_per_replica`, :func:`simulate.capacity.replicas_for`;
* :func:`simulate.cost.monthly_cost_usd`, :func:`simulate.cost.cost_per_million_tokens`;
* :func:`simulate.calibration.load_calibration` / ``save_calibration``;
* :func:`simulate.fitting.fit_calibration`;
* :func:`simulate.benchmark_rows.record_from_row` — the one reader of benchmark rows;
* :mod:`simulate.validation` — predict benchmark rows, score the error and the intervals.

This package imports only ``domain`` (and numpy/scipy/pydantic); it never reads the knowledge
base itself — callers load records and catalogs and pass them in. The only files it touches are
calibration JSON files, through explicit load/save functions.
"""
