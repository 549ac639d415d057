//! What a model call costs, for the usage record (issue 12): a price table the operator sets
//! (`MEALFRAME_AI_PRICES`), since prices change and self-hosted models cost nothing. A chat model
//! is priced per million input and output tokens, a transcription model per minute of audio.
//!
//! Text form: `model=IN/OUT` or `model=PRICE/min`, comma separated, in US dollars, e.g.
//! `gpt-4o=5/15, gpt-4o-mini=0.15/0.6, whisper-1=0.006/min`. A model not in the table has no
//! price (its calls are recorded with tokens only).

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Price {
    /// Dollars per million input and output tokens.
    Tokens { input: f64, output: f64 },
    /// Dollars per minute of audio.
    PerMinute(f64),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prices(HashMap<String, Price>);

/// The table used when none is configured: the original's gpt-4o estimate, and OpenAI's list
/// prices of gpt-4o-mini and whisper-1.
pub const DEFAULT_PRICES: &str = "gpt-4o=5/15,gpt-4o-mini=0.15/0.6,whisper-1=0.006/min";

impl Prices {
    pub fn parse(text: &str) -> Result<Prices, String> {
        let mut table = HashMap::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad =
                || format!("{entry:?}: expected model=IN/OUT or model=PRICE/min (US dollars)");
            let (model, price) = entry.split_once('=').ok_or_else(bad)?;
            let (a, b) = price.split_once('/').ok_or_else(bad)?;
            let number = |s: &str| -> Result<f64, String> {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(bad)
            };
            let price = if b.trim() == "min" {
                Price::PerMinute(number(a)?)
            } else {
                Price::Tokens {
                    input: number(a)?,
                    output: number(b)?,
                }
            };
            let model = model.trim();
            if model.is_empty() {
                return Err(bad());
            }
            table.insert(model.to_owned(), price);
        }
        Ok(Prices(table))
    }

    /// Millionths of a dollar for a chat call, when the model has a token price.
    pub fn tokens(&self, model: &str, input: u64, output: u64) -> Option<i64> {
        match self.0.get(model)? {
            // $X per million tokens is X millionths of a dollar per token.
            Price::Tokens {
                input: i,
                output: o,
            } => Some(
                (input as f64 * i + output as f64 * o)
                    .round()
                    .min(i64::MAX as f64) as i64,
            ),
            Price::PerMinute(_) => None,
        }
    }

    /// Millionths of a dollar for `seconds` of transcribed audio, when the model has a per-minute
    /// price.
    pub fn audio(&self, model: &str, seconds: f64) -> Option<i64> {
        match self.0.get(model)? {
            Price::PerMinute(p) => Some(
                (seconds.max(0.0) / 60.0 * p * 1e6)
                    .round()
                    .min(i64::MAX as f64) as i64,
            ),
            Price::Tokens { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_prices_the_originals_estimate_and_whisper_by_the_minute() {
        let p = Prices::parse(DEFAULT_PRICES).unwrap();
        assert_eq!(p.tokens("gpt-4o", 1000, 200), Some(8000));
        assert_eq!(p.tokens("gpt-4o-mini", 1_000_000, 0), Some(150_000));
        assert_eq!(p.audio("whisper-1", 4.2), Some(420));
        assert_eq!(p.tokens("llava", 1000, 200), None, "self-hosted: no price");
        assert_eq!(p.tokens("whisper-1", 1, 1), None);
        assert_eq!(p.audio("gpt-4o", 60.0), None);
    }

    #[test]
    fn a_table_is_read_with_spaces_and_bad_entries_are_named() {
        let p = Prices::parse(" my-model = 1/2 , asr=0.01/min ,").unwrap();
        assert_eq!(p.tokens("my-model", 1_000_000, 1_000_000), Some(3_000_000));
        assert_eq!(p.audio("asr", 30.0), Some(5000));
        assert_eq!(Prices::parse("").unwrap(), Prices::default());
        for bad in [
            "gpt-4o", "gpt-4o=5", "=1/2", "x=-1/2", "x=a/b", "x=1/hour", "x=NaN/1",
        ] {
            let e = Prices::parse(bad).unwrap_err();
            assert!(e.contains("expected model="), "{bad}: {e}");
        }
    }
}
