"""gates: staged pull-request gates with one consolidated report."""

__version__ = "0.1.0"
