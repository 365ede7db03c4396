//! Reading a seal's QR code from a photo: decoding the image within hard limits, finding
//! the code's three finder patterns in a small working copy, then running rqrr on that
//! region of the full-resolution pixels, resampled to a comfortable module size and
//! binarised a few different ways, until one decodes.
//!
//! Photos come from phones at border posts: large, tilted, blurred, unevenly lit. The
//! limits come first, because the bytes are untrusted: a format allow-list (PNG, JPEG),
//! a cap on the declared dimensions checked before any pixel is decoded, a cap on memory
//! for the decoder, and a JPEG must be complete (the decoder would fill a cut one with
//! gray).
//!
//! Why the finder search: rqrr pairs finder patterns using the perspective of each one,
//! measured from its four corners in whole pixels, and extrapolates it across the code;
//! at six or seven pixels a module a one-pixel error sends it off target, so a seal's dense
//! QR (version 19 to 23) is found only about half the time. Locating the code cheaply and
//! handing rqrr just that region at about ten pixels a module makes each attempt both
//! cheap and likely to succeed, and each binarisation or scale is another, largely
//! independent, chance. The whole working copy is still tried when no code is located.

use std::borrow::Cow;

/// The image limits are those of every untrusted image in Cartouche (`cartouche-image`).
pub use cartouche_image::{MAX_PIXELS, MAX_SIDE_PX};
use image::GrayImage;

/// Largest upload accepted by callers that enforce it, in bytes.
pub const MAX_IMAGE_BYTES: usize = cartouche_image::MAX_PHOTO_BYTES;

/// Longest side of the working copy the finder patterns are looked for in: a 12-megapixel
/// photo is halved, which keeps a QR printed 45 mm wide on an A4 page photographed whole
/// at two pixels a module.
const WORK_SIDE: u32 = 2000;
/// At most this many located codes are tried (a false one can come from text or patterns).
const MAX_REGIONS: usize = 3;
/// Longest side a located code is resampled to, whatever its module size.
const MAX_CROP_SIDE: f64 = 2400.0;
/// The attempts on a located code, in order: module size in pixels, radius of a box blur
/// (pixels of the resampled crop) and binarisation. Each fails on different images
/// (rqrr's corner measurement is what varies), so a few diverse ones are worth more than
/// many alike. A slight blur smooths the jagged, noisy edges that throw the corners off;
/// larger modules make a one-pixel error smaller. Measured on the photo corpus
/// (tests/photo_corpus.rs): the first attempt reads about 4 photos in 5, the first three
/// all but one, and none of the six reads more than 9 in 10 alone.
const CROP_ATTEMPTS: [Attempt; 6] = [
    Attempt { module: 10.0, blur: 1, binarisation: Binarisation::LocalMean },
    Attempt { module: 12.0, blur: 2, binarisation: Binarisation::Otsu },
    Attempt { module: 14.0, blur: 1, binarisation: Binarisation::LocalMean },
    Attempt { module: 8.0, blur: 0, binarisation: Binarisation::LocalMean },
    Attempt { module: 10.0, blur: 1, binarisation: Binarisation::Otsu },
    Attempt { module: 12.0, blur: 0, binarisation: Binarisation::Rqrr },
];
/// Attempts on the second and third located codes.
const OTHER_REGION_ATTEMPTS: usize = 3;

/// Why no QR text came out of an image.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Not a PNG or JPEG.
    #[error("the image is not a PNG or JPEG")]
    UnsupportedFormat,
    /// Dimensions over the limits (checked before decoding).
    #[error(
        "the image is {width} × {height} pixels; the limit is {MAX_SIDE_PX} pixels a side and {MAX_PIXELS} pixels in all"
    )]
    TooLarge {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The bytes could not be decoded (truncated, corrupt, over the memory limit).
    #[error("the image could not be decoded: {0}")]
    Corrupt(String),
    /// Decoded, but no QR code could be read in it.
    #[error(
        "no QR code could be read in the image; photograph the code straight on, filling a third of the frame, in even light"
    )]
    NoQrCode,
}

