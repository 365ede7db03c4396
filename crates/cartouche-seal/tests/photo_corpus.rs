//! Photos of QR seals, as border officers take them with phones: the rendered QR of real
//! seals, rotated, in perspective, blurred, JPEG-compressed, unevenly lit, small in a
//! 12-megapixel frame, printed on an A4 page and photographed, and combinations of these.
//! At least 95% must decode, each to exactly the sealed text; the rate and the decode
//! times are printed (`-- --nocapture`), never asserted, because timings are noisy.
//! Hostile images (a huge declared size, a decompression bomb, a truncated JPEG, random
//! bytes, a blank page) are refused early with the right error.
//!
//! The corpus is 14 cases for each of 4 seals (56 photos, 16 of them 12-megapixel JPEGs),
//! built in memory from the rendered QR. The transforms are written by hand on `image`
//! buffers (inverse mapping with bilinear sampling), so the test adds no dependency; the
//! keys are fixed and noise comes from a seeded xorshift, so the corpus is the same on
//! every run. The photos are grayscale: a colour JPEG of a phone takes longer to decode
//! (about twice as long at 12 megapixels) before the QR search starts.

use std::io::Cursor;
use std::time::{Duration, Instant};

use cartouche_model::{Algorithm, Application, Certificate};
use cartouche_seal::qr::{parse_ec_level, qr_text, render_png};
use cartouche_seal::scan::{MAX_PIXELS, ScanError, decode_qr};
use cartouche_seal::{KeyPair, SealClaims, install_crypto_provider, sign};
use image::{GrayImage, ImageFormat, Luma};
use time::macros::{date, datetime};

/// A realistic production base URL (longer than a test one, so the sizes are honest).
const PUBLIC_URL: &str = "https://cartouche.culture.gouv.example";

/// The examples sealed (one-object seals are QR version 19, two-object ones version 23).
const EXAMPLES: [&str; 4] =
    ["de-manuscript.json", "gb-sculpture.json", "ch-watch-collection.json", "us-photograph-archive.json"];

/// Side of the rendered QR, in pixels (7 pixels a module at version 19, 6 at version 23).
const RENDER_PX: u32 = 800;

/// A 12-megapixel phone photo.
const PHOTO: (u32, u32) = (4000, 3000);

fn example(name: &str) -> Application {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/examples").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The QR text of a seal of `application`, signed with a fixed EdDSA key (Ed25519
/// signatures are deterministic, so the text is the same on every run).
fn seal_text(application: &Application, key_seed: u8) -> String {
    let certificate = Certificate {
        number: format!("{}-2026-000123", application.issuing_authority.country),
        issue_date: date!(2026 - 11 - 28),
        issued_at: datetime!(2026-11-28 10:15:00 UTC),
        application: application.clone(),
        rule_evaluations: vec![],
    };
    let signer = KeyPair::from_secret(Algorithm::EdDSA, vec![key_seed; 32]).unwrap().signer().unwrap();
    let token = sign(&SealClaims::for_certificate(&certificate).unwrap(), &signer).unwrap();
    qr_text(PUBLIC_URL, &token)
}

fn rendered(text: &str) -> GrayImage {
    let png = render_png(text, parse_ec_level("M").unwrap(), RENDER_PX).unwrap();
    image::load_from_memory(&png).unwrap().into_luma8()
}

// ---------------------------------------------------------------------------------------
// Deterministic noise.

/// xorshift64: a fixed seed, the same corpus on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal, mean 0 and standard deviation 1 (sum of four uniforms).
    fn normal(&mut self) -> f64 {
        ((self.unit() + self.unit() + self.unit() + self.unit()) - 2.0) * 3f64.sqrt()
    }
}

// ---------------------------------------------------------------------------------------
// Geometry: inverse mapping with bilinear sampling.

/// A projective map of the plane, as the 3×3 matrix acting on (x, y, 1).
#[derive(Clone, Copy)]
struct Homography([f64; 9]);

impl Homography {
    /// The map taking the unit square's corners (0,0), (1,0), (1,1), (0,1) to `quad`
    /// (Heckbert's closed form).
    fn square_to_quad(quad: [(f64, f64); 4]) -> Self {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = quad;
        let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        let g = (sx * dy2 - dx2 * sy) / den;
        let h = (dx1 * sy - sx * dy1) / den;
        Self([x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1.0])
    }

