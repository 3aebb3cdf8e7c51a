"""The domains the site is made of, and what each offers the platform.

A domain is a package with the same modules everywhere (``models``, ``workflows``,
``services``, ``selectors``, ``admin``, ``forms``, ``resources``, ``demo``, ``roles``, and
``generate`` / ``dashboard`` where it has them). The platform never imports one: it reads
their names from ``settings.BACKOFFICE_DOMAINS`` (in order) and loads the module it needs
(a domain's ``roles``, ``dashboard`` or ``demo``) by name, skipping domains without it.
"""

from functools import cache
from importlib import import_module

from django.apps import apps
from django.conf import settings


def names() -> list[str]:
    """Dotted package names, e.g. ``["backoffice.desk", …, "training"]``."""
    return list(settings.BACKOFFICE_DOMAINS)


@cache
def app_label(domain: str) -> str:
    """The Django app a domain's models belong to (``backoffice.care`` -> ``backoffice``)."""
    return apps.get_containing_app_config(domain).label


def app_labels() -> list[str]:
    """The apps behind the domains, in domain order, each once."""
    return list(dict.fromkeys(app_label(d) for d in names()))


def modules(name: str):
    """``(domain, module)`` for every domain that has a module ``name``."""
    found = []
    for domain in names():
        try:
            found.append((domain, import_module(f"{domain}.{name}")))
        except ModuleNotFoundError as exc:
            if exc.name != f"{domain}.{name}":  # a broken import inside the module
                raise
    return found
