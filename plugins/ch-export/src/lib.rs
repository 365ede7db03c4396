//! Switzerland's export rules: Federal Act of 20 June 2003 on the International Transfer of
//! Cultural Property (KGTG / LTBC, SR 444.1) and its Ordinance of 13 April 2005 (KGTV / OTBC,
//! SR 444.11).
//!
//! - Cultural property in the **federal register** (KGTG art. 3(1): owned by the Confederation
//!   and of essential importance to the cultural heritage; designation `CH:FEDERAL_INVENTORY`)
//!   may not be exported definitively (art. 3(2)(c)); it leaves only with a licence of the
//!   Specialised Body (art. 5(1), KGTV art. 24(1)), granted when the export is temporary and
//!   for research, conservation, exhibition or similar reasons (art. 5(2)).
//! - Cultural property in a **cantonal register** (art. 4; designation
//!   `CH:CANTONAL_INVENTORY`) needs the canton's licence where cantonal law requires one
//!   (KGTV art. 24(2)).
//! - Whoever exports cultural property declares it to customs (KGTG art. 4a), with the place
//!   of manufacture or, for archaeological finds, the find place (KGTV art. 25(1)(b)).

use std::collections::BTreeMap;

use cartouche_rules_sdk::FindingExt;
use cartouche_rules_sdk::model::{CulturalObject, DocumentKind, ExportType, Ownership, Purpose};
use cartouche_rules_sdk::prelude::*;

/// The rule.
pub struct SwitzerlandExport;

/// Designation of cultural property entered in the federal register (KGTG art. 3).
pub const FEDERAL_INVENTORY: &str = "CH:FEDERAL_INVENTORY";

/// Designation of cultural property entered in a cantonal register (KGTG art. 4).
pub const CANTONAL_INVENTORY: &str = "CH:CANTONAL_INVENTORY";

/// Document `ref` prefix (type `other`) that carries the reference of a cantonal export
/// licence (KGTV art. 24(2)).
pub const CANTONAL_LICENCE_PREFIX: &str = "CANTONAL-LICENCE:";

/// How KGTG art. 5(2)(b) treats the purpose of a temporary export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurposeFit {
    /// Research, conservation (restoration) or exhibition: named in art. 5(2)(b).
    Named,
    /// A loan or an expertise: read as a "similar reason".
    Similar,
    /// Personal or other: the Specialised Body must be satisfied that it is a similar reason.
    Doubtful,
    /// A sale: not a reason art. 5(2)(b) admits.
    Excluded,
}

/// The purpose of the application against KGTG art. 5(2)(b).
pub fn purpose_fit(purpose: Purpose) -> PurposeFit {
    match purpose {
        Purpose::Research | Purpose::Restoration | Purpose::Exhibition => PurposeFit::Named,
        Purpose::Loan | Purpose::Expertise => PurposeFit::Similar,
        Purpose::Personal | Purpose::Other => PurposeFit::Doubtful,
        Purpose::Sale => PurposeFit::Excluded,
    }
}

/// The index of the object's first document of type `other` whose `ref` is `prefix`
/// followed by a non-blank reference.
fn document_with(object: &CulturalObject, prefix: &str) -> Option<usize> {
    object.documents.as_deref().unwrap_or_default().iter().position(|document| {
        document.kind == DocumentKind::Other
            && document.reference.trim_start().strip_prefix(prefix).is_some_and(|rest| !rest.trim().is_empty())
    })
}

/// Whether the object's provenance names a place of manufacture or find (KGTV art. 25(1)(b)).
fn declares_place(object: &CulturalObject) -> bool {
    object.provenance.as_ref().is_some_and(|provenance| {
        provenance.origin_country.is_some()
            || provenance.find_place.as_deref().is_some_and(|place| !place.trim().is_empty())
    })
}

