//! The portion parser: free text → ingredient lines (rules in the module comment of `grocery`).

use std::fmt;

use super::quantity::Quantity;
use super::units::{Dimension, Unit};

/// One line of a portion: an ingredient, or text the parser could not read (kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Parsed(Ingredient),
    Unparsed(String),
}

/// One ingredient of a portion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingredient {
    pub quantity: Quantity,
    pub unit: Unit,
    /// Display name: singular, descriptors removed, the user's capitalisation kept.
    pub name: String,
    /// The aggregation key: the name in lower case.
    pub key: String,
    /// Descriptors, parenthetical text, range and multiplier notes, joined with ", ".
    pub note: Option<String>,
}

/// `60 g oats`, `2 egg [scrambled]`, `3 slices bread [2–3]`.
impl fmt::Display for Ingredient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.quantity)?;
        if let Some(label) = self.unit.label(self.quantity) {
            write!(f, " {label}")?;
        }
        write!(f, " {}", self.name)?;
        if let Some(note) = &self.note {
            write!(f, " [{note}]")?;
        }
        Ok(())
    }
}

/// An ingredient as [`Ingredient`]'s display, unparsed text as `?text`.
impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Line::Parsed(i) => i.fmt(f),
            Line::Unparsed(t) => write!(f, "?{t}"),
        }
    }
}

/// Split a portion description into ingredient lines. Never fails and never drops text.
pub fn parse_portion(text: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for piece in split_pieces(text) {
        let piece = clean_piece(&piece);
        if piece.is_empty() {
            continue;
        }
        if let Some(descriptors) = descriptor_only(piece)
            && let Some(Line::Parsed(previous)) = lines.last_mut()
        {
            previous.note = Some(match previous.note.take() {
                Some(n) => format!("{n}, {descriptors}"),
                None => descriptors,
            });
            continue;
        }
        lines.push(parse_line(piece));
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// Splitting

/// Word separators, matched case-insensitively with a space on each side. `in` splits only when
/// a number follows ("30 g whey in 300 ml water", not "tuna in brine").
const WORD_SEPARATORS: [&str; 3] = ["and", "with", "in"];

/// Fixed phrases that contain "and" but name one product.
const AND_PHRASES: [(&str, &str); 3] = [("mac", "cheese"), ("salt", "vinegar"), ("sweet", "sour")];

fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

fn is_num_char(c: char) -> bool {
    c.is_ascii_digit() || vulgar(c).is_some()
}

fn split_pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if is_space(c) && c != '\n' { ' ' } else { c })
        .collect();
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 {
            let split = match c {
                '+' | ';' | '&' | '\n' | '\r' => true,
                ',' => {
                    let digit_before = i > 0 && chars[i - 1].is_ascii_digit();
                    let digit_after = chars.get(i + 1).is_some_and(|c| c.is_ascii_digit());
                    !(digit_before && digit_after)
                }
                _ => false,
            };
            if split {
                pieces.push(std::mem::take(&mut current));
                i += 1;
                continue;
            }
            if c == ' '
                && let Some(len) = word_separator_at(&chars, i)
            {
                pieces.push(std::mem::take(&mut current));
                i += len;
                continue;
            }
        }
        current.push(c);
        i += 1;
    }
    pieces.push(current);
    pieces
}

/// If a word separator (with its surrounding spaces) starts at `i`, its length minus the final
/// space (the following word keeps its leading space, which is trimmed later).
fn word_separator_at(chars: &[char], i: usize) -> Option<usize> {
    for word in WORD_SEPARATORS {
        let n = word.len();
        let end = i + 1 + n;
        if chars.get(end) != Some(&' ') {
            continue;
        }
        let matches = chars[i + 1..end]
            .iter()
            .zip(word.chars())
            .all(|(a, b)| a.to_ascii_lowercase() == b);
        if !matches {
            continue;
        }
        let after: String = chars[end + 1..].iter().collect::<String>().to_lowercase();
        let before: String = chars[..i].iter().collect::<String>().to_lowercase();
        if word == "in" && !after.trim_start().starts_with(is_num_char) {
            continue;
        }
        if word == "and"
            && AND_PHRASES
                .iter()
                .any(|(a, b)| before.ends_with(a) && after.trim_start().starts_with(b))
        {
            continue;
        }
        return Some(1 + n);
    }
    None
}

