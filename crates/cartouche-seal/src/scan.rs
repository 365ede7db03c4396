//! Reading a seal's QR code from a photo: decoding the image within hard limits, then
//! trying rqrr on a few prepared versions of it (grayscale, downscaled, contrast-stretched,
//! binarised) until one decodes.
//!
//! Photos come from phones at border posts: large, tilted, blurred, unevenly lit. The
//! limits come first, because the bytes are untrusted: a format allow-list (PNG, JPEG),
//! a cap on the declared dimensions checked before any pixel is decoded, and a cap on
//! memory for the decoder.

use image::{GrayImage, ImageFormat, ImageReader, Limits};

/// Largest upload accepted by callers that enforce it, in bytes.
pub const MAX_IMAGE_BYTES: usize = 15 * 1024 * 1024;
/// Largest side, in pixels (a 12-megapixel phone photo is 4000 × 3000).
pub const MAX_SIDE_PX: u32 = 10_000;
/// Largest number of pixels.
pub const MAX_PIXELS: u64 = 50_000_000;
/// Memory the decoder may allocate.
const MAX_DECODER_ALLOC: u64 = 512 * 1024 * 1024;

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

/// Decodes untrusted image bytes into grayscale within the limits.
pub fn load_gray(bytes: &[u8]) -> Result<GrayImage, ScanError> {
    let format = image::guess_format(bytes).map_err(|_| ScanError::UnsupportedFormat)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(ScanError::UnsupportedFormat);
    }
    let (width, height) = ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|error| ScanError::Corrupt(error.to_string()))?;
    if width > MAX_SIDE_PX || height > MAX_SIDE_PX || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ScanError::TooLarge { width, height });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(limits);
    let image = reader.decode().map_err(|error| ScanError::Corrupt(error.to_string()))?;
    Ok(image.into_luma8())
}

fn try_decode(image: &GrayImage) -> Option<String> {
    let (width, height) = image.dimensions();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
        image.get_pixel(x as u32, y as u32).0[0]
    });
    for grid in prepared.detect_grids() {
        if let Ok((_, content)) = grid.decode() {
            if !content.is_empty() {
                return Some(content);
            }
        }
    }
    None
}

fn scaled(image: &GrayImage, longest: u32) -> GrayImage {
    let (width, height) = image.dimensions();
    let current = width.max(height);
    if current <= longest {
        return image.clone();
    }
    let ratio = f64::from(longest) / f64::from(current);
    let new_width = ((f64::from(width) * ratio).round() as u32).max(1);
    let new_height = ((f64::from(height) * ratio).round() as u32).max(1);
    image::imageops::resize(image, new_width, new_height, image::imageops::FilterType::Triangle)
}

/// Stretches the histogram so the darkest 1% is black and the brightest 1% white.
fn stretched(image: &GrayImage) -> GrayImage {
    let mut histogram = [0u64; 256];
    for pixel in image.pixels() {
        histogram[usize::from(pixel.0[0])] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let cut = total / 100;
    let (mut low, mut high, mut seen) = (0usize, 255usize, 0u64);
    while low < 255 && seen + histogram[low] <= cut {
        seen += histogram[low];
        low += 1;
    }
    seen = 0;
    while high > 0 && seen + histogram[high] <= cut {
        seen += histogram[high];
        high -= 1;
    }
    if high <= low {
        return image.clone();
    }
    let span = (high - low) as f32;
    let mut out = image.clone();
    for pixel in out.pixels_mut() {
        let value = (f32::from(pixel.0[0]) - low as f32) / span * 255.0;
        pixel.0[0] = value.clamp(0.0, 255.0) as u8;
    }
    out
}

/// Binarises against the local mean over a window (evens out shadows and gradients).
fn locally_thresholded(image: &GrayImage) -> GrayImage {
    let (width, height) = image.dimensions();
    let radius = (width.max(height) / 16).max(8) as i64;
    let (w, h) = (width as usize, height as usize);
    // Summed-area table.
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += u64::from(image.get_pixel(x as u32, y as u32).0[0]);
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
        }
    }
    let mut out = GrayImage::new(width, height);
    for y in 0..h as i64 {
        for x in 0..w as i64 {
            let (x0, y0) = ((x - radius).max(0) as usize, (y - radius).max(0) as usize);
            let (x1, y1) = ((x + radius + 1).min(w as i64) as usize, (y + radius + 1).min(h as i64) as usize);
            let sum = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0];
            let count = ((x1 - x0) * (y1 - y0)) as u64;
            let value = u64::from(image.get_pixel(x as u32, y as u32).0[0]);
            // 7/8 of the local mean: dark modules stay dark in a bright area.
            let dark = value * count * 8 < sum * 7;
            out.put_pixel(x as u32, y as u32, image::Luma([if dark { 0 } else { 255 }]));
        }
    }
    out
}

/// Reads the QR text from decoded grayscale pixels, trying the cheap versions first.
pub fn decode_gray(image: &GrayImage) -> Result<String, ScanError> {
    let longest = image.width().max(image.height());
    let mut sizes = vec![1600u32, 1000, 2400, 700];
    sizes.retain(|size| *size < longest);
    sizes.push(longest);
    sizes.dedup();
    for size in &sizes {
        let candidate = scaled(image, *size);
        if let Some(text) = try_decode(&candidate) {
            return Ok(text);
        }
        let contrasted = stretched(&candidate);
        if let Some(text) = try_decode(&contrasted) {
            return Ok(text);
        }
        if *size <= 1600 {
            if let Some(text) = try_decode(&locally_thresholded(&contrasted)) {
                return Ok(text);
            }
        }
    }
    Err(ScanError::NoQrCode)
}

/// Reads the QR text from untrusted PNG or JPEG bytes.
pub fn decode_qr(bytes: &[u8]) -> Result<String, ScanError> {
    decode_gray(&load_gray(bytes)?)
}
