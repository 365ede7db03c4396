//! The CITES-listed species this plugin reads in `cites.species` and in an object's
//! materials, with their annex of Council Regulation (EC) No 338/97 (as last replaced by
//! Commission Regulation (EU) 2023/966) and their CITES appendix.

use cartouche_rules_sdk::time::{Date, Month};

/// The annex of Reg. 338/97 a species is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annex {
    /// Annex A: commercial use within the Union needs a certificate (Art. 8(1), 8(3), 10).
    A,
    /// Annex B: commercial use within the Union needs proof of legal acquisition (Art. 8(5)).
    B,
    /// Annex C: no control within the Union.
    C,
}

/// What the plugin treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Elephant ivory, the regime of guidance 2021/C 528/03 and Reg. 2021/2280; the date before
    /// which a musical instrument's ivory must have been acquired.
    Elephant {
        /// First day the instrument exception no longer covers.
        instrument_cutoff: Date,
    },
    /// Rhinoceros horn: Annex A, and no antique exemption within the Union (conservative).
    Rhino,
    /// *Dalbergia* spp. other than *D. nigra*: CITES annotation #15 exempts finished musical
    /// instruments, their finished parts and accessories.
    DalbergiaAnnotated,
    /// Every other listed species.
    Other,
}

/// A listed species (or group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Species {
    /// Its name for messages.
    pub name: &'static str,
    /// Lower-case substrings of `cites.species` that name it.
    pub names: &'static [&'static str],
    /// Its annex of Reg. 338/97.
    pub annex: Annex,
    /// Its CITES appendix, for messages.
    pub appendix: &'static str,
    /// Its regime.
    pub kind: Kind,
}

const fn date(year: i32, month: Month, day: u8) -> Date {
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => date,
        Err(_) => panic!("a valid date"),
    }
}

/// Asian elephant: the instrument exception covers ivory acquired **before 1975**. Elephas
/// maximus was in CITES Appendix I from the Convention's entry into force, 1 July 1975; the
/// Union texts as summarised say "before 1975" and the exact day was not read verbatim, so the
/// earlier reading is taken: acquired before 1 January 1975.
pub const ASIAN_INSTRUMENT_CUTOFF: Date = date(1975, Month::January, 1);

/// African elephant: **before 1976** (first listed in Appendix III by Ghana on 26 February
/// 1976, Appendix II in 1977, Appendix I on 18 January 1990); read as before 1 January 1976
/// for the same reason.
pub const AFRICAN_INSTRUMENT_CUTOFF: Date = date(1976, Month::January, 1);

