"""Regenerate vulnerable_requests_flask.json with pip-audit's own JSON formatter.

The PyPI per-release JSON API (where pip-audit reads vulnerabilities) was not reachable from
the machine that wrote these tests, so the vulnerability data below is taken from the public
advisories (PYSEC/GHSA/CVE ids and fixed versions as published) and rendered by pip-audit's
real `JsonFormat` with its real `ResolvedDependency`/`VulnerabilityResult` types, i.e. exactly
the JSON `pip-audit -r requirements.txt --format json` prints. `real_not_found_on_index.json` is
real output captured here (`requests==2.19.0`, `flask == 0.12`, `--no-deps --disable-pip`)
when the index answered without vulnerability data.

Run: python tests/golden/pip_audit/make_golden.py > tests/golden/pip_audit/vulnerable_requests_flask.json
"""

from packaging.version import Version
from pip_audit._fix import ResolvedFixVersion
from pip_audit._format.json import JsonFormat
from pip_audit._service.interface import (
    ResolvedDependency,
    SkippedDependency,
    VulnerabilityResult,
)


def vuln(ids: list[str], fixed: str, text: str) -> VulnerabilityResult:
    return VulnerabilityResult.create(ids, text, [Version(fixed)], None)


requests = ResolvedDependency("requests", Version("2.19.0"))
flask = ResolvedDependency("Flask", Version("0.12"))
certifi = ResolvedDependency("certifi", Version("2023.7.22"))
result = {
    requests: [
        vuln(
            ["PYSEC-2018-28", "CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
            "2.20.0",
            "The Requests package before 2.20.0 for Python sends an HTTP Authorization header "
            "to an http URI upon receiving a same-hostname https-to-http redirect.",
        ),
        vuln(
            ["PYSEC-2023-74", "CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
            "2.31.0",
            "Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking "
            "Proxy-Authorization headers to destination servers when redirected to an HTTPS "
            "endpoint.",
        ),
    ],
    flask: [
        vuln(
            ["PYSEC-2019-179", "CVE-2019-1010083", "GHSA-5wv5-4vpf-pj6m"],
            "1.0",
            "The Pallets Project Flask before 1.0 is affected by: unexpected memory usage.",
        ),
    ],
    certifi: [],
    SkippedDependency("private-lib", "Dependency not found on PyPI and could not be audited: private-lib (1.0)"): [],
}
fixes = [ResolvedFixVersion(requests, Version("2.31.0")), ResolvedFixVersion(flask, Version("1.0"))]
print(JsonFormat(output_desc=True, output_aliases=True).format(result, fixes))