    fn inverse(&self) -> Self {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        let (ca, cb, cc) = (e * i - f * h, f * g - d * i, d * h - e * g);
        let det = a * ca + b * cb + c * cc;
        let m = [ca, c * h - b * i, b * f - c * e, cb, a * i - c * g, c * d - a * f, cc, b * g - a * h, a * e - b * d];
        Self(m.map(|value| value / det))
    }

    fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }
}

fn bilinear(source: &GrayImage, x: f64, y: f64) -> f64 {
    let (w, h) = (source.width() as i64, source.height() as i64);
    let (fx, fy) = (x.floor(), y.floor());
    let (tx, ty) = (x - fx, y - fy);
    let at = |px: i64, py: i64| f64::from(source.get_pixel(px.clamp(0, w - 1) as u32, py.clamp(0, h - 1) as u32).0[0]);
    let (px, py) = (fx as i64, fy as i64);
    let top = at(px, py) * (1.0 - tx) + at(px + 1, py) * tx;
    let bottom = at(px, py + 1) * (1.0 - tx) + at(px + 1, py + 1) * tx;
    top * (1.0 - ty) + bottom * ty
}

/// Draws `source` onto `canvas` with its corners (top-left, top-right, bottom-right,
/// bottom-left) at `quad`: every canvas pixel inside is mapped back into the source and
/// sampled bilinearly.
fn draw_onto(canvas: &mut GrayImage, source: &GrayImage, quad: [(f64, f64); 4]) {
    let to_unit = Homography::square_to_quad(quad).inverse();
    let (sw, sh) = (f64::from(source.width()), f64::from(source.height()));
    let min_x = quad.iter().map(|p| p.0).fold(f64::MAX, f64::min).floor().max(0.0) as u32;
    let max_x = (quad.iter().map(|p| p.0).fold(f64::MIN, f64::max).ceil() as u32).min(canvas.width());
    let min_y = quad.iter().map(|p| p.1).fold(f64::MAX, f64::min).floor().max(0.0) as u32;
    let max_y = (quad.iter().map(|p| p.1).fold(f64::MIN, f64::max).ceil() as u32).min(canvas.height());
    for y in min_y..max_y {
        for x in min_x..max_x {
            let (u, v) = to_unit.apply(f64::from(x) + 0.5, f64::from(y) + 0.5);
            if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
                continue;
            }
            let value = bilinear(source, u * sw - 0.5, v * sh - 0.5);
            canvas.put_pixel(x, y, Luma([value.round().clamp(0.0, 255.0) as u8]));
        }
    }
}

/// The corners of a `w` × `h` rectangle scaled by `scale`, turned by `degrees` about its
/// centre and centred on `centre`.
fn turned_rectangle(w: f64, h: f64, scale: f64, degrees: f64, centre: (f64, f64)) -> [(f64, f64); 4] {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (hw, hh) = (w * scale / 2.0, h * scale / 2.0);
    [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]
        .map(|(x, y)| (centre.0 + x * cos - y * sin, centre.1 + x * sin + y * cos))
}

/// `image` turned by `degrees` on a white background just large enough to hold it.
fn rotated(image: &GrayImage, degrees: f64) -> GrayImage {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (out_w, out_h) = ((w * cos.abs() + h * sin.abs()).ceil() + 2.0, (w * sin.abs() + h * cos.abs()).ceil() + 2.0);
    let mut out = GrayImage::from_pixel(out_w as u32, out_h as u32, Luma([255]));
    draw_onto(&mut out, image, turned_rectangle(w, h, 1.0, degrees, (out_w / 2.0, out_h / 2.0)));
    out
}

