"""The README and docs/ name files where features live: every path they name exists."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TOP = {"backoffice", "inventory", "billing", "training", "tests", "docs", "scripts", "fixtures",
       "benchmarks", "locale", ".ci"}
PATH = re.compile(r"`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*)`")


def named_paths():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for match in PATH.finditer(doc.read_text(encoding="utf-8")):
            path = match.group(1).rstrip("/")
            if path.split("/")[0] in TOP:
                yield doc.name, path


def test_every_path_named_in_the_readme_and_docs_exists():
    paths = list(named_paths())
    assert len(paths) > 30  # the docs do point at code
    missing = [(doc, path) for doc, path in paths if not (ROOT / path).exists()]
    assert missing == []


def test_no_module_name_carries_a_domain_suffix():
    """Domains are folders (desk/, care/ …), not file-name suffixes (services_care.py)."""
    suffixed = [str(p.relative_to(ROOT)) for app in ("backoffice", "inventory", "billing", "training")
                for p in (ROOT / app).rglob("*.py")
                if re.search(r"_(desk|care|knowledge|reports|inventory|billing|training)\.py$",
                             p.name) or re.match(r"(desk|care|knowledge)_", p.name)]
    assert suffixed == []