/// Trim spaces, list bullets and a final full stop.
fn clean_piece(piece: &str) -> &str {
    let p = piece.trim_matches(is_space);
    let p = p.trim_start_matches(['-', '*', '•', '·', '–', '—', ' ']);
    let p = p.trim_end_matches(['.', ':', '!', ' ']);
    p.trim_matches(is_space)
}

// ---------------------------------------------------------------------------------------------
// Words

/// Preparation and size words: they do not change what is bought, so they move to the note.
/// "frozen", "dried", "smoked", "canned", "wholegrain", "ground", "roast" stay in the name: they
/// are different products on the shelf.
const DESCRIPTORS: [&str; 49] = [
    "drained",
    "rinsed",
    "thawed",
    "defrosted",
    "softened",
    "pitted",
    "deseeded",
    "cooked",
    "uncooked",
    "raw",
    "grilled",
    "sliced",
    "chopped",
    "boiled",
    "hard-boiled",
    "soft-boiled",
    "steamed",
    "roasted",
    "fresh",
    "diced",
    "mashed",
    "scrambled",
    "fried",
    "pan-fried",
    "stir-fried",
    "baked",
    "poached",
    "toasted",
    "melted",
    "grated",
    "shredded",
    "minced",
    "peeled",
    "cubed",
    "halved",
    "crushed",
    "ripe",
    "warm",
    "dry",
    "large",
    "medium",
    "small",
    "big",
    "finely",
    "roughly",
    "thinly",
    "freshly",
    "lightly",
    "homemade",
];

/// Names that, once a descriptor is removed, would become a different product.
const PROTECTED: [(&str, &str); 13] = [
    ("baked", "bean"),
    ("fried", "onion"),
    ("toasted", "sesame"),
    ("dry", "sherry"),
    ("dry", "white"),
    ("dry", "red"),
    ("dry", "wine"),
    ("minced", "beef"),
    ("minced", "pork"),
    ("minced", "lamb"),
    ("minced", "turkey"),
    ("minced", "chicken"),
    ("minced", "meat"),
];

/// Words that mean "not an ingredient you can buy": a line naming one stays unparsed.
const NOT_INGREDIENTS: [&str; 20] = [
    "fasting",
    "same",
    "yesterday",
    "everything",
    "anything",
    "something",
    "nothing",
    "whatever",
    "leftover",
    "leftovers",
    "stuff",
    "etc",
    "misc",
    "fridge",
    "restaurant",
    "takeaway",
    "takeout",
    "out",
    "skipped",
    "skip",
];

/// Plural-only names kept as written.
const PLURAL_ONLY: [&str; 12] = [
    "crisps",
    "oats",
    "noodles",
    "greens",
    "fries",
    "grits",
    "cornflakes",
    "chips",
    "nachos",
    "krispies",
    "sprinkles",
    "molasses",
];

/// Plurals whose singular ends in "ie", "che", or is irregular.
const IRREGULAR: [(&str, &str); 12] = [
    ("cookies", "cookie"),
    ("brownies", "brownie"),
    ("smoothies", "smoothie"),
    ("veggies", "veggie"),
    ("pies", "pie"),
    ("quiches", "quiche"),
    ("leaves", "leaf"),
    ("loaves", "loaf"),
    ("halves", "half"),
    ("calves", "calf"),
    ("mice", "mouse"),
    ("children", "child"),
];

fn is_descriptor(word: &str) -> bool {
    DESCRIPTORS.iter().any(|d| d.eq_ignore_ascii_case(word))
}

