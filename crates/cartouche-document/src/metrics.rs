//! Text in the PDF's built-in Helvetica: the WinAnsi encoding it is set in (a character
//! outside it prints as `?`), Helvetica's advance widths (from Adobe's AFM files), and
//! line wrapping measured with them, so no text runs past its box.

/// Points per millimetre.
pub(crate) const MM_TO_PT: f32 = 72.0 / 25.4;

/// Helvetica advance widths (1/1000 em) of the printable ASCII characters 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    278, 278, 584, 584, 584, 556, 1015, // :..@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944,
    667, 667, 611, // A..Z
    278, 278, 278, 469, 556, 333, // [..`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722,
    500, 500, 500, // a..z
    334, 260, 334, 584, // {..~
];

/// Helvetica-Bold advance widths of the printable ASCII characters 32..=126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    333, 333, 584, 584, 584, 611, 975, // :..@
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944,
    667, 667, 611, // A..Z
    333, 278, 333, 584, 556, 333, // [..`
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778,
    556, 556, 500, // a..z
    389, 280, 389, 584, // {..~
];

/// Whether `c` has a code in WinAnsiEncoding (the built-in fonts' encoding).
fn is_win_ansi(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0xA0..=0xFF)
        || matches!(
            c,
            '€' | '‚'
                | 'ƒ'
                | '„'
                | '…'
                | '†'
                | '‡'
                | 'ˆ'
                | '‰'
                | 'Š'
                | '‹'
                | 'Œ'
                | 'Ž'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201C}'
                | '\u{201D}'
                | '•'
                | '–'
                | '—'
                | '˜'
                | '™'
                | 'š'
                | '›'
                | 'œ'
                | 'ž'
                | 'Ÿ'
        )
}

/// `text` restricted to WinAnsi: typographic spaces become spaces, hyphen variants
/// hyphens, anything else outside the encoding `?`.
pub(crate) fn win_ansi(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            '\u{2010}' | '\u{2011}' | '\u{2212}' => '-',
            c if is_win_ansi(c) => c,
            _ => '?',
        })
        .collect()
}

/// The unaccented letter of an accented WinAnsi letter (Helvetica gives both one width).
fn base_letter(c: char) -> Option<char> {
    Some(match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ñ' => 'N',
        'Ò'..='Ö' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' | 'Ÿ' => 'Y',
        'Š' => 'S',
        'Ž' => 'Z',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ñ' => 'n',
        'ò'..='ö' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' => 's',
        'ž' => 'z',
        _ => return None,
    })
}

/// Advance width of `c` in 1/1000 em.
fn char_width(c: char, bold: bool) -> u16 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let c = base_letter(c).unwrap_or(c);
    if (' '..='~').contains(&c) {
        return table[c as usize - 32];
    }
    let (regular, heavy) = match c {
        '\u{A0}' | '·' => (278, 278),
        '¡' => (333, 333),
        '¢' | '£' | '¤' | '¥' | '§' | '€' | 'ƒ' | '†' | '‡' | '–' | '«' | '»' => (556, 556),
        '¦' => (260, 280),
        '¨' | '¯' | '´' | '¸' | '²' | '³' | '¹' | '\u{AD}' | 'ˆ' | '˜' | '‹' | '›' => (333, 333),
        '©' | '®' => (737, 737),
        'ª' => (370, 370),
        'º' => (365, 365),
        '¬' | '±' | '×' | '÷' => (584, 584),
        '°' => (400, 400),
        'µ' => (556, 611),
        '¶' => (537, 556),
        '¼' | '½' | '¾' => (834, 834),
        '¿' => (611, 611),
        'Æ' | 'Œ' | '…' | '‰' | '—' | '™' => (1000, 1000),
        'Ð' => (722, 722),
        'Ø' => (778, 778),
        'Þ' => (667, 667),
        'ß' | 'ø' => (611, 611),
        'æ' => (889, 889),
        'ð' | 'þ' => (556, 611),
        'ì'..='ï' => (278, 278),
        '‚' | '\u{2018}' | '\u{2019}' => (222, 278),
        '„' | '\u{201C}' | '\u{201D}' => (333, 500),
        'œ' => (944, 944),
        '•' => (350, 350),
        // Not WinAnsi: printed as `?`.
        _ => (556, 611),
    };
    if bold { heavy } else { regular }
}

/// Width of `text` set at `size` points, in millimetres.
pub(crate) fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = text.chars().map(|c| u32::from(char_width(c, bold))).sum();
    units as f32 / 1000.0 * size / MM_TO_PT
}

/// Breaks `text` (already WinAnsi) into lines no wider than `width` mm; the first line
/// may be narrower (`first_width`, when a prefix precedes it). Words longer than a line
/// are cut.
pub(crate) fn wrap(text: &str, first_width: f32, width: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|word| !word.is_empty()) {
            let limit = if lines.is_empty() { first_width } else { width };
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if text_width(&candidate, size, bold) <= limit {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: cut it if even a whole line cannot hold it.
            let mut rest = word;
            loop {
                let limit = if lines.is_empty() { first_width } else { width };
                if text_width(rest, size, bold) <= limit {
                    line = rest.to_owned();
                    break;
                }
                let mut cut = 0;
                let mut used = 0.0;
                for (index, c) in rest.char_indices() {
                    let next = used + text_width(c.encode_utf8(&mut [0; 4]), size, bold);
                    if next > limit && cut > 0 {
                        break;
                    }
                    used = next;
                    cut = index + c.len_utf8();
                }
                if cut >= rest.len() {
                    line = rest.to_owned();
                    break;
                }
                lines.push(rest[..cut].to_owned());
                rest = &rest[cut..];
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helvetica_widths_and_wrapping_stay_inside_the_box() {
        assert!((text_width("W", 10.0, false) - 9.44 / MM_TO_PT).abs() < 1e-4);
        assert_eq!(text_width("é", 10.0, false), text_width("e", 10.0, false));
        assert!(text_width("W", 10.0, true) > text_width("i", 10.0, true));
        let text = "Paysage architectural. Un temple rond en ruine, aux colonnes corinthiennes envahies de végétation, \
                    se dresse sur la rive gauche d'un fleuve ; 98fe3592ee826ee789c3e07acad67d66cd61b418eaaf88327ab299c5c1287362";
        for width in [20.0, 45.0, 90.0] {
            let lines = wrap(&win_ansi(text), width, width, 8.5, false);
            assert!(lines.len() > 1);
            for line in &lines {
                assert!(text_width(line, 8.5, false) <= width, "{line:?} is wider than {width} mm");
            }
        }
        assert_eq!(win_ansi("Łódź – «ok» €5 日本"), "?ód? – «ok» €5 ??");
    }

    #[test]
    fn a_narrower_first_line_and_paragraphs_are_kept() {
        let lines = wrap("alpha beta gamma", 10.0, 100.0, 8.5, false);
        assert_eq!(lines, ["alpha", "beta gamma"]);
        assert_eq!(wrap("one\ntwo", 100.0, 100.0, 8.5, false), ["one", "two"]);
        assert_eq!(wrap("", 100.0, 100.0, 8.5, false), [""]);
    }
}
