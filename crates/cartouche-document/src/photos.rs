//! Box 24, the photos of an object: each at least 9 × 12 cm when the page allows, two
//! abreast when both fit in half the width, a caption and the SHA-256 under each; a photo
//! not uploaded (or unreadable) is a dashed empty frame saying so, with its hash.

use cartouche_model::CulturalObject;
use printpdf::{LineDashPattern, Op};

use crate::images::PhotoSource;
use crate::labels::Key;
use crate::layout::{CONTENT_W, GAP, LABEL_SIZE, Layout, MARGIN_X, NUMBER_SIZE, PAD_TOP, PAD_X, grey};
use crate::metrics::{text_width, win_ansi, wrap};

// Photos at least 9 × 12 cm where the page allows; two abreast when both fit.
const PHOTO_SHORT_MIN: f32 = 90.0;
const PHOTO_LONG_MIN: f32 = 120.0;
const PHOTO_MAX_H: f32 = 160.0;
const PHOTO_HALF_W: f32 = (CONTENT_W - 2.0 * PAD_X - GAP) / 2.0;
const MISSING_PHOTO_H: f32 = 30.0;

impl Layout<'_> {
    /// Box 24: each photo at least 9 × 12 cm when the page allows, two abreast when both
    /// fit in half the width; a photo not uploaded is an empty frame with its hash.
    pub(crate) fn photos(&mut self, object: &CulturalObject) {
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
    use super::*;

    #[test]
    fn photo_sizes_meet_the_nine_by_twelve_minimum() {
        let (w, h) = photo_size(1600.0, 1200.0);
        assert!((w - 120.0).abs() < 0.01 && (h - 90.0).abs() < 0.01, "{w} × {h}");
        let (w, h) = photo_size(900.0, 1200.0);
        assert!((w - 90.0).abs() < 0.01 && (h - 120.0).abs() < 0.01, "{w} × {h}");
        assert!(w <= PHOTO_HALF_W, "portrait photos go two abreast");
        let (w, h) = photo_size(6000.0, 1000.0);
        assert!(w <= CONTENT_W && h < 90.0, "a panorama is limited by the page width: {w} × {h}");
        let (w, h) = photo_size(1000.0, 6000.0);
        assert!(h <= PHOTO_MAX_H && w < 90.0, "a tall strip is limited in height: {w} × {h}");
    }
}