fn ends_with_ci(word: &str, suffix: &str) -> bool {
    word.len() >= suffix.len()
        && word.is_char_boundary(word.len() - suffix.len())
        && word[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// The singular of an English noun, by a few suffix rules and the lists above; the user's
/// capitalisation of the stem is kept. Words under four letters are left as they are.
pub fn singular(word: &str) -> String {
    if PLURAL_ONLY.iter().any(|p| p.eq_ignore_ascii_case(word)) {
        return word.to_string();
    }
    if let Some((_, s)) = IRREGULAR.iter().find(|(p, _)| p.eq_ignore_ascii_case(word)) {
        let keep = common_prefix_len(word, s);
        return format!("{}{}", &word[..keep], &s[keep..]);
    }
    let strip = |n: usize, add: &str| format!("{}{add}", &word[..word.len() - n]);
    let letters = word.chars().count();
    if letters < 4
        || !word
            .chars()
            .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
    {
        return word.to_string();
    }
    if letters > 4 && ends_with_ci(word, "ies") {
        return strip(3, "y");
    }
    if ends_with_ci(word, "oes") {
        return strip(2, "");
    }
    for s in ["ches", "shes", "xes", "sses", "zes"] {
        if ends_with_ci(word, s) {
            return strip(2, "");
        }
    }
    for s in ["ss", "us", "is", "'s"] {
        if ends_with_ci(word, s) {
            return word.to_string();
        }
    }
    if ends_with_ci(word, "s") {
        return strip(1, "");
    }
    word.to_string()
}

fn common_prefix_len(word: &str, lower: &str) -> usize {
    word.char_indices()
        .zip(lower.chars())
        .take_while(|((_, a), b)| a == b)
        .last()
        .map_or(0, |((i, a), _)| i + a.len_utf8())
}

// ---------------------------------------------------------------------------------------------
// Numbers

fn vulgar(c: char) -> Option<(u64, u64)> {
    Some(match c {
        '½' => (1, 2),
        '¼' => (1, 4),
        '¾' => (3, 4),
        '⅓' => (1, 3),
        '⅔' => (2, 3),
        '⅛' => (1, 8),
        '⅜' => (3, 8),
        '⅝' => (5, 8),
        '⅞' => (7, 8),
        '⅕' => (1, 5),
        '⅙' => (1, 6),
        _ => return None,
    })
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// One number token: `60`, `1.5`, `1,5`, `1/2`, `½`, `1½`.
fn parse_simple(s: &str) -> Option<Quantity> {
    let mut chars = s.chars();
    let last = chars.next_back()?;
    if let Some((n, d)) = vulgar(last) {
        let rest = chars.as_str();
        let whole = if rest.is_empty() { 0 } else { digits(rest)? };
        return Quantity::int(whole).checked_add(Quantity::new(n, d)?);
    }
    if let Some((a, b)) = s.split_once(['/', '⁄']) {
        return Quantity::new(digits(a)?, digits(b)?);
    }
    if let Some((a, b)) = s.split_once(['.', ',']) {
        let whole = if a.is_empty() { 0 } else { digits(a)? };
        let frac = digits(b)?;
        let den = 10u64.checked_pow(u32::try_from(b.len()).ok()?)?;
        return Quantity::int(whole).checked_add(Quantity::new(frac, den)?);
    }
    digits(s).map(Quantity::int)
}

fn is_fraction_token(s: &str) -> bool {
    let mut cs = s.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) if vulgar(c).is_some() => true,
        _ => s.contains(['/', '⁄']) && parse_simple(s).is_some(),
    }
}

const DASHES: [char; 3] = ['-', '–', '—'];

/// A number at the start of `tokens`: simple, mixed (`1 1/2`, `1 ½`) or a range (`2-3`,
/// `2 – 3`, `2 to 3`). Returns the value (the upper bound of a range), a range note and the
/// number of tokens used.
fn parse_number(tokens: &[String]) -> Option<(Quantity, Option<String>, usize)> {
    let first = tokens.first()?;
    if let Some((a, b)) = first.split_once(DASHES) {
        let (lo, hi) = (parse_simple(a)?, parse_simple(b)?);
        return Some((lo.max(hi), Some(format!("{lo}–{hi}")), 1));
    }
    let mut value = parse_simple(first)?;
    let mut used = 1;
    if value.denominator() == 1
        && !first.contains(['.', ','])
        && tokens.get(1).is_some_and(|t| is_fraction_token(t))
    {
        value = value.checked_add(parse_simple(&tokens[1])?)?;
        used = 2;
    }
    let range_word = tokens.get(used).is_some_and(|t| {
        t.chars().all(|c| DASHES.contains(&c)) && !t.is_empty() || t.eq_ignore_ascii_case("to")
    });
    if range_word && let Some((hi, None, n)) = tokens.get(used + 1..).and_then(parse_number) {
        return Some((value.max(hi), Some(format!("{value}–{hi}")), used + 1 + n));
    }
    Some((value, None, used))
}

fn is_times(t: &str) -> bool {
    matches!(t, "x" | "X" | "×" | "*")
}

/// A trailing or glued multiplier: `x2`, `×2`, `2x`.
fn glued_multiplier(t: &str) -> Option<Quantity> {
    let rest = t
        .strip_prefix(['x', 'X', '×'])
        .or_else(|| t.strip_suffix(['x', 'X', '×']))?;
    parse_simple(rest)
}

const NUMBER_WORDS: [(&str, u64); 13] = [
    ("a", 1),
    ("an", 1),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("dozen", 12),
];

/// Vague amounts: one of whatever follows, with the words kept as a note.
const VAGUE: [&[&str]; 8] = [
    &["a", "bit", "of"],
    &["a", "little", "bit", "of"],
    &["a", "little"],
    &["a", "few"],
    &["some"],
    &["few"],
    &["little"],
    &["a", "bit"],
];

fn starts_with_words(tokens: &[String], words: &[&str]) -> bool {
    tokens.len() >= words.len()
        && tokens
            .iter()
            .zip(words)
            .all(|(t, w)| t.eq_ignore_ascii_case(w))
}

/// A word amount at the start: a/an/one…ten, dozen, half (an), a couple (of), vague words.
/// Returns value, note and tokens used.
fn parse_word_number(tokens: &[String]) -> Option<(Quantity, Option<String>, usize)> {
    let half = Quantity::new(1, 2)?;
    for phrase in [
        &["a", "couple", "of"][..],
        &["a", "couple"],
        &["couple", "of"],
    ] {
        if starts_with_words(tokens, phrase) {
            return Some((Quantity::int(2), None, phrase.len()));
        }
    }
    for phrase in VAGUE {
        if starts_with_words(tokens, phrase) {
            let note = tokens[..phrase.len()].join(" ");
            return Some((Quantity::ONE, Some(note), phrase.len()));
        }
    }
    for phrase in [
        &["half", "a"][..],
        &["half", "an"],
        &["a", "half"],
        &["half"],
    ] {
        if starts_with_words(tokens, phrase) {
            return Some((half, None, phrase.len()));
        }
    }
    if starts_with_words(tokens, &["a", "dozen"]) {
        return Some((Quantity::int(12), None, 2));
    }
    let first = tokens.first()?;
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(first))
        .map(|(_, n)| (Quantity::int(*n), None, 1))
}