/// Decodes untrusted image bytes into grayscale within the limits of
/// [`cartouche_image::decode_limited`] (format allow-list, dimensions before pixels,
/// bounded decoder memory, truncated JPEGs refused).
pub fn load_gray(bytes: &[u8]) -> Result<GrayImage, ScanError> {
    use cartouche_image::ImageError;
    match cartouche_image::decode_limited(bytes) {
        Ok(image) => Ok(image.into_luma8()),
        Err(ImageError::UnsupportedFormat) => Err(ScanError::UnsupportedFormat),
        Err(ImageError::TooLarge { width, height }) => Err(ScanError::TooLarge { width, height }),
        Err(other) => Err(ScanError::Corrupt(other.to_string())),
    }
}

/// One way of trying rqrr on a located code.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    /// Module size the region is resampled to, in pixels.
    module: f64,
    /// Radius of the box blur applied after resampling (0: none).
    blur: usize,
    /// How it is then made black and white.
    binarisation: Binarisation,
}

/// How a grayscale image is turned into black and white for rqrr.
#[derive(Clone, Copy, Debug)]
enum Binarisation {
    /// rqrr's own: a running mean along each row.
    Rqrr,
    /// One threshold for the whole image, between its two tone populations (Otsu): the
    /// sharpest when the light is even.
    Otsu,
    /// Below 90% of the mean over a square window an eighth of the image wide: follows
    /// gradients and shadows.
    LocalMean,
}

/// Runs rqrr on `image` binarised as asked; the first grid that decodes to some text.
fn try_decode(image: &GrayImage, binarisation: Binarisation) -> Option<String> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width < 21 || height < 21 {
        return None; // smaller than a version 1 code at a pixel a module
    }
    let pixels = image.as_raw();
    let mut prepared = match binarisation {
        Binarisation::Rqrr => rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]),
        Binarisation::Otsu => {
            let dark = otsu_dark(image);
            rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x])
        }
        Binarisation::LocalMean => {
            let dark = local_mean_dark(image, (width.max(height) / 8).max(8));
            rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x])
        }
    };
    // rqrr asserts on some pixel data (a degenerate scan, NaN coordinates): a crafted photo
    // must not take the process or the request down, so a panic there is "not read".
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| grid.decode().ok())
            .map(|(_, content)| content)
            .find(|content| !content.is_empty())
    }))
    .ok()
    .flatten()
}

/// `image` shrunk by the whole factor `factor`, each pixel the mean of a `factor`² block
/// (the last row and column of blocks take what is left): cheap, and it averages sensor
/// noise away rather than aliasing it.
fn shrunk(image: &GrayImage, factor: u32) -> GrayImage {
    if factor <= 1 {
        return image.clone();
    }
    let (width, height) = (image.width().div_ceil(factor), image.height().div_ceil(factor));
    let (source_width, k, out_width) = (image.width() as usize, factor as usize, width as usize);
    let mut out = Vec::with_capacity(out_width * height as usize);
    let mut sums = vec![0u32; out_width];
    for rows in image.as_raw().chunks(source_width * k) {
        sums.fill(0);
        for row in rows.chunks_exact(source_width) {
            for (sum, block) in sums.iter_mut().zip(row.chunks(k)) {
                *sum += block.iter().map(|&value| u32::from(value)).sum::<u32>();
            }
        }
        let row_count = (rows.len() / source_width) as u32;
        for (x, sum) in sums.iter().enumerate() {
            let columns = (source_width - x * k).min(k) as u32;
            let area = columns * row_count;
            out.push(((sum + area / 2) / area) as u8);
        }
    }
    GrayImage::from_raw(width, height, out).unwrap_or_default()
}

