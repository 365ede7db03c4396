//! The printable certificate: an A4 PDF laid out in the order of the UNESCO-WCO Model
//! Export Certificate and the EU export licence form (Reg. 1081/2012 Annex I), every box
//! labelled in English and French (and Italian or German when the certificate is in one
//! of them), with the seal's QR code on the first page and the certificate number and
//! "page N / M" on every page.
//!
//! Text is set in the PDF's built-in Helvetica with WinAnsi encoding, so no font file is
//! bundled and the text stays extractable; a character outside WinAnsi prints as `?`.
//! Lines are wrapped by measuring them with Helvetica's advance widths (the AFM table
//! below), so no text runs past its box. Photos are embedded as the clean JPEGs they are
//! (DCTDecode, not re-encoded); the QR code as lossless grey pixels. Space left unused at
//! the foot of a page is barred, as the EU form requires.

use std::collections::BTreeMap;

use cartouche_model::{Certificate, CulturalObject, DocumentKind, ExportType, LicenceType, Party, Purpose, ValueBasis};
use printpdf::{
    BuiltinFont, Color, CustomPdfConformance, DictItem, ExternalStream, ExternalXObject, Greyscale, Line,
    LineDashPattern, LinePoint, Op, PaintMode, PdfConformance, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Px, Rect, Rgb, TextItem, XObject, XObjectId, XObjectTransform,
};

/// What the printable certificate is made of.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    /// The issued certificate.
    pub certificate: Certificate,
    /// The seal's QR code as a PNG (black modules on white, with its quiet zone).
    pub qr_png: Vec<u8>,
    /// The photos available, by SHA-256: the clean JPEGs. A photo the certificate names
    /// but that is missing here is printed as a labelled empty frame with its hash.
    pub photos: BTreeMap<String, Vec<u8>>,
    /// The certificate's state when printed (`active`, `revoked`, ...).
    pub state: String,
    /// The language of the labels besides English and French (BCP 47; `it` and `de` add
    /// Italian and German).
    pub language: String,
}

/// Why no PDF could be made.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The QR code image is not a readable PNG.
    #[error("the QR code image could not be read: {0}")]
    Qr(String),
}

// Page geometry, in millimetres from the top-left corner of an A4 portrait page.
const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN_X: f32 = 12.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const FIRST_TOP: f32 = 12.0;
const CONTINUATION_TOP: f32 = 17.0;
const BODY_BOTTOM: f32 = 281.0;
const GAP: f32 = 2.0;

// Type sizes (points) and line spacing (millimetres).
const BODY_SIZE: f32 = 8.5;
const BODY_LEAD: f32 = 3.6;
const LABEL_SIZE: f32 = 6.2;
const LABEL_LEAD: f32 = 2.6;
const NUMBER_SIZE: f32 = 7.0;
const PAD_X: f32 = 1.6;
const PAD_TOP: f32 = 1.0;
const PAD_BOTTOM: f32 = 1.3;

// Box 24: photos at least 9 × 12 cm where the page allows; two abreast when both fit.
const PHOTO_SHORT_MIN: f32 = 90.0;
const PHOTO_LONG_MIN: f32 = 120.0;
const PHOTO_MAX_H: f32 = 160.0;
const PHOTO_HALF_W: f32 = (CONTENT_W - 2.0 * PAD_X - GAP) / 2.0;
const MISSING_PHOTO_H: f32 = 30.0;

const MM_TO_PT: f32 = 72.0 / 25.4;

/// Renders the certificate as a PDF.
pub fn certificate_pdf(input: &DocumentInput) -> Result<Vec<u8>, DocumentError> {
    let mut doc = PdfDocument::new(&win_ansi(&format!("{} {}", term(Key::Title)[0], input.certificate.number)));
    doc.metadata.info.conformance = PdfConformance::Custom(CustomPdfConformance {
        allows_default_fonts: true,
        allows_jpeg_content: true,
        requires_icc_profile: false,
        requires_xmp_metadata: false,
        ..Default::default()
    });
    doc.metadata.info.creator = "Cartouche".into();
    doc.metadata.info.producer = "Cartouche".into();

    let qr = qr_image(&input.qr_png)?;
    let qr_id = XObjectId("QrSeal".into());
    doc.resources.xobjects.map.insert(qr_id.clone(), qr.xobject);

    let mut photos = BTreeMap::new();
    for object in &input.certificate.application.objects {
        for photo in &object.photos {
            if photos.contains_key(photo.sha256.as_str()) {
                continue;
            }
            let embedded = match input.photos.get(&photo.sha256) {
                None => PhotoSource::Missing,
                Some(jpeg) => match photo_xobject(jpeg) {
                    Some((xobject, width, height)) => {
                        let id = XObjectId(format!("Photo{}", photos.len() + 1));
                        doc.resources.xobjects.map.insert(id.clone(), xobject);
                        PhotoSource::Image { id, width, height }
                    }
                    None => PhotoSource::Unreadable,
                },
            };
            photos.insert(photo.sha256.as_str(), embedded);
        }
    }

    let context = Context { input, extra: extra_language(&input.language), qr_id, qr_width: qr.width_mm, photos };
    // Box 25 and the footers need the page count: lay out until it is stable (the count
    // only changes the digits printed, never the height of anything).
    let mut total = 1;
    let mut pages = Vec::new();
    for _ in 0..3 {
        pages = Layout::run(&context, total).pages;
        if pages.len() == total {
            break;
        }
        total = pages.len();
    }
    let pages = pages.into_iter().map(|ops| PdfPage::new(printpdf::Mm(PAGE_W), printpdf::Mm(PAGE_H), ops)).collect();
    let mut warnings = Vec::new();
    Ok(doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut warnings))
}

// ---------------------------------------------------------------------------------------
// Labels: one small table, English, French, Italian, German.

#[derive(Debug, Clone, Copy)]
enum Key {
    Title,
    Subtitle,
    Box1,
    Box2,
    Box3,
    Box4,
    Box5,
    Box6,
    Box7,
    Box8,
    Box9,
    Box10,
    Box11,
    Box12,
    Box13,
    Box14,
    Box15,
    Box16,
    Box17,
    Box18,
    Box19,
    Box20,
    Box21,
    Box22,
    Box24,
    Box25,
    ObjectType,
    Provenance,
    Cites,
    LicenceKind,
    State,
    ValidUntil,
    Issued,
    Country,
    Destination,
    ReimportBy,
    Object,
    Scan,
    Page,
    Continued,
    PhotoMissing,
    PhotoUnreadable,
    Inscriptions,
    Features,
    Origin,
    FindPlace,
    History,
    AcquiredBefore,
    Period,
    Workshop,
    Style,
    Living,
    Signatory,
    PlaceDate,
    Sealed,
    Supplementary,
    Definitive,
    Temporary,
    Standard,
    SpecificOpen,
    GeneralOpen,
    Sale,
    Exhibition,
    Loan,
    Restoration,
    Expertise,
    Research,
    Personal,
    Other,
    Price,
    Estimate,
    Bibliography,
    Catalogue,
    List,
    IdentificationMarks,
    ProofOfValue,
    Active,
    Suspended,
    Revoked,
    Used,
    ExportedTemporarily,
    Overdue,
    Expired,
}

