"""pytest plugins gates loads into the PROJECT's interpreter, where gates itself is not installed.

Each module here imports only the standard library and pytest's own plugins: the directory is
put on PYTHONPATH for that one run, and its modules are loaded with `-p <module>`.
"""