/// `image` in perspective, as photographed at an angle: the side `side` (0 top, 1 right,
/// 2 bottom, 3 left) is `shrink` shorter than the opposite one, on a white background.
fn keystoned(image: &GrayImage, side: usize, shrink: f64) -> GrayImage {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let margin = 20.0;
    let mut out = GrayImage::from_pixel((w + 2.0 * margin) as u32, (h + 2.0 * margin) as u32, Luma([255]));
    let (dx, dy) = (w * shrink / 2.0, h * shrink / 2.0);
    let (l, t, r, b) = (margin, margin, margin + w, margin + h);
    let quad = match side % 4 {
        0 => [(l + dx, t), (r - dx, t), (r, b), (l, b)],
        1 => [(l, t), (r, t + dy), (r, b - dy), (l, b)],
        2 => [(l, t), (r, t), (r - dx, b), (l + dx, b)],
        _ => [(l, t + dy), (r, t), (r, b), (l, b - dy)],
    };
    draw_onto(&mut out, image, quad);
    out
}

// ---------------------------------------------------------------------------------------
// Light, ink and sensor.

/// Multiplies every pixel by `factor(x, y)`.
fn lit(image: &mut GrayImage, factor: impl Fn(f64, f64) -> f64) {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let value = f64::from(pixel.0[0]) * factor(f64::from(x) / w, f64::from(y) / h);
        pixel.0[0] = value.round().clamp(0.0, 255.0) as u8;
    }
}

/// A linear brightness gradient from 100% to 35% across the image, in direction `turn`
/// (0 left to right, 1 top to bottom, 2 right to left, 3 bottom to top).
fn gradient(turn: usize) -> impl Fn(f64, f64) -> f64 {
    move |x, y| {
        let t = match turn % 4 {
            0 => x,
            1 => y,
            2 => 1.0 - x,
            _ => 1.0 - y,
        };
        1.0 - 0.65 * t
    }
}

/// A soft shadow (of a hand or a phone): beyond a diagonal line the light falls to 45%,
/// over a soft edge a fifth of the image wide.
fn soft_shadow(turn: usize) -> impl Fn(f64, f64) -> f64 {
    move |x, y| {
        let (x, y) = if turn % 2 == 0 { (x, y) } else { (1.0 - x, y) };
        let distance = (x + y - 1.1) / 0.2;
        let t = distance.clamp(0.0, 1.0);
        let smooth = t * t * (3.0 - 2.0 * t);
        1.0 - 0.55 * smooth
    }
}

/// Printed and photographed: ink is not black, paper not white.
fn inked(image: &mut GrayImage, ink: u8, paper: u8) {
    let span = f64::from(paper) - f64::from(ink);
    for pixel in image.pixels_mut() {
        pixel.0[0] = (f64::from(ink) + f64::from(pixel.0[0]) / 255.0 * span).round() as u8;
    }
}

/// Mild sensor noise, standard deviation `sigma` gray levels.
fn noisy(image: &mut GrayImage, sigma: f64, rng: &mut Rng) {
    for pixel in image.pixels_mut() {
        pixel.0[0] = (f64::from(pixel.0[0]) + rng.normal() * sigma).round().clamp(0.0, 255.0) as u8;
    }
}

fn blurred(image: &GrayImage, sigma: f32) -> GrayImage {
    image::imageops::blur(image, sigma)
}

// ---------------------------------------------------------------------------------------
// Photos.

/// A gray 12-megapixel "photo" of a table with `qr` on it, `qr_px` pixels wide, centred
/// at (`cx`, `cy`) as fractions of the frame, turned by `degrees`.
fn photo_with_qr(qr: &GrayImage, qr_px: f64, (cx, cy): (f64, f64), degrees: f64) -> GrayImage {
    let mut printed = qr.clone();
    inked(&mut printed, 35, 225);
    let mut photo = GrayImage::from_pixel(PHOTO.0, PHOTO.1, Luma([128]));
    let (w, h) = (f64::from(qr.width()), f64::from(qr.height()));
    let centre = (cx * f64::from(PHOTO.0), cy * f64::from(PHOTO.1));
    draw_onto(&mut photo, &printed, turned_rectangle(w, h, qr_px / w, degrees, centre));
    photo
}