/// The rectangle `[x0, x1) × [y0, y1)` of `image`, resampled by `scale`: box-shrunk by a
/// whole factor first when `scale` is half or less, then bilinear.
fn resampled(image: &GrayImage, (x0, y0, x1, y1): (u32, u32, u32, u32), scale: f64) -> GrayImage {
    let crop = image::imageops::crop_imm(image, x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0)).to_image();
    let factor = (1.0 / scale).floor().clamp(1.0, 64.0) as u32;
    let (crop, scale) = if factor >= 2 { (shrunk(&crop, factor), scale * f64::from(factor)) } else { (crop, scale) };
    let (crop_width, crop_height) = crop.dimensions();
    if (scale - 1.0).abs() < 0.05 || crop_width == 0 || crop_height == 0 {
        return crop;
    }
    let width = ((f64::from(crop_width) * scale).round() as u32).max(1);
    let height = ((f64::from(crop_height) * scale).round() as u32).max(1);
    // Source index pair and weight (of 256) for the second one, per output column or row.
    let taps = |i: u32, size: u32| {
        let position = ((f64::from(i) + 0.5) / scale - 0.5).clamp(0.0, f64::from(size - 1));
        let first = position.floor() as usize;
        (first, (first + 1).min(size as usize - 1), ((position - first as f64) * 256.0) as u32)
    };
    let columns: Vec<_> = (0..width).map(|x| taps(x, crop_width)).collect();
    let source = crop.as_raw();
    let stride = crop_width as usize;
    let mut out = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height {
        let (first, second, weight) = taps(y, crop_height);
        let (top, bottom) = (&source[first * stride..][..stride], &source[second * stride..][..stride]);
        for &(left, right, across) in &columns {
            let upper = u32::from(top[left]) * (256 - across) + u32::from(top[right]) * across;
            let lower = u32::from(bottom[left]) * (256 - across) + u32::from(bottom[right]) * across;
            out.push(((upper * (256 - weight) + lower * weight + (1 << 15)) >> 16) as u8);
        }
    }
    GrayImage::from_raw(width, height, out).unwrap_or_default()
}

/// Dark pixels by Otsu's threshold: the one that best separates the histogram in two.
fn otsu_dark(image: &GrayImage) -> Vec<bool> {
    let mut histogram = [0u64; 256];
    for &value in image.as_raw() {
        histogram[usize::from(value)] += 1;
    }
    let total = image.as_raw().len() as f64;
    let sum: f64 = histogram.iter().enumerate().map(|(value, &count)| value as f64 * count as f64).sum();
    let (mut below, mut below_sum, mut best, mut threshold) = (0.0, 0.0, 0.0, 0u8);
    for (value, &count) in histogram.iter().enumerate() {
        below += count as f64;
        below_sum += value as f64 * count as f64;
        if below == 0.0 || below >= total {
            continue;
        }
        let (mean_below, mean_above) = (below_sum / below, (sum - below_sum) / (total - below));
        let between = below * (total - below) * (mean_below - mean_above).powi(2);
        if between > best {
            best = between;
            threshold = value as u8;
        }
    }
    image.as_raw().iter().map(|&value| value <= threshold).collect()
}

/// The mean of every (2 `radius` + 1)² window of `image` (clipped at the edges), with
/// running sums: two passes whatever the radius. A box blur for small radii, the local
/// light level for large ones.
fn box_mean(image: &GrayImage, radius: usize) -> GrayImage {
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width == 0 || height == 0 {
        return image.clone();
    }
    // Sums along each row over [x - radius, x + radius].
    let mut across = vec![0u32; width * height];
    for (row, sums) in image.as_raw().chunks_exact(width).zip(across.chunks_exact_mut(width)) {
        let mut sum: u32 = row[..radius.min(width)].iter().map(|&value| u32::from(value)).sum();
        for (x, out) in sums.iter_mut().enumerate() {
            if x + radius < width {
                sum += u32::from(row[x + radius]);
            }
            if x > radius {
                sum -= u32::from(row[x - radius - 1]);
            }
            *out = sum;
        }
    }
    // Then down each column, a row of window sums at a time.
    let columns: Vec<u32> =
        (0..width).map(|x| ((x + radius + 1).min(width) - x.saturating_sub(radius)) as u32).collect();
    let mut window = vec![0u32; width];
    for sums in across.chunks_exact(width).take(radius) {
        window.iter_mut().zip(sums).for_each(|(total, sum)| *total += sum);
    }
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height {
        if y + radius < height {
            window.iter_mut().zip(&across[(y + radius) * width..][..width]).for_each(|(total, sum)| *total += sum);
        }
        if y > radius {
            window.iter_mut().zip(&across[(y - radius - 1) * width..][..width]).for_each(|(total, sum)| *total -= sum);
        }
        let rows = ((y + radius + 1).min(height) - y.saturating_sub(radius)) as u32;
        out.extend(window.iter().zip(&columns).map(|(total, columns)| {
            let count = rows * columns;
            ((total + count / 2) / count) as u8
        }));
    }
    GrayImage::from_raw(width as u32, height as u32, out).unwrap_or_default()
}

