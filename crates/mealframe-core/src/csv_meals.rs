//! The meal CSV format: import (§4.9 of the original) and export in the same format, so that an
//! export imports back to the same library.
//!
//! Columns (header names trimmed, case-sensitive): `name`, `portion_description` (required);
//! `calories_kcal`, `protein_g`, `carbs_g`, `sugar_g`, `fat_g`, `saturated_fat_g`, `fiber_g`,
//! `meal_types` (comma-separated names), `notes` (optional); others are ignored.
//!
//! Rows whose values are all blank are dropped before numbering; `row` numbers count the rest
//! from one. A row without a name or portion is an error (skipped). A number that does not parse
//! — or, a deliberate difference, is `NaN`, infinite, negative or beyond the column's range — is
//! imported as empty with a warning. A meal type named twice in one cell is linked once.
//!
//! Known limit of the format: a meal-type name containing a comma cannot round-trip.

use crate::tenths::{Tenths, TenthsError};

pub const REQUIRED: [&str; 2] = ["name", "portion_description"];
pub const COLUMNS: [&str; 11] = [
    "name",
    "portion_description",
    "calories_kcal",
    "protein_g",
    "carbs_g",
    "sugar_g",
    "fat_g",
    "saturated_fat_g",
    "fiber_g",
    "meal_types",
    "notes",
];
const DECIMALS: [&str; 6] = [
    "protein_g",
    "carbs_g",
    "sugar_g",
    "fat_g",
    "saturated_fat_g",
    "fiber_g",
];
pub const MAX_CALORIES: i64 = 999_999;
pub const MAX_NAME: usize = 255;

/// One meal read from a row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CsvMeal {
    pub row: usize,
    pub name: String,
    pub portion_description: String,
    pub calories_kcal: Option<i32>,
    /// protein, carbs, sugar, fat, saturated fat, fiber — in that order.
    pub nutrients: [Option<Tenths>; 6],
    pub notes: Option<String>,
    /// Distinct meal-type names in first-seen order.
    pub meal_types: Vec<String>,
    /// Warnings about this row's numbers, in column order.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// The header lacks required columns (sorted names).
    MissingColumns(Vec<String>),
    Rows {
        total_rows: usize,
        meals: Vec<CsvMeal>,
        errors: Vec<RowError>,
    },
}

/// Why a file is refused before any row is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvFileError {
    Encoding,
    Empty,
}

/// Decode bytes as UTF-8 (a leading BOM is dropped). A NUL byte marks a binary file (UTF-16
/// among them), not text, and is refused as an encoding error.
pub fn decode(bytes: &[u8]) -> Result<&str, CsvFileError> {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(CsvFileError::Encoding);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| CsvFileError::Encoding)?;
    if text.trim().is_empty() {
        return Err(CsvFileError::Empty);
    }
    Ok(text)
}

fn invalid(field: &str, raw: &str) -> String {
    format!("Invalid {field} value '{raw}', imported with null value")
}

