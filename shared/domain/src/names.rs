//! Names as staff type them: "garcia" finds "María García Puig". A name is folded (lower case, no
//! accents) into its words; a search matches a name when each word typed begins one of its words.

use icu_normalizer::DecomposingNormalizerBorrowed;

/// At most this many words of a name are indexed: enough for any person's name.
pub const WORDS_INDEXED: usize = 8;

/// The folded words of `name`, each once, in order.
pub fn words(name: &str) -> Vec<String> {
    let decomposed = DecomposingNormalizerBorrowed::new_nfd().normalize(name);
    // Combining marks (accents, cedillas, tildes) follow their letter once decomposed.
    let folded: String =
        decomposed.chars().filter(|c| !('\u{300}'..='\u{36f}').contains(c)).flat_map(char::to_lowercase).collect();
    let mut words: Vec<String> = Vec::new();
    for word in folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !words.iter().any(|w| w == word) && words.len() < WORDS_INDEXED {
            words.push(word.to_owned());
        }
    }
    words
}

/// What staff typed to find someone by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQuery {
    words: Vec<String>,
}

impl NameQuery {
    /// The query, or why it cannot find anyone.
    pub fn parse(typed: &str) -> Result<Self, String> {
        let words = words(typed);
        if words.iter().all(|w| w.chars().count() < 2) {
            return Err(format!("Type at least two letters of a name: \"{}\" finds nobody.", typed.trim()));
        }
        Ok(Self { words })
    }

    /// The word to look up in the index: the longest, as it narrows the most.
    pub fn lookup(&self) -> &str {
        self.words.iter().max_by_key(|w| w.chars().count()).map(String::as_str).unwrap_or_default()
    }

    /// Whether `name` is a match: each word typed begins one of its words.
    pub fn matches(&self, name: &str) -> bool {
        let theirs = words(name);
        self.words.iter().all(|typed| theirs.iter().any(|word| word.starts_with(typed.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_folds_into_its_words_without_accents_or_case() {
        assert_eq!(words("María  García-Puig"), ["maria", "garcia", "puig"]);
        assert_eq!(words("Núria Paral·lel i Puig"), ["nuria", "paral", "lel", "i", "puig"]);
        assert_eq!(words("NICCOLÒ D'Ambrosio"), ["niccolo", "d", "ambrosio"]);
        assert_eq!(words("Ana Ana"), ["ana"]);
        assert_eq!(words("a b c d e f g h i j").len(), WORDS_INDEXED);
    }

    #[test]
    fn each_word_typed_begins_a_word_of_the_name() {
        let query = NameQuery::parse("garc MARIA").unwrap();
        assert_eq!(query.lookup(), "maria");
        assert!(query.matches("María García Puig"));
        assert!(query.matches("Garcia, Maria"));
        assert!(!query.matches("María Puig"), "every word typed must match");
        assert!(!query.matches("Mariano Ogarcia"), "words match from their start");
        assert!(NameQuery::parse(" j ").unwrap_err().contains("at least two letters"));
        assert!(NameQuery::parse("¿?").is_err());
    }
}
