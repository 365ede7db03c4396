//! Write Cartouche rule plugins in Rust.
//!
//! A plugin is a type that implements [`Rule`]; [`export_rule!`] turns it into the
//! `cartouche:rules/rule@1.0.0` export of a WebAssembly component. The same type runs
//! natively under [`testing`], so authors test their rules with `cargo test` before
//! building the component (`cartouche plugin build`) and running the same cases through
//! the production engine (`cartouche plugin test`).
//!
//! ```text
//! use cartouche_rules_sdk::prelude::*;
//!
//! struct ItalyExport;
//! impl Rule for ItalyExport {
//!     fn info() -> PluginInfo { /* id, jurisdiction, version, phases, descriptions */ }
//!     fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding> {
//!         /* look at subject.application.objects, return findings */
//!     }
//! }
//! cartouche_rules_sdk::export_rule!(ItalyExport);
//! ```
//!
//! Rules that assess objects against a table of categories (age and value thresholds, per
//! item or per lot, an exemption for the maker) describe the table and let [`assess`] decide;
//! they keep only the wording of their findings.
//!
//! A plugin sees no clock, no randomness, no files and no network: the evaluation date is
//! [`Context::date`], and the only outside data are the operator's currency rates and watch
//! lists, through [`Reference`].

use std::collections::BTreeMap;

pub use cartouche_model as model;
pub use cartouche_model::plugin::RuleSubject;
pub use cartouche_model::reference::{ReferenceData, WatchHit, WatchQuery};
pub use cartouche_model::{CulturalObject, Finding, RulePhase as Phase, Severity};
pub use time;
use time::Date;

pub mod assess;
pub mod helpers;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

/// Everything a plugin usually needs.
pub mod prelude {
    pub use crate::helpers::*;
    pub use crate::{Context, Finding, Phase, PluginInfo, Reference, Rule, RuleSubject, Severity, finding};
    pub use time::Date;
}

/// The guest bindings generated from the WIT package (used by [`export_rule!`]).
#[doc(hidden)]
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../cartouche-rules/wit",
        pub_export_macro: true,
        export_macro_name: "__export_plugin_bindings",
        default_bindings_module: "cartouche_rules_sdk::bindings",
        generate_all,
    });
}

/// What a plugin says about itself (checked against its manifest when published).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Stable id, e.g. `it-export`.
    pub id: String,
    /// ISO 3166-1 alpha-2 code, `EU` or `INT`.
    pub jurisdiction: String,
    /// Semantic version.
    pub version: String,
    /// Phases it has rules for.
    pub phases: Vec<Phase>,
    /// What it checks, by language tag (`en` first).
    pub descriptions: BTreeMap<String, String>,
}

/// The call's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The phase.
    pub phase: Phase,
    /// The evaluation date: the plugin's only notion of time.
    pub date: Date,
    /// Where the check happens (exit and import checks).
    pub checkpoint_country: Option<String>,
    /// Operator-set parameters.
    pub parameters: BTreeMap<String, String>,
}

/// Read-only reference data: the operator's rates table and watch lists.
pub trait Reference {
    /// Converts hundredths of a unit between currencies (half to even); `None` if a
    /// currency is not in the table.
    fn convert(&self, amount_cents: i64, from: &str, to: &str) -> Option<i64>;
    /// The rates table's date (`YYYY-MM-DD`), for messages.
    fn rates_date(&self) -> String;
    /// Watch-list entries that match.
    fn watch_list_search(&self, query: &WatchQuery) -> Vec<WatchHit>;
}

impl Reference for ReferenceData {
    fn convert(&self, amount_cents: i64, from: &str, to: &str) -> Option<i64> {
        ReferenceData::convert(self, amount_cents, from, to)
    }
    fn rates_date(&self) -> String {
        ReferenceData::rates_date(self)
    }
    fn watch_list_search(&self, query: &WatchQuery) -> Vec<WatchHit> {
        self.search(query)
    }
}

/// A rule plugin.
pub trait Rule {
    /// Its id, jurisdiction, version, phases and descriptions.
    fn info() -> PluginInfo;
    /// Its findings on `subject` in `context`. Return no finding when all is well; an
    /// `error` finding refuses issuance or makes the verdict INVALID.
    fn evaluate(subject: &RuleSubject, context: &Context, reference: &dyn Reference) -> Vec<Finding>;
}

/// Starts a finding: `finding("IT.ALC_REQUIRED", Severity::Error, "...").at("/objects/0")`.
pub fn finding(code: &str, severity: Severity, message: impl Into<String>) -> Finding {
    Finding { code: code.to_owned(), severity, message: message.into(), field: None, translations: BTreeMap::new() }
}

