//! Recall of the photo watch list's fingerprints on a generated set: 200 "object photos"
//! (shapes on a lit background, seeded, so the set is the same at every run), each altered
//! seven ways as a thief or a border camera would: cropped, turned a quarter, tilted a few
//! degrees, re-compressed hard, resized small, lit differently, and several at once.
//!
//! - recall at 5: for each altered photo, is its original among the 5 nearest of the 200?
//! - recall at the match distance: is its original within [`MATCH_DISTANCE`] bits (the
//!   referral a verification makes)?
//! - false-match rate: of 200 unrelated photos, how many are within [`MATCH_DISTANCE`]
//!   bits of any listed photo?
//!
//! The rates are asserted, not the times. The figures are in BENCHMARKS.md ("Photo watch
//! list"): `cargo test -p cartouche-image --test recall -- --nocapture` prints them.

use std::io::Cursor;

use cartouche_image::fingerprint::{Fingerprint, MATCH_DISTANCE};
use image::{DynamicImage, Rgb, RgbImage, imageops::FilterType};

/// xorshift64*: a seeded generator, so every run sees the same set.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn colour(&mut self) -> [f32; 3] {
        [self.unit() * 255.0, self.unit() * 255.0, self.unit() * 255.0]
    }
}

const WIDTH: u32 = 400;
const HEIGHT: u32 = 300;

/// An object photo: a lit background and an object of 3 to 6 overlapping shapes.
fn object_photo(rng: &mut Rng) -> DynamicImage {
    let (top, bottom) = (rng.colour(), rng.colour());
    let light = (rng.unit() * WIDTH as f32, rng.unit() * HEIGHT as f32);
    let shapes: Vec<(u32, f32, f32, f32, f32, [f32; 3])> = (0..3 + rng.below(4))
        .map(|_| {
            let kind = rng.below(3);
            let cx = WIDTH as f32 * (0.2 + 0.6 * rng.unit());
            let cy = HEIGHT as f32 * (0.2 + 0.6 * rng.unit());
            let rx = WIDTH as f32 * (0.06 + 0.22 * rng.unit());
            let ry = HEIGHT as f32 * (0.06 + 0.3 * rng.unit());
            (kind, cx, cy, rx, ry, rng.colour())
        })
        .collect();
    let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let t = fy / HEIGHT as f32;
        let mut colour = [0.0f32; 3];
        for (c, value) in colour.iter_mut().enumerate() {
            *value = top[c] * (1.0 - t) + bottom[c] * t;
        }
        for &(kind, cx, cy, rx, ry, fill) in &shapes {
            let (dx, dy) = ((fx - cx) / rx, (fy - cy) / ry);
            let inside = match kind {
                0 => dx * dx + dy * dy <= 1.0,
                1 => dx.abs() <= 1.0 && dy.abs() <= 1.0,
                _ => (-1.0..=1.0).contains(&dy) && dx.abs() <= (dy + 1.0) / 2.0,
            };
            if inside {
                // Shaded: darker away from the light.
                let shade = 0.75 + 0.25 * (1.0 - ((fx - light.0).hypot(fy - light.1) / WIDTH as f32).min(1.0));
                for c in 0..3 {
                    colour[c] = fill[c] * shade;
                }
            }
        }
        Rgb(colour.map(|v| v.clamp(0.0, 255.0) as u8))
    });
    DynamicImage::ImageRgb8(image)
}

fn recompress(image: &DynamicImage, quality: u8) -> DynamicImage {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(&image.to_rgb8()).unwrap();
    image::load_from_memory(&out.into_inner()).unwrap()
}

fn crop(image: &DynamicImage, rng: &mut Rng, most: f32) -> DynamicImage {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let left = (w * most * rng.unit()) as u32;
    let right = (w * most * rng.unit()) as u32;
    let top = (h * most * rng.unit()) as u32;
    let bottom = (h * most * rng.unit()) as u32;
    image.crop_imm(left, top, image.width() - left - right, image.height() - top - bottom)
}

/// Turned by `degrees` about the centre, the corners filled from the nearest edge.
fn tilt(image: &DynamicImage, degrees: f32) -> DynamicImage {
    let source = image.to_rgb8();
    let (w, h) = (source.width() as f32, source.height() as f32);
    let (sin, cos) = degrees.to_radians().sin_cos();
    DynamicImage::ImageRgb8(RgbImage::from_fn(source.width(), source.height(), |x, y| {
        let (dx, dy) = (x as f32 - w / 2.0, y as f32 - h / 2.0);
        let sx = (cos * dx + sin * dy + w / 2.0).clamp(0.0, w - 1.0);
        let sy = (-sin * dx + cos * dy + h / 2.0).clamp(0.0, h - 1.0);
        *source.get_pixel(sx as u32, sy as u32)
    }))
}

fn relight(image: &DynamicImage, brightness: i32, contrast: f32) -> DynamicImage {
    image.adjust_contrast(contrast).brighten(brightness)
}

