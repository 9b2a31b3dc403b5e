from ganlab.cli.main import entrypoint

entrypoint()