/// `[English, French, Italian, German]`.
fn term(key: Key) -> [&'static str; 4] {
    match key {
        Key::Title => [
            "Export certificate for cultural objects",
            "Certificat d'exportation de biens culturels",
            "Certificato di esportazione di beni culturali",
            "Ausfuhrbescheinigung für Kulturgüter",
        ],
        Key::Subtitle => [
            "UNESCO-WCO Model Export Certificate; EU export licence, Reg. (EC) 116/2009 and (EU) 1081/2012",
            "Certificat type d'exportation UNESCO-OMD ; licence d'exportation UE",
            "Certificato tipo UNESCO-OMD ; licenza di esportazione UE",
            "UNESCO-WZO-Musterbescheinigung ; EU-Ausfuhrgenehmigung",
        ],
        Key::Box1 => ["Applicant", "Demandeur", "Richiedente", "Antragsteller"],
        Key::Box2 => {
            ["Number, valid until", "Numéro, valable jusqu'au", "Numero, valido fino al", "Nummer, gültig bis"]
        }
        Key::Box3 => [
            "Consignee, country of destination",
            "Destinataire, pays de destination",
            "Destinatario, paese di destinazione",
            "Empfänger, Bestimmungsland",
        ],
        Key::Box4 => [
            "Export type, re-import date",
            "Type d'exportation, date de réimportation",
            "Tipo di esportazione, data di reimportazione",
            "Art der Ausfuhr, Wiedereinfuhrdatum",
        ],
        Key::Box5 => [
            "Issuing authority and country",
            "Autorité de délivrance et pays",
            "Autorità di rilascio e Stato",
            "Ausstellende Behörde und Staat",
        ],
        Key::Box6 => ["Representative", "Représentant", "Rappresentante", "Vertreter"],
        Key::Box7 => ["Owner", "Propriétaire", "Proprietario", "Eigentümer"],
        Key::Box8 => ["Category", "Catégorie", "Categoria", "Kategorie"],
        Key::Box9 => ["Description", "Description", "Descrizione", "Beschreibung"],
        Key::Box10 => ["HS/CN code", "Code SH/NC", "Codice SA/NC", "HS/KN-Code"],
        Key::Box11 => ["Quantity", "Quantité", "Quantità", "Menge"],
        Key::Box12 => ["Value", "Valeur", "Valore", "Wert"],
        Key::Box13 => ["Purpose of export", "Objet de l'exportation", "Scopo dell'esportazione", "Zweck der Ausfuhr"],
        Key::Box14 => ["Title or subject", "Titre ou sujet", "Titolo o soggetto", "Titel oder Gegenstand"],
        Key::Box15 => ["Measurements", "Dimensions", "Dimensioni", "Maße"],
        Key::Box16 => ["Dating", "Datation", "Datazione", "Datierung"],
        Key::Box17 => [
            "Inscriptions, distinguishing features",
            "Inscriptions, signes particuliers",
            "Iscrizioni, segni particolari",
            "Inschriften, besondere Merkmale",
        ],
        Key::Box18 => ["Supporting documents", "Documents joints", "Documenti allegati", "Beigefügte Unterlagen"],
        Key::Box19 => [
            "Artist, period, workshop, style",
            "Auteur, époque, atelier, style",
            "Autore, epoca, bottega, stile",
            "Künstler, Epoche, Werkstatt, Stil",
        ],
        Key::Box20 => {
            ["Materials and techniques", "Matériaux et techniques", "Materiali e tecniche", "Material und Technik"]
        }
        Key::Box21 => [
            "Applicant's declaration",
            "Déclaration du demandeur",
            "Dichiarazione del richiedente",
            "Erklärung des Antragstellers",
        ],
        Key::Box22 => [
            "Issuing authority: seal",
            "Autorité de délivrance : sceau",
            "Autorità di rilascio: sigillo",
            "Ausstellende Behörde: Siegel",
        ],
        Key::Box24 => ["Photographs", "Photographies", "Fotografie", "Fotografien"],
        Key::Box25 => ["Number of pages", "Nombre de pages", "Numero di pagine", "Seitenzahl"],
        Key::ObjectType => ["Object type", "Type d'objet", "Tipo di oggetto", "Objektart"],
        Key::Provenance => ["Provenance", "Provenance", "Provenienza", "Herkunft"],
        Key::Cites => [
            "CITES (protected species)",
            "CITES (espèces protégées)",
            "CITES (specie protette)",
            "CITES (geschützte Arten)",
        ],
        Key::LicenceKind => ["Licence type", "Type de licence", "Tipo di licenza", "Art der Genehmigung"],
        Key::State => ["State when printed", "État à l'impression", "Stato alla stampa", "Status beim Druck"],
        Key::ValidUntil => ["Valid until", "Valable jusqu'au", "Valido fino al", "Gültig bis"],
        Key::Issued => ["Issued", "Délivré le", "Rilasciato il", "Ausgestellt am"],
        Key::Country => ["Country", "Pays", "Stato", "Staat"],
        Key::Destination => ["Destination", "Destination", "Destinazione", "Bestimmungsland"],
        Key::ReimportBy => ["Re-import by", "Réimportation avant le", "Reimportazione entro il", "Wiedereinfuhr bis"],
        Key::Object => ["Object", "Objet", "Oggetto", "Gegenstand"],
        Key::Scan => ["Scan to verify", "Scanner pour vérifier", "Scansionare per verificare", "Zum Prüfen scannen"],
        Key::Page => ["page", "page", "pagina", "Seite"],
        Key::Continued => ["continued", "suite", "segue", "Fortsetzung"],
        Key::PhotoMissing => {
            ["Photo not uploaded", "Photo non téléversée", "Foto non caricata", "Foto nicht hochgeladen"]
        }
        Key::PhotoUnreadable => ["Photo unreadable", "Photo illisible", "Foto illeggibile", "Foto unlesbar"],
        Key::Inscriptions => ["Inscriptions", "Inscriptions", "Iscrizioni", "Inschriften"],
        Key::Features => ["Distinguishing features", "Signes particuliers", "Segni particolari", "Besondere Merkmale"],
        Key::Origin => ["Country of origin", "Pays d'origine", "Paese d'origine", "Ursprungsland"],
        Key::FindPlace => ["Find-spot", "Lieu de découverte", "Luogo di rinvenimento", "Fundort"],
        Key::History => ["History", "Historique", "Storia", "Geschichte"],
        Key::AcquiredBefore => ["Acquired before", "Acquis avant le", "Acquisito prima del", "Erworben vor"],
        Key::Period => ["Period", "Époque", "Epoca", "Epoche"],
        Key::Workshop => ["Workshop", "Atelier", "Bottega", "Werkstatt"],
        Key::Style => ["Style", "Style", "Stile", "Stil"],
        Key::Living => ["living", "vivant", "vivente", "lebend"],
        Key::Signatory => ["Signatory", "Signataire", "Firmatario", "Unterzeichner"],
        Key::PlaceDate => ["Place, date", "Lieu, date", "Luogo, data", "Ort, Datum"],
        Key::Sealed => {
            ["Sealed electronically", "Scellé électroniquement", "Sigillato elettronicamente", "Elektronisch gesiegelt"]
        }
        Key::Supplementary => ["supplementary", "supplémentaires", "supplementari", "zusätzliche"],
        Key::Definitive => ["definitive", "définitive", "definitiva", "endgültig"],
        Key::Temporary => ["temporary", "temporaire", "temporanea", "vorübergehend"],
        Key::Standard => ["standard", "standard", "standard", "Standard"],
        Key::SpecificOpen => ["specific open", "ouverte spécifique", "aperta specifica", "spezifisch offen"],
        Key::GeneralOpen => ["general open", "ouverte générale", "aperta generale", "allgemein offen"],
        Key::Sale => ["sale", "vente", "vendita", "Verkauf"],
        Key::Exhibition => ["exhibition", "exposition", "mostra", "Ausstellung"],
        Key::Loan => ["loan", "prêt", "prestito", "Leihgabe"],
        Key::Restoration => ["restoration", "restauration", "restauro", "Restaurierung"],
        Key::Expertise => ["expertise", "expertise", "perizia", "Begutachtung"],
        Key::Research => ["research", "recherche", "ricerca", "Forschung"],
        Key::Personal => ["personal", "personnel", "personale", "persönlich"],
        Key::Other => ["other", "autre", "altro", "sonstiges"],
        Key::Price => ["price paid", "prix payé", "prezzo pagato", "gezahlter Preis"],
        Key::Estimate => ["estimate", "estimation", "stima", "Schätzung"],
        Key::Bibliography => ["bibliography", "bibliographie", "bibliografia", "Bibliographie"],
        Key::Catalogue => ["catalogue", "catalogue", "catalogo", "Katalog"],
        Key::List => ["list", "liste", "elenco", "Liste"],
        Key::IdentificationMarks => {
            ["identification marks", "marques d'identification", "segni di identificazione", "Kennzeichen"]
        }
        Key::ProofOfValue => ["proof of value", "justificatif de valeur", "prova del valore", "Wertnachweis"],
        Key::Active => ["active", "actif", "attivo", "gültig"],
        Key::Suspended => ["SUSPENDED", "SUSPENDU", "SOSPESO", "AUSGESETZT"],
        Key::Revoked => ["REVOKED", "RÉVOQUÉ", "REVOCATO", "WIDERRUFEN"],
        Key::Used => ["used", "utilisé", "utilizzato", "verwendet"],
        Key::ExportedTemporarily => {
            ["exported temporarily", "exporté temporairement", "esportato temporaneamente", "vorübergehend ausgeführt"]
        }
        Key::Overdue => ["OVERDUE", "EN RETARD", "SCADUTO IL RIENTRO", "ÜBERFÄLLIG"],
        Key::Expired => ["EXPIRED", "EXPIRÉ", "SCADUTO", "ABGELAUFEN"],
    }
}

