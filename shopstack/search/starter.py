"""The starter synonyms: everyday equivalents a new shop's search knows from the first day
(British and American spellings and words, family names shoppers put in gift searches,
products with two names). They are ordinary `Synonym` rows: staff edit, switch off or delete
them in the admin like their own (docs/search.md, "Synonyms").

Added once per database, after `migrate` (post_migrate, as django.contrib.sites adds its
first site), and remembered by a `SearchState` row, so a group staff deleted stays deleted.
A database emptied by `flush` (tests) gets them again, as it gets its content types.

Only words that mean the same thing in any shop: a word with a second meaning that would
pull in wrong products ("rubber": eraser or material, "mobile": phone or hanging decoration,
"purse": wallet or handbag) is left out."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from shopstack.core.models import ReferenceStamp
from shopstack.core.reference import reference_changed
from shopstack.search.models import SearchState, Synonym
from shopstack.search.reference import STAMP

STARTER_GROUPS = (
    # British and American spellings.
    "colour, color",
    "grey, gray",
    "jewellery, jewelry",
    "aluminium, aluminum",
    "favourite, favorite",
    "organiser, organizer",
    "personalised, personalized",
    "centre, center",
    "mould, mold",
    # British and American words.
    "xmas, christmas",
    "rucksack, backpack",
    "torch, flashlight",
    "jumper, sweater, pullover",
    "nappy, diaper",
    "dummy, pacifier",
    "biscuit, cookie",
    "holdall, duffel bag, duffle bag",
    "tea towel, dish towel",
    "oven glove, oven mitt",
    "chopping board, cutting board",
    "kitchen roll, paper towel",
    "cling film, plastic wrap",
    "sofa, couch",
    "wardrobe, closet",
    "hoover, vacuum cleaner",
    "dustbin, trash can, garbage can",
    # Family, in gift searches.
    "gran, granny, grandma, grandmother, nan, nana, nanna",
    "grandad, granddad, grandpa, grandfather",
    "mum, mom, mummy, mommy, mother",
    "dad, daddy, father",
    "kids, children",
    # Products with two names.
    "tealight, tea light, t light",
    "fairy lights, string lights",
    "photo frame, picture frame",
    "coaster, drink mat",
    "door stop, doorstop, door stopper",
    "notebook, notepad, jotter",
    "wrapping paper, gift wrap",
    "bday, birthday",
    "teddy, teddy bear",
    "night light, nightlight",
)
# The SearchState row saying this database has had them.
SEEDED_KEY = "starter-synonyms"


def add_starter_synonyms(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Add the starter groups unless this database has had them; how many were added."""
    with transaction.atomic(using=using):
        _, first_time = SearchState.objects.using(using).get_or_create(key=SEEDED_KEY)
        if not first_time:
            return 0
        have = set(Synonym.objects.using(using).values_list("words", flat=True))
        added = Synonym.objects.using(using).bulk_create(
            [Synonym(words=words) for words in STARTER_GROUPS if words not in have]
        )
    if added:
        reference_changed(STAMP)
    return len(added)


def on_post_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    # Only once the tables exist (`migrate` to an earlier state sends the signal too).
    tables = {model._meta.db_table for model in (SearchState, Synonym, ReferenceStamp)}
    if tables <= set(connections[using].introspection.table_names()):
        add_starter_synonyms(using=using)