/// Dark pixels: below 90% of the mean over the (2 `radius` + 1)² window around them.
fn local_mean_dark(image: &GrayImage, radius: usize) -> Vec<bool> {
    let mean = box_mean(image, radius);
    image
        .as_raw()
        .iter()
        .zip(mean.as_raw())
        .map(|(&value, &mean)| u32::from(value) * 10 < u32::from(mean) * 9)
        .collect()
}

/// A finder pattern (the 7 × 7-module square in three corners of a QR code): its centre,
/// module size and how many scan lines crossed it.
#[derive(Clone, Copy, Debug)]
struct Finder {
    x: f64,
    y: f64,
    module: f64,
    hits: u32,
}

impl Finder {
    /// A real finder is crossed by about as many scan lines as its centre is tall (three
    /// modules); a chance 1:1:3:1:1 in text or data by far fewer.
    fn quality(&self) -> f64 {
        (f64::from(self.hits) / (2.5 * self.module)).min(1.0)
    }
}

/// Whether five run lengths (dark, light, dark, light, dark) are in the 1:1:3:1:1 ratio of
/// a finder pattern, generously (blur, perspective and rounding at two pixels a module).
fn finder_ratio(runs: [usize; 5]) -> bool {
    let unit = (runs[0] + runs[1] + runs[3] + runs[4]) as f64 / 4.0;
    let tolerance = (unit * 0.75).max(1.0);
    runs.iter().zip([1.0, 1.0, 3.0, 1.0, 1.0]).all(|(&run, expected)| (run as f64 - expected * unit).abs() <= tolerance)
}

/// Checks the 1:1:3:1:1 pattern down the column `x` through the dark pixel (`x`, `y`);
/// the centre row of the pattern and its total height. Runs longer than `limit` end it.
fn vertical_finder(
    dark: &[bool],
    width: usize,
    height: usize,
    (x, y): (usize, usize),
    limit: usize,
) -> Option<(f64, usize)> {
    let walk = |step: isize| -> Option<[usize; 3]> {
        let mut runs = [0usize; 3];
        let mut row = y as isize;
        for (run, colour) in runs.iter_mut().zip([true, false, true]) {
            while row >= 0 && (row as usize) < height && dark[row as usize * width + x] == colour {
                *run += 1;
                if *run > limit {
                    return None;
                }
                row += step;
            }
            if *run == 0 {
                return None;
            }
        }
        Some(runs)
    };
    let (up, down) = (walk(-1)?, walk(1)?);
    let runs = [up[2], up[1], up[0] + down[0] - 1, down[1], down[2]];
    if !finder_ratio(runs) {
        return None;
    }
    Some(((y + 1 - up[0]) as f64 + runs[2] as f64 / 2.0, runs.iter().sum()))
}

/// The finder patterns of a binarised image: 1:1:3:1:1 runs along rows, confirmed down
/// the column through their centre, merged with the crossings of the rows before.
fn finder_patterns(dark: &[bool], width: usize, height: usize) -> Vec<Finder> {
    let mut found: Vec<Finder> = Vec::new();
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    for (y, row) in dark.chunks_exact(width.max(1)).enumerate().take(height) {
        runs.clear();
        let mut start = 0;
        for x in 1..=width {
            if x == width || row[x] != row[start] {
                runs.push((start, x - start, row[start]));
                start = x;
            }
        }
        for five in runs.windows(5) {
            if !five[0].2 {
                continue;
            }
            let lengths = [five[0].1, five[1].1, five[2].1, five[3].1, five[4].1];
            if !finder_ratio(lengths) {
                continue;
            }
            let across: usize = lengths.iter().sum();
            let (centre_start, centre_length) = (five[2].0, five[2].1);
            let Some((centre_y, down)) =
                vertical_finder(dark, width, height, (centre_start + centre_length / 2, y), across * 2)
            else {
                continue;
            };
            // Tilt and perspective change the two crossings, but not by half.
            if down * 2 < across || down > across * 2 {
                continue;
            }
            let module = (across + down) as f64 / 14.0;
            let centre_x = centre_start as f64 + centre_length as f64 / 2.0;
            // Sums while collecting; divided by `hits` at the end.
            let near = found.iter_mut().rev().take(256).find(|finder| {
                let hits = f64::from(finder.hits);
                (finder.x / hits - centre_x).abs() < 2.0 * module && (finder.y / hits - centre_y).abs() < 2.0 * module
            });
            match near {
                Some(finder) => {
                    finder.x += centre_x;
                    finder.y += centre_y;
                    finder.module += module;
                    finder.hits += 1;
                }
                None => found.push(Finder { x: centre_x, y: centre_y, module, hits: 1 }),
            }
        }
    }
    for finder in &mut found {
        let hits = f64::from(finder.hits);
        finder.x /= hits;
        finder.y /= hits;
        finder.module /= hits;
    }
    found
}

