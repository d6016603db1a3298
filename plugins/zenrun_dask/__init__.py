"""zenrun_dask: run a pipeline's steps on a ``dask.distributed`` cluster.

``zenrun --orchestrator dask`` starts a local cluster, or connects to
``--dask-address``. Workers load their inputs from and write their outputs
to the artifact store; the driver keeps the cache and the metadata store.
"""