// ---------------------------------------------------------------------------------------------
// One line

/// Words of the text outside parentheses, with a number glued to a unit split off ("60g" →
/// "60", "g"; "2x" → "2", "x"), and the parenthetical texts.
fn tokenize(piece: &str) -> (Vec<String>, Vec<String>) {
    let mut main = String::new();
    let mut parens = Vec::new();
    let mut inner = String::new();
    let mut depth = 0usize;
    for c in piece.chars() {
        match c {
            '(' | '[' | '{' => {
                if depth > 0 {
                    inner.push(c);
                }
                depth += 1;
                main.push(' ');
            }
            ')' | ']' | '}' if depth > 0 => {
                depth -= 1;
                if depth > 0 {
                    inner.push(c);
                } else {
                    parens.push(std::mem::take(&mut inner));
                }
            }
            _ if depth > 0 => inner.push(c),
            _ => main.push(c),
        }
    }
    parens.push(inner);
    let parens = parens
        .into_iter()
        .map(|p| {
            p.split(is_space)
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|p| !p.is_empty())
        .collect();
    let mut tokens = Vec::new();
    for word in main.split(is_space).filter(|w| !w.is_empty()) {
        let starts_numeric = word.starts_with(is_num_char);
        let cut = if starts_numeric {
            let cs: Vec<(usize, char)> = word.char_indices().collect();
            let mut end = word.len();
            for (k, &(idx, c)) in cs.iter().enumerate() {
                let joiner = matches!(c, '.' | ',' | '/' | '⁄') || DASHES.contains(&c);
                let next_numeric = cs.get(k + 1).is_some_and(|&(_, n)| is_num_char(n));
                if !(is_num_char(c) || joiner && next_numeric) {
                    end = idx;
                    break;
                }
            }
            end
        } else {
            word.len()
        };
        if cut > 0 && cut < word.len() {
            tokens.push(word[..cut].to_string());
            tokens.push(word[cut..].to_string());
        } else {
            tokens.push(word.to_string());
        }
    }
    (tokens, parens)
}

/// The unit at the start of `tokens` (one word, or "fl oz" / "fluid ounce(s)"), with the
/// number of tokens it uses.
fn parse_unit(tokens: &[String]) -> Option<(Unit, usize)> {
    let first = tokens.first()?;
    let fl = ["fl", "fl."].iter().any(|f| f.eq_ignore_ascii_case(first))
        || first.eq_ignore_ascii_case("fluid");
    if fl {
        let second = tokens.get(1)?;
        let oz = ["oz", "oz.", "ounce", "ounces"];
        return oz
            .iter()
            .any(|o| o.eq_ignore_ascii_case(second))
            .then_some((Unit::FluidOunce, 2));
    }
    if first.eq_ignore_ascii_case("fl.oz") || first.eq_ignore_ascii_case("fl.oz.") {
        return Some((Unit::FluidOunce, 1));
    }
    Unit::from_word(first).map(|u| (u, 1))
}

/// Phrases at the end of a line that qualify it rather than name it.
const TRAILING: [&[&str]; 5] = [
    &["to", "taste"],
    &["as", "needed"],
    &["optional"],
    &["for", "garnish"],
    &["to", "serve"],
];

fn starts_upper(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// A capitalised English count-unit word before another capitalised word is part of a brand
/// name ("1 Pot Noodle", "1 Bar One"), not a unit. German unit nouns ("1 Prise Salz") are not
/// affected.
fn brand_word(tokens: &[String], unit: Unit) -> bool {
    let word = &tokens[0];
    let lower = word.to_lowercase();
    unit.dimension() == Dimension::Count
        && starts_upper(word)
        && (lower == unit.word() || Some(lower) == unit.label(Quantity::int(2)))
        && tokens.get(1).is_some_and(|n| starts_upper(n))
}

/// Descriptor notes of a piece made only of descriptors (", grilled"), else `None`.
fn descriptor_only(piece: &str) -> Option<String> {
    let words: Vec<&str> = piece.split(is_space).filter(|w| !w.is_empty()).collect();
    let owned: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let trailing = TRAILING
        .iter()
        .any(|p| p.len() == owned.len() && starts_with_words(&owned, p));
    let descriptors = !words.is_empty() && words.iter().all(|w| is_descriptor(w));
    (trailing || descriptors).then(|| words.join(" "))
}

fn parse_line(piece: &str) -> Line {
    match read_line(piece) {
        Some(ingredient) => Line::Parsed(ingredient),
        None => Line::Unparsed(piece.to_string()),
    }
}

fn read_line(piece: &str) -> Option<Ingredient> {
    let (tokens, parens) = tokenize(piece);
    let mut notes: Vec<String> = Vec::new();
    let mut i = 0;

    // Amount.
    let mut explicit = false;
    let mut quantity = Quantity::ONE;
    let mut multiplier: Option<Quantity> = None;
    if let Some((q, note, used)) = parse_number(&tokens) {
        explicit = true;
        quantity = q;
        notes.extend(note);
        i = used;
        if tokens.get(i).is_some_and(|t| is_times(t)) {
            i += 1;
            if let Some((q2, note2, used2)) = parse_number(&tokens[i..]) {
                multiplier = Some(quantity);
                quantity = q2;
                notes.extend(note2);
                i += used2;
            }
        }
    } else if tokens.first().is_some_and(|t| t.starts_with(is_num_char)) {
        return None;
    } else if let Some((q, note, used)) = parse_word_number(&tokens) {
        explicit = true;
        quantity = q;
        notes.extend(note);
        i = used;
    }

    // Unit, then "of".
    let mut unit = Unit::Piece;
    let rest = &tokens[i..];
    if let Some((u, used)) = parse_unit(rest) {
        let of_follows = rest.get(used).is_some_and(|t| t.eq_ignore_ascii_case("of"));
        let name_follows = rest.len() > used;
        if (explicit && name_follows && !brand_word(rest, u)) || of_follows {
            unit = u;
            i += used;
        } else if explicit && !name_follows {
            // "60 g", "2 slices": an amount of nothing.
            return None;
        }
    }
    if tokens.get(i).is_some_and(|t| t.eq_ignore_ascii_case("of")) && i > 0 {
        i += 1;
    }

    // Trailing multiplier: "banana x2", "bar × 2".
    let mut end = tokens.len();
    let mut trailing = None;
    if end > i + 1 {
        if let Some(m) = glued_multiplier(&tokens[end - 1]) {
            multiplier = Some(m);
            end -= 1;
        } else if end > i + 2
            && is_times(&tokens[end - 2])
            && let Some(m) = parse_simple(&tokens[end - 1])
        {
            multiplier = Some(m);
            end -= 2;
        }
    }
    // Trailing "to taste", "optional", … go to the note.
    for phrase in TRAILING {
        let n = phrase.len();
        if end > i + n && starts_with_words(&tokens[end - n..end], phrase) {
            trailing = Some(tokens[end - n..end].join(" "));
            end -= n;
            break;
        }
    }
    if let Some(m) = multiplier {
        if unit != Unit::Piece && m != Quantity::ONE {
            let label = unit.label(quantity).unwrap_or_default();
            notes.push(format!("{m} × {quantity} {label}"));
        }
        quantity = quantity.checked_mul(m)?;
    }

    // Name: descriptors to the note, singular last word.
    let words = &tokens[i..end];
    let mut name_words: Vec<String> = Vec::new();
    let mut descriptors: Vec<&str> = Vec::new();
    for (k, w) in words.iter().enumerate() {
        let protected = words.get(k + 1).is_some_and(|next| {
            PROTECTED
                .iter()
                .any(|(d, n)| d.eq_ignore_ascii_case(w) && next.to_ascii_lowercase().starts_with(n))
        });
        let title_case_run = starts_upper(w) && words.get(k + 1).is_some_and(|n| starts_upper(n));
        if is_descriptor(w) && !protected && !title_case_run {
            descriptors.push(w);
        } else {
            name_words.push(w.clone());
        }
    }
    if !descriptors.is_empty() {
        notes.push(descriptors.join(" ").to_lowercase());
    }
    notes.extend(parens);
    notes.extend(trailing);
    if let Some(last) = name_words.last_mut() {
        *last = singular(last);
    }
    let name = name_words.join(" ");
    let key = name.to_lowercase();
    let readable = name.chars().any(char::is_alphabetic);
    let not_food = key
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| NOT_INGREDIENTS.contains(&w));
    if !readable || not_food || name_words.len() > 6 {
        return None;
    }
    Some(Ingredient {
        quantity,
        unit,
        name,
        key,
        note: (!notes.is_empty()).then(|| notes.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(text: &str) -> Ingredient {
        match parse_portion(text).as_slice() {
            [Line::Parsed(i)] => i.clone(),
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn the_key_is_the_lower_case_singular_name_without_descriptors() {
        let i = one("2 large Free-Range Eggs (scrambled)");
        assert_eq!(i.name, "Free-Range Egg");
        assert_eq!(i.key, "free-range egg");
        assert_eq!(i.note.as_deref(), Some("large, scrambled"));
        assert_eq!(one("150 g cooked rice").key, one("50 g rice (dry)").key);
        assert_eq!(one("2 eggs").key, one("1 egg").key);
    }

    #[test]
    fn quantities_and_units_are_exact() {
        let i = one("1,5 l milk");
        assert_eq!(
            (i.quantity, i.unit),
            (Quantity::new(3, 2).unwrap(), Unit::Litre)
        );
        let i = one("1 ⅓ cups flour");
        assert_eq!(
            (i.quantity, i.unit),
            (Quantity::new(4, 3).unwrap(), Unit::Cup)
        );
        assert_eq!(one("60g oats").unit, Unit::Gram);
        assert_eq!(one("banana").quantity, Quantity::ONE);
    }

    #[test]
    fn unparsed_text_is_kept_verbatim() {
        assert_eq!(
            parse_portion("2 eggs + a bit of everything (really)"),
            vec![
                Line::Parsed(one("2 eggs")),
                Line::Unparsed("a bit of everything (really)".into())
            ]
        );
        assert_eq!(parse_portion("  "), vec![]);
    }

    #[test]
    fn singular_follows_the_rules_and_the_lists() {
        for (p, s) in [
            ("eggs", "egg"),
            ("tomatoes", "tomato"),
            ("berries", "berry"),
            ("leaves", "leaf"),
            ("Peaches", "Peach"),
            ("olives", "olive"),
            ("cookies", "cookie"),
            ("oats", "oats"),
            ("hummus", "hummus"),
            ("couscous", "couscous"),
            ("glass", "glass"),
            ("rice", "rice"),
            // Words under four letters are left alone (gas, bus; found by `never_loses_text`).
            ("gas", "gas"),
            ("aas", "aas"),
            ("figs", "fig"),
        ] {
            assert_eq!(singular(p), s);
        }
    }

    const FRAGMENTS: &[&str] = &[
        "60",
        "1,5",
        "1.5",
        "1/2",
        "½",
        "1½",
        "2-3",
        "2–3",
        "2 to 3",
        "2x",
        "x2",
        "×",
        "a",
        "an",
        "half",
        "some",
        "of",
        "g",
        "kg",
        "ml",
        "l",
        "tbsp",
        "T",
        "t",
        "cups",
        "slices",
        "can",
        "fl oz",
        "eggs",
        "oats",
        "berries",
        "Greek",
        "yogurt",
        "chicken",
        "breast",
        "cooked",
        "grilled",
        "frozen",
        "everything",
        "leftovers",
        "+",
        ",",
        ";",
        "&",
        " and ",
        " with ",
        " in ",
        "\n",
        "(",
        ")",
        "[",
        "]",
        "-",
        ".",
        "   ",
        "\u{2009}",
        "\u{a0}",
        "EL",
        "žlica",
    ];

    fn portion_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
                1 => "[a-zA-Z]{1,8}",
            ],
            0..16,
        )
        .prop_map(|parts| parts.join(" "))
    }

    /// Words the parser may consume: separators, number words, units, "of", multiplier and
    /// range marks.
    fn consumable(word: &str) -> bool {
        const WORDS: &[&str] = &[
            "and", "with", "in", "of", "to", "x", "a", "an", "one", "two", "three", "four", "five",
            "six", "seven", "eight", "nine", "ten", "dozen", "half", "couple", "fl", "fluid",
        ];
        WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) || Unit::from_word(word).is_some()
    }

    fn kept_text(lines: &[Line]) -> String {
        lines
            .iter()
            .map(|l| match l {
                Line::Parsed(i) => format!("{} {}", i.name, i.note.as_deref().unwrap_or("")),
                Line::Unparsed(t) => t.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let _ = parse_portion(&text);
        }

        #[test]
        fn is_deterministic(text in portion_text()) {
            prop_assert_eq!(parse_portion(&text), parse_portion(&text));
        }

        /// No text is lost: every alphabetic word of the input that the parser may consume
        /// (see `consumable`) is found, lower-cased, in some line's name, note or unparsed text
        /// — verbatim, or for words of four letters or more, all but its last three letters
        /// (the singular may change the ending: berries → berry, leaves → leaf).
        #[test]
        fn never_loses_text(text in portion_text()) {
            let lines = parse_portion(&text);
            let kept = kept_text(&lines);
            for word in text.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()) {
                if consumable(word) {
                    continue;
                }
                let w = word.to_lowercase();
                let n = w.chars().count();
                let stem: String = w.chars().take(n.saturating_sub(3)).collect();
                prop_assert!(
                    kept.contains(&w) || (n >= 4 && kept.contains(&stem)),
                    "{:?} lost from {:?}: {:?}", word, text, lines
                );
            }
        }

        /// Every parsed line names something, and an amount written as "<quantity> <unit>
        /// <name>" reads back exactly (quantities are never negative: they are unsigned
        /// fractions).
        #[test]
        fn written_amounts_read_back_exactly(
            n in 0u64..100_000,
            d in proptest::sample::select(vec![1u64, 2, 3, 4, 8, 10, 100, 1000]),
            unit in proptest::sample::select(vec![
                ("g", Unit::Gram), ("kg", Unit::Kilogram), ("ml", Unit::Millilitre),
                ("l", Unit::Litre), ("tbsp", Unit::Tablespoon), ("cups", Unit::Cup),
                ("oz", Unit::Ounce), ("slices", Unit::Slice), ("", Unit::Piece),
            ]),
            name in proptest::sample::select(vec!["oats", "rice", "chicken breast", "Greek yogurt", "olive oil"]),
        ) {
            let q = Quantity::new(n, d).unwrap();
            let text = format!("{q} {} {name}", unit.0);
            let i = one(&text);
            prop_assert_eq!(i.quantity, q);
            prop_assert_eq!(i.unit, unit.1);
            prop_assert_eq!(i.key, name.to_lowercase());
            for line in parse_portion(&format!("{text} + {text}")) {
                if let Line::Parsed(i) = line {
                    prop_assert!(i.name.chars().any(char::is_alphabetic));
                }
            }
        }
    }
}