/// An A4 page at 300 dpi (2480 × 3508) with lines of text-like marks and the QR 45 mm
/// wide in its lower right, above a signature block.
fn a4_page(qr: &GrayImage, rng: &mut Rng) -> GrayImage {
    let (page_w, page_h) = (2480u32, 3508u32);
    let mut page = GrayImage::from_pixel(page_w, page_h, Luma([255]));
    let qr_px = 45.0 / 25.4 * 300.0;
    let (qr_left, qr_top) = (f64::from(page_w) - 236.0 - qr_px, 2300.0);
    let scale = qr_px / f64::from(qr.width());
    let centre = (qr_left + qr_px / 2.0, qr_top + qr_px / 2.0);
    draw_onto(&mut page, qr, turned_rectangle(f64::from(qr.width()), f64::from(qr.height()), scale, 0.0, centre));
    // Text: lines 50 px apart (12 pt), letters of 5 × 7 random cells of 3 × 4 px, words of
    // 2 to 10 letters; no text over the QR or its margin.
    let keep_clear = |x: u32, y: u32| {
        let (x, y) = (f64::from(x), f64::from(y));
        x > qr_left - 60.0 && x < qr_left + qr_px + 60.0 && y > qr_top - 60.0 && y < qr_top + qr_px + 60.0
    };
    let mut y = 236u32;
    while y + 40 < page_h - 236 {
        if (1500..1700).contains(&y) {
            y += 50;
            continue;
        }
        let mut x = 236u32;
        let line_end = page_w - 236 - (rng.next() % 400) as u32;
        while x + 200 < line_end {
            let letters = 2 + rng.next() % 9;
            for _ in 0..letters {
                for cell in 0..35u32 {
                    if rng.next() % 100 < 40 {
                        let (cx, cy) = (x + (cell % 5) * 3, y + (cell / 5) * 4);
                        for dy in 0..4 {
                            for dx in 0..3 {
                                if !keep_clear(cx + dx, cy + dy) {
                                    page.put_pixel(cx + dx, cy + dy, Luma([40]));
                                }
                            }
                        }
                    }
                }
                x += 19;
            }
            x += 22;
        }
        y += 50;
    }
    page
}

/// The A4 page photographed in a 12-megapixel frame, on a gray table: `sideways` with
/// the phone held in landscape and the page filling the frame lengthwise, otherwise
/// upright with the page filling the frame's height; turned a little more by `degrees`.
fn photographed_page(page: &GrayImage, sideways: bool, degrees: f64) -> GrayImage {
    let mut printed = page.clone();
    inked(&mut printed, 30, 230);
    let mut photo = GrayImage::from_pixel(PHOTO.0, PHOTO.1, Luma([110]));
    let (w, h) = (f64::from(page.width()), f64::from(page.height()));
    let (scale, turn) = if sideways { (3850.0 / h, 90.0 + degrees) } else { (2880.0 / h, degrees) };
    let centre = (f64::from(PHOTO.0) / 2.0, f64::from(PHOTO.1) / 2.0);
    draw_onto(&mut photo, &printed, turned_rectangle(w, h, scale, turn, centre));
    photo
}

// ---------------------------------------------------------------------------------------
// Encoding.

