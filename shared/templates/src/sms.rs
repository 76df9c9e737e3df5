//! SMS length as carriers count it. A message in the GSM 03.38 alphabet is sent 7-bit: 160
//! characters in one part, 153 per part when concatenated, with `^{}\[~]|€` costing two. Any other
//! character switches the whole message to UCS-2: 70 UTF-16 units, 67 per part. One accented
//! letter outside GSM can triple the cost, so tenants may transliterate to stay in GSM-7.

use std::fmt;

use avisa_domain::tenant::SmsRules;

/// The GSM 03.38 basic character set (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (an escape septet plus one each).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{000C}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// How long a message is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsLength {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub segments: usize,
}

impl fmt::Display for SmsLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoding = match self.encoding {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        };
        write!(f, "{} {encoding} units in {} part(s)", self.units, self.segments)
    }
}

/// Septets of each ASCII character (0: not in GSM 03.38): nearly every character of a notice is
/// ASCII, and a table beats scanning the alphabet for each.
const ASCII_SEPTETS: [u8; 128] = {
    let mut table = [0_u8; 128];
    // Extended first, so that the basic alphabet wins where a character is in both.
    let alphabets: [(&[u8], u8); 2] = [(GSM_EXTENDED.as_bytes(), 2), (GSM_BASIC.as_bytes(), 1)];
    let mut a = 0;
    while a < alphabets.len() {
        let (bytes, septets) = alphabets[a];
        let mut i = 0;
        while i < bytes.len() {
            // In UTF-8 a byte under 128 is always a whole ASCII character.
            if bytes[i] < 128 {
                table[bytes[i] as usize] = septets;
            }
            i += 1;
        }
        a += 1;
    }
    table
};

fn gsm_septets(c: char) -> Option<usize> {
    if c.is_ascii() {
        return match ASCII_SEPTETS[c as usize] {
            0 => None,
            septets => Some(usize::from(septets)),
        };
    }
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Counts parts the way a concatenating modem fills them: a character (or escape pair, or
/// surrogate pair) never straddles two parts.
fn segments(widths: impl Iterator<Item = usize> + Clone, single: usize, per_part: usize) -> usize {
    let total: usize = widths.clone().sum();
    if total <= single {
        return 1;
    }
    let mut parts = 1;
    let mut used = 0;
    for width in widths {
        if used + width > per_part {
            parts += 1;
            used = 0;
        }
        used += width;
    }
    parts
}

/// The encoding, length and number of parts of `text`.
pub fn measure(text: &str) -> SmsLength {
    if text.chars().all(|c| gsm_septets(c).is_some()) {
        let widths = text.chars().map(|c| gsm_septets(c).unwrap_or(1));
        SmsLength { encoding: Encoding::Gsm7, units: widths.clone().sum(), segments: segments(widths, 160, 153) }
    } else {
        let widths = text.chars().map(char::len_utf16);
        SmsLength { encoding: Encoding::Ucs2, units: widths.clone().sum(), segments: segments(widths, 70, 67) }
    }
}

/// Replaces characters outside GSM-7 by their closest GSM-7 spelling (á → a, ç → c, l·l → l.l,
/// curly quotes → straight ones…). Characters with no such spelling are kept.
pub fn transliterate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if gsm_septets(c).is_some() {
            out.push(c);
            continue;
        }
        let replacement = match c {
            'á' | 'â' | 'ã' | 'ā' | 'ª' => "a",
            'Á' | 'À' | 'Â' | 'Ã' => "A",
            'ê' | 'ë' | 'ē' => "e",
            'È' | 'Ê' | 'Ë' => "E",
            'í' | 'î' | 'ï' => "i",
            'Í' | 'Ì' | 'Î' | 'Ï' => "I",
            'ó' | 'ô' | 'õ' | 'º' => "o",
            'Ó' | 'Ò' | 'Ô' | 'Õ' => "O",
            'ú' | 'û' => "u",
            'Ú' | 'Ù' | 'Û' => "U",
            'ç' => "c",
            'ý' | 'ÿ' => "y",
            '·' => ".",
            '‘' | '’' | '´' | '`' => "'",
            '“' | '”' | '«' | '»' => "\"",
            '–' | '—' | '‐' => "-",
            '…' => "...",
            '\u{00A0}' | '\u{202F}' | '\t' => " ",
            other => {
                out.push(other);
                continue;
            }
        };
        out.push_str(replacement);
    }
    out
}

/// Why no variant of a message fits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the SMS takes {length} and the limit is {max_segments} part(s); shorten the template or its short variant")]
pub struct TooLong {
    pub length: SmsLength,
    pub max_segments: usize,
}

