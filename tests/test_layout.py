"""The arrows of DESIGN.md's architecture run one way.

Domain apps (subscribers/, subscriptions/, billing/, and jobs/, which runs the
kinds the cabinet registers with it) never import the partner's screens
(cabinet/); services never import forms; subscribers/ never imports
subscriptions/ (subscriptions hang off subscribers, not the reverse), and neither
imports billing/ (billing builds on both); the
shared module common/ imports no app of the project. Read from the source
with `ast`, so an import inside a function counts too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved against its package."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
                found.add(module)
                found |= {f"{module}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def sources(app: str):
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def offenders(app: str, forbidden: tuple[str, ...], *, only: str = "") -> list[str]:
    found = []
    for path in sources(app):
        if only and path.name != only:
            continue
        for module in imported_modules(path):
            if module == forbidden or module.startswith(forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return sorted(set(found))


@pytest.mark.parametrize(
    "app", ["subscribers", "subscriptions", "billing", "jobs", "common", "api", "ops"]
)
def test_domain_and_shared_code_never_import_the_cabinet(app):
    assert offenders(app, ("cabinet",)) == []


@pytest.mark.parametrize("app", ["subscribers", "subscriptions", "billing", "jobs"])
def test_services_never_import_forms(app):
    assert offenders(app, ("django.forms", "cabinet.forms"), only="services.py") == []


def test_domain_modules_build_no_forms():
    """Forms are the cabinet's (and the admin's): no domain module but admin.py imports them."""
    found = []
    for app in ("subscribers", "subscriptions", "billing", "jobs"):
        for path in sources(app):
            if path.name.startswith("admin"):
                continue
            modules = imported_modules(path)
            if any(m == "django.forms" or m.startswith("django.forms.") for m in modules):
                found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_subscribers_never_import_subscriptions():
    assert offenders("subscribers", ("subscriptions",)) == []


@pytest.mark.parametrize("app", ["subscribers", "subscriptions"])
def test_billing_builds_on_the_documents_never_the_reverse(app):
    """billing/ imports subscribers/ and subscriptions/; they never import billing/ (posting
    asks the partner's price through `subscriptions.pricing.use_partner_price`)."""
    assert offenders(app, ("billing",)) == []


def test_common_imports_no_app_of_the_project():
    apps = (
        "subscribers",
        "subscriptions",
        "billing",
        "jobs",
        "cabinet",
        "api",
        "ops",
        "fresh_cabinet",
    )
    assert offenders("common", apps) == []


def test_the_checker_sees_an_offending_import():
    """The scan itself works: a relative import of the cabinet would be found."""
    package = ROOT / "subscriptions"
    probe = package / "_layout_probe.py"
    probe.write_text("from cabinet.forms import documents\n")
    try:
        assert offenders("subscriptions", ("cabinet",)) == [
            "subscriptions/_layout_probe.py imports cabinet.forms",
            "subscriptions/_layout_probe.py imports cabinet.forms.documents",
        ]
    finally:
        probe.unlink()