/// Index in [`term`] of the label language added to English and French.
fn extra_language(tag: &str) -> Option<usize> {
    match tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase().as_str() {
        "it" => Some(2),
        "de" => Some(3),
        _ => None,
    }
}

fn state_key(state: &str) -> Option<Key> {
    Some(match state {
        "active" => Key::Active,
        "suspended" => Key::Suspended,
        "revoked" => Key::Revoked,
        "used" => Key::Used,
        "exported_temporarily" => Key::ExportedTemporarily,
        "overdue" => Key::Overdue,
        "expired" => Key::Expired,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Text: WinAnsi and Helvetica metrics.

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
fn win_ansi(text: &str) -> String {
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
fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = text.chars().map(|c| u32::from(char_width(c, bold))).sum();
    units as f32 / 1000.0 * size / MM_TO_PT
}

/// Breaks `text` (already WinAnsi) into lines no wider than `width` mm; the first line
/// may be narrower (`first_width`, when a prefix precedes it). Words longer than a line
/// are cut.
fn wrap(text: &str, first_width: f32, width: f32, size: f32, bold: bool) -> Vec<String> {
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

fn pt(mm: f32) -> Pt {
    Pt(mm * MM_TO_PT)
}

fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale::new(level, None))
}

fn red() -> Color {
    Color::Rgb(Rgb::new(0.72, 0.05, 0.05, None))
}

// ---------------------------------------------------------------------------------------
// Images.

struct QrImage {
    xobject: XObject,
    width_mm: f32,
}

/// The QR PNG as a grey image XObject, and the width to print it at: 0.55 mm a module
/// (phones read that easily at arm's length), between 50 and 80 mm.
fn qr_image(png: &[u8]) -> Result<QrImage, DocumentError> {
    let image = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .map_err(|error| DocumentError::Qr(error.to_string()))?
        .into_luma8();
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Err(DocumentError::Qr("the image is empty".into()));
    }
    let modules = qr_modules(&image).unwrap_or(105);
    let width_mm = (modules as f32 * 0.55).clamp(50.0, 80.0);
    let dict = BTreeMap::from([
        ("Type".to_owned(), DictItem::Name(b"XObject".to_vec())),
        ("Subtype".to_owned(), DictItem::Name(b"Image".to_vec())),
        ("Width".to_owned(), DictItem::Int(i64::from(width))),
        ("Height".to_owned(), DictItem::Int(i64::from(height))),
        ("ColorSpace".to_owned(), DictItem::Name(b"DeviceGray".to_vec())),
        ("BitsPerComponent".to_owned(), DictItem::Int(8)),
        ("Interpolate".to_owned(), DictItem::Bool(false)),
    ]);
    let xobject = XObject::External(ExternalXObject {
        stream: ExternalStream { dict, content: image.into_raw(), compress: true },
        width: Some(Px(width as usize)),
        height: Some(Px(height as usize)),
        dpi: None,
    });
    Ok(QrImage { xobject, width_mm })
}

/// Modules across the code, quiet zone included, measured on the top-left finder
/// pattern (its top edge is a run of 7 dark modules).
fn qr_modules(image: &image::GrayImage) -> Option<u32> {
    let (width, height) = image.dimensions();
    for y in 0..height {
        if let Some(start) = (0..width).find(|&x| image.get_pixel(x, y).0[0] < 128) {
            let run = (start..width).take_while(|&x| image.get_pixel(x, y).0[0] < 128).count() as u32;
            let module = (run / 7).max(1);
            return Some(width / module);
        }
    }
    None
}

/// How a referenced photo is printed.
enum PhotoSource {
    Image { id: XObjectId, width: u32, height: u32 },
    Missing,
    Unreadable,
}

/// Dimensions and colour components of a baseline or progressive JPEG, from its frame
/// header.
fn jpeg_frame(bytes: &[u8]) -> Option<(u32, u32, u8)> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if matches!(marker, 0xC0..=0xC2) {
            let frame = bytes.get(at + 4..at + 10)?;
            let height = u32::from(u16::from_be_bytes([frame[1], frame[2]]));
            let width = u32::from(u16::from_be_bytes([frame[3], frame[4]]));
            return (width > 0 && height > 0).then_some((width, height, frame[5]));
        }
        if matches!(marker, 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xDA) {
            // Lossless, hierarchical or arithmetic coding, or no frame before the scan.
            return None;
        }
        at += 2 + length;
    }
    None
}

/// A JPEG as an image XObject, embedded as it is when PDF readers can show it directly,
/// re-encoded otherwise. `None` if it cannot be read at all.
fn photo_xobject(jpeg: &[u8]) -> Option<(XObject, u32, u32)> {
    let (bytes, (width, height, components)) = match jpeg_frame(jpeg) {
        Some(frame @ (_, _, 1 | 3)) => (jpeg.to_vec(), frame),
        _ => {
            let image = crate::decode_limited(jpeg).ok()?;
            let bytes = crate::jpeg(&image, 90).ok()?;
            let frame = jpeg_frame(&bytes)?;
            (bytes, frame)
        }
    };
    let space: &[u8] = if components == 1 { b"DeviceGray" } else { b"DeviceRGB" };
    let dict = BTreeMap::from([
        ("Type".to_owned(), DictItem::Name(b"XObject".to_vec())),
        ("Subtype".to_owned(), DictItem::Name(b"Image".to_vec())),
        ("Width".to_owned(), DictItem::Int(i64::from(width))),
        ("Height".to_owned(), DictItem::Int(i64::from(height))),
        ("ColorSpace".to_owned(), DictItem::Name(space.to_vec())),
        ("BitsPerComponent".to_owned(), DictItem::Int(8)),
        ("Filter".to_owned(), DictItem::Name(b"DCTDecode".to_vec())),
    ]);
    let xobject = XObject::External(ExternalXObject {
        stream: ExternalStream { dict, content: bytes, compress: false },
        width: Some(Px(width as usize)),
        height: Some(Px(height as usize)),
        dpi: None,
    });
    Some((xobject, width, height))
}

// ---------------------------------------------------------------------------------------
// Layout.

struct Context<'a> {
    input: &'a DocumentInput,
    extra: Option<usize>,
    qr_id: XObjectId,
    qr_width: f32,
    photos: BTreeMap<&'a str, PhotoSource>,
}

impl Context<'_> {
    /// "English / French" (and the extra language), each once.
    fn label(&self, key: Key) -> String {
        let words = term(key);
        let mut parts: Vec<&str> = vec![words[0]];
        for index in [Some(1), self.extra].into_iter().flatten() {
            if !parts.iter().any(|part| part.eq_ignore_ascii_case(words[index])) {
                parts.push(words[index]);
            }
        }
        parts.join(" / ")
    }
}

