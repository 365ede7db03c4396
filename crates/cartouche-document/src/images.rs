//! What the document shows besides text: the seal's QR code, drawn as vector squares from
//! its module matrix (sharp at any printer resolution, nothing decoded again), and the
//! object photos, embedded as the clean JPEGs the service stored (DCTDecode, not
//! re-encoded; only their header is read, by the `image` crate).

use std::collections::BTreeMap;
use std::io::Cursor;

use image::{ColorType, ImageDecoder};
use printpdf::{
    Color, CurTransMat, DictItem, ExternalStream, ExternalXObject, Greyscale, LinePoint, Op, PaintMode, Point, Polygon,
    PolygonRing, Pt, Px, WindingOrder, XObject, XObjectId,
};

/// A QR code as its grid of modules, without the quiet zone: what the document draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules a side.
    pub width: usize,
    /// Row by row from the top-left corner, `true` for a dark module; `width²` of them.
    pub modules: Vec<bool>,
}

impl From<&qrcode::QrCode> for QrMatrix {
    fn from(code: &qrcode::QrCode) -> Self {
        let modules = code.to_colors().into_iter().map(|color| color == qrcode::Color::Dark).collect();
        QrMatrix { width: code.width(), modules }
    }
}

/// Light modules around the code (the standard asks for 4).
pub(crate) const QUIET_ZONE: usize = 4;

impl QrMatrix {
    /// Whether the matrix is square and not empty.
    pub(crate) fn is_valid(&self) -> bool {
        self.width > 0 && self.modules.len() == self.width * self.width
    }

    /// Printed side, quiet zone included, in millimetres: 0.55 mm a module (phones read
    /// that easily at arm's length), between 50 and 80 mm.
    pub(crate) fn printed_side(&self) -> f32 {
        ((self.width + 2 * QUIET_ZONE) as f32 * 0.55).clamp(50.0, 80.0)
    }

    /// The dark modules as horizontal runs: (row, first column, length).
    pub(crate) fn dark_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for (row, modules) in self.modules.chunks(self.width.max(1)).enumerate() {
            let mut column = 0;
            while column < modules.len() {
                if !modules[column] {
                    column += 1;
                    continue;
                }
                let start = column;
                while column < modules.len() && modules[column] {
                    column += 1;
                }
                runs.push((row, start, column - start));
            }
        }
        runs
    }

    /// Drawing operations for the code with its quiet zone in a square of `side` points
    /// whose top-left corner is at (`x`, `top`) in PDF coordinates (points, y upwards).
    /// The quiet zone is painted white; the dark modules are one filled path in module
    /// units, so adjacent squares have no hairline seams between them.
    pub(crate) fn ops(&self, x: f32, top: f32, side: f32) -> Vec<Op> {
        let module = side / (self.width + 2 * QUIET_ZONE) as f32;
        let white = Color::Greyscale(Greyscale::new(1.0, None));
        let black = Color::Greyscale(Greyscale::new(0.0, None));
        let point = |x: usize, y: usize| LinePoint { p: Point { x: Pt(x as f32), y: Pt(y as f32) }, bezier: false };
        let rings = self
            .dark_runs()
            .into_iter()
            .map(|(row, column, length)| PolygonRing {
                points: vec![
                    point(column, row),
                    point(column + length, row),
                    point(column + length, row + 1),
                    point(column, row + 1),
                ],
            })
            .collect();
        let offset = QUIET_ZONE as f32 * module;
        let mut background = printpdf::Rect::from_xywh(Pt(x), Pt(top - side), Pt(side), Pt(side));
        background.mode = Some(PaintMode::Fill);
        vec![
            Op::SaveGraphicsState,
            Op::SetFillColor { col: white },
            Op::DrawRectangle { rectangle: background },
            Op::SetFillColor { col: black },
            // Module units, y downwards from the code's top-left corner.
            Op::SetTransformationMatrix {
                matrix: CurTransMat::Raw([module, 0.0, 0.0, -module, x + offset, top - offset]),
            },
            Op::DrawPolygon { polygon: Polygon { rings, mode: PaintMode::Fill, winding_order: WindingOrder::NonZero } },
            Op::RestoreGraphicsState,
        ]
    }
}

/// How a photo the certificate names is printed.
pub(crate) enum PhotoSource {
    /// Embedded: its image XObject and its size in pixels.
    Image { id: XObjectId, width: u32, height: u32 },
    /// Not uploaded: an empty frame with its hash.
    Missing,
    /// Not a JPEG a PDF reader can show as it is: a frame saying so.
    Unreadable,
}

/// A clean JPEG as an image XObject, embedded as it is, with its width and height in
/// pixels; `None` if its header cannot be read or its colours are neither grey nor RGB
/// (the service's clean JPEGs are always RGB).
pub(crate) fn photo_xobject(jpeg: &[u8]) -> Option<(XObject, u32, u32)> {
    let decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(jpeg)).ok()?;
    let (width, height) = decoder.dimensions();
    let space: &[u8] = match decoder.color_type() {
        ColorType::L8 => b"DeviceGray",
        ColorType::Rgb8 => b"DeviceRGB",
        _ => return None,
    };
    if width == 0 || height == 0 {
        return None;
    }
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
        stream: ExternalStream { dict, content: jpeg.to_vec(), compress: false },
        width: Some(Px(width as usize)),
        height: Some(Px(height as usize)),
        dpi: None,
    });
    Some((xobject, width, height))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A JPEG as the service stores it.
    pub(crate) fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
        let mut out = Cursor::new(Vec::new());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&image).unwrap();
        out.into_inner()
    }

    #[test]
    fn photos_are_embedded_with_the_size_in_their_header() {
        let bytes = jpeg(300, 200);
        let (xobject, width, height) = photo_xobject(&bytes).unwrap();
        assert_eq!((width, height), (300, 200));
        let XObject::External(external) = xobject else { panic!("an external image") };
        assert_eq!(external.stream.content, bytes, "embedded as it is");
        assert!(photo_xobject(b"\x89PNG\r\n\x1a\n").is_none());
        assert!(photo_xobject(b"\xFF\xD8garbage").is_none());
    }

    #[test]
    fn the_matrix_of_a_code_is_its_modules_and_runs_cover_the_dark_ones() {
        let code = qrcode::QrCode::new(b"https://example.invalid/v/0123456789").unwrap();
        let matrix = QrMatrix::from(&code);
        assert!(matrix.is_valid());
        assert_eq!(matrix.width, code.width());
        // The top-left finder pattern: a row of seven dark modules, then a light one.
        assert_eq!(&matrix.modules[..8], &[true, true, true, true, true, true, true, false]);
        let dark = matrix.modules.iter().filter(|&&dark| dark).count();
        assert_eq!(matrix.dark_runs().iter().map(|run| run.2).sum::<usize>(), dark);
        assert!(matrix.dark_runs().contains(&(0, 0, 7)));
        let side = matrix.printed_side();
        assert!((50.0..=80.0).contains(&side));
        assert!(!QrMatrix { width: 3, modules: vec![true; 8] }.is_valid());
    }
}
