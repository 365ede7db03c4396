//! The customs territory of the Union, which is not the list of member states.
//!
//! Regulation (EU) No 952/2013 (Union Customs Code) Art. 4, as amended by Regulation (EU)
//! 2019/474 (Campione d'Italia and the Italian waters of Lake Lugano inside from
//! 1 January 2020):
//!
//! - Art. 4(1) lists the member states' territories **except** the Faroe Islands and Greenland
//!   (DK), the Island of Heligoland and the territory of Büsingen (DE), Ceuta and Melilla (ES),
//!   the French overseas countries and territories of Part Four TFEU (FR), the municipality of
//!   Livigno (IT) and the Netherlands outside Europe (NL). The French outermost regions
//!   (Guadeloupe, French Guiana, Martinique, Réunion, Mayotte, Saint-Martin), the Canary
//!   Islands, the Azores, Madeira and the Åland Islands are not excepted: they are inside.
//! - Art. 4(2)(a): the territory of **Monaco** is inside, though not a member state. San
//!   Marino and Andorra have customs unions with the Union but are **outside** its customs
//!   territory; so is the Vatican.
//!
//! ISO 3166-1 gives some of these places codes of their own (MC, GP, GF, MQ, RE, YT, MF, AX,
//! and the reserved IC for the Canary Islands, EA for Ceuta and Melilla), read from the code.
//! Büsingen, Heligoland, Livigno, Ceuta and Melilla are usually written with their state's code
//! (DE, IT, ES): only the address tells them apart, and it is read as [`Reading`] says.
//!
//! Shared by the plugins that need it (`eu-export`, `eu-import`) through the SDK
//! (`cartouche_rules_sdk::model::territory`).

use crate::plugin::is_eu_member;

/// Codes other than member states' that are inside the customs territory of the Union:
/// Monaco (Art. 4(2)(a)); the French outermost regions Guadeloupe, French Guiana, Martinique,
/// Réunion, Mayotte and Saint-Martin (Art. 349 TFEU: part of France, not overseas countries
/// and territories, so not excepted by Art. 4(1)); the Åland Islands (Finland, not excepted);
/// the Canary Islands (Spain, not excepted; ISO 3166 exceptionally reserved code IC).
pub const INSIDE_NON_MEMBER_CODES: [&str; 9] = ["MC", "GP", "GF", "MQ", "RE", "YT", "MF", "AX", "IC"];

/// Whether the place with this ISO code is inside the customs territory of the Union, as far
/// as the code tells: member states (their excepted enclaves are told by [`consignee_place`]),
/// and [`INSIDE_NON_MEMBER_CODES`]. Everything else is outside, among them SM, AD, VA, FO, GL,
/// the French overseas countries and territories (PM, BL, NC, PF, WF, TF), AW, CW, SX, BQ, GI,
/// and EA (Ceuta and Melilla).
pub fn code_inside(code: &str) -> bool {
    is_eu_member(code) || INSIDE_NON_MEMBER_CODES.contains(&code)
}

/// A place of a member state that Art. 4(1) leaves outside the customs territory and that
/// shares its state's ISO code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enclave {
    /// Its name, for messages.
    pub name: &'static str,
    /// The member state whose code its addresses carry.
    pub country: &'static str,
    /// Its names in an address (lower case, without diacritics), matched as whole words.
    pub names: &'static [&'static str],
    /// Postcodes that are its own: any number in the address equal to one of them.
    pub postcodes: &'static [&'static str],
    /// Postcode prefixes of 5-digit codes that are its own (Spanish provinces 51, 52).
    pub postcode_prefixes: &'static [&'static str],
    /// Postcodes it shares with other places: evidence only together with its name.
    pub shared_postcodes: &'static [&'static str],
}

/// The excepted places of Art. 4(1) that carry their state's code.
pub const ENCLAVES: [Enclave; 5] = [
    Enclave {
        name: "Büsingen am Hochrhein",
        country: "DE",
        names: &["busingen", "buesingen"],
        // German postcode 78266; Swiss postcode 8238 (Büsingen is in the Swiss customs area).
        postcodes: &["78266", "8238"],
        postcode_prefixes: &[],
        shared_postcodes: &[],
    },
    Enclave {
        name: "Heligoland (Helgoland)",
        country: "DE",
        names: &["helgoland", "heligoland"],
        postcodes: &["27498"],
        postcode_prefixes: &[],
        shared_postcodes: &[],
    },
    Enclave {
        name: "Livigno",
        country: "IT",
        names: &["livigno"],
        // 23041 is Livigno's own CAP; 23030 is shared by several municipalities of the
        // province of Sondrio and is still found in Livigno addresses.
        postcodes: &["23041"],
        postcode_prefixes: &[],
        shared_postcodes: &["23030"],
    },
    Enclave {
        name: "Ceuta",
        country: "ES",
        names: &["ceuta"],
        postcodes: &[],
        postcode_prefixes: &["51"],
        shared_postcodes: &[],
    },
    Enclave {
        name: "Melilla",
        country: "ES",
        names: &["melilla"],
        postcodes: &[],
        postcode_prefixes: &["52"],
        shared_postcodes: &[],
    },
];

/// How much the address must say before a place is taken to be in an excepted enclave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Export (Reg. 116/2009): an enclave outside the territory makes the movement an export
    /// that may need a licence, so little evidence suffices: the enclave's own postcode, or
    /// its name with its shared postcode, or its name in an address that has no other
    /// postcode-like number (4 or 5 digits).
    Export,
    /// Import (Reg. 2019/880): an enclave outside the territory takes the goods out of the
    /// import rules, so the address must say both: the enclave's name **and** one of its
    /// postcodes (own or shared).
    Import,
}