/// One paragraph of a box: an optional bold lead-in, then text.
struct Para {
    lead: Option<String>,
    text: String,
    bold: bool,
}

fn para(text: impl Into<String>) -> Para {
    Para { lead: None, text: text.into(), bold: false }
}

fn strong(text: impl Into<String>) -> Para {
    Para { lead: None, text: text.into(), bold: true }
}

fn led(lead: impl Into<String>, text: impl Into<String>) -> Para {
    Para { lead: Some(format!("{}:", lead.into())), text: text.into(), bold: false }
}

/// A labelled box of the form.
struct Cell {
    number: &'static str,
    label: String,
    paras: Vec<Para>,
    share: f32,
}

fn cell(number: &'static str, label: String, paras: Vec<Para>, share: f32) -> Cell {
    Cell { number, label, paras, share }
}

/// A wrapped line of a box.
struct Wrapped {
    lead: Option<String>,
    text: String,
    bold: bool,
    /// Left indent in millimetres (the continuation lines of a bulleted item).
    indent: f32,
}

struct Layout<'a> {
    context: &'a Context<'a>,
    total: usize,
    pages: Vec<Vec<Op>>,
    y: f32,
    /// Texts that did not fit their width (a bug if ever non-empty).
    overflows: Vec<String>,
}

impl<'a> Layout<'a> {
    fn run(context: &'a Context<'a>, total: usize) -> Self {
        let mut layout = Layout { context, total, pages: Vec::new(), y: FIRST_TOP, overflows: Vec::new() };
        layout.start_page();
        layout.first_page_head();
        layout.parties();
        let objects = &context.input.certificate.application.objects;
        for (index, object) in objects.iter().enumerate() {
            layout.object(index, objects.len(), object);
        }
        layout.closing();
        layout.bar_unused();
        layout
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page is started first")
    }

    // Drawing primitives, in millimetres from the top-left corner.

