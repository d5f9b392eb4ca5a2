"""The content policy for prompts: the one place that says what Backdrop will not
generate. Seed 004's `safetyFilter` (default true) applies it; a prompt it refuses
is a 400 INVALID_PROMPT naming the category, before anything is charged.

It is a term list, matched on whole words after folding case, accents and the
common digit-for-letter spellings ("s3x"). No text classifier that ships its
weights in a package fits a policy for image prompts (the ones on PyPI are
profanity or toxicity models, which refuse insults and pass explicit requests),
so the list is explicit, short and reviewable; operators extend it with
CONTENT_POLICY_TERMS (category=term,term;category=term).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from services.runtime.config import env_str
from services.runtime.errors import invalid

# Sexual content involving minors is refused in any combination, with or without
# the safety filter; the other categories by their own words.
MINORS = ("child", "children", "kid", "kids", "minor", "minors", "underage", "teen", "teens", "preteen", "toddler", "schoolgirl", "schoolboy", "loli", "shota")
SEXUAL = ("nude", "nudes", "naked", "nsfw", "porn", "porno", "pornographic", "sex", "sexual", "explicit", "hentai", "genitals", "erotic", "topless", "xxx")
CATEGORIES = {
    "sexual": SEXUAL,
    "graphic_violence": ("gore", "gory", "dismembered", "dismemberment", "decapitated", "disembowelled", "mutilated", "beheading"),
    "hate": ("swastika", "nazi", "kkk"),
}
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def _words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().translate(LEET)
    return set(re.findall(r"[a-z]+", folded))


@functools.cache
def _categories(extra: str) -> dict[str, frozenset[str]]:
    categories = {name: set(terms) for name, terms in CATEGORIES.items()}
    for item in filter(None, (part.strip() for part in extra.split(";"))):
        name, _, terms = item.partition("=")
        categories.setdefault(name.strip(), set()).update(t.strip().lower() for t in terms.split(",") if t.strip())
    return {name: frozenset(terms) for name, terms in categories.items()}


# What safetyFilter: false lets through (adult content, and the image check for it);
# every other category, sexual content with minors first, is refused whatever the request says.
RELAXABLE = frozenset({"sexual"})


def refused_category(prompt: str, safety_filter: bool = True) -> str | None:
    """The policy category `prompt` falls in, or None."""
    words = _words(prompt)
    if words & set(MINORS) and words & set(SEXUAL):
        return "sexual_minors"
    for name, terms in _categories(env_str("CONTENT_POLICY_TERMS", "")).items():
        if words & terms and (safety_filter or name not in RELAXABLE):
            return name
    return None


def check(prompt: str, safety_filter: bool = True) -> None:
    """Raises INVALID_PROMPT (400) if `prompt` is refused. Negative prompts are not
    checked: "nsfw, nude" there is how users steer a model away from such images."""
    if category := refused_category(prompt, safety_filter):
        raise invalid(
            "INVALID_PROMPT", f"The prompt violates the content policy ({category.replace('_', ' ')}): rephrase it", category=category
        )
