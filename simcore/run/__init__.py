"""Running, storing and (later) distributing simulations: chunked runs over the core,
statistics across scenarios, and the zarr results store. Imports ``simcore.core`` and
``simcore.schema``; never the CLI or the service."""
