"""Name matching for the speaker registry (pure): accents and case never block a match."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose but transliterations drop (Azerbaijani ə, Turkish ı, ...).
_EXTRA_FOLDS = str.maketrans({"ə": "a", "Ə": "a", "ı": "i", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o",
                              "đ": "d", "Đ": "d", "ß": "ss"})


# Cached: every save folds the speaker name it was given, and registry writes fold an entry's
# names again on every change of the entry.
@lru_cache(maxsize=8192)
def fold_name(name: str) -> str:
    """Case- and accent-insensitive key: 'Çavuşoğlu' and 'Cavusoglu' fold to the same.

    The registry stores its names folded (``speakers.folded_names``): a change here needs a
    migration that folds them again, as 0006 did.
    """
    decomposed = unicodedata.normalize("NFKD", name.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().replace("’", "'").split())


# Folded names are stored one per line: fold_name leaves no line break in a name.
_NAME_SEPARATOR = "\n"


def folded_name_list(name: str, aliases: list[str] | tuple[str, ...] | None) -> str:
    """An entry's name and aliases, folded, as stored for matching in SQL: each between line
    breaks, so the entry answers to a name exactly when its list contains that name between line
    breaks (``name_pattern``)."""
    folded = sorted({fold_name(item) for item in [name, *(aliases or ())]})
    return _NAME_SEPARATOR + _NAME_SEPARATOR.join(folded) + _NAME_SEPARATOR


LIKE_ESCAPE = "/"


# Registry names and aliases are at most 300 characters, and NFKD turns one character into 18
# at most, so no stored name folds to more; SQLite refuses LIKE patterns over 50,000 bytes.
LONGEST_FOLDED_NAME = 300 * 18


def name_pattern(reference: str) -> str | None:
    """A LIKE pattern (escape character ``LIKE_ESCAPE``) for the lists that contain the folded
    reference as one whole name; None when no registry entry can have a name that long."""
    folded = fold_name(reference)
    if len(folded) > LONGEST_FOLDED_NAME:
        return None
    needle = _NAME_SEPARATOR + folded + _NAME_SEPARATOR
    for special in (LIKE_ESCAPE, "%", "_"):
        needle = needle.replace(special, LIKE_ESCAPE + special)
    return f"%{needle}%"