/// Builder methods on [`Finding`].
pub trait FindingExt {
    /// Points the finding at a field (a JSON pointer such as `/objects/0/value/amount`).
    fn at(self, field: impl Into<String>) -> Self;
    /// Adds the message in another language.
    fn translated(self, lang: &str, message: impl Into<String>) -> Self;
}

impl FindingExt for Finding {
    fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    fn translated(mut self, lang: &str, message: impl Into<String>) -> Self {
        self.translations.insert(lang.to_owned(), message.into());
        self
    }
}

/// The component glue behind [`export_rule!`]; not for direct use.
#[doc(hidden)]
pub mod glue {
    use super::*;
    use crate::bindings::cartouche::rules::{reference_data as host, types as wit};

    struct HostReference;

    impl Reference for HostReference {
        fn convert(&self, amount_cents: i64, from: &str, to: &str) -> Option<i64> {
            host::convert(amount_cents, from, to)
        }
        fn rates_date(&self) -> String {
            host::rates_date()
        }
        fn watch_list_search(&self, query: &WatchQuery) -> Vec<WatchHit> {
            let query = wit::WatchQuery {
                photo_sha256: query.photo_sha256.clone(),
                title: query.title.clone(),
                maker: query.maker.clone(),
                inscriptions: query.inscriptions.clone(),
            };
            host::watch_list_search(&query)
                .into_iter()
                .map(|hit| WatchHit {
                    list_name: hit.list_name,
                    reference: hit.reference,
                    matched_on: hit.matched_on,
                    description: hit.description,
                })
                .collect()
        }
    }

    fn phase_to_wit(phase: Phase) -> wit::Phase {
        match phase {
            Phase::Issuance => wit::Phase::Issuance,
            Phase::ExitCheck => wit::Phase::ExitCheck,
            Phase::ImportCheck => wit::Phase::ImportCheck,
        }
    }

    /// `describe`, for the rule `R`.
    pub fn describe<R: Rule>() -> wit::PluginInfo {
        let info = R::info();
        wit::PluginInfo {
            id: info.id,
            jurisdiction: info.jurisdiction,
            version: info.version,
            phases: info.phases.into_iter().map(phase_to_wit).collect(),
            descriptions: info.descriptions.into_iter().map(|(lang, text)| wit::Localized { lang, text }).collect(),
        }
    }

    /// `evaluate`, for the rule `R`.
    pub fn evaluate<R: Rule>(certificate: String, context: wit::Context) -> Result<Vec<wit::Finding>, String> {
        let subject: RuleSubject =
            serde_json::from_str(&certificate).map_err(|error| format!("the certificate does not parse: {error}"))?;
        let date = Date::parse(&context.evaluation_date, &time::format_description::well_known::Iso8601::DATE)
            .map_err(|error| format!("the evaluation date {:?} does not parse: {error}", context.evaluation_date))?;
        let context = Context {
            phase: match context.phase {
                wit::Phase::Issuance => Phase::Issuance,
                wit::Phase::ExitCheck => Phase::ExitCheck,
                wit::Phase::ImportCheck => Phase::ImportCheck,
            },
            date,
            checkpoint_country: context.checkpoint_country,
            parameters: context.parameters.into_iter().collect(),
        };
        Ok(R::evaluate(&subject, &context, &HostReference)
            .into_iter()
            .map(|f| wit::Finding {
                code: f.code,
                severity: match f.severity {
                    Severity::Info => wit::Severity::Info,
                    Severity::Warning => wit::Severity::Warning,
                    Severity::Error => wit::Severity::Error,
                },
                message: f.message,
                field: f.field,
                translations: f.translations.into_iter().map(|(lang, text)| wit::Localized { lang, text }).collect(),
            })
            .collect())
    }
}

/// Exports a [`Rule`] as the component's `cartouche:rules/rule@1.0.0` interface.
#[macro_export]
macro_rules! export_rule {
    ($rule:ty) => {
        // Only the wasm32 build exports the component's functions: their names
        // (`cartouche:rules/rule@1.0.0#evaluate`) are not valid native symbol names, and the
        // native build exists for `cargo test`.
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            struct CartoucheRuleExport;

            impl $crate::bindings::exports::cartouche::rules::rule::Guest for CartoucheRuleExport {
                fn describe() -> $crate::bindings::cartouche::rules::types::PluginInfo {
                    $crate::glue::describe::<$rule>()
                }
                fn evaluate(
                    certificate: ::std::string::String,
                    context: $crate::bindings::cartouche::rules::types::Context,
                ) -> ::std::result::Result<
                    ::std::vec::Vec<$crate::bindings::cartouche::rules::types::Finding>,
                    ::std::string::String,
                > {
                    $crate::glue::evaluate::<$rule>(certificate, context)
                }
            }

    $crate::bindings::__export_plugin_bindings!(CartoucheRuleExport with_types_in $crate::bindings);
        };
    };
}