/// Findings on an object in the federal register.
fn federal_register(
    findings: &mut Vec<Finding>,
    index: usize,
    object: &CulturalObject,
    export_type: ExportType,
    purpose: Purpose,
) {
    let number = index + 1;
    let privately_owned = object.legal_status.as_ref().and_then(|status| status.ownership) == Some(Ownership::Private);
    if privately_owned {
        findings.push(
            finding(
                "CH.FEDERAL_INVENTORY_OWNERSHIP",
                Severity::Warning,
                format!(
                    "object {number} is declared in the federal register but privately owned: the register holds only \
                     property of the Confederation (KGTG art. 3(1)); check the register entry and the owner"
                ),
            )
            .at(object_field(index, "legal_status/ownership"))
            .translated(
                "de",
                format!(
                    "Objekt {number} ist als im Bundesverzeichnis eingetragen angegeben, aber in Privateigentum: \
                     eingetragen wird nur Eigentum des Bundes (Art. 3 Abs. 1 KGTG); Eintrag und Eigentum prüfen"
                ),
            )
            .translated(
                "fr",
                format!(
                    "l'objet {number} est déclaré inscrit à l'inventaire fédéral mais propriété privée : seuls les biens \
                     de la Confédération y sont inscrits (art. 3, al. 1, LTBC) ; vérifiez l'inscription et le propriétaire"
                ),
            )
            .translated(
                "it",
                format!(
                    "l'oggetto {number} è dichiarato iscritto nell'elenco federale ma di proprietà privata: vi si iscrivono \
                     solo beni della Confederazione (art. 3 cpv. 1 LTBC); verificare l'iscrizione e il proprietario"
                ),
            ),
        );
    }
    if export_type == ExportType::Definitive {
        findings.push(
            finding(
                "CH.FEDERAL_INVENTORY_DEFINITIVE",
                Severity::Error,
                format!(
                    "object {number} is in the federal register: its definitive export from Switzerland is prohibited \
                     (KGTG art. 3(2)(c)); only a temporary export can be licensed (art. 5(2)(a))"
                ),
            )
            .at("/export_type")
            .translated(
                "de",
                format!(
                    "Objekt {number} ist im Bundesverzeichnis eingetragen: seine definitive Ausfuhr ist verboten \
                     (Art. 3 Abs. 2 Bst. c KGTG); bewilligt werden kann nur eine vorübergehende Ausfuhr (Art. 5 Abs. 2 Bst. a)"
                ),
            )
            .translated(
                "fr",
                format!(
                    "l'objet {number} est inscrit à l'inventaire fédéral : son exportation définitive est interdite \
                     (art. 3, al. 2, let. c, LTBC) ; seule une exportation temporaire peut être autorisée (art. 5, al. 2, let. a)"
                ),
            )
            .translated(
                "it",
                format!(
                    "l'oggetto {number} è iscritto nell'elenco federale: la sua esportazione definitiva è vietata \
                     (art. 3 cpv. 2 lett. c LTBC); può essere autorizzata solo un'esportazione temporanea (art. 5 cpv. 2 lett. a)"
                ),
            ),
        );
        return;
    }
    let purpose_name = format!("{purpose:?}").to_lowercase();
    match purpose_fit(purpose) {
        PurposeFit::Named | PurposeFit::Similar => findings.push(
            finding(
                "CH.FEDERAL_INVENTORY_LICENCE",
                Severity::Info,
                format!(
                    "object {number} is in the federal register: its temporary export for {purpose_name} needs the \
                     licence of the Specialised Body for the International Transfer of Cultural Property (KGTG art. 5, \
                     KGTV art. 24(1)), applied for at least 30 days before the export with the purpose, the dates of \
                     export and return and the register number (KGTV art. 3)"
                ),
            )
            .at(object_field(index, ""))
            .translated(
                "de",
                format!(
                    "Objekt {number} ist im Bundesverzeichnis eingetragen: die vorübergehende Ausfuhr braucht eine \
                     Bewilligung der Fachstelle (Art. 5 KGTG, Art. 24 Abs. 1 KGTV), spätestens 30 Tage vor der Ausfuhr \
                     beantragt (Art. 3 KGTV)"
                ),
            )
            .translated(
                "fr",
                format!(
                    "l'objet {number} est inscrit à l'inventaire fédéral : son exportation temporaire exige l'autorisation \
                     du service spécialisé (art. 5 LTBC, art. 24, al. 1, OTBC), demandée au moins 30 jours avant \
                     l'exportation (art. 3 OTBC)"
                ),
            )
            .translated(
                "it",
                format!(
                    "l'oggetto {number} è iscritto nell'elenco federale: l'esportazione temporanea richiede \
                     l'autorizzazione del servizio specializzato (art. 5 LTBC, art. 24 cpv. 1 OTBC), chiesta almeno \
                     30 giorni prima dell'esportazione (art. 3 OTBC)"
                ),
            ),
        ),
        PurposeFit::Doubtful => findings.push(
            finding(
                "CH.FEDERAL_INVENTORY_PURPOSE",
                Severity::Warning,
                format!(
                    "object {number} is in the federal register: a temporary export is licensed only for research, \
                     conservation, exhibition or similar reasons (KGTG art. 5(2)(b)); the purpose \"{purpose_name}\" \
                     must be shown to be such a reason to the Specialised Body"
                ),
            )
            .at("/purpose")
            .translated(
                "de",
                format!(
                    "Objekt {number} ist im Bundesverzeichnis eingetragen: bewilligt wird nur eine Ausfuhr zu Forschung, \
                     Konservierung, Ausstellung oder aus ähnlichen Gründen (Art. 5 Abs. 2 Bst. b KGTG); der Zweck ist \
                     der Fachstelle als solcher Grund darzulegen"
                ),
            )
            .translated(
                "fr",
                format!(
                    "l'objet {number} est inscrit à l'inventaire fédéral : l'exportation n'est autorisée qu'à des fins de \
                     recherche, de conservation, d'exposition ou pour des raisons analogues (art. 5, al. 2, let. b, LTBC) ; \
                     démontrez au service spécialisé que le but en est une"
                ),
            )
            .translated(
                "it",
                format!(
                    "l'oggetto {number} è iscritto nell'elenco federale: l'esportazione è autorizzata solo per ricerca, \
                     conservazione, esposizione o motivi analoghi (art. 5 cpv. 2 lett. b LTBC); dimostrare al servizio \
                     specializzato che lo scopo è tale"
                ),
            ),
        ),
        PurposeFit::Excluded => findings.push(
            finding(
                "CH.FEDERAL_INVENTORY_PURPOSE",
                Severity::Error,
                format!(
                    "object {number} is in the federal register: a temporary export is licensed only for research, \
                     conservation, exhibition or similar reasons (KGTG art. 5(2)(b)), not for a sale"
                ),
            )
            .at("/purpose")
            .translated(
                "de",
                format!(
                    "Objekt {number} ist im Bundesverzeichnis eingetragen: eine Ausfuhr zum Verkauf wird nicht bewilligt \
                     (Art. 5 Abs. 2 Bst. b KGTG)"
                ),
            )
            .translated(
                "fr",
                format!(
                    "l'objet {number} est inscrit à l'inventaire fédéral : une exportation en vue d'une vente n'est pas \
                     autorisée (art. 5, al. 2, let. b, LTBC)"
                ),
            )
            .translated(
                "it",
                format!(
                    "l'oggetto {number} è iscritto nell'elenco federale: un'esportazione a scopo di vendita non è \
                     autorizzata (art. 5 cpv. 2 lett. b LTBC)"
                ),
            ),
        ),
    }
}

