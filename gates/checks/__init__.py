"""Built-in gates implemented in gates itself (safety detectors, size budgets)."""