    fn text(&mut self, (x, baseline): (f32, f32), size: f32, bold: bool, color: Color, text: &str, max_width: f32) {
        let text = win_ansi(text);
        if text.is_empty() {
            return;
        }
        if text_width(&text, size, bold) > max_width + 0.01 {
            self.overflows.push(text.clone());
        }
        let font = if bold { BuiltinFont::HelveticaBold } else { BuiltinFont::Helvetica };
        let ops = self.ops();
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFillColor { col: color });
        ops.push(Op::SetFont { font: PdfFontHandle::Builtin(font), size: Pt(size) });
        ops.push(Op::SetTextCursor { pos: Point { x: pt(x), y: pt(PAGE_H - baseline) } });
        ops.push(Op::ShowText { items: vec![TextItem::Text(text)] });
        ops.push(Op::EndTextSection);
    }

    fn centred(&mut self, x: f32, width: f32, baseline: f32, size: f32, bold: bool, text: &str) {
        let shown = win_ansi(text);
        let left = x + ((width - text_width(&shown, size, bold)) / 2.0).max(0.0);
        self.text((left, baseline), size, bold, grey(0.0), &shown, width);
    }

    fn rect(&mut self, x: f32, top: f32, width: f32, height: f32, stroke: Option<(f32, f32)>, fill: Option<f32>) {
        let mode = match (stroke, fill) {
            (Some(_), Some(_)) => PaintMode::FillStroke,
            (Some(_), None) => PaintMode::Stroke,
            (None, _) => PaintMode::Fill,
        };
        let ops = self.ops();
        if let Some(level) = fill {
            ops.push(Op::SetFillColor { col: grey(level) });
        }
        if let Some((level, thickness)) = stroke {
            ops.push(Op::SetOutlineColor { col: grey(level) });
            ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        }
        let mut rectangle = Rect::from_xywh(pt(x), pt(PAGE_H - top - height), pt(width), pt(height));
        rectangle.mode = Some(mode);
        ops.push(Op::DrawRectangle { rectangle });
    }

    fn line(&mut self, from: (f32, f32), to: (f32, f32), level: f32, thickness: f32, dashed: bool) {
        let ops = self.ops();
        ops.push(Op::SaveGraphicsState);
        ops.push(Op::SetOutlineColor { col: grey(level) });
        ops.push(Op::SetOutlineThickness { pt: Pt(thickness) });
        if dashed {
            ops.push(Op::SetLineDashPattern { dash: LineDashPattern::new(0.0, &[3.0, 2.0]) });
        }
        let point = |(x, y): (f32, f32)| LinePoint { p: Point { x: pt(x), y: pt(PAGE_H - y) }, bezier: false };
        ops.push(Op::DrawLine { line: Line { points: vec![point(from), point(to)], is_closed: false } });
        ops.push(Op::RestoreGraphicsState);
    }

    fn image(&mut self, id: &XObjectId, x: f32, top: f32, width: f32, height: f32) {
        let transform = XObjectTransform {
            translate_x: Some(pt(x)),
            translate_y: Some(pt(PAGE_H - top - height)),
            scale_x: Some(pt(width).0),
            scale_y: Some(pt(height).0),
            no_auto_scale: true,
            ..Default::default()
        };
        self.ops().push(Op::UseXobject { id: id.clone(), transform });
    }

    // Pages.

    fn start_page(&mut self) {
        self.pages.push(Vec::new());
        let index = self.pages.len();
        let context = self.context;
        let number = context.input.certificate.number.clone();
        if index > 1 {
            let title = format!("{} / {}", term(Key::Title)[0], term(Key::Title)[1]);
            let width = CONTENT_W - 40.0;
            self.text((MARGIN_X, 10.0), 7.0, false, grey(0.35), &title, width);
            let right = MARGIN_X + CONTENT_W - text_width(&number, 9.0, true);
            self.text((right, 10.0), 9.0, true, grey(0.0), &number, 40.0);
            self.line((MARGIN_X, 12.0), (MARGIN_X + CONTENT_W, 12.0), 0.5, 0.5, false);
        }
        // Footer: the number and "page N / M" on every page.
        self.line((MARGIN_X, 284.0), (MARGIN_X + CONTENT_W, 284.0), 0.5, 0.5, false);
        self.text((MARGIN_X, 288.5), 8.0, true, grey(0.0), &number, 50.0);
        let middle = format!("{} / {}", term(Key::Scan)[0], term(Key::Scan)[1]) + ": QR, " + &page_word(context, 1);
        self.centred(MARGIN_X + 50.0, CONTENT_W - 100.0, 288.5, 6.5, false, &middle);
        // "page" is the same word in English and French.
        let page = format!("page {index} / {}", self.total);
        let right = MARGIN_X + CONTENT_W - text_width(&win_ansi(&page), 8.0, false);
        self.text((right, 288.5), 8.0, false, grey(0.0), &page, 50.0);
        self.y = if index > 1 { CONTINUATION_TOP } else { FIRST_TOP };
    }

    /// Bars the unused space at the foot of the current page (EU form: "unused space must
    /// be barred"), so nothing can be added there.
    fn bar_unused(&mut self) {
        if BODY_BOTTOM - self.y > 15.0 {
            let top = self.y + 2.0;
            self.line((MARGIN_X, top), (MARGIN_X + CONTENT_W, BODY_BOTTOM), 0.6, 0.5, false);
        }
    }

    fn new_page(&mut self) {
        self.bar_unused();
        self.start_page();
    }

    /// Room left on the page.
    fn room(&self) -> f32 {
        BODY_BOTTOM - self.y
    }

    // Boxes.

    fn wrap_cell(&self, cell: &Cell, width: f32) -> (Vec<String>, Vec<Wrapped>, f32) {
        let inner = width - 2.0 * PAD_X;
        let indent = if cell.number.is_empty() { 0.0 } else { text_width(cell.number, NUMBER_SIZE, true) + 1.2 };
        let label = win_ansi(&cell.label);
        let labels = wrap(&label, inner - indent, inner - indent, LABEL_SIZE, false);
        let mut lines = Vec::new();
        for para in &cell.paras {
            let text = win_ansi(&para.text);
            match &para.lead {
                Some(lead) => {
                    let lead = win_ansi(lead);
                    let lead_width = text_width(&lead, BODY_SIZE, true) + text_width(" ", BODY_SIZE, false);
                    if lead_width > inner * 0.72 {
                        // A long lead-in gets its own line(s).
                        for part in wrap(&lead, inner, inner, BODY_SIZE, true) {
                            lines.push(Wrapped { lead: None, text: part, bold: true, indent: 0.0 });
                        }
                        for part in wrap(&text, inner, inner, BODY_SIZE, false) {
                            lines.push(Wrapped { lead: None, text: part, bold: false, indent: 0.0 });
                        }
                    } else {
                        for (index, part) in
                            wrap(&text, inner - lead_width, inner, BODY_SIZE, false).into_iter().enumerate()
                        {
                            let lead = (index == 0).then(|| lead.clone());
                            lines.push(Wrapped { lead, text: part, bold: false, indent: 0.0 });
                        }
                    }
                }
                None => {
                    // A bulleted item hangs: its continuation lines start under its text.
                    let hang = if text.starts_with("• ") { text_width("• ", BODY_SIZE, para.bold) } else { 0.0 };
                    for (index, part) in wrap(&text, inner, inner - hang, BODY_SIZE, para.bold).into_iter().enumerate()
                    {
                        let indent = if index == 0 { 0.0 } else { hang };
                        lines.push(Wrapped { lead: None, text: part, bold: para.bold, indent });
                    }
                }
            }
        }
        if lines.iter().all(|line| line.text.is_empty() && line.lead.is_none()) {
            lines = vec![Wrapped { lead: None, text: "\u{2014}".into(), bold: false, indent: 0.0 }];
        }
        (labels, lines, indent)
    }

    /// A row of boxes across `width` mm from `x`; splits across pages when taller than
    /// what is left, repeating the labels marked "continued".
    fn row_at(&mut self, x: f32, width: f32, cells: &[Cell]) {
        let total_share: f32 = cells.iter().map(|cell| cell.share).sum();
        let widths: Vec<f32> = cells.iter().map(|cell| width * cell.share / total_share).collect();
        let wrapped: Vec<_> = cells.iter().zip(&widths).map(|(cell, width)| self.wrap_cell(cell, *width)).collect();
        let continued = format!(" ({})", self.context.label(Key::Continued));
        let mut next = vec![0usize; cells.len()];
        let mut first = true;
        loop {
            let headers: Vec<f32> =
                wrapped.iter().map(|(labels, _, _)| PAD_TOP + labels.len().max(1) as f32 * LABEL_LEAD + 0.7).collect();
            let header = headers.iter().copied().fold(0.0, f32::max);
            let left = wrapped.iter().zip(&next).map(|((_, lines, _), start)| lines.len() - start).max().unwrap_or(0);
            let needed = header + left as f32 * BODY_LEAD + PAD_BOTTOM;
            let fresh = BODY_BOTTOM - CONTINUATION_TOP;
            let fits = if needed <= self.room() {
                left
            } else if needed <= fresh && first {
                // The whole row fits on a fresh page: move it there rather than split it.
                self.new_page();
                continue;
            } else {
                let lines = ((self.room() - header - PAD_BOTTOM) / BODY_LEAD).floor().max(0.0) as usize;
                if lines < 2 && self.y > CONTINUATION_TOP {
                    self.new_page();
                    continue;
                }
                lines.clamp(1, left.max(1))
            };
            let height = header + fits as f32 * BODY_LEAD + PAD_BOTTOM;
            let top = self.y;
            let mut left_x = x;
            for (index, cell) in cells.iter().enumerate() {
                let (labels, lines, indent) = &wrapped[index];
                let width = widths[index];
                self.rect(left_x, top, width, height, Some((0.45, 0.6)), None);
                if !cell.number.is_empty() {
                    self.text((left_x + PAD_X, top + PAD_TOP + 2.1), NUMBER_SIZE, true, grey(0.0), cell.number, width);
                }
                let label_x = left_x + PAD_X + indent;
                let label_width = width - 2.0 * PAD_X - indent;
                for (line_index, label) in labels.iter().enumerate() {
                    let baseline = top + PAD_TOP + 2.0 + line_index as f32 * LABEL_LEAD;
                    let mut shown = label.clone();
                    if !first && line_index + 1 == labels.len() {
                        shown.push_str(&continued);
                        // The marker may not fit a narrow box: only then is it dropped.
                        if text_width(&win_ansi(&shown), LABEL_SIZE, false) > label_width {
                            shown = label.clone();
                        }
                    }
                    self.text((label_x, baseline), LABEL_SIZE, false, grey(0.3), &shown, label_width);
                }
                let start = next[index];
                let end = (start + fits).min(lines.len());
                for (line_index, line) in lines[start..end].iter().enumerate() {
                    let baseline = top + header + line_index as f32 * BODY_LEAD + 2.6;
                    let mut text_x = left_x + PAD_X + line.indent;
                    let inner = width - 2.0 * PAD_X;
                    if let Some(lead) = &line.lead {
                        self.text((text_x, baseline), BODY_SIZE, true, grey(0.0), lead, inner);
                        text_x += text_width(lead, BODY_SIZE, true) + text_width(" ", BODY_SIZE, false);
                    }
                    let room = inner - (text_x - left_x - PAD_X);
                    self.text((text_x, baseline), BODY_SIZE, line.bold, grey(0.0), &line.text, room);
                }
                next[index] = end;
                left_x += width;
            }
            self.y = top + height;
            first = false;
            if fits >= left {
                break;
            }
            self.new_page();
        }
    }

    fn row(&mut self, cells: &[Cell]) {
        self.row_at(MARGIN_X, CONTENT_W, cells);
    }

    // Sections.

    /// Page 1: title, boxes 2 and 5 and the state beside the QR code.
    fn first_page_head(&mut self) {
        let context = self.context;
        let certificate = &context.input.certificate;
        let application = &certificate.application;
        let qr_width = context.qr_width;
        let column = CONTENT_W - qr_width - 4.0;
        let qr_x = MARGIN_X + CONTENT_W - qr_width;

        // The seal, top right.
        self.image(&context.qr_id, qr_x, FIRST_TOP, qr_width, qr_width);
        let mut caption_y = FIRST_TOP + qr_width + 1.0;
        let scan = win_ansi(&context.label(Key::Scan));
        for line in wrap(&scan, qr_width, qr_width, 8.0, true) {
            caption_y += 3.4;
            self.centred(qr_x, qr_width, caption_y, 8.0, true, &line);
        }
        caption_y += 5.0;
        self.centred(qr_x, qr_width, caption_y, 11.0, true, &certificate.number);
        let qr_bottom = caption_y + 2.0;

        // Title, left.
        let mut y = FIRST_TOP + 4.5;
        let words = term(Key::Title);
        let mut titles = vec![(words[0], 14.0, true), (words[1], 12.0, false)];
        if let Some(extra) = context.extra {
            titles.push((words[extra], 12.0, false));
        }
        for (title, size, bold) in titles {
            for line in wrap(&win_ansi(title), column, column, size, bold) {
                self.text((MARGIN_X, y), size, bold, grey(0.0), &line, column);
                y += size / MM_TO_PT * 1.25;
            }
        }
        let subtitle = win_ansi(&format!("{} / {}", term(Key::Subtitle)[0], term(Key::Subtitle)[1]));
        for line in wrap(&subtitle, column, column, 6.5, false) {
            self.text((MARGIN_X, y), 6.5, false, grey(0.35), &line, column);
            y += 2.8;
        }
        self.y = y + 1.5;

        let state = context.input.state.as_str();
        let state_text = match state_key(state) {
            Some(key) => context.label(key),
            None => state.to_owned(),
        };
        let licence = match application.licence_type {
            LicenceType::Standard => Key::Standard,
            LicenceType::SpecificOpen => Key::SpecificOpen,
            LicenceType::GeneralOpen => Key::GeneralOpen,
        };
        let cells = [
            cell(
                "2",
                context.label(Key::Box2),
                vec![
                    strong(certificate.number.clone()),
                    led(context.label(Key::ValidUntil), application.valid_until.to_string()),
                    led(context.label(Key::Issued), certificate.issue_date.to_string()),
                ],
                1.3,
            ),
            cell(
                "",
                format!("{} · {}", context.label(Key::LicenceKind), context.label(Key::State)),
                vec![para(context.label(licence)), strong(state_text)],
                1.0,
            ),
        ];
        self.row_at(MARGIN_X, column, &cells);
        if !matches!(state, "active" | "exported_temporarily" | "used") {
            // Not a certificate to export with: say so in red across the top.
            let warning = win_ansi(&format!("{}: {}", context.label(Key::State), context.input.state.to_uppercase()));
            for line in wrap(&warning, column, column, 10.0, true) {
                self.y += 4.2;
                self.text((MARGIN_X, self.y), 10.0, true, red(), &line, column);
            }
            self.y += 1.5;
        }
        let authority = &application.issuing_authority;
        let mut paras = vec![strong(authority.name.clone())];
        if let Some(address) = &authority.address {
            paras.push(para(address.clone()));
        }
        paras.push(led(context.label(Key::Country), authority.country.clone()));
        if let Some(id) = &authority.id {
            paras.push(led("ID", id.clone()));
        }
        self.row_at(MARGIN_X, column, &[cell("5", context.label(Key::Box5), paras, 1.0)]);
        self.y = self.y.max(qr_bottom) + GAP;
    }

    /// Boxes 1, 3, 4, 6, 7 and 13.
    fn parties(&mut self) {
        let context = self.context;
        let application = &context.input.certificate.application;
        let mut consignee = party(context, &application.consignee);
        consignee.push(led(context.label(Key::Destination), application.destination_country.clone()));
        self.row(&[
            cell("1", context.label(Key::Box1), party(context, &application.applicant), 1.0),
            cell("3", context.label(Key::Box3), consignee, 1.0),
        ]);
        let mut export = vec![strong(context.label(match application.export_type {
            ExportType::Definitive => Key::Definitive,
            ExportType::Temporary => Key::Temporary,
        }))];
        if let Some(date) = application.reimport_due_date {
            export.push(led(context.label(Key::ReimportBy), date.to_string()));
        }
        let representative = application.representative.as_ref().map(|p| party(context, p)).unwrap_or_default();
        self.row(&[
            cell("4", context.label(Key::Box4), export, 1.0),
            cell("6", context.label(Key::Box6), representative, 1.0),
        ]);
        let owner = application.owner.as_ref().map(|p| party(context, p)).unwrap_or_default();
        let purpose = match application.purpose {
            Purpose::Sale => Key::Sale,
            Purpose::Exhibition => Key::Exhibition,
            Purpose::Loan => Key::Loan,
            Purpose::Restoration => Key::Restoration,
            Purpose::Expertise => Key::Expertise,
            Purpose::Research => Key::Research,
            Purpose::Personal => Key::Personal,
            Purpose::Other => Key::Other,
        };
        self.row(&[
            cell("7", context.label(Key::Box7), owner, 1.0),
            cell("13", context.label(Key::Box13), vec![strong(context.label(purpose))], 1.0),
        ]);
        self.y += GAP;
    }

    /// Boxes 8 to 20 and 24 of one object.
    fn object(&mut self, index: usize, count: usize, object: &CulturalObject) {
        let context = self.context;
        // The heading stays with the object's first boxes.
        if self.room() < 40.0 {
            self.new_page();
        }
        let heading = format!(
            "{} {} / {} \u{2014} {}",
            context.label(Key::Object),
            index + 1,
            count,
            object.title.clone().unwrap_or_else(|| object.object_type.join(" / "))
        );
        let heading = win_ansi(&heading);
        let lines = wrap(&heading, CONTENT_W - 4.0, CONTENT_W - 4.0, 9.5, true);
        let lines: Vec<String> = lines.into_iter().take(2).collect();
        let height = 2.0 + lines.len() as f32 * 4.2;
        self.rect(MARGIN_X, self.y, CONTENT_W, height, None, Some(0.88));
        for (line_index, line) in lines.iter().enumerate() {
            let baseline = self.y + 4.3 + line_index as f32 * 4.2;
            self.text((MARGIN_X + 2.0, baseline), 9.5, true, grey(0.0), line, CONTENT_W - 4.0);
        }
        self.y += height;

        let value = &object.value;
        let basis = context.label(match value.basis {
            ValueBasis::Price => Key::Price,
            ValueBasis::Estimate => Key::Estimate,
        });
        let mut value_paras = vec![strong(format!("{} {}", grouped(&value.amount), value.currency))];
        value_paras.push(para(match value.date {
            Some(date) => format!("{basis}, {date}"),
            None => basis,
        }));
        self.row(&[
            cell("8", context.label(Key::Box8), vec![strong(object.category_codes.join(", "))], 0.26),
            cell("10", context.label(Key::Box10), vec![strong(object.hs_code.clone())], 0.17),
            cell("11", context.label(Key::Box11), vec![strong(object.quantity.to_string())], 0.17),
            cell("12", context.label(Key::Box12), value_paras, 0.40),
        ]);
        self.row(&[
            cell("14", context.label(Key::Box14), object.title.iter().map(|t| strong(t.clone())).collect(), 0.55),
            cell("", context.label(Key::ObjectType), vec![para(object.object_type.join(" / "))], 0.45),
        ]);
        self.row(&[cell("9", context.label(Key::Box9), vec![para(object.description.clone())], 1.0)]);
        let dating = &object.dating;
        self.row(&[
            cell("15", context.label(Key::Box15), vec![para(object.dimensions_text())], 0.5),
            cell(
                "16",
                context.label(Key::Box16),
                vec![
                    strong(dating.text.clone()),
                    para(format!("{} - {}", year(dating.earliest_year), year(dating.latest_year))),
                ],
                0.5,
            ),
        ]);
        let mut maker = Vec::new();
        if let Some(found) = &object.maker {
            let name = match found.living {
                Some(true) => format!("{} ({})", found.name, context.label(Key::Living)),
                _ => found.name.clone(),
            };
            maker.push(strong(name));
            for (key, text) in
                [(Key::Period, &found.period), (Key::Workshop, &found.workshop), (Key::Style, &found.style)]
            {
                if let Some(text) = text {
                    maker.push(led(context.label(key), text.clone()));
                }
            }
        }
        let materials = object.materials_techniques.iter().map(|m| para(format!("• {m}"))).collect();
        self.row(&[
            cell("19", context.label(Key::Box19), maker, 0.5),
            cell("20", context.label(Key::Box20), materials, 0.5),
        ]);
        let mut marks = Vec::new();
        if let Some(text) = &object.inscriptions {
            marks.push(led(context.label(Key::Inscriptions), text.clone()));
        }
        if let Some(text) = &object.distinguishing_features {
            marks.push(led(context.label(Key::Features), text.clone()));
        }
        self.row(&[cell("17", context.label(Key::Box17), marks, 1.0)]);
        let mut provenance = Vec::new();
        if let Some(found) = &object.provenance {
            if let Some(country) = &found.origin_country {
                provenance.push(led(context.label(Key::Origin), country.clone()));
            }
            if let Some(place) = &found.find_place {
                provenance.push(led(context.label(Key::FindPlace), place.clone()));
            }
            if let Some(history) = found.history.as_ref().filter(|history| !history.is_empty()) {
                provenance.push(strong(format!("{}:", context.label(Key::History))));
                provenance.extend(history.iter().map(|entry| para(format!("• {entry}"))));
            }
        }
        self.row(&[cell("", context.label(Key::Provenance), provenance, 1.0)]);
        let mut cites = Vec::new();
        if let Some(found) = &object.cites {
            cites.push(strong(found.species.clone()));
            if let Some(date) = found.acquired_before {
                cites.push(led(context.label(Key::AcquiredBefore), date.to_string()));
            }
            if let Some(reference) = &found.doc_ref {
                cites.push(led("Document", reference.clone()));
            }
        }
        let documents = object
            .documents
            .iter()
            .flatten()
            .map(|document| {
                let kind = context.label(match document.kind {
                    DocumentKind::Bibliography => Key::Bibliography,
                    DocumentKind::Catalogue => Key::Catalogue,
                    DocumentKind::List => Key::List,
                    DocumentKind::IdentificationMarks => Key::IdentificationMarks,
                    DocumentKind::ProofOfValue => Key::ProofOfValue,
                    DocumentKind::Other => Key::Other,
                });
                led(format!("• {kind}"), document.reference.clone())
            })
            .collect();
        self.row(&[
            cell("", context.label(Key::Cites), cites, 0.4),
            cell("18", context.label(Key::Box18), documents, 0.6),
        ]);
        self.photos(object);
        self.y += GAP + 1.0;
    }

    /// Box 24: each photo at least 9 × 12 cm when the page allows, two abreast when both
    /// fit in half the width; a photo not uploaded is an empty frame with its hash.
    fn photos(&mut self, object: &CulturalObject) {
        let context = self.context;
        struct Item<'p> {
            index: usize,
            source: &'p PhotoSource,
            sha256: &'p str,
            caption: Option<&'p str>,
            width: f32,
            height: f32,
        }
        let missing = PhotoSource::Missing;
        let items: Vec<Item<'_>> = object
            .photos
            .iter()
            .enumerate()
            .map(|(index, photo)| {
                let source = context.photos.get(photo.sha256.as_str()).unwrap_or(&missing);
                let (width, height) = match source {
                    PhotoSource::Image { width, height, .. } => photo_size(*width as f32, *height as f32),
                    _ => (PHOTO_HALF_W, MISSING_PHOTO_H),
                };
                Item { index, source, sha256: &photo.sha256, caption: photo.caption.as_deref(), width, height }
            })
            .collect();
        let mut rows: Vec<Vec<&Item<'_>>> = Vec::new();
        let mut pending = items.iter().peekable();
        while let Some(item) = pending.next() {
            let half = |item: &Item<'_>| item.width <= PHOTO_HALF_W + 0.01;
            match pending.peek() {
                Some(next) if half(item) && half(next) => rows.push(vec![item, pending.next().expect("peeked")]),
                _ => rows.push(vec![item]),
            }
        }

        let label = context.label(Key::Box24);
        let header_height = 5.0;
        let mut frame_top = self.y;
        let caption_lines = |item: &Item<'_>| {
            let caption = win_ansi(&format!("{}. {}", item.index + 1, item.caption.unwrap_or("")));
            let hash = format!("SHA-256 {}", item.sha256);
            (wrap(&caption, item.width, item.width, 7.0, false), wrap(&hash, item.width, item.width, 5.5, false))
        };
        let header = |layout: &mut Self, first: bool| {
            let top = layout.y;
            layout.text((MARGIN_X + PAD_X, top + PAD_TOP + 2.1), NUMBER_SIZE, true, grey(0.0), "24", CONTENT_W);
            let indent = text_width("24", NUMBER_SIZE, true) + 1.2;
            let shown = if first { label.clone() } else { format!("{label} ({})", context.label(Key::Continued)) };
            layout.text(
                (MARGIN_X + PAD_X + indent, top + PAD_TOP + 2.0),
                LABEL_SIZE,
                false,
                grey(0.3),
                &shown,
                CONTENT_W - 2.0 * PAD_X - indent,
            );
            layout.y += header_height;
        };
        let close = |layout: &mut Self, top: f32| {
            let height = layout.y - top;
            layout.rect(MARGIN_X, top, CONTENT_W, height, Some((0.45, 0.6)), None);
        };
        let row_height = |row: &Vec<&Item<'_>>| {
            row.iter()
                .map(|item| {
                    let (caption, hash) = caption_lines(item);
                    item.height + 1.5 + caption.len() as f32 * 3.0 + hash.len() as f32 * 2.4 + 2.5
                })
                .fold(0.0, f32::max)
        };
        if self.room() < header_height + rows.first().map(&row_height).unwrap_or(0.0) {
            self.new_page();
            frame_top = self.y;
        }
        header(self, true);
        for row in &rows {
            let height = row_height(row);
            if height > self.room() {
                close(self, frame_top);
                self.new_page();
                frame_top = self.y;
                header(self, false);
            }
            let top = self.y;
            let mut x = MARGIN_X + PAD_X;
            let inner = CONTENT_W - 2.0 * PAD_X;
            if row.len() == 1 && row[0].width > PHOTO_HALF_W {
                x += (inner - row[0].width) / 2.0;
            }
            for item in row {
                let width = item.width.min(inner);
                match item.source {
                    PhotoSource::Image { id, .. } => {
                        self.image(id, x, top, width, item.height);
                        self.rect(x, top, width, item.height, Some((0.3, 0.4)), None);
                    }
                    source => {
                        self.rect(x, top, width, item.height, None, Some(0.95));
                        let ops = self.ops();
                        ops.push(Op::SaveGraphicsState);
                        ops.push(Op::SetLineDashPattern { dash: LineDashPattern::new(0.0, &[3.0, 2.0]) });
                        self.rect(x, top, width, item.height, Some((0.4, 0.6)), None);
                        self.ops().push(Op::RestoreGraphicsState);
                        let key = if matches!(source, PhotoSource::Unreadable) {
                            Key::PhotoUnreadable
                        } else {
                            Key::PhotoMissing
                        };
                        let message = win_ansi(&context.label(key));
                        let lines = wrap(&message, width - 4.0, width - 4.0, 8.0, true);
                        let mut baseline = top + item.height / 2.0 - (lines.len() as f32 - 1.0) * 1.8 + 1.0;
                        for line in lines {
                            self.centred(x + 2.0, width - 4.0, baseline, 8.0, true, &line);
                            baseline += 3.6;
                        }
                    }
                }
                let (caption, hash) = caption_lines(item);
                let mut baseline = top + item.height + 1.5 + 2.4;
                for line in caption {
                    self.text((x, baseline), 7.0, false, grey(0.0), &line, width);
                    baseline += 3.0;
                }
                for line in hash {
                    self.text((x, baseline - 0.4), 5.5, false, grey(0.35), &line, width);
                    baseline += 2.4;
                }
                x += width + GAP;
            }
            self.y = top + height;
        }
        close(self, frame_top);
    }

    /// Boxes 21, 22 and 25.
    fn closing(&mut self) {
        let context = self.context;
        let certificate = &context.input.certificate;
        let declaration = &certificate.application.declaration;
        let mut paras =
            vec![led(context.label(Key::PlaceDate), format!("{}, {}", declaration.place, declaration.date))];
        let signatory = match &declaration.signatory.role {
            Some(role) => format!("{}, {role}", declaration.signatory.name),
            None => declaration.signatory.name.clone(),
        };
        paras.push(led(context.label(Key::Signatory), signatory));
        if let Some(text) = &declaration.text {
            paras.push(para(text.clone()));
        }
        if self.room() < 60.0 {
            self.new_page();
        }
        self.row(&[cell("21", context.label(Key::Box21), paras, 1.0)]);
        let authority = &certificate.application.issuing_authority;
        let sealed = vec![
            strong(format!("{}, {}", context.label(Key::Sealed), certificate.issue_date)),
            para(format!("{} ({})", authority.name, authority.country)),
            para(format!(
                "QR, {}: {} / {}",
                page_word(context, 1),
                term(Key::Scan)[0].to_lowercase(),
                term(Key::Scan)[1].to_lowercase()
            )),
        ];
        let pages = vec![
            strong(format!("{}", self.total)),
            para(format!("1 + {} {}", self.total.saturating_sub(1), context.label(Key::Supplementary))),
        ];
        self.row(&[
            cell("22", context.label(Key::Box22), sealed, 0.68),
            cell("25", context.label(Key::Box25), pages, 0.32),
        ]);
    }
}