fn alterations(original: &DynamicImage, rng: &mut Rng) -> Vec<(&'static str, DynamicImage)> {
    let quarter = match rng.below(3) {
        0 => original.rotate90(),
        1 => original.rotate180(),
        _ => original.rotate270(),
    };
    let angle = if rng.below(2) == 0 { 3.0 + 2.0 * rng.unit() } else { -3.0 - 2.0 * rng.unit() };
    let light = if rng.below(2) == 0 { 40 } else { -40 };
    let several = recompress(
        &relight(&crop(&tilt(original, angle / 2.0), rng, 0.06), light / 2, -15.0).resize(
            WIDTH / 2,
            HEIGHT / 2,
            FilterType::Triangle,
        ),
        40,
    );
    vec![
        ("crop (up to 10% a side)", crop(original, rng, 0.10)),
        ("quarter turn", quarter),
        ("tilt (3 to 5 degrees)", tilt(original, angle)),
        ("JPEG quality 15", recompress(original, 15)),
        ("resized to 30%", original.resize(WIDTH * 3 / 10, HEIGHT * 3 / 10, FilterType::Triangle)),
        ("light (brightness ±40, contrast -25%)", relight(original, light, -25.0)),
        ("several at once (tilt, crop, light, half size, JPEG 40)", several),
    ]
}

#[test]
fn altered_photos_are_found_and_unrelated_ones_are_not() {
    const LISTED: usize = 200;
    let mut rng = Rng(0x5EED_CA27_0C4E_0001);
    let originals: Vec<DynamicImage> = (0..LISTED).map(|_| object_photo(&mut rng)).collect();
    let listed: Vec<Vec<u64>> = originals.iter().map(Fingerprint::listed).collect();

    let mut by_kind: Vec<(&'static str, usize, usize, usize)> = Vec::new();
    let (mut queries, mut top5, mut within) = (0usize, 0usize, 0usize);
    let mut nearest_true: Vec<u32> = Vec::new();
    for (index, original) in originals.iter().enumerate() {
        for (kind, altered) in alterations(original, &mut rng) {
            let print = Fingerprint::of(&altered);
            let mut ranked: Vec<(u32, usize)> =
                listed.iter().enumerate().map(|(i, hashes)| (print.distance_to_any(hashes), i)).collect();
            ranked.sort_unstable();
            let found = ranked.iter().take(5).any(|&(_, i)| i == index);
            let near = print.distance_to_any(&listed[index]) <= MATCH_DISTANCE;
            nearest_true.push(print.distance_to_any(&listed[index]));
            queries += 1;
            top5 += usize::from(found);
            within += usize::from(near);
            match by_kind.iter_mut().find(|row| row.0 == kind) {
                Some(row) => {
                    row.1 += 1;
                    row.2 += usize::from(found);
                    row.3 += usize::from(near);
                }
                None => by_kind.push((kind, 1, usize::from(found), usize::from(near))),
            }
        }
    }

    let mut unrelated_rng = Rng(0x0BAD_5EED_0000_0002);
    let unrelated: Vec<DynamicImage> = (0..200).map(|_| object_photo(&mut unrelated_rng)).collect();
    let nearest_unrelated: Vec<u32> = unrelated
        .iter()
        .map(|photo| {
            let print = Fingerprint::of(photo);
            listed.iter().map(|hashes| print.distance_to_any(hashes)).min().unwrap_or(64)
        })
        .collect();
    println!("| match distance (bits) | recall at that distance | false-match rate |");
    println!("|---|---|---|");
    for bits in (4..=16).step_by(2) {
        println!(
            "| {bits} | {:.3} | {:.3} |",
            nearest_true.iter().filter(|d| **d <= bits).count() as f64 / nearest_true.len() as f64,
            nearest_unrelated.iter().filter(|d| **d <= bits).count() as f64 / nearest_unrelated.len() as f64
        );
    }
    let false_matches = nearest_unrelated.iter().filter(|d| **d <= MATCH_DISTANCE).count();

    let recall_at_5 = top5 as f64 / queries as f64;
    let recall_at_distance = within as f64 / queries as f64;
    let false_match_rate = false_matches as f64 / unrelated.len() as f64;
    println!("listed photos: {LISTED}; altered queries: {queries}; unrelated photos: {}", unrelated.len());
    println!("| alteration | queries | recall at 5 | within {MATCH_DISTANCE} bits |");
    println!("|---|---|---|---|");
    for (kind, count, found, near) in &by_kind {
        println!("| {kind} | {count} | {:.3} | {:.3} |", *found as f64 / *count as f64, *near as f64 / *count as f64);
    }
    println!("| **all** | {queries} | **{recall_at_5:.3}** | **{recall_at_distance:.3}** |");
    println!("false-match rate (unrelated photo within {MATCH_DISTANCE} bits of a listed one): {false_match_rate:.3}");

    assert!(recall_at_5 >= 0.9, "recall at 5 is {recall_at_5:.3}, the goal is 0.9");
    assert!(recall_at_distance >= 0.85, "recall at {MATCH_DISTANCE} bits is {recall_at_distance:.3}");
    assert!(false_match_rate <= 0.02, "false-match rate is {false_match_rate:.3}");
}
