//! The content of the form: which boxes, in which order, holding what. Laid out in the
//! order of the UNESCO-WCO Model Export Certificate and the EU export licence form (Reg.
//! 1081/2012 Annex I): page 1 carries the title, the seal's QR code, boxes 2 and 5 and the
//! state; then the parties (boxes 1, 3, 4, 6, 7, 13); then each object (boxes 8 to 20 and
//! its photos, box 24, in `photos.rs`); then the declaration, the seal and the page count
//! (boxes 21, 22, 25).

use cartouche_i18n::Lang;
use cartouche_model::CertificateState;
use cartouche_model::{CulturalObject, DocumentKind, ExportType, LicenceType, Party, Purpose, ValueBasis};

use crate::labels::{Key, Labels, state_key, term};
use crate::layout::{CONTENT_W, Context, FIRST_TOP, GAP, Layout, MARGIN_X, Para, cell, grey, led, para, red, strong};
use crate::metrics::{MM_TO_PT, win_ansi, wrap};

impl Layout<'_> {
    /// Page 1: title, boxes 2 and 5 and the state beside the QR code.
    pub(crate) fn first_page_head(&mut self) {
        let context = self.context;
        let certificate = &context.input.certificate;
        let application = &certificate.application;
        let qr_width = context.qr_side;
        let column = CONTENT_W - qr_width - 4.0;
        let qr_x = MARGIN_X + CONTENT_W - qr_width;

        // The seal, top right.
        self.qr(qr_x, FIRST_TOP, qr_width);
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
        let mut titles = vec![(term(Key::Title, Lang::En), 14.0, true), (term(Key::Title, Lang::Fr), 12.0, false)];
        if let Some(extra) = context.labels.extra {
            titles.push((term(Key::Title, extra), 12.0, false));
        }
        for (title, size, bold) in titles {
            for line in wrap(&win_ansi(title), column, column, size, bold) {
                self.text((MARGIN_X, y), size, bold, grey(0.0), &line, column);
                y += size / MM_TO_PT * 1.25;
            }
        }
        let subtitle = win_ansi(&Labels::bilingual(Key::Subtitle));
        for line in wrap(&subtitle, column, column, 6.5, false) {
            self.text((MARGIN_X, y), 6.5, false, grey(0.35), &line, column);
            y += 2.8;
        }
        self.y = y + 1.5;

        let state = context.input.state;
        // A certificate not to export with has its state in capitals.
        let usable =
            matches!(state, CertificateState::Active | CertificateState::ExportedTemporarily | CertificateState::Used);
        let state_text =
            if usable { context.label(state_key(state)) } else { context.label(state_key(state)).to_uppercase() };
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
        if !usable {
            // Not a certificate to export with: say so in red across the top.
            let warning =
                win_ansi(&format!("{}: {}", context.label(Key::State), context.input.state.as_str().to_uppercase()));
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
    pub(crate) fn parties(&mut self) {
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
            Purpose::Other => Key::OtherPurpose,
        };
        self.row(&[
            cell("7", context.label(Key::Box7), owner, 1.0),
            cell("13", context.label(Key::Box13), vec![strong(context.label(purpose))], 1.0),
        ]);
        self.y += GAP;
    }

    /// Boxes 8 to 20 and 24 of one object.
    pub(crate) fn object(&mut self, index: usize, count: usize, object: &CulturalObject) {
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
                    DocumentKind::Other => Key::OtherDocument,
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

    /// Boxes 21, 22 and 25.
    pub(crate) fn closing(&mut self) {
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
                context.page_word(1),
                term(Key::Scan, Lang::En).to_lowercase(),
                term(Key::Scan, Lang::Fr).to_lowercase()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_years_are_printed_for_reading() {
        assert_eq!(grouped("420000.00"), "420\u{A0}000.00");
        assert_eq!(grouped("1234567"), "1\u{A0}234\u{A0}567");
        assert_eq!(grouped("950"), "950");
        assert_eq!(year(-350), "350 BCE");
        assert_eq!(year(1789), "1789");
    }
}