/// A QR code located by three finder patterns: a bounding box that holds it with its
/// quiet zone and some slack for perspective, and its module size.
#[derive(Clone, Copy, Debug)]
struct Region {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    module: f64,
}

impl Region {
    /// Whether `other` is about the same region: centres within a fifth of the size, sizes
    /// within a quarter.
    fn same_as(&self, other: &Region) -> bool {
        let (width, height) = (self.right - self.left, self.bottom - self.top);
        let (other_width, other_height) = (other.right - other.left, other.bottom - other.top);
        ((self.left + self.right) - (other.left + other.right)).abs() / 2.0 < width / 5.0
            && ((self.top + self.bottom) - (other.top + other.bottom)).abs() / 2.0 < height / 5.0
            && (width / other_width - 1.0).abs() < 0.25
            && (height / other_height - 1.0).abs() < 0.25
    }
}

/// The likeliest QR codes among `finders`, best first: triples of finders of about the same
/// module size forming the corner of a square (two sides of about the same length, about
/// square to each other) 14 to 170 modules apart, as in QR versions 1 to 40 (with slack:
/// the module size is measured along rows and columns, too large on a turned code).
fn located_codes(finders: &[Finder]) -> Vec<Region> {
    // Under a pixel and a half a module, or crossed by fewer than three rows, finders are
    // mostly noise, and real ones too blurred to read: the next pass, at twice the
    // resolution, sees them better.
    let mut finders: Vec<Finder> = finders
        .iter()
        .filter(|finder| finder.quality() >= 0.3 && finder.module >= 1.5 && finder.hits >= 3)
        .copied()
        .collect();
    finders.sort_by(|a, b| b.hits.cmp(&a.hits));
    finders.truncate(40);
    let mut candidates: Vec<(f64, Region)> = Vec::new();
    for i in 0..finders.len() {
        for j in i + 1..finders.len() {
            for k in j + 1..finders.len() {
                let trio = [finders[i], finders[j], finders[k]];
                let smallest = trio.iter().map(|finder| finder.module).fold(f64::MAX, f64::min);
                let largest = trio.iter().map(|finder| finder.module).fold(0.0, f64::max);
                if largest > smallest * 1.6 {
                    continue;
                }
                let module = trio.iter().map(|finder| finder.module).sum::<f64>() / 3.0;
                let weakest = trio.iter().map(Finder::quality).fold(1.0, f64::min);
                for corner in 0..3 {
                    let (a, b, c) = (trio[corner], trio[(corner + 1) % 3], trio[(corner + 2) % 3]);
                    let (ux, uy, vx, vy) = (b.x - a.x, b.y - a.y, c.x - a.x, c.y - a.y);
                    let (u, v) = (ux.hypot(uy), vx.hypot(vy));
                    let (ratio, cosine) = (u.min(v) / u.max(v), (ux * vx + uy * vy) / (u * v));
                    if ratio < 0.7 || cosine.abs() > 0.35 || !(10.0..=200.0).contains(&(u.max(v) / module)) {
                        continue;
                    }
                    let score = (1.0 - ratio) + cosine.abs() + (largest / smallest - 1.0) + (1.0 - weakest);
                    // The finders were measured along a row and a column; turned by an
                    // angle, the code crosses them on a longer slant (up to √2 at 45°).
                    let module = module * ux.abs().max(uy.abs()) / u;
                    // The fourth corner completes the parallelogram; the code reaches 3.5
                    // modules past the finder centres, its quiet zone 4 more.
                    let xs = [a.x, b.x, c.x, b.x + c.x - a.x];
                    let ys = [a.y, b.y, c.y, b.y + c.y - a.y];
                    let pad = u.max(v) * 0.12 + module * 8.0;
                    let region = Region {
                        left: xs.iter().copied().fold(f64::MAX, f64::min) - pad,
                        top: ys.iter().copied().fold(f64::MAX, f64::min) - pad,
                        right: xs.iter().copied().fold(f64::MIN, f64::max) + pad,
                        bottom: ys.iter().copied().fold(f64::MIN, f64::max) + pad,
                        module,
                    };
                    candidates.push((score, region));
                }
            }
        }
    }
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut regions: Vec<Region> = Vec::new();
    for (_, region) in candidates {
        // The same code found again through another corner or a split finder.
        if regions.iter().any(|kept| kept.same_as(&region)) {
            continue;
        }
        regions.push(region);
        if regions.len() == MAX_REGIONS {
            break;
        }
    }
    regions
}

