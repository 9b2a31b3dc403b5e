"""The ``ganlab`` command: one module per subcommand, each with ``register(app)``."""
