"""Diary words mapped onto USDA naming: synonyms, preparation words, and ranking hints.

USDA names foods as ``Head, qualifier, preparation`` ("Bread, whole-wheat, commercially
prepared, toasted"); people write "whole wheat toast". The synonyms rewrite the diary word into
USDA's words (``toast`` -> ``bread toasted``); the preparation words are kept apart so that they
prefer an entry (``grilled`` prefers USDA's grilled, broiled or roasted entries) without
excluding foods that have no such entry. All keys are in ``textmatch`` form (folded, singular).
"""

from __future__ import annotations

# Diary word or phrase -> USDA words. Keys and values are tokenised like the food names.
SYNONYMS: dict[str, str] = {
    "toast": "toasted bread",
    "oj": "orange juice",
    "pb": "peanut butter",
    "fry": "french fried potato",
    "french fry": "french fried potato",
    "chip": "potato chip",
    "spud": "potato",
    "mash": "mashed potato",
    "mashed potato": "mashed potato",
    "coke": "cola carbonated beverage",
    "cola": "cola carbonated beverage",
    "hot dog": "frankfurter",
    "donut": "doughnut",
    "omelette": "egg omelet",
    "omelet": "egg omelet",
    "zucchini": "zucchini summer squash",
    "courgette": "zucchini summer squash",
    "green tea": "green brewed tea",
    "herbal tea": "herb brewed tea",
    "black tea": "black brewed tea",
    "oatmeal": "cooked oat cereal",
    "porridge": "cooked oat cereal",
    "almond": "almond nut",
    "walnut": "walnut nut",
    "cashew": "cashew nut",
    "pecan": "pecan nut",
    "pistachio": "pistachio nut",
    "hazelnut": "hazelnut nut",
    "macadamia": "macadamia nut",
    "bacon": "cured pork bacon",
    "green bean": "green snap bean",
    "string bean": "green snap bean",
    "sugar": "granulated sugar",
    "white bread": "white bread",
    "soda": "carbonated beverage",
    "pop": "carbonated beverage",
    "ground beef": "ground beef",
    "hamburger": "ground beef",
    "burger": "ground beef",
    "mince": "ground beef",
    "steak": "beef steak",
    "wholemeal": "whole wheat",
    "brown bread": "whole wheat bread",
    "skim milk": "nonfat milk",
    "skimmed milk": "nonfat milk",
    "semi skimmed milk": "reduced fat milk",
    "whole milk": "whole milk",
    "yoghurt": "yogurt",
    "greek yogurt": "greek yogurt",
    "aubergine": "eggplant",
    "capsicum": "sweet pepper",
    "bell pepper": "sweet pepper",
    "coriander": "cilantro",
    "prawn": "shrimp",
    "rocket": "arugula",
    "garbanzo": "chickpea",
    "mayo": "mayonnaise",
    "ketchup": "catsup",
    "cuppa": "tea",
    "coffee": "brewed coffee",
    "tea": "black brewed tea",
    "cheddar": "cheddar cheese",
    "mozzarella": "mozzarella cheese",
    "parmesan": "parmesan cheese",
    "tuna": "tuna fish",
    "salmon": "salmon fish",
    "cod": "cod fish",
    "mac and cheese": "macaroni and cheese",
    "mac n cheese": "macaroni and cheese",
    "pop tart": "toaster pastry",
    "poptart": "toaster pastry",
    "gummy bear": "gummy candy",
    "gummies": "gummy candy",
    "jelly bean": "jellybean candy",
    "sparkling water": "club soda carbonated beverage",
    "spring roll": "vegetable egg roll",
    "spaghetti bolognese": "spaghetti with meat sauce",
    "tikka masala": "chicken curry",
    "chicken tikka masala": "chicken curry",
    "corn on the cob": "sweet corn on cob",
    "zucchini noodle": "zucchini summer squash",
    "zoodle": "zucchini summer squash",
    "cherry tomato": "red ripe tomato",
    "string cheese": "mozzarella cheese",
    "pb and j": "peanut butter and jelly sandwich",
    "pbj": "peanut butter and jelly sandwich",
    "ranch": "ranch dressing",
}