pub fn parse(text: &str) -> Parsed {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records().filter_map(Result::ok);
    let Some(header) = records.next() else {
        return Parsed::MissingColumns(REQUIRED.iter().map(|s| (*s).to_owned()).collect());
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let mut missing: Vec<String> = REQUIRED
        .iter()
        .filter(|r| !header.iter().any(|h| h == *r))
        .map(|s| (*s).to_owned())
        .collect();
    if !missing.is_empty() {
        missing.sort();
        return Parsed::MissingColumns(missing);
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let index: Vec<Option<usize>> = COLUMNS.iter().map(|c| col(c)).collect();

    let mut meals = Vec::new();
    let mut errors = Vec::new();
    let mut row = 0;
    for record in records {
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        row += 1;
        let get = |i: usize| {
            index[i]
                .and_then(|c| record.get(c))
                .map(|cell| unguard(cell.trim()))
                .unwrap_or("")
        };
        let name = get(0);
        let portion = get(1);
        if name.is_empty() {
            errors.push(RowError {
                row,
                message: "Missing required field: name".into(),
            });
            continue;
        }
        if portion.is_empty() {
            errors.push(RowError {
                row,
                message: "Missing required field: portion_description".into(),
            });
            continue;
        }
        if name.chars().count() > MAX_NAME {
            errors.push(RowError {
                row,
                message: format!("Invalid name: longer than {MAX_NAME} characters"),
            });
            continue;
        }
        let mut meal = CsvMeal {
            row,
            name: name.to_owned(),
            portion_description: portion.to_owned(),
            ..CsvMeal::default()
        };
        let kcal = get(2);
        if !kcal.is_empty() {
            match kcal.parse::<i64>() {
                Ok(v) if (0..=MAX_CALORIES).contains(&v) => meal.calories_kcal = Some(v as i32),
                _ => meal.warnings.push(invalid("calories_kcal", kcal)),
            }
        }
        for (i, field) in DECIMALS.iter().enumerate() {
            let raw = get(3 + i);
            if raw.is_empty() {
                continue;
            }
            match Tenths::parse(raw) {
                Ok(v) => meal.nutrients[i] = Some(v),
                Err(TenthsError::Decimal(_) | TenthsError::Negative | TenthsError::TooLarge) => {
                    meal.warnings.push(invalid(field, raw))
                }
            }
        }
        for t in get(9).split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !meal.meal_types.iter().any(|m| m == t) {
                meal.meal_types.push(t.to_owned());
            }
        }
        let notes = get(10);
        meal.notes = (!notes.is_empty()).then(|| notes.to_owned());
        meals.push(meal);
    }
    Parsed::Rows {
        total_rows: row,
        meals,
        errors,
    }
}

/// Whether a spreadsheet would read the cell as a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return first), or it is such a cell already guarded by a quote.
fn needs_guard(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
        || cell.strip_prefix('\'').is_some_and(needs_guard)
}

/// A cell as written: a leading `'` makes spreadsheets show a would-be formula as text (OWASP's
/// advice against CSV injection). Import removes exactly that quote, so files round-trip.
fn guard(cell: String) -> String {
    if needs_guard(&cell) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// The inverse of [`guard`].
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

/// Write meals in the import format (header first); text cells are [`guard`]ed.
pub fn write(meals: &[CsvMeal]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for m in meals {
        let num = |v: Option<Tenths>| v.map(|t| t.to_string()).unwrap_or_default();
        let mut rec: Vec<String> = vec![
            m.name.clone(),
            m.portion_description.clone(),
            m.calories_kcal.map(|c| c.to_string()).unwrap_or_default(),
        ];
        rec.extend(m.nutrients.iter().map(|v| num(*v)));
        rec.push(m.meal_types.join(", "));
        rec.push(m.notes.clone().unwrap_or_default());
        let rec: Vec<String> = rec.into_iter().map(guard).collect();
        w.write_record(&rec).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory"))
        .expect("CSV of UTF-8 strings is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rows(text: &str) -> (usize, Vec<CsvMeal>, Vec<RowError>) {
        match parse(text) {
            Parsed::Rows {
                total_rows,
                meals,
                errors,
            } => (total_rows, meals, errors),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_all_columns_trimming_values() {
        let (total, meals, errors) = rows(
            "name, portion_description ,calories_kcal,protein_g,meal_types,notes\n Eggs ,2 eggs + toast,320, 18.25 ,\"Breakfast, Weekend Breakfast\",\n",
        );
        assert_eq!((total, errors.len()), (1, 0));
        let m = &meals[0];
        assert_eq!(
            (
                m.name.as_str(),
                m.portion_description.as_str(),
                m.calories_kcal
            ),
            ("Eggs", "2 eggs + toast", Some(320))
        );
        assert_eq!(m.nutrients[0].unwrap().to_string(), "18.3");
        assert_eq!(m.meal_types, vec!["Breakfast", "Weekend Breakfast"]);
        assert_eq!(m.notes, None);
    }

    #[test]
    fn reports_missing_required_columns_sorted() {
        assert_eq!(
            parse("title,calories_kcal\nx,1\n"),
            Parsed::MissingColumns(vec!["name".into(), "portion_description".into()])
        );
        assert_eq!(
            parse("Name,portion_description\n"),
            Parsed::MissingColumns(vec!["name".into()]),
            "matching is case-sensitive"
        );
    }

    #[test]
    fn numbers_rows_after_dropping_blank_ones_and_skips_incomplete_rows() {
        let (total, meals, errors) =
            rows("name,portion_description\n\n , \nA,1 apple\n,no name\nB,\n\nC,1 cup\n");
        assert_eq!(total, 4);
        assert_eq!(
            meals
                .iter()
                .map(|m| (m.row, m.name.as_str()))
                .collect::<Vec<_>>(),
            vec![(1, "A"), (4, "C")]
        );
        assert_eq!(
            errors,
            vec![
                RowError {
                    row: 2,
                    message: "Missing required field: name".into()
                },
                RowError {
                    row: 3,
                    message: "Missing required field: portion_description".into()
                },
            ]
        );
    }

    #[test]
    fn bad_numbers_become_null_with_a_warning_in_column_order() {
        let (_, meals, _) = rows(
            "name,portion_description,calories_kcal,protein_g,carbs_g,sugar_g,fat_g\nA,x,12.5,NaN,-3,100000,inf\n",
        );
        let m = &meals[0];
        assert_eq!((m.calories_kcal, m.nutrients), (None, [None; 6]));
        assert_eq!(
            m.warnings,
            vec![
                "Invalid calories_kcal value '12.5', imported with null value",
                "Invalid protein_g value 'NaN', imported with null value",
                "Invalid carbs_g value '-3', imported with null value",
                "Invalid sugar_g value '100000', imported with null value",
                "Invalid fat_g value 'inf', imported with null value",
            ]
        );
    }

    #[test]
    fn a_type_named_twice_in_a_cell_is_listed_once_and_extra_columns_are_ignored() {
        let (_, meals, _) =
            rows("name,portion_description,meal_types\nA,x,\"Lunch, Lunch,Dinner,\",extra,more\n");
        assert_eq!(meals[0].meal_types, vec!["Lunch", "Dinner"]);
    }

    #[test]
    fn formula_cells_are_quoted_on_export_and_unquoted_on_import() {
        let meal = CsvMeal {
            name: "=SUM(A1)".into(),
            portion_description: "'+1 cup".into(),
            notes: Some("@cmd".into()),
            meal_types: vec!["-x".into()],
            ..CsvMeal::default()
        };
        let text = write(std::slice::from_ref(&meal));
        let row = text.lines().nth(1).unwrap();
        assert!(row.starts_with("'=SUM(A1),''+1 cup,"), "{row}");
        let Parsed::Rows { meals, .. } = parse(&text) else {
            panic!()
        };
        assert_eq!(meals[0].name, "=SUM(A1)");
        assert_eq!(meals[0].portion_description, "'+1 cup");
        assert_eq!(meals[0].notes.as_deref(), Some("@cmd"));
        assert_eq!(meals[0].meal_types, ["-x"]);
    }

    #[test]
    fn rejects_bad_encodings_and_empty_files() {
        assert_eq!(decode(b"\xff\xfe"), Err(CsvFileError::Encoding));
        assert_eq!(decode(b"name\0,x"), Err(CsvFileError::Encoding));
        assert_eq!(decode(b"  \n "), Err(CsvFileError::Empty));
        assert_eq!(decode(b"\xEF\xBB\xBFname"), Ok("name"));
    }

    fn text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9=+@'-][A-Za-z0-9 ',\"+.()-]{0,20}[A-Za-z0-9)]".prop_map(|s| s.trim().to_owned())
    }

    fn type_name() -> impl Strategy<Value = String> {
        "[A-Za-z=@][A-Za-z0-9 '-]{0,12}[A-Za-z]"
    }

    prop_compose! {
        fn meal()(name in text(), portion in text(), kcal in proptest::option::of(0i32..5000),
                  nutrients in proptest::array::uniform6(proptest::option::of(0i32..999_999)),
                  types in proptest::collection::vec(type_name(), 0..3), notes in proptest::option::of("[a-z][a-z\n ,\"]{0,30}[a-z]")) -> CsvMeal {
            let mut meal_types: Vec<String> = Vec::new();
            for t in types { if !meal_types.contains(&t) { meal_types.push(t) } }
            CsvMeal { row: 0, name, portion_description: portion, calories_kcal: kcal,
                      nutrients: nutrients.map(|n| n.map(Tenths::from_db)), notes, meal_types, warnings: vec![] }
        }
    }

    proptest! {
        #[test]
        fn export_then_import_gives_back_the_same_meals(meals in proptest::collection::vec(meal(), 0..8)) {
            let text = write(&meals);
            let (total, parsed, errors) = match parse(&text) {
                Parsed::Rows { total_rows, meals, errors } => (total_rows, meals, errors),
                other => panic!("{other:?}"),
            };
            prop_assert!(errors.is_empty());
            prop_assert_eq!(total, meals.len());
            for (i, (a, b)) in meals.iter().zip(parsed.iter()).enumerate() {
                prop_assert_eq!(b.row, i + 1);
                prop_assert_eq!(&a.name, &b.name);
                prop_assert_eq!(&a.portion_description, &b.portion_description);
                prop_assert_eq!(a.calories_kcal, b.calories_kcal);
                prop_assert_eq!(a.nutrients, b.nutrients);
                prop_assert_eq!(&a.meal_types, &b.meal_types);
                prop_assert_eq!(&a.notes, &b.notes);
                prop_assert!(b.warnings.is_empty());
            }
        }
    }
}
