//! The layout engine: an A4 page in millimetres from its top-left corner, drawing
//! primitives (text, boxes, lines, images), page breaks with a running head and footer on
//! every page, and rows of labelled boxes that split across pages when taller than what is
//! left, repeating their labels marked "continued". What goes in the boxes is `form.rs`.

use std::collections::BTreeMap;

use printpdf::{
    BuiltinFont, Color, Greyscale, Line, LineDashPattern, LinePoint, Op, PaintMode, PdfFontHandle, Point, Pt, Rect,
    Rgb, TextItem, XObjectId, XObjectTransform,
};

use crate::DocumentInput;
use crate::images::{PhotoSource, QrMatrix};
use crate::labels::{Key, Labels};
use crate::metrics::{MM_TO_PT, text_width, win_ansi, wrap};

// Page geometry, in millimetres from the top-left corner of an A4 portrait page.
pub(crate) const PAGE_W: f32 = 210.0;
pub(crate) const PAGE_H: f32 = 297.0;
pub(crate) const MARGIN_X: f32 = 12.0;
pub(crate) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
pub(crate) const FIRST_TOP: f32 = 12.0;
pub(crate) const CONTINUATION_TOP: f32 = 17.0;
pub(crate) const BODY_BOTTOM: f32 = 281.0;
pub(crate) const GAP: f32 = 2.0;

// Type sizes (points) and line spacing (millimetres).
pub(crate) const BODY_SIZE: f32 = 8.5;
pub(crate) const BODY_LEAD: f32 = 3.6;
pub(crate) const LABEL_SIZE: f32 = 6.2;
pub(crate) const LABEL_LEAD: f32 = 2.6;
pub(crate) const NUMBER_SIZE: f32 = 7.0;
pub(crate) const PAD_X: f32 = 1.6;
pub(crate) const PAD_TOP: f32 = 1.0;
pub(crate) const PAD_BOTTOM: f32 = 1.3;

/// What one certificate's pages are made from.
pub(crate) struct Context<'a> {
    pub(crate) input: &'a DocumentInput,
    pub(crate) labels: Labels,
    /// The seal's QR code and its printed side in millimetres.
    pub(crate) qr: &'a QrMatrix,
    pub(crate) qr_side: f32,
    /// How each photo the certificate names is printed, by SHA-256.
    pub(crate) photos: BTreeMap<&'a str, PhotoSource>,
}

impl Context<'_> {
    /// The label of `key` in the certificate's label languages.
    pub(crate) fn label(&self, key: Key) -> String {
        self.labels.label(key)
    }

    /// "page 1" in the label languages.
    pub(crate) fn page_word(&self, page: usize) -> String {
        format!("{} {page}", self.label(Key::Page))
    }
}

/// One paragraph of a box: an optional bold lead-in, then text.
pub(crate) struct Para {
    lead: Option<String>,
    text: String,
    bold: bool,
}

/// A plain paragraph.
pub(crate) fn para(text: impl Into<String>) -> Para {
    Para { lead: None, text: text.into(), bold: false }
}

/// A bold paragraph.
pub(crate) fn strong(text: impl Into<String>) -> Para {
    Para { lead: None, text: text.into(), bold: true }
}

/// "Lead: text", the lead in bold.
pub(crate) fn led(lead: impl Into<String>, text: impl Into<String>) -> Para {
    Para { lead: Some(format!("{}:", lead.into())), text: text.into(), bold: false }
}

/// A labelled box of the form.
pub(crate) struct Cell {
    number: &'static str,
    label: String,
    paras: Vec<Para>,
    share: f32,
}

/// Box `number` (empty: an unnumbered box) labelled `label`, `share` of the row's width.
pub(crate) fn cell(number: &'static str, label: String, paras: Vec<Para>, share: f32) -> Cell {
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

pub(crate) fn pt(mm: f32) -> Pt {
    Pt(mm * MM_TO_PT)
}

pub(crate) fn grey(level: f32) -> Color {
    Color::Greyscale(Greyscale::new(level, None))
}

pub(crate) fn red() -> Color {
    Color::Rgb(Rgb::new(0.72, 0.05, 0.05, None))
}

/// The pages being laid out.
pub(crate) struct Layout<'a> {
    pub(crate) context: &'a Context<'a>,
    /// The page count printed in footers and box 25.
    pub(crate) total: usize,
    pub(crate) pages: Vec<Vec<Op>>,
    /// Where the next thing goes, in millimetres from the top of the page.
    pub(crate) y: f32,
    /// Texts that did not fit their width (a bug if ever non-empty).
    pub(crate) overflows: Vec<String>,
}

impl<'a> Layout<'a> {
    /// Lays the whole certificate out, printing `total` as the page count.
    pub(crate) fn run(context: &'a Context<'a>, total: usize) -> Self {
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

    pub(crate) fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page is started first")
    }

    // Drawing primitives, in millimetres from the top-left corner.

