"""Filters mark findings (new, suppressed); they never drop one."""
