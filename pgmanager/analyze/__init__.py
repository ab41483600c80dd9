"""Facts about SQL read from the parsed AST, without a database: lock levels, rewrites, scans, objects
and the dependency graph. Import what you use from its module (``analyze.locks``, ``analyze.objects``,
``analyze.graph``, ``analyze.migration``, ``analyze.risk``): `pgmanager migrate` needs only the locks."""