/// Findings on an object in a cantonal register.
fn cantonal_register(findings: &mut Vec<Finding>, index: usize, object: &CulturalObject) {
    let number = index + 1;
    findings.push(match document_with(object, CANTONAL_LICENCE_PREFIX) {
        Some(document) => finding(
            "CH.CANTONAL_LICENCE_PRESENT",
            Severity::Info,
            format!(
                "object {number} is in a cantonal register; the canton's export licence is referenced (KGTV art. 24(2)): \
                 check it with the cantonal authority"
            ),
        )
        .at(object_field(index, &format!("documents/{document}")))
        .translated("de", format!("Objekt {number}: kantonale Ausfuhrbewilligung angegeben (Art. 24 Abs. 2 KGTV)"))
        .translated("fr", format!("objet {number} : autorisation cantonale d'exportation indiquée (art. 24, al. 2, OTBC)"))
        .translated("it", format!("oggetto {number}: autorizzazione cantonale d'esportazione indicata (art. 24 cpv. 2 OTBC)")),
        None => finding(
            "CH.CANTONAL_LICENCE_CHECK",
            Severity::Warning,
            format!(
                "object {number} is in a cantonal register: its export needs the canton's licence where cantonal law \
                 requires one (KGTV art. 24(2), KGTG art. 4); check the canton's law, and give the licence as a \
                 document of type \"other\" with ref \"{CANTONAL_LICENCE_PREFIX} <number>\""
            ),
        )
        .at(object_field(index, "documents"))
        .translated(
            "de",
            format!(
                "Objekt {number} ist in einem kantonalen Verzeichnis eingetragen: eine kantonale Ausfuhrbewilligung \
                 ist nötig, sofern das kantonale Recht sie verlangt (Art. 24 Abs. 2 KGTV); angeben als Dokument \
                 \"other\" mit \"{CANTONAL_LICENCE_PREFIX}\""
            ),
        )
        .translated(
            "fr",
            format!(
                "l'objet {number} est inscrit à un inventaire cantonal : une autorisation cantonale est requise si le \
                 droit cantonal l'exige (art. 24, al. 2, OTBC) ; indiquez-la comme document « other » \
                 « {CANTONAL_LICENCE_PREFIX} »"
            ),
        )
        .translated(
            "it",
            format!(
                "l'oggetto {number} è iscritto in un elenco cantonale: occorre l'autorizzazione cantonale se il diritto \
                 cantonale la prevede (art. 24 cpv. 2 OTBC); indicarla come documento \"other\" \
                 \"{CANTONAL_LICENCE_PREFIX}\""
            ),
        ),
    });
}