# Preparation word -> USDA words that count as that preparation, best first.
PREPARATIONS: dict[str, tuple[str, ...]] = {
    "scrambled": ("scrambled",),
    "grilled": ("grilled", "broiled", "roasted"),
    "broiled": ("broiled", "grilled", "roasted"),
    "roasted": ("roasted", "baked"),
    "roast": ("roasted", "baked"),
    "baked": ("baked", "roasted"),
    "steamed": ("steamed", "boiled", "cooked"),
    "boiled": ("boiled", "cooked"),
    "hard boiled": ("hard", "boiled"),
    "poached": ("poached",),
    "fried": ("fried",),
    "pan fried": ("fried",),
    "sauteed": ("sauteed", "fried"),
    "stewed": ("stewed", "braised"),
    "braised": ("braised", "stewed"),
    "toasted": ("toasted",),
    "mashed": ("mashed",),
    "raw": ("raw",),
    "cooked": ("cooked", "boiled", "steamed", "roasted", "baked", "grilled", "broiled"),
    "canned": ("canned",),
    "frozen": ("frozen",),
    "dried": ("dried", "dry"),
    "smoked": ("smoked",),
}

# What a diary usually means by a plain food that USDA lists both raw and cooked.
USUAL_PREPARATION: dict[str, str] = {
    "rice": "cooked", "pasta": "cooked", "spaghetti": "cooked", "macaroni": "cooked",
    "noodle": "cooked", "quinoa": "cooked", "oatmeal": "cooked", "lentil": "cooked",
    "bean": "cooked", "chickpea": "cooked", "chicken": "roasted", "beef": "cooked",
    "pork": "cooked", "lamb": "cooked", "turkey": "roasted", "salmon": "cooked",
    "fish": "cooked", "shrimp": "cooked", "bacon": "cooked", "sausage": "cooked",
    "potato": "baked", "coffee": "brewed", "tea": "brewed",
}  # fmt: skip

# Words that carry no food meaning in a diary phrase.
STOPWORDS: frozenset[str] = frozenset(
    {"a", "an", "the", "of", "some", "my", "with", "and", "for", "fresh", "homemade", "plain"}
)

# Words in a USDA name that mark the ordinary, generic form of a food (small bonus).
GENERIC_WORDS: frozenset[str] = frozenset({"whole", "raw", "fresh", "regular", "plain", "all"})

# Words in a USDA name that describe processing detail and should not count against a match.
NEUTRAL_WORDS: frozenset[str] = frozenset(
    {
        "commercially", "prepared", "meat", "only", "broiler", "or", "fryer", "drained",
        "without", "salt", "include", "from", "n", "s", "ns", "as", "to", "form", "type",
        "in", "of", "and", "cooked", "boiled", "enriched", "unenriched", "solid", "flesh",
        "variety", "commercial", "long", "skin", "tap",
    }
)  # fmt: skip

# Words that mark an unusual form (baby food, powders, brands, restaurant items): a penalty
# so that the ordinary food comes first when a diary says just "chicken" or "milk".
ODD_WORDS: frozenset[str] = frozenset(
    {
        "babyfood", "baby", "infant", "formula", "toddler", "dehydrated", "powder", "powdered",
        "concentrate", "imitation", "substitute", "restaurant", "mix", "dry", "frozen", "canned",
        "flour", "meal", "alaska", "native", "industrial", "usda", "commodity", "school",
        "lunch", "stick", "loaf", "salad", "sandwich", "sauce", "soup", "spread", "drink",
        "dessert", "glaze", "topping", "pie", "noodle", "pasta", "casserole", "cake",
        "fast", "food", "nf", "nfs", "dried", "crumb", "low", "reduced", "sodium", "pickled",
        "dressing", "chocolate", "vanilla", "flavored", "slider", "iced",
    }
)  # fmt: skip

# Food groups whose foods are rarely what a diary means by a plain name.
ODD_CATEGORIES: frozenset[str] = frozenset(
    {"Baby Foods", "Fast Foods", "Restaurant Foods", "American Indian/Alaska Native Foods"}
)