    pub(crate) fn text(
        &mut self,
        (x, baseline): (f32, f32),
        size: f32,
        bold: bool,
        color: Color,
        text: &str,
        max_width: f32,
    ) {
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

    pub(crate) fn centred(&mut self, x: f32, width: f32, baseline: f32, size: f32, bold: bool, text: &str) {
        let shown = win_ansi(text);
        let left = x + ((width - text_width(&shown, size, bold)) / 2.0).max(0.0);
        self.text((left, baseline), size, bold, grey(0.0), &shown, width);
    }

    pub(crate) fn rect(
        &mut self,
        x: f32,
        top: f32,
        width: f32,
        height: f32,
        stroke: Option<(f32, f32)>,
        fill: Option<f32>,
    ) {
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

    pub(crate) fn line(&mut self, from: (f32, f32), to: (f32, f32), level: f32, thickness: f32, dashed: bool) {
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

    pub(crate) fn image(&mut self, id: &XObjectId, x: f32, top: f32, width: f32, height: f32) {
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

    /// The seal's QR code, its quiet zone included, `side` mm square.
    pub(crate) fn qr(&mut self, x: f32, top: f32, side: f32) {
        let ops = self.context.qr.ops(pt(x).0, pt(PAGE_H - top).0, pt(side).0);
        self.ops().extend(ops);
    }

    // Pages.

    pub(crate) fn start_page(&mut self) {
        self.pages.push(Vec::new());
        let index = self.pages.len();
        let context = self.context;
        let number = context.input.certificate.number.clone();
        if index > 1 {
            let title = Labels::bilingual(Key::Title);
            let width = CONTENT_W - 40.0;
            self.text((MARGIN_X, 10.0), 7.0, false, grey(0.35), &title, width);
            let right = MARGIN_X + CONTENT_W - text_width(&number, 9.0, true);
            self.text((right, 10.0), 9.0, true, grey(0.0), &number, 40.0);
            self.line((MARGIN_X, 12.0), (MARGIN_X + CONTENT_W, 12.0), 0.5, 0.5, false);
        }
        // Footer: the number and "page N / M" on every page.
        self.line((MARGIN_X, 284.0), (MARGIN_X + CONTENT_W, 284.0), 0.5, 0.5, false);
        self.text((MARGIN_X, 288.5), 8.0, true, grey(0.0), &number, 50.0);
        let middle = Labels::bilingual(Key::Scan) + ": QR, " + &context.page_word(1);
        self.centred(MARGIN_X + 50.0, CONTENT_W - 100.0, 288.5, 6.5, false, &middle);
        // "page" is the same word in English and French.
        let page = format!("page {index} / {}", self.total);
        let right = MARGIN_X + CONTENT_W - text_width(&win_ansi(&page), 8.0, false);
        self.text((right, 288.5), 8.0, false, grey(0.0), &page, 50.0);
        self.y = if index > 1 { CONTINUATION_TOP } else { FIRST_TOP };
    }

    /// Bars the unused space at the foot of the current page (EU form: "unused space must
    /// be barred"), so nothing can be added there.
    pub(crate) fn bar_unused(&mut self) {
        if BODY_BOTTOM - self.y > 15.0 {
            let top = self.y + 2.0;
            self.line((MARGIN_X, top), (MARGIN_X + CONTENT_W, BODY_BOTTOM), 0.6, 0.5, false);
        }
    }

    pub(crate) fn new_page(&mut self) {
        self.bar_unused();
        self.start_page();
    }

    /// Room left on the page.
    pub(crate) fn room(&self) -> f32 {
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
    pub(crate) fn row_at(&mut self, x: f32, width: f32, cells: &[Cell]) {
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

    pub(crate) fn row(&mut self, cells: &[Cell]) {
        self.row_at(MARGIN_X, CONTENT_W, cells);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::tests::{example, input};

    fn layout_of(input: &DocumentInput) -> (usize, Vec<String>) {
        let context = Context {
            input,
            labels: Labels::for_language(&input.language),
            qr: &input.qr,
            qr_side: input.qr.printed_side(),
            photos: BTreeMap::new(),
        };
        let layout = Layout::run(&context, 9);
        (layout.pages.len(), layout.overflows)
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
    fn every_page_ends_above_the_footer() {
        let mut many = example("de-manuscript.json");
        let object = many.objects[0].clone();
        many.objects.extend(std::iter::repeat_n(object, 5));
        let input = input(many, BTreeMap::new());
        let context = Context {
            input: &input,
            labels: Labels::for_language("de"),
            qr: &input.qr,
            qr_side: input.qr.printed_side(),
            photos: BTreeMap::new(),
        };
        let mut layout = Layout { context: &context, total: 1, pages: Vec::new(), y: FIRST_TOP, overflows: Vec::new() };
        layout.start_page();
        layout.first_page_head();
        assert!(layout.y > FIRST_TOP + context.qr_side, "page 1's boxes start below the QR code");
        let before = layout.pages.len();
        // A row taller than a page splits, and each part stays above the footer.
        let long = para("Sehr langer Text. ".repeat(2000));
        layout.row(&[cell("9", context.label(Key::Box9), vec![long], 1.0)]);
        assert!(layout.pages.len() > before + 1, "a row taller than a page continues: {} pages", layout.pages.len());
        assert!(layout.y <= BODY_BOTTOM, "{} is below the body", layout.y);
        assert!(layout.overflows.is_empty(), "{:?}", layout.overflows);
    }
}
