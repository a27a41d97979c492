"""Name matching for the speaker registry (pure): accents and case never block a match."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose but transliterations drop (Azerbaijani ə, Turkish ı, ...).
_EXTRA_FOLDS = str.maketrans({"ə": "a", "Ə": "a", "ı": "i", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o",
                              "đ": "d", "Đ": "d", "ß": "ss"})


@lru_cache(maxsize=8192)  # the registry's names are folded on every save that names a speaker
def fold_name(name: str) -> str:
    """Case- and accent-insensitive key: 'Çavuşoğlu' and 'Cavusoglu' fold to the same."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().replace("’", "'").split())
