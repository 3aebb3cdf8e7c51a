"""How a person is named on every page, list, journal, mail and export.

One rule, in the reader's language: Chinese puts the family name first, without a space
(last name "李" + first name "工" → "李工"); English says "First Last". A user without a
name is shown by their username. The User model's ``__str__`` and ``get_full_name`` follow
it (``backoffice.apps``), so admin lists, foreign keys, history and exports agree; a
template says ``{{ user|person }}`` (``backoffice_admin`` tags).
"""

import unicodedata

from django.utils import translation


def full_name(first: str, last: str, language: str | None = None) -> str:
    """The name made of its two parts in ``language``'s order (the active one by
    default); empty when both are."""
    first, last = (first or "").strip(), (last or "").strip()
    if not (first and last):
        return first or last
    language = (language or translation.get_language() or "").lower()
    if language.startswith("zh"):
        # family name first; a space only between two Latin-script parts ("Smith John")
        gap = " " if _latin(last[-1]) and _latin(first[0]) else ""
        return f"{last}{gap}{first}"
    return f"{first} {last}"


def _latin(char: str) -> bool:
    return not unicodedata.name(char, "").startswith("CJK")


def display_name(user, language: str | None = None) -> str:
    """How ``user`` is shown: the full name, else the username ("" for no user)."""
    if user is None:
        return ""
    return (full_name(getattr(user, "first_name", ""), getattr(user, "last_name", ""),
                      language)
            or user.get_username())


def display_name_of(first: str, last: str, username: str, language: str | None = None) -> str:
    """:func:`display_name` from the parts, for rows read with ``values()``."""
    return full_name(first, last, language) or username or ""