/// The species, most specific first (the first whose name `cites.species` contains wins).
pub const SPECIES: [Species; 11] = [
    Species {
        name: "Asian elephant (Elephas maximus)",
        names: &["elephas maximus", "asian elephant", "éléphant d'asie", "elefante asiatico", "asiatischer elefant"],
        annex: Annex::A,
        appendix: "I",
        kind: Kind::Elephant { instrument_cutoff: ASIAN_INSTRUMENT_CUTOFF },
    },
    Species {
        name: "African elephant (Loxodonta africana)",
        names: &["loxodonta", "african elephant", "éléphant d'afrique", "elefante africano", "afrikanischer elefant"],
        annex: Annex::A,
        appendix: "I/II",
        kind: Kind::Elephant { instrument_cutoff: AFRICAN_INSTRUMENT_CUTOFF },
    },
    Species {
        name: "elephant (Elephantidae, species not stated)",
        names: &["elephantidae", "elephant", "éléphant", "elefant"],
        annex: Annex::A,
        appendix: "I/II",
        // Unknown species: the earlier (Asian) date.
        kind: Kind::Elephant { instrument_cutoff: ASIAN_INSTRUMENT_CUTOFF },
    },
    Species {
        name: "hippopotamus (Hippopotamus amphibius)",
        names: &["hippopotamus", "hippopotame", "ippopotamo", "flusspferd", "nilpferd"],
        annex: Annex::B,
        appendix: "II",
        kind: Kind::Other,
    },
    Species {
        name: "walrus (Odobenus rosmarus)",
        names: &["odobenus", "walrus", "morse", "tricheco", "walross"],
        annex: Annex::C,
        appendix: "III (Canada)",
        kind: Kind::Other,
    },
    Species {
        name: "narwhal (Monodon monoceros)",
        names: &["monodon", "narwhal", "narval", "narvalo", "narwal"],
        // All Cetacea are in Annex A of Reg. 338/97, whatever their appendix.
        annex: Annex::A,
        appendix: "II",
        kind: Kind::Other,
    },
    Species {
        name: "sperm whale (Physeter macrocephalus)",
        names: &["physeter", "sperm whale", "cachalot", "capodoglio", "pottwal"],
        annex: Annex::A,
        appendix: "I",
        kind: Kind::Other,
    },
    Species {
        name: "rhinoceros (Rhinocerotidae)",
        names: &["rhinocerotidae", "rhinoceros", "rhinocéros", "rinoceronte", "nashorn", "ceratotherium", "diceros"],
        annex: Annex::A,
        appendix: "I",
        kind: Kind::Rhino,
    },
    Species {
        name: "marine turtle, tortoiseshell (Eretmochelys imbricata, Cheloniidae)",
        names: &[
            "eretmochelys",
            "hawksbill",
            "cheloniidae",
            "tortue imbriquée",
            "tartaruga embricata",
            "karettschildkröte",
            "caretta",
            "chelonia mydas",
        ],
        annex: Annex::A,
        appendix: "I",
        kind: Kind::Other,
    },
    Species {
        name: "Brazilian rosewood (Dalbergia nigra)",
        names: &["dalbergia nigra", "brazilian rosewood", "palissandre de rio", "jacaranda da bahia", "rio rosewood"],
        annex: Annex::A,
        appendix: "I",
        kind: Kind::Other,
    },
    Species {
        name: "rosewood (Dalbergia spp.)",
        names: &["dalbergia"],
        annex: Annex::B,
        appendix: "II (annotation #15)",
        kind: Kind::DalbergiaAnnotated,
    },
];

/// Names in `cites.species` that contain a word above but are not those species.
const NOT_LISTED: [&str; 4] = ["elephant seal", "éléphant de mer", "mirounga", "elephant shrew"];

/// The listed species `cites.species` names, if any (mammoth, for one, is not listed).
pub fn named(species: &str) -> Option<&'static Species> {
    let mut text = species.to_lowercase();
    for phrase in NOT_LISTED {
        text = text.replace(phrase, " ");
    }
    SPECIES.iter().find(|candidate| candidate.names.iter().any(|name| text.contains(name)))
}

/// Material words (type, materials) that show a listed species other than elephant ivory,
/// with what they show; matched case-insensitively after [`NOT_MATERIAL`] is removed.
pub const MATERIAL_WORDS: [(&str, &str); 20] = [
    ("tortoiseshell", "tortoiseshell"),
    ("tortoise shell", "tortoiseshell"),
    ("écaille de tortue", "tortoiseshell"),
    ("schildpatt", "tortoiseshell"),
    ("carey", "tortoiseshell"),
    ("rhinoceros horn", "rhinoceros horn"),
    ("rhino horn", "rhinoceros horn"),
    ("corne de rhinocéros", "rhinoceros horn"),
    ("corno di rinoceronte", "rhinoceros horn"),
    ("rhinozeroshorn", "rhinoceros horn"),
    ("brazilian rosewood", "Brazilian rosewood"),
    ("palissandre de rio", "Brazilian rosewood"),
    ("scrimshaw", "sperm whale tooth"),
    ("sperm whale", "sperm whale tooth"),
    ("dent de cachalot", "sperm whale tooth"),
    ("narwhal", "narwhal tusk"),
    ("narval", "narwhal tusk"),
    ("walrus", "walrus ivory"),
    ("hippopotamus", "hippopotamus ivory"),
    ("hippopotame", "hippopotamus ivory"),
];

/// Phrases that mention those materials but are imitations.
pub const NOT_MATERIAL: [&str; 6] = [
    "faux tortoiseshell",
    "imitation tortoiseshell",
    "tortoiseshell celluloid",
    "celluloid tortoiseshell",
    "imitation écaille",
    "fausse écaille",
];

/// Words for rosewood in general: *Dalbergia* or not, the declarant must say.
pub const ROSEWOOD_WORDS: [&str; 5] = ["rosewood", "palissandre", "palisander", "palissandro", "jacaranda"];
