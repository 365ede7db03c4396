//! Country rules as the use-cases see them: the issuing country's rules at issuance, the
//! exit-check rules and the destination's import rules at verification. The rule-plugin
//! host ([`cartouche_rules::Rules`]) implements [`RulesHook`]; [`NoRules`] runs nothing.

use cartouche_model::plugin::RuleSubject;
use cartouche_model::{Application, Certificate, RuleEvaluation, RulePhase};
use time::Date;

/// Country rules, run at issuance and at verification.
pub trait RulesHook: Send + Sync + 'static {
    /// The issuing country's export rules on an application about to be issued.
    fn issuance(&self, application: &Application, today: Date) -> Vec<RuleEvaluation>;
    /// The exit-check rules on an issued certificate (whose canonical SHA-256 is
    /// `certificate_sha256`, hex), at a checkpoint.
    fn exit_check(
        &self,
        certificate: &Certificate,
        certificate_sha256: &str,
        today: Date,
        checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation>;
    /// The destination's import rules on an issued certificate.
    fn import_check(
        &self,
        _certificate: &Certificate,
        _certificate_sha256: &str,
        _today: Date,
        _checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation> {
        Vec::new()
    }
    /// The plugin service, when rules come from published plugins (for publication and
    /// listing).
    fn plugins(&self) -> Option<&cartouche_rules::Rules> {
        None
    }
}

fn subject(certificate: &Certificate) -> RuleSubject {
    RuleSubject {
        number: Some(certificate.number.clone()),
        issue_date: certificate.issue_date,
        issued_at: Some(certificate.issued_at),
        application: certificate.application.clone(),
        rule_evaluations: certificate.rule_evaluations.clone(),
    }
}

impl RulesHook for cartouche_rules::Rules {
    fn issuance(&self, application: &Application, today: Date) -> Vec<RuleEvaluation> {
        let subject = RuleSubject {
            number: None,
            issue_date: today,
            issued_at: None,
            application: application.clone(),
            rule_evaluations: Vec::new(),
        };
        let country = application.issuing_authority.country.clone();
        self.evaluate(&subject, RulePhase::Issuance, &country, today, None)
    }

    // Exit and import checks are remembered (`Rules::evaluate_certificate`): an officer
    // who scans the same certificate again, or the next officer at the same checkpoint on
    // the same day, gets the same answer without the plugins running again.
    fn exit_check(
        &self,
        certificate: &Certificate,
        certificate_sha256: &str,
        today: Date,
        checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation> {
        let country = &certificate.application.issuing_authority.country;
        let phase = RulePhase::ExitCheck;
        self.evaluate_certificate(
            certificate_sha256,
            || subject(certificate),
            phase,
            country,
            today,
            checkpoint_country,
        )
    }

    fn import_check(
        &self,
        certificate: &Certificate,
        certificate_sha256: &str,
        today: Date,
        checkpoint_country: Option<&str>,
    ) -> Vec<RuleEvaluation> {
        let country = &certificate.application.destination_country;
        let phase = RulePhase::ImportCheck;
        self.evaluate_certificate(
            certificate_sha256,
            || subject(certificate),
            phase,
            country,
            today,
            checkpoint_country,
        )
    }

    fn plugins(&self) -> Option<&cartouche_rules::Rules> {
        Some(self)
    }
}

/// No rules published: nothing runs, nothing is found.
pub struct NoRules;

impl RulesHook for NoRules {
    fn issuance(&self, _: &Application, _: Date) -> Vec<RuleEvaluation> {
        Vec::new()
    }
    fn exit_check(&self, _: &Certificate, _: &str, _: Date, _: Option<&str>) -> Vec<RuleEvaluation> {
        Vec::new()
    }
}