/// Tries `attempts` on `region` (in `image` pixels) of `image`.
fn decode_region(image: &GrayImage, region: Region, attempts: &[Attempt]) -> Option<String> {
    let (width, height) = (f64::from(image.width()), f64::from(image.height()));
    let rect = (
        region.left.clamp(0.0, width) as u32,
        region.top.clamp(0.0, height) as u32,
        region.right.clamp(0.0, width).ceil() as u32,
        region.bottom.clamp(0.0, height).ceil() as u32,
    );
    if rect.2.saturating_sub(rect.0) < 21 || rect.3.saturating_sub(rect.1) < 21 {
        return None; // not even a version 1 code at a pixel a module
    }
    let side = f64::from((rect.2 - rect.0).max(rect.3 - rect.1));
    let mut crops: Vec<(f64, GrayImage)> = Vec::new();
    for attempt in attempts {
        let scale = (attempt.module / region.module).min(MAX_CROP_SIDE / side);
        let index = match crops.iter().position(|(known, _)| (known - scale).abs() < 1e-9) {
            Some(index) => index,
            None => {
                crops.push((scale, resampled(image, rect, scale)));
                crops.len() - 1
            }
        };
        let crop = &crops[index].1;
        let blurred = if attempt.blur > 0 { Cow::Owned(box_mean(crop, attempt.blur)) } else { Cow::Borrowed(crop) };
        if let Some(text) = try_decode(&blurred, attempt.binarisation) {
            return Some(text);
        }
    }
    None
}

/// The likeliest QR codes in `image` shrunk by `factor`, in `image` pixels.
fn regions_in(image: &GrayImage, factor: u32) -> Vec<Region> {
    let shrunk_image = if factor > 1 { Cow::Owned(shrunk(image, factor)) } else { Cow::Borrowed(image) };
    let (width, height) = (shrunk_image.width() as usize, shrunk_image.height() as usize);
    let dark = local_mean_dark(&shrunk_image, (width.max(height) / 16).max(8));
    let scale = f64::from(factor);
    located_codes(&finder_patterns(&dark, width, height))
        .into_iter()
        .map(|region| Region {
            left: region.left * scale,
            top: region.top * scale,
            right: region.right * scale,
            bottom: region.bottom * scale,
            module: region.module * scale,
        })
        .collect()
}

/// Time after which no further attempt is started on one image.
pub const SCAN_BUDGET: std::time::Duration = std::time::Duration::from_secs(3);

