//! Untrusted images in, clean images out: object photos uploaded by ministries are decoded
//! within hard limits, turned upright, re-encoded (which drops every metadata segment:
//! EXIF, GPS, XMP, ICC, comments) and given a thumbnail. The SHA-256 of the clean JPEG is
//! the photo's identity: applications, certificates and seals refer to it.
//!
//! The same limits guard every untrusted image Cartouche reads: photo uploads here, and
//! photos of a seal's QR code in `cartouche-seal::scan`. This crate knows nothing of HTTP,
//! storage or PDF (the printable certificate is `cartouche-document`), so the offline
//! verifier that links it stays small.

use std::io::Cursor;

pub mod fingerprint;
pub use fingerprint::Fingerprint;

use cartouche_model::canonical::hex;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Largest upload, in bytes.
pub const MAX_PHOTO_BYTES: usize = 15 * 1024 * 1024;
/// Largest side, in pixels.
pub const MAX_SIDE_PX: u32 = 10_000;
/// Largest number of pixels (a 12-megapixel phone photo is well within).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Longest side of a stored photo: large enough to compare details, small enough to serve.
pub const STORED_LONGEST_SIDE_PX: u32 = 2400;
/// Longest side of a thumbnail.
pub const THUMBNAIL_LONGEST_SIDE_PX: u32 = 320;
const MAX_DECODER_ALLOC: u64 = 512 * 1024 * 1024;

/// Why an upload is not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Not a PNG or JPEG.
    #[error("the photo must be a JPEG or PNG image")]
    UnsupportedFormat,
    /// Dimensions over the limits (checked before decoding).
    #[error(
        "the photo is {width} × {height} pixels; the limit is {MAX_SIDE_PX} pixels a side and {MAX_PIXELS} pixels in all"
    )]
    TooLarge {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// Corrupt or truncated.
    #[error("the photo could not be decoded: {0}")]
    Corrupt(String),
    /// Too small to show an object.
    #[error("the photo is {width} × {height} pixels; at least 200 pixels a side are needed to show the object")]
    TooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// Encoding the clean image failed.
    #[error("the photo could not be re-encoded: {0}")]
    Encode(String),
}

/// A photo ready to store.
#[derive(Debug, Clone)]
pub struct CleanPhoto {
    /// The clean JPEG.
    pub jpeg: Vec<u8>,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
    /// Width of the clean JPEG.
    pub width: u32,
    /// Height of the clean JPEG.
    pub height: u32,
    /// A small JPEG of the same photo.
    pub thumbnail: Vec<u8>,
}

/// Decodes untrusted bytes within the limits, applying the EXIF orientation.
pub fn decode_limited(bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    let format = image::guess_format(bytes).map_err(|_| ImageError::UnsupportedFormat)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(ImageError::UnsupportedFormat);
    }
    let mut probe = ImageReader::with_format(Cursor::new(bytes), format);
    probe.no_limits();
    let (width, height) = probe.into_dimensions().map_err(|error| ImageError::Corrupt(error.to_string()))?;
    if width > MAX_SIDE_PX || height > MAX_SIDE_PX || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge { width, height });
    }
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(ImageError::Corrupt("the JPEG is truncated: its compressed data has no end".into()));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|error| ImageError::Corrupt(error.to_string()))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|error| ImageError::Corrupt(error.to_string()))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Whether a JPEG's compressed data ends: an end-of-image marker (FF D9) follows the
/// first start-of-scan. The JPEG decoder is lenient and fills a truncated photo with gray,
/// which would then be reported as "no QR code" rather than as a broken upload. Within
/// compressed data an FF byte is always followed by 00 or a restart marker, so an FF D9
/// there is the real end; the segments before the scan (where an EXIF thumbnail has its
/// own end marker) are skipped by their lengths.
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut at = 2; // after the start-of-image marker, which guess_format checked
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            // Not a marker where one belongs: leave the verdict to the decoder.
            return true;
        }
        let marker = bytes[at + 1];
        match marker {
            0xFF => {
                at += 1; // fill byte
                continue;
            }
            0x01 | 0xD0..=0xD7 => {
                at += 2; // markers without a length
                continue;
            }
            _ => {}
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if marker == 0xDA {
            let scan = bytes.get(at + 2 + length..).unwrap_or_default();
            // Searched from the end: the marker is normally there, or just before trailer data.
            return scan.windows(2).rev().any(|pair| pair == [0xFF, 0xD9]);
        }
        at += 2 + length;
    }
    false
}

fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, ImageError> {
    let rgb = image.to_rgb8();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|error| ImageError::Encode(error.to_string()))?;
    Ok(out.into_inner())
}

/// Cleans an uploaded photo: decoded within limits, upright, at most
/// [`STORED_LONGEST_SIDE_PX`] a side, re-encoded as JPEG without any metadata, with a
/// thumbnail. The same upload always gives the same bytes and hash.
pub fn clean_photo(bytes: &[u8]) -> Result<CleanPhoto, ImageError> {
    let image = decode_limited(bytes)?;
    let (width, height) = (image.width(), image.height());
    if width < 200 || height < 200 {
        return Err(ImageError::TooSmall { width, height });
    }
    let stored = if width.max(height) > STORED_LONGEST_SIDE_PX {
        image.resize(STORED_LONGEST_SIDE_PX, STORED_LONGEST_SIDE_PX, image::imageops::FilterType::Lanczos3)
    } else {
        image
    };
    let jpeg_bytes = jpeg(&stored, 90)?;
    let thumbnail = jpeg(&stored.thumbnail(THUMBNAIL_LONGEST_SIDE_PX, THUMBNAIL_LONGEST_SIDE_PX), 80)?;
    Ok(CleanPhoto {
        sha256: hex(&Sha256::digest(&jpeg_bytes)),
        width: stored.width(),
        height: stored.height(),
        jpeg: jpeg_bytes,
        thumbnail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_jpeg_with_exif() -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        }));
        let plain = jpeg(&image, 90).unwrap();
        // Insert an APP1 Exif segment with a GPS marker right after SOI.
        let payload = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 48.8566 N; GPSLongitude 2.3522 E";
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn metadata_is_stripped_and_the_hash_is_of_the_clean_bytes() {
        let upload = sample_jpeg_with_exif();
        assert!(upload.windows(4).any(|w| w == b"Exif"));
        let clean = clean_photo(&upload).unwrap();
        assert!(!clean.jpeg.windows(4).any(|w| w == b"Exif"));
        assert!(!clean.jpeg.windows(3).any(|w| w == b"GPS"));
        assert_eq!(clean.sha256, hex(&Sha256::digest(&clean.jpeg)));
        assert_eq!((clean.width, clean.height), (640, 480));
        assert!(clean.thumbnail.len() < clean.jpeg.len());
        assert_eq!(clean_photo(&upload).unwrap().sha256, clean.sha256, "deterministic");
    }

    #[test]
    fn hostile_and_useless_uploads_are_refused() {
        assert!(matches!(clean_photo(b"GIF89a...."), Err(ImageError::UnsupportedFormat)));
        let upload = sample_jpeg_with_exif();
        assert!(matches!(clean_photo(&upload[..upload.len() / 3]), Err(ImageError::Corrupt(_))));
        let tiny = jpeg(&DynamicImage::new_rgb8(50, 50), 90).unwrap();
        assert!(matches!(clean_photo(&tiny), Err(ImageError::TooSmall { .. })));
        let mut png = Cursor::new(Vec::new());
        image::GrayImage::new(9000, 9000).write_to(&mut png, ImageFormat::Png).unwrap();
        assert!(matches!(clean_photo(&png.into_inner()), Err(ImageError::TooLarge { width: 9000, height: 9000 })));
    }
}
