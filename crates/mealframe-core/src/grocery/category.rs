//! Store aisles for ingredient keys, and the pantry staples nobody shops for each week.
//!
//! A summed grocery list is easier to shop from when it follows a walk through the store
//! (produce first, drinks and snacks last) instead of the alphabet, and when salt, oil and water
//! do not sit between the things that actually need buying. This module names the aisles
//! ([`Category`], declared in store-walk order, so sorting by it sorts a list for the walk),
//! files an ingredient key (lower case, last word singular, as `parse_portion` makes it) under
//! one ([`category_of`]), and says whether a key is a pantry staple ([`is_staple`]). It is a
//! small built-in dictionary, pure and without IO; an unknown key is [`Category::Other`].
//!
//! [`category_of`] applies these rules to the key (trimmed, spaces collapsed, lower case), the
//! first that decides wins:
//!
//! 1. **Whole phrase.** The whole key in the phrase table: multi-word names whose aisle is not
//!    their last word's ("peanut butter" is jarred, not dairy; "coconut milk" is canned; "ice
//!    cream" is frozen; "green bean" is produce, not canned; "bell pepper" is the vegetable).
//! 2. **Packed in.** "tuna in brine", "sardine in oil": the part before " in " decides.
//! 3. **Product word first.** "frozen …" is Frozen and "canned …", "tinned …", "jarred …" are
//!    Canned & jarred, whatever follows. "dried …" and "ground …" herbs and spice roots (basil,
//!    ginger, chilli, …) are Spices & condiments; other "dried …" produce is dried fruit, filed
//!    with the nuts under Snacks; anything else after them goes by the rest of the key ("ground
//!    beef" is meat).
//! 4. **Tail phrase, then head noun.** The longest tail of the key in the phrase table
//!    ("crunchy peanut butter"), else the last word in the word table ("greek yogurt" →
//!    yogurt → Dairy & eggs).
//! 5. **Other words.** The remaining words, right to left, in the word table: a dish or cut is
//!    filed under what it is made of ("chicken thigh", "salmon fillet", "vegetable curry").
//! 6. **Other.** Nothing matched.
//!
//! Decisions taken where an ingredient could sit in more than one aisle:
//!
//! - plain "pepper" is the spice (it is nearly always "salt and pepper"); the vegetable is
//!   "bell", "red", "green", "yellow", "orange" or "sweet pepper" (Produce);
//! - "tuna" alone is the can (Canned & jarred), as are sardines and anchovies; a "tuna steak"
//!   or "tuna fillet" is Meat & fish by its head noun;
//! - tofu and tempeh are Produce: most stores keep them in the chilled case of the produce
//!   section, with hummus and guacamole (also Produce);
//! - honey, jam, syrups and nut butters are Canned & jarred (the spreads shelf);
//! - flour is Grains & pasta, sugar is Spices & condiments (with baking powder and yeast);
//! - nuts, seeds (chia, flax, hemp) and dried fruit are Snacks;
//! - whey and protein powder are Drinks (they are drunk as shakes); a protein bar is a Snack;
//! - "turkey chili" and "chilli con carne" are Meat & fish (what is bought for them is the
//!   mince); plain "chili" is the fresh pod (Produce);
//! - peas and edamame are Frozen (how they are usually sold); "chips" are Snacks (crisps), while
//!   "fries" and "oven chips" are Frozen;
//! - lemon and lime juice are Produce (bought as the fruit); plant milks are Dairy & eggs (the
//!   dairy aisle's chiller), coconut milk is Canned & jarred.
//!
//! The words are English with a few German and Slovenian basics (milch, käse, mleko, kruh),
//! as they appear in portions.

use Category::*;

/// A store aisle, in the order of a walk through a typical supermarket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Produce,
    DairyEggs,
    MeatFish,
    Bakery,
    GrainsPasta,
    CannedJarred,
    Frozen,
    SpicesCondiments,
    Drinks,
    Snacks,
    Other,
}