/// Reads the QR text from decoded grayscale pixels. The code's finder patterns are looked
/// for in a working copy of at most [`WORK_SIDE`] pixels a side, and rqrr tried on each
/// region found, in the full image; if none reads, in a copy of twice the resolution (a
/// small code in a large photo, whose finders blur away in the first); and last, rqrr on
/// the whole working copy and on half of it.
pub fn decode_gray(image: &GrayImage) -> Result<String, ScanError> {
    // A bound on the attempts, so a crafted image cannot hold a decoder slot for long: the
    // hardest photo of the test corpus takes about 0.2 s. (One rqrr call is not
    // interruptible; the budget is checked between calls.)
    let started = std::time::Instant::now();
    let out_of_time = || started.elapsed() > SCAN_BUDGET;
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Err(ScanError::NoQrCode);
    }
    let factor = width.max(height).div_ceil(WORK_SIDE).max(1);
    let mut tried: Vec<Region> = Vec::new();
    let passes = if factor > 1 { vec![factor, factor / 2] } else { vec![factor] };
    for pass in passes {
        for region in regions_in(image, pass) {
            if out_of_time() {
                return Err(ScanError::NoQrCode);
            }
            if tried.iter().any(|known| known.same_as(&region)) {
                continue; // already tried from the working copy
            }
            let attempts = if tried.is_empty() { &CROP_ATTEMPTS[..] } else { &CROP_ATTEMPTS[..OTHER_REGION_ATTEMPTS] };
            if let Some(text) = decode_region(image, region, attempts) {
                return Ok(text);
            }
            tried.push(region);
        }
    }
    let work = if factor > 1 { Cow::Owned(shrunk(image, factor)) } else { Cow::Borrowed(image) };
    // Not Otsu here: on a photo of noise or texture its black and white form huge tangled
    // regions that take rqrr seconds to walk.
    for binarisation in [Binarisation::Rqrr, Binarisation::LocalMean] {
        if out_of_time() {
            return Err(ScanError::NoQrCode);
        }
        if let Some(text) = try_decode(&work, binarisation) {
            return Ok(text);
        }
    }
    let half = shrunk(&work, 2);
    for binarisation in [Binarisation::Rqrr, Binarisation::LocalMean] {
        if out_of_time() {
            return Err(ScanError::NoQrCode);
        }
        if let Some(text) = try_decode(&half, binarisation) {
            return Ok(text);
        }
    }
    Err(ScanError::NoQrCode)
}

/// Reads the QR text from untrusted PNG or JPEG bytes.
pub fn decode_qr(bytes: &[u8]) -> Result<String, ScanError> {
    decode_gray(&load_gray(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartouche_image::jpeg_is_complete;

    #[test]
    fn shrinking_averages_blocks_and_keeps_the_ragged_edge() {
        let image = GrayImage::from_fn(5, 3, |x, y| {
            image::Luma([if x < 2 {
                0
            } else if y < 2 {
                200
            } else {
                100
            }])
        });
        let small = shrunk(&image, 2);
        assert_eq!(small.dimensions(), (3, 2));
        assert_eq!(small.get_pixel(0, 0).0[0], 0);
        assert_eq!(small.get_pixel(1, 0).0[0], 200);
        assert_eq!(small.get_pixel(2, 1).0[0], 100, "the corner block is the one pixel left");
        assert_eq!(shrunk(&GrayImage::new(1, 1), 3).dimensions(), (1, 1));
    }

    #[test]
    fn local_mean_finds_dark_marks_in_a_gradient() {
        // A dark dot in bright light and one in dim light, both darker than their surroundings.
        let image = GrayImage::from_fn(64, 16, |x, y| {
            let light = 250 - x * 2;
            image::Luma([if (x == 8 || x == 56) && y == 8 { (light / 3) as u8 } else { light as u8 }])
        });
        let dark = local_mean_dark(&image, 4);
        let dark_count = dark.iter().filter(|&&d| d).count();
        assert!(dark[8 * 64 + 8] && dark[8 * 64 + 56] && dark_count == 2, "{dark_count} dark pixels");
    }

    #[test]
    fn a_cut_jpeg_is_incomplete_and_trailer_data_is_fine() {
        let image = GrayImage::from_fn(64, 64, |x, y| image::Luma([((x * y) % 256) as u8]));
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80).encode_image(&image).unwrap();
        assert!(jpeg_is_complete(&jpeg));
        assert!(!jpeg_is_complete(&jpeg[..jpeg.len() - 2]));
        assert!(!jpeg_is_complete(&jpeg[..jpeg.len() / 2]));
        let mut trailer = jpeg.clone();
        trailer.extend_from_slice(b"SEFT trailer a phone appends");
        assert!(jpeg_is_complete(&trailer));
    }
}