impl Rule for SwitzerlandExport {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "ch-export".into(),
            jurisdiction: "CH".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance],
            descriptions: BTreeMap::from([
                ("en".into(), "Switzerland: export of registered cultural property (KGTG/LTBC arts. 3-5, 4a)".into()),
                ("de".into(), "Schweiz: Ausfuhr eingetragener Kulturgüter (KGTG Art. 3-5, 4a)".into()),
                ("fr".into(), "Suisse : exportation des biens culturels inscrits (LTBC art. 3-5, 4a)".into()),
                ("it".into(), "Svizzera: esportazione dei beni culturali iscritti (LTBC art. 3-5, 4a)".into()),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, _reference: &dyn Reference) -> Vec<Finding> {
        let application = &subject.application;
        if context.phase != Phase::Issuance || application.issuing_authority.country != "CH" {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for (index, object) in application.objects.iter().enumerate() {
            if object.designated(FEDERAL_INVENTORY) {
                federal_register(&mut findings, index, object, application.export_type, application.purpose);
            }
            if object.designated(CANTONAL_INVENTORY) {
                cantonal_register(&mut findings, index, object);
            }
            if !declares_place(object) {
                let number = index + 1;
                findings.push(
                    finding(
                        "CH.PLACE_UNDECLARED",
                        Severity::Warning,
                        format!(
                            "object {number} gives neither a country of origin nor a find place: the customs \
                             declaration of cultural property must state the place of manufacture or, for \
                             archaeological or palaeontological finds, the find place, as precisely as possible \
                             (KGTG art. 4a, KGTV art. 25(1)(b)); add it under provenance"
                        ),
                    )
                    .at(object_field(index, "provenance"))
                    .translated(
                        "de",
                        format!(
                            "Objekt {number}: weder Herkunftsland noch Fundort angegeben; die Zollanmeldung muss den \
                             Herstellungs- oder Fundort möglichst genau angeben (Art. 4a KGTG, Art. 25 Abs. 1 Bst. b KGTV)"
                        ),
                    )
                    .translated(
                        "fr",
                        format!(
                            "objet {number} : ni pays d'origine ni lieu de découverte ; la déclaration en douane doit \
                             indiquer le lieu de fabrication ou de découverte aussi précisément que possible (art. 4a \
                             LTBC, art. 25, al. 1, let. b, OTBC)"
                        ),
                    )
                    .translated(
                        "it",
                        format!(
                            "oggetto {number}: né paese d'origine né luogo di ritrovamento; la dichiarazione doganale \
                             deve indicare il luogo di fabbricazione o di ritrovamento il più precisamente possibile \
                             (art. 4a LTBC, art. 25 cpv. 1 lett. b OTBC)"
                        ),
                    ),
                );
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(SwitzerlandExport);