fn png(image: &GrayImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(image: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(image).unwrap();
    out
}

/// One photo of the corpus.
struct Case {
    name: String,
    megapixels: f64,
    bytes: Vec<u8>,
}

fn case(name: String, image: &GrayImage, bytes: Vec<u8>) -> Case {
    Case { name, megapixels: f64::from(image.width()) * f64::from(image.height()) / 1e6, bytes }
}

/// Every transformed photo of one seal; `index` varies directions and positions.
fn cases_for(example: &str, qr: &GrayImage, index: usize, rng: &mut Rng) -> Vec<Case> {
    let sign = if index % 2 == 0 { 1.0 } else { -1.0 };
    let mut out = Vec::new();
    for degrees in [5.0, 15.0, 30.0] {
        let image = rotated(qr, sign * degrees);
        out.push(case(format!("{example} rotated {}°", sign * degrees), &image, png(&image)));
    }
    let image = keystoned(qr, index, 0.15);
    out.push(case(format!("{example} keystone (side {} 15% shorter)", index % 4), &image, png(&image)));
    for sigma in [1.0, 2.0] {
        let image = blurred(qr, sigma);
        out.push(case(format!("{example} gaussian blur σ{sigma}"), &image, png(&image)));
    }
    out.push(case(format!("{example} JPEG q40"), qr, jpeg(qr, 40)));
    let mut image = qr.clone();
    lit(&mut image, gradient(index));
    out.push(case(format!("{example} light gradient 100%→35%"), &image, png(&image)));
    let mut image = qr.clone();
    lit(&mut image, soft_shadow(index));
    out.push(case(format!("{example} soft shadow"), &image, png(&image)));

    // Small in a 12-megapixel photo: a quarter of the width.
    let spots = [(0.5, 0.5), (0.3, 0.35), (0.7, 0.6), (0.4, 0.7)];
    let mut image = photo_with_qr(qr, f64::from(PHOTO.0) / 4.0, spots[index % 4], 0.0);
    noisy(&mut image, 4.0, rng);
    out.push(case(format!("{example} 12 MP photo, QR a quarter of the width"), &image, jpeg(&image, 90)));

    // Printed on an A4 page, photographed upright and sideways.
    let page = a4_page(qr, rng);
    for sideways in [false, true] {
        let mut image = photographed_page(&page, sideways, sign * 2.5);
        noisy(&mut image, 4.0, rng);
        let how = if sideways { "sideways" } else { "upright" };
        out.push(case(format!("{example} 12 MP photo of the A4 page ({how})"), &image, jpeg(&image, 90)));
    }

    // Combinations.
    let image = blurred(&rotated(qr, sign * (7.0 + 6.0 * index as f64)), 1.5);
    out.push(case(format!("{example} rotated + blur σ1.5 + JPEG q40"), &image, jpeg(&image, 40)));
    let mut image = photo_with_qr(qr, f64::from(PHOTO.0) / 3.0, spots[(index + 2) % 4], sign * 4.0);
    lit(&mut image, gradient(index + 1));
    noisy(&mut image, 4.0, rng);
    out.push(case(format!("{example} 12 MP photo, gradient + JPEG q40"), &image, jpeg(&image, 40)));
    out
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn millis(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

#[test]
fn photos_of_seals_decode_to_the_exact_text() {
    install_crypto_provider();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut decoded, mut total) = (0usize, 0usize);
    let (mut all_times, mut large_times) = (Vec::new(), Vec::new());
    let mut failures = Vec::new();
    for (index, name) in EXAMPLES.iter().enumerate() {
        let text = seal_text(&example(name), index as u8 + 1);
        let qr = rendered(&text);
        for case in cases_for(name.trim_end_matches(".json"), &qr, index, &mut rng) {
            let started = Instant::now();
            let result = decode_qr(&case.bytes);
            let elapsed = started.elapsed();
            total += 1;
            all_times.push(elapsed);
            if case.megapixels >= 11.0 {
                large_times.push(elapsed);
            }
            let outcome = match result {
                Ok(found) => {
                    // A wrong text is never acceptable, whatever the rate.
                    assert_eq!(found, text, "{}: decoded a different text", case.name);
                    decoded += 1;
                    "ok".to_string()
                }
                Err(error) => {
                    failures.push(case.name.clone());
                    format!("FAILED ({error})")
                }
            };
            println!(
                "{:>7} {:>5.1} MP {:>7} kB  {}: {outcome}",
                millis(elapsed),
                case.megapixels,
                case.bytes.len() / 1024,
                case.name
            );
        }
    }
    let rate = decoded as f64 / total as f64;
    println!("decoded {decoded} of {total} photos ({:.1}%)", rate * 100.0);
    let max_all = all_times.iter().max().copied().unwrap_or_default();
    let max_large = large_times.iter().max().copied().unwrap_or_default();
    println!(
        "decode time, all {} photos: median {}, max {}",
        all_times.len(),
        millis(median(&mut all_times)),
        millis(max_all)
    );
    println!(
        "decode time, {} photos of 12 megapixels: median {}, max {}",
        large_times.len(),
        millis(median(&mut large_times)),
        millis(max_large)
    );
    assert!(total >= 40, "the corpus has {total} photos");
    assert!(rate >= 0.95, "decoded {decoded} of {total} ({:.1}%); failed: {failures:#?}", rate * 100.0);
}

// ---------------------------------------------------------------------------------------
// Hostile images.

/// CRC-32 (IEEE, reflected, as PNG uses), bit by bit: the chunks here are small or few.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for part in parts {
        for byte in part.iter() {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// A grayscale 8-bit PNG of `width` × `height` whose pixel data (zlib) is `idat`.
fn gray_png(width: u32, height: u32, idat: &[u8]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8 bits, grayscale, deflate, adaptive filter, no interlace
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", idat);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// Runs `decode_qr`, printing how long the refusal took.
fn refused(what: &str, bytes: &[u8]) -> ScanError {
    let started = Instant::now();
    let result = decode_qr(bytes);
    println!("{what}: {} bytes, answered in {:?}: {result:?}", bytes.len(), started.elapsed());
    result.expect_err(what)
}

/// Like `refused`, for images that must be refused before any pixel is decoded: these take
/// microseconds, so a second is only a guard against a decoder that set to work anyway.
fn refused_early(what: &str, bytes: &[u8]) -> ScanError {
    let started = Instant::now();
    let error = refused(what, bytes);
    assert!(started.elapsed() < Duration::from_secs(1), "{what}: refused only after {:?}", started.elapsed());
    error
}

#[test]
fn hostile_images_are_refused_early_with_the_right_error() {
    assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082, "the CRC-32 of an empty IEND chunk");

    // A header claiming 30000 × 30000 (900 megapixels), a few bytes of pixel data.
    let huge = gray_png(30_000, 30_000, &miniz_oxide::deflate::compress_to_vec_zlib(&[0; 64], 6));
    assert!(matches!(
        refused_early("30000 × 30000 header", &huge),
        ScanError::TooLarge { width: 30_000, height: 30_000 }
    ));

    // A decompression bomb: a valid 9000 × 9000 PNG of zeros (81 megapixels, over
    // MAX_PIXELS) in some tens of kilobytes.
    let side = 9000usize;
    let raw = vec![0u8; side * (side + 1)]; // a filter byte (0, none) and 9000 zeros a row
    let bomb = gray_png(side as u32, side as u32, &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9));
    drop(raw);
    assert!(bomb.len() < 100 * 1024, "the bomb is {} bytes", bomb.len());
    assert!((side * side) as u64 > MAX_PIXELS);
    assert!(matches!(refused_early("9000 × 9000 bomb", &bomb), ScanError::TooLarge { width: 9000, height: 9000 }));
    // The bomb is real: an unlimited decoder inflates it to 81 megabytes of pixels.
    let started = Instant::now();
    let inflated = image::load_from_memory_with_format(&bomb, ImageFormat::Png).unwrap();
    println!("the bomb, decoded without limits: {}×{} in {:?}", inflated.width(), inflated.height(), started.elapsed());
    assert_eq!((inflated.width(), inflated.height()), (9000, 9000));
    drop(inflated);
    // And its pixels are never read: with the compressed data garbled after the zlib
    // header, the answer is still TooLarge (decoding would have failed as Corrupt).
    let mut garbled = bomb.clone();
    let idat_data = 8 + 25 + 8 + 2; // signature, IHDR chunk, IDAT length and type, zlib header
    for byte in &mut garbled[idat_data..idat_data + 256] {
        *byte = 0xFF;
    }
    assert!(matches!(refused_early("garbled bomb", &garbled), ScanError::TooLarge { width: 9000, height: 9000 }));

    // A truncated JPEG of a real QR.
    install_crypto_provider();
    let qr = rendered(&seal_text(&example(EXAMPLES[0]), 1));
    let full = jpeg(&qr, 90);
    assert!(decode_qr(&full).is_ok(), "the whole JPEG decodes");
    let truncated = &full[..full.len() / 2];
    assert!(matches!(refused_early("truncated JPEG", truncated), ScanError::Corrupt(_)));

    // Random bytes.
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let random: Vec<u8> = (0..64 * 1024).map(|_| rng.next() as u8).collect();
    assert!(matches!(refused_early("random bytes", &random), ScanError::UnsupportedFormat));

    // A blank white page.
    let blank = png(&GrayImage::from_pixel(1200, 900, Luma([255])));
    assert!(matches!(refused("blank white PNG", &blank), ScanError::NoQrCode));
}
