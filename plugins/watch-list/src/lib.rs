//! Watch lists: stolen or looted cultural objects.
//!
//! Every object of the certificate is searched in the watch lists the operator has loaded
//! (INTERPOL Stolen Works of Art extracts, national police lists, ...), through
//! [`Reference::watch_list_search`]: the host matches an entry by the SHA-256 of one of the
//! object's photos, or by its title and maker together (normalized: case, spacing and
//! punctuation do not matter). Each hit is an error: a stolen-art match means the object is
//! held (DOMAIN.md rule 10) until the list's owner has confirmed or ruled out the match.
//! With no list loaded, the search finds nothing and so does the rule.

use std::collections::BTreeMap;

use cartouche_rules_sdk::model::CulturalObject;
use cartouche_rules_sdk::prelude::*;
use cartouche_rules_sdk::{FindingExt, WatchHit, WatchQuery};

/// The rule.
pub struct WatchListRule;

/// What the object is searched by: its photos' SHA-256, its title, its maker's name and
/// its inscriptions (kept for lists that index them; the host does not match them yet).
fn query(object: &CulturalObject) -> WatchQuery {
    WatchQuery {
        photo_sha256: object.photos.iter().map(|photo| photo.sha256.clone()).collect(),
        title: object.title.clone(),
        maker: object.maker.as_ref().map(|maker| maker.name.clone()),
        inscriptions: object.inscriptions.clone(),
    }
}

/// What matched, in words.
fn matched_on(hit: &WatchHit) -> (&str, &str) {
    match hit.matched_on.as_str() {
        "photo" => (
            "one of its photographs is identical to the entry's",
            "une de ses photographies est identique à celle de la fiche",
        ),
        "title-and-maker" => ("same title and maker", "même titre et même auteur"),
        _ => (hit.matched_on.as_str(), hit.matched_on.as_str()),
    }
}

impl Rule for WatchListRule {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "watch-list".into(),
            jurisdiction: "INT".into(),
            version: "1.0.0".into(),
            phases: vec![Phase::Issuance, Phase::ExitCheck],
            descriptions: BTreeMap::from([
                ("en".into(), "Watch lists of stolen or looted cultural objects: a match holds the object".into()),
                (
                    "fr".into(),
                    "Listes de biens culturels volés ou pillés : une correspondance fait retenir l'objet".into(),
                ),
            ]),
        }
    }

    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
        if !matches!(context.phase, Phase::Issuance | Phase::ExitCheck) {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for (index, object) in subject.application.objects.iter().enumerate() {
            let number = index + 1;
            for hit in reference.watch_list_search(&query(object)) {
                let (why_en, why_fr) = matched_on(&hit);
                findings.push(
                    finding(
                        "WATCH.MATCH",
                        Severity::Error,
                        format!(
                            "object {number} matches entry {} of the watch list {} ({why_en}): \"{}\". Hold the \
                             object: do not issue the certificate or let the object leave, and contact the owner \
                             of the list {} to confirm or rule out the match",
                            hit.reference, hit.list_name, hit.description, hit.list_name
                        ),
                    )
                    .at(object_field(index, ""))
                    .translated(
                        "fr",
                        format!(
                            "l'objet {number} correspond à la fiche {} de la liste de surveillance {} ({why_fr}) : \
                             « {} ». Retenez l'objet : ne délivrez pas le certificat et ne le laissez pas sortir, \
                             et contactez le responsable de la liste {} pour confirmer ou écarter la correspondance",
                            hit.reference, hit.list_name, hit.description, hit.list_name
                        ),
                    ),
                );
            }
        }
        findings
    }
}

cartouche_rules_sdk::export_rule!(WatchListRule);