impl Category {
    /// Every category, in store-walk order (the order of `Ord`).
    pub const ALL: [Category; 11] = [
        Category::Produce,
        Category::DairyEggs,
        Category::MeatFish,
        Category::Bakery,
        Category::GrainsPasta,
        Category::CannedJarred,
        Category::Frozen,
        Category::SpicesCondiments,
        Category::Drinks,
        Category::Snacks,
        Category::Other,
    ];

    /// A stable identifier for storage and URLs: `produce`, `dairy_eggs`, ….
    pub fn slug(self) -> &'static str {
        match self {
            Category::Produce => "produce",
            Category::DairyEggs => "dairy_eggs",
            Category::MeatFish => "meat_fish",
            Category::Bakery => "bakery",
            Category::GrainsPasta => "grains_pasta",
            Category::CannedJarred => "canned_jarred",
            Category::Frozen => "frozen",
            Category::SpicesCondiments => "spices_condiments",
            Category::Drinks => "drinks",
            Category::Snacks => "snacks",
            Category::Other => "other",
        }
    }

    /// The category whose [`slug`](Category::slug) is exactly `slug`.
    pub fn from_slug(slug: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.slug() == slug)
    }

    /// The heading a shopper reads: "Produce", "Dairy & eggs", ….
    pub fn label(self) -> &'static str {
        match self {
            Category::Produce => "Produce",
            Category::DairyEggs => "Dairy & eggs",
            Category::MeatFish => "Meat & fish",
            Category::Bakery => "Bakery",
            Category::GrainsPasta => "Grains & pasta",
            Category::CannedJarred => "Canned & jarred",
            Category::Frozen => "Frozen",
            Category::SpicesCondiments => "Spices & condiments",
            Category::Drinks => "Drinks",
            Category::Snacks => "Snacks",
            Category::Other => "Other",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tables. Each list is sorted (byte order, as `str` compares) and holds no duplicates; no entry
// is in two lists (checked by `tables_are_sorted_and_each_entry_is_listed_once`).

/// Multi-word names whose aisle is not their last word's (rules 1 and 4).
const PHRASES: [(Category, &[&str]); 11] = [
    (
        Produce,
        &[
            "bell pepper",
            "broad bean",
            "chili pepper",
            "chilli pepper",
            "french bean",
            "garlic clove",
            "green bean",
            "green pepper",
            "jalapeno pepper",
            "lemon juice",
            "lime juice",
            "orange pepper",
            "red pepper",
            "runner bean",
            "sweet pepper",
            "sweet potato",
            "yellow pepper",
        ],
    ),
    (
        DairyEggs,
        &[
            "almond milk",
            "cream cheese",
            "creme fraiche",
            "crème fraîche",
            "oat milk",
            "rice milk",
            "soy milk",
        ],
    ),
    (
        MeatFish,
        &[
            "chili con carne",
            "chilli con carne",
            "hot dog",
            "sushi roll",
            "turkey chili",
            "turkey chilli",
        ],
    ),
    (Bakery, &["pain au chocolat"]),
    (GrainsPasta, &["mac and cheese"]),
    (
        CannedJarred,
        &[
            "almond butter",
            "cashew butter",
            "coconut milk",
            "condensed milk",
            "evaporated milk",
            "lentil soup",
            "nut butter",
            "pasta sauce",
            "peanut butter",
            "sun-dried tomato",
            "tomato sauce",
        ],
    ),
    (
        Frozen,
        &[
            "fish finger",
            "fish stick",
            "ice cream",
            "oven chips",
            "shepherd's pie",
            "spring roll",
            "veggie burger",
        ],
    ),
    (
        SpicesCondiments,
        &[
            "baking soda",
            "bay leaf",
            "bouillon cube",
            "chili flake",
            "chilli flake",
            "mixed herb",
            "soy sauce",
            "stock cube",
            "vanilla bean",
        ],
    ),
    (
        Drinks,
        &[
            "coffee bean",
            "flat white",
            "hot chocolate",
            "protein powder",
            "red bull",
        ],
    ),
    (Snacks, &["rice cake", "trail mix"]),
    // A supplement, not a cooking oil.
    (Other, &["fish oil"]),
];

/// Single words: head nouns and the main ingredients of dishes (rules 4 and 5).
const WORDS: [(Category, &[&str]); 10] = [
    (
        Produce,
        &[
            "apfel",
            "apple",
            "apricot",
            "arugula",
            "asparagus",
            "aubergine",
            "avocado",
            "banana",
            "basil",
            "beet",
            "beetroot",
            "berry",
            "blackberry",
            "blueberry",
            "broccoli",
            "cabbage",
            "carrot",
            "cauliflower",
            "celery",
            "cherry",
            "chili",
            "chilli",
            "chive",
            "choi",
            "choy",
            "cilantro",
            "clementine",
            "coconut",
            "coriander",
            "corn",
            "courgette",
            "cucumber",
            "dill",
            "eggplant",
            "fennel",
            "fig",
            "fruit",
            "garlic",
            "ginger",
            "grape",
            "grapefruit",
            "greens",
            "guacamole",
            "herb",
            "hummus",
            "jalapeno",
            "kale",
            "kartoffel",
            "kartoffeln",
            "kiwi",
            "leaf",
            "leek",
            "lemon",
            "lemongrass",
            "lettuce",
            "lime",
            "mandarin",
            "mango",
            "melon",
            "mint",
            "mushroom",
            "nectarine",
            "onion",
            "orange",
            "papaya",
            "parsley",
            "parsnip",
            "peach",
            "pear",
            "pineapple",
            "plum",
            "pomegranate",
            "potato",
            "pumpkin",
            "radish",
            "raspberry",
            "rhubarb",
            "rocket",
            "rosemary",
            "sage",
            "salad",
            "satsuma",
            "shallot",
            "spinach",
            "sprout",
            "squash",
            "strawberry",
            "tarragon",
            "tempeh",
            "thyme",
            "tofu",
            "tomate",
            "tomaten",
            "tomato",
            "turnip",
            "veg",
            "vegetable",
            "veggie",
            "watermelon",
            "zelenjava",
            "zucchini",
            "äpfel",
        ],
    ),
    (
        DairyEggs,
        &[
            "babybel",
            "brie",
            "butter",
            "camembert",
            "cheddar",
            "cheese",
            "cream",
            "custard",
            "egg",
            "ei",
            "eier",
            "emmental",
            "feta",
            "gouda",
            "halloumi",
            "joghurt",
            "kefir",
            "käse",
            "margarine",
            "mascarpone",
            "milch",
            "milk",
            "mleka",
            "mleko",
            "mozzarella",
            "paneer",
            "parmesan",
            "quark",
            "ricotta",
            "skuta",
            "skyr",
            "smetana",
            "smetane",
            "tzatziki",
            "yoghurt",
            "yogurt",
        ],
    ),
    (
        MeatFish,
        &[
            "bacon",
            "beef",
            "breast",
            "burger",
            "chicken",
            "chop",
            "chorizo",
            "cod",
            "drumstick",
            "duck",
            "fillet",
            "fish",
            "haddock",
            "ham",
            "lamb",
            "mackerel",
            "meat",
            "meatball",
            "mince",
            "mussel",
            "pastrami",
            "patty",
            "pepperoni",
            "piščanca",
            "piščanec",
            "pork",
            "prawn",
            "prosciutto",
            "ribeye",
            "salami",
            "salmon",
            "sausage",
            "shrimp",
            "sirloin",
            "squid",
            "steak",
            "sushi",
            "thigh",
            "trout",
            "turkey",
            "veal",
            "venison",
            "wing",
        ],
    ),
    (
        Bakery,
        &[
            "bagel",
            "baguette",
            "bread",
            "brioche",
            "brot",
            "bun",
            "cake",
            "crispbread",
            "croissant",
            "crumpet",
            "donut",
            "doughnut",
            "flatbread",
            "kruh",
            "kruha",
            "loaf",
            "muffin",
            "naan",
            "pancake",
            "pastry",
            "pasty",
            "pie",
            "pita",
            "pitta",
            "quiche",
            "roll",
            "sandwich",
            "scone",
            "sourdough",
            "taco",
            "toast",
            "tortilla",
            "vollkornbrot",
            "waffle",
            "wrap",
        ],
    ),
    (
        GrainsPasta,
        &[
            "barley",
            "breadcrumb",
            "buckwheat",
            "bulgur",
            "cereal",
            "cornflakes",
            "couscous",
            "flour",
            "fusilli",
            "gnocchi",
            "granola",
            "haferflocken",
            "lasagna",
            "lasagne",
            "macaroni",
            "millet",
            "muesli",
            "noodle",
            "noodles",
            "oats",
            "pasta",
            "penne",
            "polenta",
            "porridge",
            "quinoa",
            "ramen",
            "ravioli",
            "rice",
            "riž",
            "semolina",
            "spaghetti",
            "tagliatelle",
            "tortellini",
            "weetabix",
        ],
    ),
    (
        CannedJarred,
        &[
            "anchovy",
            "bean",
            "broth",
            "caper",
            "chickpea",
            "gherkin",
            "honey",
            "honig",
            "jam",
            "lentil",
            "marmalade",
            "med",
            "medu",
            "nutella",
            "olive",
            "passata",
            "paste",
            "pesto",
            "pickle",
            "puree",
            "salsa",
            "sardine",
            "soup",
            "stock",
            "sweetcorn",
            "syrup",
            "tuna",
        ],
    ),
    (
        Frozen,
        &[
            "edamame", "falafel", "fries", "ice", "pea", "pizza", "sorbet",
        ],
    ),
    (
        SpicesCondiments,
        &[
            "bouillon",
            "cardamom",
            "cayenne",
            "cinnamon",
            "clove",
            "cocoa",
            "cumin",
            "dressing",
            "extract",
            "gravy",
            "ketchup",
            "mayo",
            "mayonnaise",
            "miso",
            "mustard",
            "nutmeg",
            "oil",
            "olivenöl",
            "olja",
            "olje",
            "oregano",
            "paprika",
            "pepper",
            "peppercorn",
            "pfeffer",
            "powder",
            "saffron",
            "salt",
            "salz",
            "sauce",
            "seasoning",
            "spice",
            "spray",
            "sriracha",
            "sugar",
            "sweetener",
            "tahini",
            "turmeric",
            "vinegar",
            "yeast",
        ],
    ),
    (
        Drinks,
        &[
            "beer",
            "cappuccino",
            "cider",
            "coca-cola",
            "coffee",
            "cola",
            "drink",
            "espresso",
            "gin",
            "huel",
            "juice",
            "kombucha",
            "latte",
            "lemonade",
            "protein",
            "rum",
            "shake",
            "smoothie",
            "soda",
            "tea",
            "vodka",
            "wasser",
            "water",
            "whey",
            "whisky",
            "wine",
        ],
    ),
    (
        Snacks,
        &[
            "almond",
            "bar",
            "biscuit",
            "brownie",
            "candy",
            "cashew",
            "chia",
            "chips",
            "chocolate",
            "cookie",
            "cracker",
            "crisp",
            "crisps",
            "date",
            "flaxseed",
            "hazelnut",
            "linseed",
            "nachos",
            "nut",
            "oatcake",
            "oreo",
            "peanut",
            "pecan",
            "pistachio",
            "popcorn",
            "pretzel",
            "prune",
            "raisin",
            "seed",
            "sesame",
            "sultana",
            "sweets",
            "walnut",
        ],
    ),
];

/// Herbs and spice plants: after "dried" or "ground" they are the spice (rule 3).
const HERBS: &[&str] = &[
    "basil",
    "chili",
    "chilli",
    "chive",
    "cilantro",
    "coriander",
    "dill",
    "garlic",
    "ginger",
    "herb",
    "lemongrass",
    "mint",
    "oregano",
    "parsley",
    "rosemary",
    "sage",
    "tarragon",
    "thyme",
];

/// Pantry staples: basic seasonings, cooking fats and water (see [`is_staple`]).
const STAPLES: &[&str] = &[
    "bay leaf",
    "black pepper",
    "bouillon cube",
    "canola oil",
    "cayenne",
    "chili flake",
    "chilli flake",
    "cinnamon",
    "cooking spray",
    "cumin",
    "garlic powder",
    "ice",
    "mixed herb",
    "nutmeg",
    "oil",
    "olive oil",
    "oregano",
    "paprika",
    "pepper",
    "peppercorn",
    "pfeffer",
    "rapeseed oil",
    "salt",
    "salz",
    "sea salt",
    "stock cube",
    "sugar",
    "sunflower oil",
    "tap water",
    "turmeric",
    "vegetable oil",
    "vinegar",
    "wasser",
    "water",
    "white pepper",
];

fn lookup(table: &[(Category, &[&str])], key: &str) -> Option<Category> {
    table
        .iter()
        .find(|(_, entries)| entries.binary_search(&key).is_ok())
        .map(|&(c, _)| c)
}

fn is_herb(key: &str) -> bool {
    let head = key.rsplit(' ').next().unwrap_or(key);
    HERBS.binary_search(&head).is_ok()
}

/// Trimmed, inner whitespace collapsed to single spaces, lower case.
fn normalise(key: &str) -> String {
    key.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

// ---------------------------------------------------------------------------------------------

/// The store aisle of an ingredient key, by the rules in the module comment; unknown keys are
/// [`Category::Other`].
pub fn category_of(key: &str) -> Category {
    classify(&normalise(key))
}

fn classify(key: &str) -> Category {
    if key.is_empty() {
        return Other;
    }
    // 1. The whole key is a listed phrase.
    if let Some(c) = lookup(&PHRASES, key) {
        return c;
    }
    // 2. "tuna in brine": what is packed decides.
    if let Some((packed, _)) = key.split_once(" in ") {
        return classify(packed);
    }
    // 3. A leading product word.
    if let Some((first, rest)) = key.split_once(' ') {
        match first {
            "frozen" => return Frozen,
            "canned" | "tinned" | "jarred" => return CannedJarred,
            "dried" => {
                return match classify(rest) {
                    Produce if is_herb(rest) => SpicesCondiments,
                    Produce => Snacks,
                    c => c,
                };
            }
            "ground" => {
                return match classify(rest) {
                    Produce if is_herb(rest) => SpicesCondiments,
                    c => c,
                };
            }
            _ => {}
        }
    }
    // 4. The longest tail that is a listed phrase, else the head noun.
    for (i, _) in key.match_indices(' ') {
        if let Some(c) = lookup(&PHRASES, &key[i + 1..]) {
            return c;
        }
    }
    let mut words = key.rsplit(' ');
    if let Some(c) = words.next().and_then(|head| lookup(&WORDS, head)) {
        return c;
    }
    // 5. The other words, right to left.
    words.find_map(|w| lookup(&WORDS, w)).unwrap_or(Other)
}

/// Whether a key is a pantry staple: something people keep in the cupboard and do not shop for
/// each week, so a grocery list can set it apart. The rule: basic seasonings (salt, pepper,
/// sugar, vinegar, stock cubes, common dried spices and herbs), cooking fats (the everyday oils,
/// cooking spray) and water and ice — nothing a meal is made of. Butter, milk, eggs, flour,
/// honey and bought drinks (sparkling or coconut water) are not staples. A spice staple also
/// counts with "ground" or "dried" before it ("ground cumin", "dried oregano").
pub fn is_staple(key: &str) -> bool {
    let key = normalise(key);
    let listed = |k: &str| STAPLES.binary_search(&k).is_ok();
    if listed(&key) {
        return true;
    }
    key.strip_prefix("ground ")
        .or_else(|| key.strip_prefix("dried "))
        .is_some_and(|rest| listed(rest) && classify(rest) == SpicesCondiments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_aisles(cases: &[(&str, Category)]) {
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(key, want)| category_of(key) != *want)
            .map(|(key, want)| format!("{key:?}: want {want:?}, got {:?}", category_of(key)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn every_starter_library_ingredient_has_a_real_aisle() {
        assert_aisles(&[
            ("oats", GrainsPasta),
            ("milk", DairyEggs),
            ("chia", Snacks),
            ("berry", Produce),
            ("greek yogurt", DairyEggs),
            ("granola", GrainsPasta),
            ("honey", CannedJarred),
            ("egg", DairyEggs),
            ("wholegrain toast", Bakery),
            ("butter", DairyEggs),
            ("chicken breast", MeatFish),
            ("rice", GrainsPasta),
            ("vegetable", Produce),
            ("lentil soup", CannedJarred),
            ("rye bread", Bakery),
            ("tuna", CannedJarred),
            ("mixed salad", Produce),
            ("chickpea", CannedJarred),
            ("olive oil", SpicesCondiments),
            ("apple", Produce),
            ("almond", Snacks),
            ("cottage cheese", DairyEggs),
            ("banana", Produce),
            ("whey", Drinks),
            ("water", Drinks),
            ("salmon", MeatFish),
            ("potato", Produce),
            ("green bean", Produce),
            ("turkey chili", MeatFish),
            ("tofu", Produce),
            ("noodles", GrainsPasta),
        ]);
    }

    #[test]
    fn frozen_and_canned_prefixes_choose_the_aisle() {
        assert_aisles(&[
            ("frozen pea", Frozen),
            ("frozen berry", Frozen),
            ("frozen mixed berry", Frozen),
            ("frozen spinach", Frozen),
            ("frozen chicken breast", Frozen),
            ("frozen yogurt", Frozen),
            ("canned tomato", CannedJarred),
            ("tinned tomato", CannedJarred),
            ("canned sweet potato", CannedJarred),
            ("tinned salmon", CannedJarred),
            ("jarred roasted pepper", CannedJarred),
            // Without the product word the same things are fresh.
            ("tomato", Produce),
            ("spinach", Produce),
            ("salmon", MeatFish),
            // Dried herbs are spices, dried fruit sits with the nuts, the rest keeps its aisle.
            ("dried oregano", SpicesCondiments),
            ("dried basil", SpicesCondiments),
            ("dried chilli", SpicesCondiments),
            ("dried apricot", Snacks),
            ("dried pasta", GrainsPasta),
            ("ground ginger", SpicesCondiments),
            ("ground cumin", SpicesCondiments),
            ("ground beef", MeatFish),
            ("ground almond", Snacks),
        ]);
    }

    #[test]
    fn phrases_and_head_nouns_decide_the_rest() {
        assert_aisles(&[
            // Plain pepper is the spice; a named colour or kind is the vegetable.
            ("pepper", SpicesCondiments),
            ("black pepper", SpicesCondiments),
            ("bell pepper", Produce),
            ("red pepper", Produce),
            ("green pepper", Produce),
            // A phrase beats its last word, also inside a longer key.
            ("butter", DairyEggs),
            ("peanut butter", CannedJarred),
            ("crunchy peanut butter", CannedJarred),
            ("cream cheese", DairyEggs),
            ("oat milk", DairyEggs),
            ("almond milk", DairyEggs),
            ("soy milk", DairyEggs),
            ("coconut milk", CannedJarred),
            ("light coconut milk", CannedJarred),
            ("soy sauce", SpicesCondiments),
            ("ice cream", Frozen),
            ("sweet potato", Produce),
            ("garlic clove", Produce),
            ("clove", SpicesCondiments),
            ("bay leaf", SpicesCondiments),
            ("mixed leaf", Produce),
            ("lemon juice", Produce),
            ("orange juice", Drinks),
            ("protein powder", Drinks),
            ("protein bar", Snacks),
            ("rice cake", Snacks),
            ("fish oil", Other),
            // Packed in something: the packed thing decides.
            ("tuna in brine", CannedJarred),
            // A cut or dish goes by what it is made of.
            ("chicken thigh", MeatFish),
            ("salmon fillet", MeatFish),
            ("tuna steak", MeatFish),
            ("egg white", DairyEggs),
            ("vegetable curry", Produce),
            ("chilli con carne", MeatFish),
            ("sweet potato fries", Frozen),
            ("chips", Snacks),
            ("oven chips", Frozen),
            ("heinz baked bean", CannedJarred),
            ("chia seed", Snacks),
            ("semi-skimmed milk", DairyEggs),
            // Keys are compared trimmed and in lower case.
            ("  Greek   Yogurt ", DairyEggs),
            ("Käse", DairyEggs),
        ]);
    }

    #[test]
    fn unknown_ingredients_fall_back_to_other() {
        assert_aisles(&[
            ("", Other),
            ("   ", Other),
            ("xyzzy", Other),
            ("electrolyte tablet", Other),
            ("vitamin c", Other),
            ("big mac", Other),
            ("frozen", Other),
        ]);
    }

    #[test]
    fn slugs_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_slug(c.slug()), Some(c), "{c:?}");
            assert!(!c.label().is_empty());
        }
        assert!(Category::ALL.is_sorted(), "ALL is in store-walk order");
        let slugs: std::collections::HashSet<_> = Category::ALL.map(Category::slug).into();
        let labels: std::collections::HashSet<_> = Category::ALL.map(Category::label).into();
        assert_eq!((slugs.len(), labels.len()), (11, 11));
        assert_eq!(Category::DairyEggs.slug(), "dairy_eggs");
        assert_eq!(Category::SpicesCondiments.label(), "Spices & condiments");
        assert_eq!(Category::from_slug("Produce"), None);
        assert_eq!(Category::from_slug(""), None);
    }

    #[test]
    fn pantry_staples_are_seasonings_fats_and_water() {
        for key in [
            "salt",
            "pepper",
            "black pepper",
            "water",
            "tap water",
            "oil",
            "olive oil",
            "vegetable oil",
            "sunflower oil",
            "vinegar",
            "sugar",
            "ice",
            "cooking spray",
            "stock cube",
            "cinnamon",
            "paprika",
            "ground cumin",
            "dried oregano",
            " Salt ",
        ] {
            assert!(is_staple(key), "{key:?} is a staple");
        }
        for key in [
            "butter",
            "milk",
            "egg",
            "flour",
            "honey",
            "rice",
            "sparkling water",
            "coconut water",
            "coconut oil",
            "bell pepper",
            "chicken stock",
            "ground beef",
            "basil",
            "",
        ] {
            assert!(!is_staple(key), "{key:?} is bought");
        }
        // Every staple is a seasoning or fat, or water or ice.
        for key in STAPLES {
            let aisle = category_of(key);
            assert!(
                matches!(aisle, SpicesCondiments | Drinks | Frozen),
                "{key:?} is filed under {aisle:?}"
            );
        }
    }

    #[test]
    fn tables_are_sorted_and_each_entry_is_listed_once() {
        let strictly_sorted = |name: &str, list: &[&str]| {
            for pair in list.windows(2) {
                assert!(
                    pair[0] < pair[1],
                    "{name}: {:?} before {:?}",
                    pair[0],
                    pair[1]
                );
            }
        };
        let mut seen = std::collections::HashSet::new();
        for (c, list) in PHRASES {
            strictly_sorted(&format!("phrases {c:?}"), list);
            for p in list {
                assert!(p.contains(' '), "phrase {p:?} is one word");
                assert!(seen.insert(*p), "{p:?} is listed twice");
            }
        }
        for (c, list) in WORDS {
            strictly_sorted(&format!("words {c:?}"), list);
            for w in list {
                assert!(!w.contains(' '), "word {w:?} has a space");
                assert!(seen.insert(*w), "{w:?} is listed twice");
            }
        }
        for (name, list) in [("herbs", HERBS), ("staples", STAPLES)] {
            strictly_sorted(name, list);
            for k in list {
                assert_eq!(normalise(k), *k, "{name}: {k:?} is not normalised");
            }
        }
        for k in seen {
            assert_eq!(normalise(k), k, "{k:?} is not normalised");
        }
        for h in HERBS {
            assert!(
                matches!(lookup(&WORDS, h), Some(Produce | SpicesCondiments)),
                "herb {h:?} is not a produce or spice word"
            );
        }
    }
}
