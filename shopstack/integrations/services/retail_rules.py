"""Rules that turn Online Retail rows into shop data, kept as data and small pure functions.

Nothing here touches the database, so every rule can be read, documented
(docs/demo-data.md) and tested on its own.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# --- product names ------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Words that, alone or in a pair, are warehouse notes typed into the name field
# ("damaged", "Found", "FBA", "Water damaged"), never the name of something for sale.
NOTE_WORDS: frozenset[str] = frozenset(
    _words("""
    unknown damaged damages damage found check adjust adjustment adjustments mailout returned faulty
    counted dotcom amazon sample samples showroom display broken lost cracked missing crushed
    smashed fba mia wet rusty water sold
    """)
)


def normalise_text(text: str) -> str:
    """Trim and collapse runs of white space: 'SOMBRERO ' and 'SOMBRERO' are one spelling."""
    return " ".join(text.split())


def is_product_name(text: str) -> bool:
    """Whether a (normalised) Description reads as a product name rather than a stock note.

    A note: contains '?', has fewer than 3 letters, starts with a lower-case letter, is one
    or two words that include a note word, or has more lower-case than upper-case letters
    without being written in Title Case (every word that starts with a letter starts with
    a capital, e.g. "Dr. Jam's Arouzer Stress Ball").
    """
    letters = [c for c in text if c.isalpha()]
    if "?" in text or len(letters) < 3 or letters[0].islower():
        return False
    words = text.split()
    if len(words) <= 2 and NOTE_WORDS.intersection(re.findall(r"[a-z]+", text.lower())):
        return False
    upper = sum(1 for c in letters if c.isupper())
    if upper * 2 >= len(letters):
        return True
    return all(not w[0].isalpha() or w[0].isupper() for w in words if w) and len(words) >= 3


def choose_name(spellings: Counter[str]) -> tuple[str | None, list[str]]:
    """The product title and its search aliases from how often each spelling was used.

    Title: the most used spelling that reads as a name; ties go to the alphabetically first.
    Aliases: the other name spellings, most used first, leaving out those that differ from
    the title (or from an earlier alias) only in letter case.
    """
    names = sorted(
        ((count, text) for text, count in spellings.items() if is_product_name(text)),
        key=lambda item: (-item[0], item[1]),
    )
    if not names:
        return None, []
    title = names[0][1]
    seen = {title.casefold()}
    aliases = []
    for _, text in names[1:]:
        if text.casefold() not in seen:
            seen.add(text.casefold())
            aliases.append(text)
    return title, aliases


# Shown in lower case inside a title, unless first.
SMALL_WORDS: frozenset[str] = frozenset(_words("a an and as at by for from in of on or the to with"))
# Kept in capitals wherever they appear.
ACRONYMS: frozenset[str] = frozenset(_words("LED USB UK USA DVD CD DIY XL XXL"))


def display_name(title: str) -> str:
    """A title for the shop window: the data shouts ('WHITE HANGING HEART T-LIGHT HOLDER'),
    the shop shows 'White Hanging Heart T-Light Holder'. Titles already in mixed case are
    kept as written."""
    letters = [c for c in title if c.isalpha()]
    if not letters or any(c.islower() for c in letters):
        return title

    def word(text: str, first: bool) -> str:
        if text in ACRONYMS:
            return text
        if any(c.isdigit() for c in text):
            return text.lower() if "'" in text else text  # "50'S" -> "50's", "3D" stays
        lowered = text.lower()
        if not first and lowered in SMALL_WORDS:
            return lowered
        # Capitalise each part of a hyphenated word; "DOLLY'S" -> "Dolly's", not "Dolly'S".
        return "-".join(part[:1].upper() + part[1:] for part in lowered.split("-"))

    return " ".join(word(text, index == 0) for index, text in enumerate(title.split()))


def mode_price(counts: Counter[int]) -> int:
    """The most common unit price in pence; ties go to the lower price."""
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


# --- categories -------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRule:
    slug: str
    name: str
    parent: str | None  # slug of the parent group, None for a top-level group
    keywords: tuple[str, ...] = ()  # words or phrases; a trailing S or ES also matches


def _kw(text: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in text.split(",") if k.strip())


# Top-level groups first (no keywords: they hold their children), then the rules in the
# order they are tried. The first rule that matches gives the primary category.
CATEGORY_GROUPS: tuple[CategoryRule, ...] = (
    CategoryRule("seasonal", "Seasonal", None),
    CategoryRule("home-living", "Home & living", None),
    CategoryRule("kitchen-dining", "Kitchen & dining", None),
    CategoryRule("paper-party", "Paper, cards & parties", None),
    CategoryRule("bags-accessories", "Bags & accessories", None),
    CategoryRule("kids", "Kids", None),
    CategoryRule("other", "Other", None),
)
CATEGORY_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        "christmas", "Christmas", "seasonal",
        _kw(
            "CHRISTMAS, XMAS, ADVENT, SANTA, REINDEER, SNOWMAN, SNOWFLAKE, NATIVITY, BAUBLE, TINSEL"
        ),
    ),
    CategoryRule(
        "easter", "Easter", "seasonal",
        _kw(
            "EASTER, BUNNY, BUNNIES, CHICK"
        ),
    ),
    CategoryRule(
        "candles-lights", "Candles & lights", "home-living",
        _kw(
            "CANDLE, CANDLEHOLDER, T LIGHT, TLIGHT, TEA LIGHT, LANTERN, LIGHT, LAMP, LAMPSHADE, INCENSE, "
            "OIL BURNER, FRAGRANCE, DIFFUSER"
        ),
    ),
    CategoryRule(
        "lunch-picnic", "Lunch & picnic", "kitchen-dining",
        _kw(
            "LUNCH BOX, LUNCHBOX, LUNCH BAG, SNACK BOX, PICNIC, FLASK, WATER BOTTLE, SANDWICH"
        ),
    ),
    CategoryRule(
        "tableware", "Tableware", "kitchen-dining",
        _kw(
            "MUG, CUP, TEACUP, SAUCER, PLATE, BOWL, JUG, TUMBLER, BEAKER, NAPKIN, TRAY, COASTER, "
            "PLACEMAT, CUTLERY, TEAPOT, TEA SET, EGG CUP, CAKESTAND, CAKE STAND, DRINKING GLASS, GOBLET, "
            "DISH, CHARGER, WINE GLASS, APERITIF, COFFEE SET, STRAW, CHAMPAGNE GLASS, TEA GLASS, "
            "MILKSHAKE, CHOPSTICK, TABLECLOTH, TABLE CLOTH, TABLE RUN, PLACE SETTING, SALT AND PEPPER, "
            "SUGAR DISPENSER, PLATTER"
        ),
    ),
    CategoryRule(
        "baking-cooking", "Baking & cooking", "kitchen-dining",
        _kw(
            "CAKE, BAKING, CUTTER, APRON, OVEN GLOVE, RECIPE, TEA TOWEL, CHOPPING BOARD, SCALES, KITCHEN, "
            "JELLY MOULD, SPOON, MEASURING, TIMER, DOILY, DOILIES, TEA COSY, PAN, BREAD BIN, COLANDER, "
            "ROLLING PIN, TOASTRACK, TOAST RACK, FOOD COVER, OVEN MITT, EGG COSY, EGG WARMER, TEA "
            "STRAINER, LADLE, CORER, BOTTLE OPENER, SQUEEZER, JAM MAKING, PASTRY, PETIT FOUR"
        ),
    ),
    CategoryRule(
        "garden", "Garden", "home-living",
        _kw(
            "GARDEN, GARDENER, PLANT, PLANTER, WATERING, BIRD, BIRDHOUSE, BIRD HOUSE, FEEDER, HERB, SEED, "
            "TROWEL, SPADE, WINDMILL, FLOWER POT, PLANT POT"
        ),
    ),
    CategoryRule(
        "home-decor", "Home decor", "home-living",
        _kw(
            "FRAME, SIGN, CLOCK, CUSHION, DOORMAT, DOOR MAT, MIRROR, ORNAMENT, WREATH, GARLAND, BUNTING, "
            "DOORSTOP, DOOR STOP, HOOK, HANGER, DECORATION, VASE, PLAQUE, CURTAIN, WALL ART, CHANDELIER, "
            "THROW, QUILT, HOT WATER BOTTLE, HOTTIE, HANGING HEART, WICKER, CHIME, WINDCHIME, FLAG, "
            "POUFFE, STOOL, CHAIR, MEMO BOARD, MEMOBOARD, CHALKBOARD, BLACKBOARD, NUMBER TILE, FILLER "
            "PAD, CLOCHE, ROCKING HORSE, FLYING DUCKS, PHOTO CLIP, PHOTO CUBE, FILIGREE, BATHROOM, SHOWER "
            "CAP, FLANNEL"
        ),
    ),
    CategoryRule(
        "storage", "Storage", "home-living",
        _kw(
            "STORAGE, BOX, TIN, JAR, BASKET, DRAWER, CABINET, TRUNK, CRATE, TIDY, ORGANISER, HOLDER, "
            "BUCKET, CADDY, RACK, SHELF, CONTAINER, BIN, TRINKET POT, JAM POT, PIGGY BANK, MONEY BANK"
        ),
    ),
    CategoryRule(
        "cards-wrap", "Cards & gift wrap", "paper-party",
        _kw(
            "CARD, GREETING, WRAP, WRAPPING, TISSUE, RIBBON, GIFT TAG, TAG, ENVELOPE"
        ),
    ),
    CategoryRule(
        "stationery", "Stationery", "paper-party",
        _kw(
            "NOTEBOOK, PENCIL, PEN, ERASER, RUBBER, RULER, NOTEPAD, NOTE BOOK, JOURNAL, DIARY, CALENDAR, "
            "STICKER, PAPER, CRAYON, CHALK, BOOK, STAMP, BOOKMARK, PAPERWEIGHT, ADDRESS BOOK, PHOTO "
            "ALBUM, SKETCHBOOK, SCISSOR, TAPE, HOLE PUNCH, STATIONERY, CLIPBOARD, MAGNET"
        ),
    ),
    CategoryRule(
        "party-gifts", "Party & gifts", "paper-party",
        _kw(
            "PARTY, BIRTHDAY, BALLOON, CONFETTI, CRACKER, INVITE, PARASOL, GIFT, HAMPER, WEDDING, BANNER"
        ),
    ),
    CategoryRule(
        "bags", "Bags", "bags-accessories",
        _kw(
            "BAG, HANDBAG, SHOPPER, TOTE, PURSE, WASHBAG, BACKPACK, RUCKSACK"
        ),
    ),
    CategoryRule(
        "jewellery-accessories", "Jewellery & accessories", "bags-accessories",
        _kw(
            "NECKLACE, BRACELET, EARRING, RING, BROOCH, HAIR, HAIRCLIP, HAIRBAND, HAIR SLIDE, CHARM, "
            "BEAD, JEWELLERY, PENDANT, TIARA, UMBRELLA, SCARF, GLOVE, HAT, KEYRING, KEY RING, KEY CHAIN, "
            "KEY FOB, WALLET, SUNGLASSES, PASSPORT COVER, FAN, HEADPHONES, COMPACT MIRROR, DIAMANTE, HAND "
            "WARMER, POCKET WARMER, LIP GLOSS, SLIPPER, PONCHO, SEWING KIT"
        ),
    ),
    CategoryRule(
        "toys-games", "Toys & games", "kids",
        _kw(
            "TOY, GAME, PUZZLE, JIGSAW, DOLL, DOLLY, MARBLES, SKIPPING ROPE, SPINNING TOP, DOMINOES, "
            "PLAYING CARDS, TEDDY, KITE, ROBOT, SNAKES, LADDERS, BINGO, PLAYHOUSE, BUBBLES, SOLDIER, "
            "PAINTING SET, COLOURING, INFLATABLE, MONSTER, MAGIC, PUPPET, SPACE, PIRATE, LUDO, FLYING "
            "DISC, MODELLING CLAY, STENCIL, KNITTING NANCY, FELTCRAFT, DINOSAUR, PAINT SET, CREEPY "
            "CRAWLIE"
        ),
    ),
    CategoryRule(
        "baby-kids", "Baby & kids", "kids",
        _kw(
            "BABY, CHILD, CHILDS, CHILDRENS, KIDS, BIB, NURSERY, PRINCESS, SPACEBOY, DOLLY GIRL, SCHOOL, "
            "MOBILE, RATTLE"
        ),
    ),
)  # fmt: skip
FALLBACK_CATEGORY = CategoryRule("other-gifts", "Other gifts", "other")


def _pattern(keywords: Iterable[str]) -> re.Pattern[str]:
    words = sorted((re.escape(k) for k in keywords), key=len, reverse=True)
    return re.compile(r"(?<![A-Z0-9])(?:" + "|".join(words) + r")(?:S|ES)?(?![A-Z0-9])")


def match_text(title: str) -> str:
    """Upper-case words separated by single spaces: 'T-LIGHT holder' -> 'T LIGHT HOLDER'."""
    return " ".join(re.findall(r"[A-Z0-9]+", title.upper()))


_CATEGORY_PATTERNS = tuple((rule.slug, _pattern(rule.keywords)) for rule in CATEGORY_RULES)


def categories_for(title: str) -> list[str]:
    """Slugs of every category whose keywords appear in the title, in rule order; the first
    is the primary category. A title that matches no rule goes to 'Other gifts'."""
    text = match_text(title)
    found = [slug for slug, pattern in _CATEGORY_PATTERNS if pattern.search(text)]
    return found or [FALLBACK_CATEGORY.slug]


# --- attributes -------------------------------------------------------------------

# attribute slug -> (value slug, value name, words in the title that mean it)
ATTRIBUTES: dict[str, tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]]] = {
    "colour": (
        "Colour",
        (
            ("red", "Red", ("RED",)),
            ("pink", "Pink", ("PINK",)),
            ("white", "White", ("WHITE",)),
            ("cream", "Cream", ("CREAM",)),
            ("ivory", "Ivory", ("IVORY",)),
            ("blue", "Blue", ("BLUE",)),
            ("green", "Green", ("GREEN",)),
            ("black", "Black", ("BLACK",)),
            ("gold", "Gold", ("GOLD",)),
            ("silver", "Silver", ("SILVER",)),
            ("yellow", "Yellow", ("YELLOW",)),
            ("orange", "Orange", ("ORANGE",)),
            ("purple", "Purple", ("PURPLE", "LILAC")),
            ("grey", "Grey", ("GREY", "GRAY")),
            ("brown", "Brown", ("BROWN",)),
            ("turquoise", "Turquoise", ("TURQUOISE",)),
        ),
    ),
    "material": (
        "Material",
        (
            ("glass", "Glass", ("GLASS",)),
            ("wood", "Wood", ("WOOD", "WOODEN", "BAMBOO")),
            ("ceramic", "Ceramic", ("CERAMIC", "PORCELAIN", "CHINA", "STONEWARE")),
            ("metal", "Metal", ("METAL", "ZINC", "TIN", "IRON", "STEEL", "WIRE", "ALUMINIUM")),
            ("enamel", "Enamel", ("ENAMEL",)),
            ("paper", "Paper", ("PAPER", "CARDBOARD")),
            ("fabric", "Fabric", ("FABRIC", "FELT", "COTTON", "LINEN", "JUTE", "CANVAS", "KNITTED", "WOOLLY",
                                  "WOOL", "VELVET", "SILK")),
            ("plastic", "Plastic", ("PLASTIC", "ACRYLIC", "PVC")),
        ),
    ),
}  # fmt: skip

_ATTRIBUTE_PATTERNS = tuple(
    (attribute, value_slug, _pattern(words))
    for attribute, (_, values) in ATTRIBUTES.items()
    for value_slug, _, words in values
)


def attributes_for(title: str) -> list[tuple[str, str]]:
    """(attribute slug, value slug) for every colour and material word in the title."""
    text = match_text(title)
    return [(attr, value) for attr, value, pattern in _ATTRIBUTE_PATTERNS if pattern.search(text)]


# --- generated text, stock, customers ------------------------------------------------


def describe(title: str, category_names: list[str], colours: list[str], materials: list[str]) -> str:
    sentence = title[:1].upper() + title[1:].lower()
    text = f"{sentence}. From our {' and '.join(category_names)} range"
    if colours:
        text += f", in {' and '.join(c.lower() for c in colours)}"
    if materials:
        text += f", made of {' and '.join(m.lower() for m in materials)}"
    return text + "."


def _digest_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def stock_quantity(code: str) -> int:
    """Units in the main warehouse, from the code alone: 1 in 20 codes is out of stock,
    the rest hold 1 to 200 units."""
    h = _digest_int(code)
    return 0 if h % 20 == 0 else 1 + (h // 20) % 200


FIRST_NAMES: tuple[str, ...] = _words(
    """Alice Ben Chloe Daniel Emma Finn Grace Harry Isla Jack Katie Leo Maya Noah Olivia Oscar
    Poppy Ruby Sam Sophie Tom Zoe Amir Priya Lucas Elena Mateo Freya Hugo Nina"""
)
LAST_NAMES: tuple[str, ...] = _words(
    """Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright Walker Evans Thomas
    Roberts Green Hall Wood Clarke Hughes Murphy Fischer Martin Rossi Jensen Novak Silva"""
)


def customer_identity(customer_id: int) -> tuple[str, str, str]:
    """(first name, last name, email) invented from the customer number, always the same."""
    h = _digest_int(f"customer:{customer_id}")
    first = FIRST_NAMES[h % len(FIRST_NAMES)]
    last = LAST_NAMES[(h // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return first, last, f"{first}.{last}.{customer_id}@example.com".lower()
