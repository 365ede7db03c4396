//! The printable certificate: an A4 PDF laid out in the order of the UNESCO-WCO Model
//! Export Certificate and the EU export licence form (Reg. 1081/2012 Annex I), every box
//! labelled in English and French (and Italian, German or Spanish when the certificate is in one
//! of them), with the seal's QR code on the first page and the certificate number and
//! "page N / M" on every page.
//!
//! Text is set in the PDF's built-in Helvetica with WinAnsi encoding, so no font file is
//! bundled and the text stays extractable; lines are wrapped by measuring them with
//! Helvetica's widths, so no text runs past its box. The QR code is drawn as vector
//! squares from its module matrix; photos are embedded as the clean JPEGs the service
//! stored (DCTDecode, not re-encoded). Space left unused at the foot of a page is barred,
//! as the EU form requires.
//!
//! The modules, one job each: [`labels`](crate::labels) (the words, in five languages,
//! shared with the web pages through `cartouche-i18n`), `metrics` (WinAnsi, Helvetica
//! widths, wrapping), `images` (QR and photos), `layout` (pages and boxes), `form` and
//! `photos` (what goes in the boxes).
//!
//! This is the only crate that links printpdf: the seal and the offline verifier do not.

mod form;
mod images;
mod labels;
mod layout;
mod metrics;
mod photos;

use std::collections::BTreeMap;

use cartouche_model::Certificate;
use printpdf::{CustomPdfConformance, PdfConformance, PdfDocument, PdfPage, PdfSaveOptions, XObjectId};

pub use images::QrMatrix;
use images::{PhotoSource, photo_xobject};
use labels::{Key, Labels};
use layout::{Context, Layout, PAGE_H, PAGE_W};
use metrics::win_ansi;

/// What the printable certificate is made of.
#[derive(Debug, Clone)]
pub struct DocumentInput {
    /// The issued certificate.
    pub certificate: Certificate,
    /// The seal's QR code (drawn with its quiet zone).
    pub qr: QrMatrix,
    /// The photos available, by SHA-256: the service's clean JPEGs (or their thumbnails).
    /// A photo the certificate names but that is missing here is printed as a labelled
    /// empty frame with its hash.
    pub photos: BTreeMap<String, Vec<u8>>,
    /// The certificate's state when printed.
    pub state: cartouche_model::CertificateState,
    /// The language of the labels besides English and French (BCP 47; `it` and `de` add
    /// Italian and German).
    pub language: String,
}

/// Why no PDF could be made.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The QR matrix is not square.
    #[error("the QR code matrix has {modules} modules, not {width} × {width}")]
    Qr {
        /// Its stated width.
        width: usize,
        /// Its modules.
        modules: usize,
    },
}

/// Renders the certificate as a PDF.
pub fn certificate_pdf(input: &DocumentInput) -> Result<Vec<u8>, DocumentError> {
    if !input.qr.is_valid() {
        return Err(DocumentError::Qr { width: input.qr.width, modules: input.qr.modules.len() });
    }
    let title = labels::term(Key::Title, cartouche_i18n::Lang::En);
    let mut doc = PdfDocument::new(&win_ansi(&format!("{title} {}", input.certificate.number)));
    doc.metadata.info.conformance = PdfConformance::Custom(CustomPdfConformance {
        allows_default_fonts: true,
        allows_jpeg_content: true,
        requires_icc_profile: false,
        requires_xmp_metadata: false,
        ..Default::default()
    });
    doc.metadata.info.creator = "Cartouche".into();
    doc.metadata.info.producer = "Cartouche".into();

    let mut photos = BTreeMap::new();
    let mut embedded = 0;
    for object in &input.certificate.application.objects {
        for photo in &object.photos {
            if photos.contains_key(photo.sha256.as_str()) {
                continue;
            }
            let source = match input.photos.get(&photo.sha256) {
                None => PhotoSource::Missing,
                Some(jpeg) => match photo_xobject(jpeg) {
                    Some((xobject, width, height)) => {
                        embedded += 1;
                        let id = XObjectId(format!("Photo{embedded}"));
                        doc.resources.xobjects.map.insert(id.clone(), xobject);
                        PhotoSource::Image { id, width, height }
                    }
                    None => PhotoSource::Unreadable,
                },
            };
            photos.insert(photo.sha256.as_str(), source);
        }
    }

    let context = Context {
        input,
        labels: Labels::for_language(&input.language),
        qr: &input.qr,
        qr_side: input.qr.printed_side(),
        photos,
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use cartouche_model::Application;

    pub(crate) fn example(name: &str) -> Application {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/examples").join(name);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    pub(crate) fn input(application: Application, photos: BTreeMap<String, Vec<u8>>) -> DocumentInput {
        let language = application.language.clone();
        let code = qrcode::QrCode::new(b"https://example.invalid/v/0123456789").unwrap();
        DocumentInput {
            certificate: Certificate {
                number: "FR-2026-000042".into(),
                issue_date: time::macros::date!(2026 - 11 - 21),
                issued_at: time::macros::datetime!(2026-11-21 10:00 UTC),
                application,
                rule_evaluations: Vec::new(),
            },
            qr: QrMatrix::from(&code),
            photos,
            state: cartouche_model::CertificateState::Active,
            language,
        }
    }

    #[test]
    fn the_pdf_embeds_photos_as_jpeg_and_draws_the_qr_code() {
        let mut application = example("it-archaeology-temporary-ch.json");
        let sha = application.objects[0].photos[0].sha256.clone();
        let photos = BTreeMap::from([(sha, images::tests::jpeg(900, 1200))]);
        let pdf = certificate_pdf(&input(application.clone(), photos.clone())).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let count = |needle: &[u8]| pdf.windows(needle.len()).filter(|w| w == &needle).count();
        assert_eq!(count(b"DCTDecode"), 1, "the JPEG is embedded as it is");
        assert_eq!(count(b"/Image"), 1, "the photo is the only image: the QR code is vector squares");
        assert!(count(b"Helvetica") > 0, "built-in font, no font file");
        assert_eq!(count(b"FontFile"), 0);
        application.language = "fr".into();
        let again = certificate_pdf(&input(application, photos)).unwrap();
        assert!(again.len() > 10_000);
        let error = certificate_pdf(&DocumentInput {
            qr: QrMatrix { width: 21, modules: vec![true; 20] },
            ..input(example("gb-sculpture.json"), BTreeMap::new())
        });
        assert!(matches!(error, Err(DocumentError::Qr { width: 21, modules: 20 })));
    }

    #[test]
    fn an_unreadable_photo_is_a_frame_not_an_error() {
        let application = example("gb-sculpture.json");
        let sha = application.objects[0].photos[0].sha256.clone();
        let photos = BTreeMap::from([(sha, b"\xFF\xD8 not a JPEG".to_vec())]);
        let pdf = certificate_pdf(&input(application, photos)).unwrap();
        assert!(!pdf.windows(9).any(|w| w == b"DCTDecode"));
    }
}