/// `text` in lower case, with the diacritics of the names above removed.
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ü' | 'ú' | 'ù' | 'û' => 'u',
            'ö' | 'ó' | 'ò' | 'ô' => 'o',
            'ä' | 'á' | 'à' | 'â' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            other => other,
        })
        .collect()
}

/// The words (runs of letters) of folded text.
fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded.split(|c: char| !c.is_alphabetic()).filter(|word| !word.is_empty())
}

/// The runs of ASCII digits in the text.
fn numbers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_digit()).filter(|run| !run.is_empty())
}

impl Enclave {
    /// Whether `run` (a run of digits) is one of its own postcodes.
    fn own_postcode(&self, run: &str) -> bool {
        self.postcodes.contains(&run)
            || (run.len() == 5 && self.postcode_prefixes.iter().any(|prefix| run.starts_with(prefix)))
    }
}

/// What an address says about one enclave: (its name, its own postcode, its shared
/// postcode, another postcode-like number of 4 or 5 digits).
fn evidence(enclave: &Enclave, address: &str) -> (bool, bool, bool, bool) {
    let folded = fold(address);
    let name = words(&folded).any(|word| enclave.names.contains(&word));
    let own = numbers(address).any(|run| enclave.own_postcode(run));
    let shared = numbers(address).any(|run| enclave.shared_postcodes.contains(&run));
    let other_postcode = numbers(address).any(|run| {
        (4..=5).contains(&run.len()) && !enclave.own_postcode(run) && !enclave.shared_postcodes.contains(&run)
    });
    (name, own, shared, other_postcode)
}

/// The enclave outside the customs territory that the consignee's `address` places the goods
/// in, when the destination `country` is the enclave's member state, read as `reading` says.
pub fn consignee_enclave(country: &str, address: &str, reading: Reading) -> Option<&'static Enclave> {
    ENCLAVES.iter().filter(|enclave| enclave.country == country).find(|enclave| {
        let (name, own, shared, other_postcode) = evidence(enclave, address);
        match reading {
            Reading::Export => own || (name && shared) || (name && !other_postcode),
            Reading::Import => name && (own || shared),
        }
    })
}

/// Where the consignee is, for the customs territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Inside the customs territory of the Union.
    Inside,
    /// Outside it by its country code.
    OutsideByCode,
    /// In a member state's enclave outside it, told by the address.
    Enclave(&'static Enclave),
}

/// Where goods sent to `country`, to a consignee at `address`, arrive.
pub fn consignee_place(country: &str, address: &str, reading: Reading) -> Place {
    if !code_inside(country) {
        return Place::OutsideByCode;
    }
    match consignee_enclave(country, address, reading) {
        Some(enclave) => Place::Enclave(enclave),
        None => Place::Inside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        for inside in ["FR", "DE", "MC", "GP", "RE", "YT", "MF", "AX", "IC"] {
            assert!(code_inside(inside), "{inside}");
        }
        for outside in ["SM", "AD", "VA", "CH", "NC", "PF", "PM", "BL", "FO", "GL", "AW", "CW", "EA", "GI"] {
            assert!(!code_inside(outside), "{outside}");
        }
    }

    #[test]
    fn addresses() {
        use Reading::{Export, Import};
        let busingen = Some(&ENCLAVES[0]);
        assert_eq!(consignee_enclave("DE", "Junkerstrasse 86, 78266 Büsingen am Hochrhein", Import), busingen);
        assert_eq!(consignee_enclave("DE", "Junkerstrasse 86, CH-8238 Buesingen", Import), busingen);
        assert_eq!(consignee_enclave("DE", "Junkerstrasse 86, 78266", Export), busingen);
        assert_eq!(consignee_enclave("DE", "Junkerstrasse 86, 78266", Import), None);
        assert_eq!(consignee_enclave("DE", "Büsinger Weg 3, 78224 Singen", Export), None);
        assert_eq!(consignee_enclave("CH", "78266 Büsingen", Export), None);
        // Livigno: its own CAP, or the shared 23030 only with its name.
        assert_eq!(consignee_enclave("IT", "Via Ostaria 1, 23041 Livigno (SO)", Import), Some(&ENCLAVES[2]));
        assert_eq!(consignee_enclave("IT", "Via Ostaria 1, 23030 Livigno (SO)", Import), Some(&ENCLAVES[2]));
        assert_eq!(consignee_enclave("IT", "Via Roma 1, 23030 Valdisotto (SO)", Export), None);
        assert_eq!(consignee_enclave("IT", "Via Livigno 3, 20100 Milano", Export), None);
        assert_eq!(consignee_enclave("IT", "Livigno", Export), Some(&ENCLAVES[2]));
        assert_eq!(consignee_enclave("IT", "Livigno", Import), None);
        // Ceuta and Melilla: Spanish provinces 51 and 52.
        assert_eq!(consignee_enclave("ES", "Calle Real 5, 51001 Ceuta", Import), Some(&ENCLAVES[3]));
        assert_eq!(consignee_enclave("ES", "Calle de Melilla 5, 28005 Madrid", Export), None);
        assert_eq!(consignee_enclave("ES", "Avenida Juan Carlos I 2, 52001 Melilla", Import), Some(&ENCLAVES[4]));
        assert_eq!(consignee_enclave("DE", "Kurpromenade 1, 27498 Helgoland", Import), Some(&ENCLAVES[1]));
    }
}