/// "page 1" in the label languages.
fn page_word(context: &Context<'_>, page: usize) -> String {
    format!("{} {page}", context.label(Key::Page))
}

/// Boxes 1, 3, 6, 7: name, address, country.
fn party(context: &Context<'_>, party: &Party) -> Vec<Para> {
    vec![
        strong(party.name.clone()),
        para(party.address.clone()),
        led(context.label(Key::Country), party.country.clone()),
    ]
}

/// "420000.00" as "420 000.00" (non-breaking spaces between thousands).
fn grouped(amount: &str) -> String {
    let (whole, fraction) = amount.split_once('.').map_or((amount, None), |(w, f)| (w, Some(f)));
    let digits: Vec<char> = whole.chars().collect();
    let mut out = String::new();
    for (index, digit) in digits.iter().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push('\u{A0}');
        }
        out.push(*digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// A year, with BCE for negative years.
fn year(year: i32) -> String {
    if year < 0 { format!("{} BCE", -i64::from(year)) } else { year.to_string() }
}

/// Printed size of a photo of `width` × `height` pixels: at least 9 × 12 cm in its own
/// orientation, at most the content width and [`PHOTO_MAX_H`] high.
fn photo_size(width: f32, height: f32) -> (f32, f32) {
    let aspect = width / height;
    let (mut w, mut h) = if aspect >= 1.0 {
        let w = PHOTO_LONG_MIN.max(PHOTO_SHORT_MIN * aspect);
        (w, w / aspect)
    } else {
        let h = PHOTO_LONG_MIN.max(PHOTO_SHORT_MIN / aspect);
        (h * aspect, h)
    };
    let inner = CONTENT_W - 2.0 * PAD_X;
    if w > inner {
        h *= inner / w;
        w = inner;
    }
    if h > PHOTO_MAX_H {
        w *= PHOTO_MAX_H / h;
        h = PHOTO_MAX_H;
    }
    (w, h)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use cartouche_model::Application;

    fn example(name: &str) -> Application {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/examples").join(name);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn certificate(application: Application) -> Certificate {
        Certificate {
            number: "FR-2026-000042".into(),
            issue_date: time::macros::date!(2026 - 11 - 21),
            issued_at: time::macros::datetime!(2026-11-21 10:00 UTC),
            application,
            rule_evaluations: Vec::new(),
        }
    }

    fn qr_png() -> Vec<u8> {
        // A stand-in code: a finder-like square in a quiet zone, 8 px a module.
        let image = image::GrayImage::from_fn(840, 840, |x, y| {
            let (mx, my) = (x / 8, y / 8);
            let dark = (4..11).contains(&mx) && (4..11).contains(&my);
            image::Luma([if dark { 0 } else { 255 }])
        });
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn photo(width: u32, height: u32) -> Vec<u8> {
        let image = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
        }));
        crate::jpeg(&image, 85).unwrap()
    }

    fn input(application: Application, photos: BTreeMap<String, Vec<u8>>) -> DocumentInput {
        let language = application.language.clone();
        DocumentInput {
            certificate: certificate(application),
            qr_png: qr_png(),
            photos,
            state: "active".into(),
            language,
        }
    }

    fn layout_of(input: &DocumentInput) -> (usize, Vec<String>) {
        let context = Context {
            input,
            extra: extra_language(&input.language),
            qr_id: XObjectId("QrSeal".into()),
            qr_width: 58.0,
            photos: BTreeMap::new(),
        };
        let layout = Layout::run(&context, 9);
        (layout.pages.len(), layout.overflows)
    }

    #[test]
    fn helvetica_widths_and_wrapping_stay_inside_the_box() {
        assert!((text_width("W", 10.0, false) - 9.44 / MM_TO_PT).abs() < 1e-4);
        assert_eq!(text_width("é", 10.0, false), text_width("e", 10.0, false));
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
    fn photo_sizes_meet_the_nine_by_twelve_minimum() {
        let (w, h) = photo_size(1600.0, 1200.0);
        assert!((w - 120.0).abs() < 0.01 && (h - 90.0).abs() < 0.01, "{w} × {h}");
        let (w, h) = photo_size(900.0, 1200.0);
        assert!((w - 90.0).abs() < 0.01 && (h - 120.0).abs() < 0.01, "{w} × {h}");
        assert!(w <= PHOTO_HALF_W, "portrait photos go two abreast");
        let (w, h) = photo_size(6000.0, 1000.0);
        assert!(w <= CONTENT_W && h < 90.0, "a panorama is limited by the page width: {w} × {h}");
    }

    #[test]
    fn every_example_lays_out_without_overflow_and_many_objects_continue() {
        for name in [
            "fr-painting-to-us.json",
            "it-archaeology-temporary-ch.json",
            "de-manuscript.json",
            "gb-sculpture.json",
            "ch-watch-collection.json",
            "us-photograph-archive.json",
            "fr-violin-bow-cites-jp.json",
        ] {
            let (pages, overflows) = layout_of(&input(example(name), BTreeMap::new()));
            assert!(overflows.is_empty(), "{name}: {overflows:?}");
            assert!(pages >= 1, "{name}");
        }
        let mut many = example("fr-painting-to-us.json");
        let object = many.objects[0].clone();
        many.objects.extend(std::iter::repeat_n(object, 12));
        many.objects[3].description = "Très long texte. ".repeat(235);
        let (pages, overflows) = layout_of(&input(many, BTreeMap::new()));
        assert!(overflows.is_empty(), "{overflows:?}");
        assert!(pages >= 6, "13 objects take continuation pages, got {pages}");
    }

    #[test]
    fn the_pdf_embeds_photos_as_jpeg_and_labels_in_the_certificate_language() {
        let mut application = example("it-archaeology-temporary-ch.json");
        let sha = application.objects[0].photos[0].sha256.clone();
        let photos = BTreeMap::from([(sha, photo(900, 1200))]);
        let pdf = certificate_pdf(&input(application.clone(), photos.clone())).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.windows(9).any(|w| w == b"DCTDecode"), "the JPEG is embedded as it is");
        assert!(pdf.windows(9).any(|w| w == b"Helvetica"), "built-in font, no font file");
        assert!(!pdf.windows(8).any(|w| w == b"FontFile"));
        application.language = "fr".into();
        let again = certificate_pdf(&input(application, photos)).unwrap();
        assert!(again.len() > 10_000);
        let error = certificate_pdf(&DocumentInput {
            qr_png: b"not a png".to_vec(),
            ..input(example("gb-sculpture.json"), BTreeMap::new())
        });
        assert!(matches!(error, Err(DocumentError::Qr(_))));
    }

    #[test]
    fn the_label_table_adds_italian_or_german_only_for_those_languages() {
        let application = example("gb-sculpture.json");
        let base = input(application, BTreeMap::new());
        for (language, expected) in [
            ("en", "Applicant / Demandeur"),
            ("fr", "Applicant / Demandeur"),
            ("it", "Applicant / Demandeur / Richiedente"),
            ("de-CH", "Applicant / Demandeur / Antragsteller"),
        ] {
            let context = Context {
                input: &base,
                extra: extra_language(language),
                qr_id: XObjectId("QrSeal".into()),
                qr_width: 58.0,
                photos: BTreeMap::new(),
            };
            assert_eq!(context.label(Key::Box1), expected);
        }
        assert_eq!(grouped("420000.00"), "420\u{A0}000.00");
        assert_eq!(grouped("950"), "950");
        assert_eq!(year(-350), "350 BCE");
    }

    #[test]
    fn jpeg_frame_headers_are_read() {
        let bytes = photo(300, 200);
        assert_eq!(jpeg_frame(&bytes), Some((300, 200, 3)));
        assert_eq!(jpeg_frame(b"\x89PNG"), None);
        assert!(photo_xobject(&bytes).is_some());
        assert!(photo_xobject(b"\xFF\xD8garbage").is_none());
    }
}