/// The first of `variants` (full text first, short variant after) that fits the policy, prepared
/// as it will be sent. Never splits past the limit: with no variant that fits, it fails.
pub fn fit(
    variants: impl IntoIterator<Item = impl AsRef<str>>,
    policy: SmsRules,
) -> Result<(String, SmsLength), TooLong> {
    let mut shortest: Option<SmsLength> = None;
    for variant in variants {
        let variant = variant.as_ref();
        let text = if policy.transliterate { transliterate(variant) } else { variant.to_owned() };
        let length = measure(&text);
        if length.segments <= policy.max_segments {
            return Ok((text, length));
        }
        shortest = Some(shortest.map_or(length, |s| if length.units < s.units { length } else { s }));
    }
    let length = shortest.unwrap_or(SmsLength { encoding: Encoding::Gsm7, units: 0, segments: 0 });
    Err(TooLong { length, max_segments: policy.max_segments })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_ascii_table_agrees_with_the_alphabets() {
        for c in (0_u8..128).map(char::from) {
            let scanned = if GSM_BASIC.contains(c) {
                Some(1)
            } else if GSM_EXTENDED.contains(c) {
                Some(2)
            } else {
                None
            };
            assert_eq!(gsm_septets(c), scanned, "{c:?}");
        }
    }

    #[test]
    fn plain_gsm_text_counts_160_then_153_per_part() {
        assert_eq!(measure(&"a".repeat(160)), SmsLength { encoding: Encoding::Gsm7, units: 160, segments: 1 });
        assert_eq!(measure(&"a".repeat(161)).segments, 2);
        assert_eq!(measure(&"a".repeat(306)).segments, 2);
        assert_eq!(measure(&"a".repeat(307)).segments, 3);
    }

    #[test]
    fn extension_characters_count_two_and_never_straddle_parts() {
        assert_eq!(measure("10 €").units, 5);
        assert_eq!(measure(&"€".repeat(80)).segments, 1);
        assert_eq!(measure(&"€".repeat(81)).segments, 2);
        // 152 septets, then a two-septet euro: it goes whole into the second part
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(measure(&text).segments, 2);
    }

    #[test]
    fn one_character_outside_gsm_switches_to_ucs2() {
        let catalan = "Factura F-1: 48,20 €. Càrrec el dimarts";
        assert_eq!(measure(catalan).encoding, Encoding::Gsm7, "à is in GSM-7");
        let spanish = "Factura F-1: 48,20 €. Cargo el sábado";
        assert_eq!(measure(spanish).encoding, Encoding::Ucs2, "á is not");
        assert_eq!(measure(&"á".repeat(70)).segments, 1);
        assert_eq!(measure(&"á".repeat(71)).segments, 2);
        assert_eq!(measure(&"á".repeat(134)).segments, 2);
        assert_eq!(measure(&"á".repeat(135)).segments, 3);
    }

    #[test]
    fn transliteration_keeps_catalan_spanish_and_italian_in_gsm() {
        let text = "Sábado, Plaça de l’Ajuntament, col·lecció «ràpida» – perché";
        let plain = transliterate(text);
        assert_eq!(plain, "Sabado, Placa de l'Ajuntament, col.leccio \"ràpida\" - perché");
        assert_eq!(measure(&plain).encoding, Encoding::Gsm7);
    }

    #[test]
    fn the_short_variant_is_used_when_the_full_text_is_too_long() {
        let policy = SmsRules { max_segments: 1, transliterate: false, critical_max_segments: None };
        let (text, length) = fit([&*"a".repeat(200), "short"], policy).unwrap();
        assert_eq!((text.as_str(), length.segments), ("short", 1));
        let err = fit([&*"a".repeat(200), &*"b".repeat(170)], policy).unwrap_err();
        assert_eq!(err.length.units, 170);
        assert!(err.to_string().contains("the limit is 1 part(s)"), "{err}");
    }

    #[test]
    fn transliteration_can_bring_a_message_under_the_limit() {
        let text = "é".to_owned() + &"ó".repeat(100);
        let strict = SmsRules { max_segments: 1, transliterate: false, critical_max_segments: None };
        assert!(fit([text.as_str()], strict).is_err());
        let lenient = SmsRules { max_segments: 1, transliterate: true, critical_max_segments: None };
        assert_eq!(fit([text.as_str()], lenient).unwrap().1.encoding, Encoding::Gsm7);
    }

    proptest! {
        #[test]
        fn gsm_parts_follow_the_formula(n in 0usize..2000) {
            let expected = if n <= 160 { 1 } else { n.div_ceil(153) };
            prop_assert_eq!(measure(&"x".repeat(n)).segments, expected);
        }

        #[test]
        fn ucs2_parts_follow_the_formula(n in 0usize..1000) {
            let expected = if n <= 70 { 1 } else { n.div_ceil(67) };
            prop_assert_eq!(measure(&"ñá".chars().cycle().take(n).collect::<String>()).segments, expected);
        }

        #[test]
        fn every_part_holds_at_most_its_capacity(text in "[a-zà-ÿ€{}\\[\\] ]{0,600}") {
            let length = measure(&text);
            let (single, per_part) = if length.encoding == Encoding::Gsm7 { (160, 153) } else { (70, 67) };
            if length.segments == 1 {
                prop_assert!(length.units <= single);
            } else {
                prop_assert!(length.units > single);
                prop_assert!(length.units <= length.segments * per_part);
                prop_assert!(length.units > (length.segments - 1) * (per_part - 1));
            }
        }

        #[test]
        fn transliteration_is_idempotent_and_reaches_gsm_for_latin_text(text in "[a-zA-Zà-ÿÀ-Ý·’“”–…«» ,.]{0,300}") {
            let once = transliterate(&text);
            prop_assert_eq!(transliterate(&once), once.clone());
            let not_gsm: String = once.chars().filter(|c| gsm_septets(*c).is_none()).collect();
            // only letters with no GSM spelling at all remain (none in Catalan, Spanish, Italian)
            prop_assert!(not_gsm.chars().all(|c| "ÐðÞþ×÷ÝÅåØøÆæ".contains(c) || gsm_septets(c).is_some()), "{}", not_gsm);
        }
    }
}
