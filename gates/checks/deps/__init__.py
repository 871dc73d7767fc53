"""The `dependencies` gate's parts: reading dependency declarations (`declared`, `manifests`,
`requirements`), the offline list of popular names (`popular`) and the package index (`index`).
The gate itself is gates/checks/dependencies.py."""
