"""The library: one plain function per command, in a module per job. Returns models, raises PgmError,
never prints. The CLI calls these; so can any other front end.

- ``inputs``: ``load`` (settings and files, read once), ``findings``, ``require_clean``;
- ``building``: ``build_database``, ``project_migrator`` (the sandbox's migrator for the project);
- ``migrating``: ``plan``, ``migrate``, ``status``, ``history``, ``rollback``, ``repair``;
- ``linting``: ``lint``, ``lint_rules``; ``analyzing``: ``analyze``;
- ``verifying``: ``verify``; ``checking``: ``check`` (parse, lint, build, verify);
- ``sandboxes``: ``sandbox_up``, ``sandbox_down``.

Import what you use from its module (``from pgmanager.api.migrating import migrate``): a command loads
only its own job's dependencies, so `pgmanager lint` never imports the database driver.
"""
