//! Perceptual fingerprints of object photos, for the photo watch list: two photos of the
//! same object (cropped, turned, re-compressed, resized, in other light) have fingerprints
//! a few bits apart; photos of different objects, about half of the bits apart.
//!
//! A fingerprint is a 64-bit DCT hash (the low frequencies of a 32 × 32 grey image, each
//! bit "above the median"), of the photo as given and of its three quarter-turns, so a
//! photo taken on its side still matches. A listed photo keeps three hashes: of the whole
//! photo and of its centre (90% and 80% of each side), so a cropped photo still comes
//! near. The distance is the smallest between any of them and any of a certificate
//! photo's four.

use image::DynamicImage;
use image_hasher::{HashAlg, Hasher, HasherConfig, ImageHash};

use crate::{ImageError, decode_limited};

/// Bits in a hash.
pub const HASH_BITS: u32 = 64;

/// At most this many differing bits is a possible match: a person compares the photos.
/// Chosen on the generated recall set (BENCHMARKS.md "Photo watch list"): 8 bits finds 92%
/// of the altered copies for 0.5% of unrelated photos flagged; 10 bits would find 97% for
/// 3%. A referral costs an officer a look; a miss lets a stolen object through.
pub const MATCH_DISTANCE: u32 = 8;

/// A photo's fingerprint: its hash upright and after one, two and three quarter-turns
/// clockwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// `turns[0]` is the photo as given.
    pub turns: [u64; 4],
}

fn hasher() -> Hasher<[u8; 8]> {
    HasherConfig::with_bytes_type::<[u8; 8]>().hash_size(8, 8).hash_alg(HashAlg::Median).preproc_dct().to_hasher()
}

fn hash(hasher: &Hasher<[u8; 8]>, image: &DynamicImage) -> u64 {
    let hash: ImageHash<[u8; 8]> = hasher.hash_image(image);
    u64::from_be_bytes(hash.into_inner())
}

impl Fingerprint {
    /// The fingerprint of a decoded image.
    pub fn of(image: &DynamicImage) -> Self {
        let hasher = hasher();
        // Small first: the hash reads a 32 × 32 image, and turning a 2400-pixel photo
        // three times would cost more than all the rest.
        let small = image.thumbnail(256, 256);
        Fingerprint {
            turns: [
                hash(&hasher, &small),
                hash(&hasher, &small.rotate90()),
                hash(&hasher, &small.rotate180()),
                hash(&hasher, &small.rotate270()),
            ],
        }
    }

    /// The fingerprint of untrusted image bytes, decoded within the limits.
    pub fn of_bytes(bytes: &[u8]) -> Result<Self, ImageError> {
        Ok(Self::of(&decode_limited(bytes)?))
    }

    /// The upright hash.
    pub fn upright(&self) -> u64 {
        self.turns[0]
    }

    /// The hashes a watch list keeps of a listed photo: upright, and of its centre
    /// (90% and 80% of each side), so that a cropped photo of the object still comes near.
    pub fn listed(image: &DynamicImage) -> Vec<u64> {
        let hasher = hasher();
        let small = image.thumbnail(256, 256);
        let (w, h) = (small.width(), small.height());
        let mut hashes = vec![hash(&hasher, &small)];
        for keep in [90u32, 80] {
            let (cw, ch) = (w * keep / 100, h * keep / 100);
            hashes.push(hash(&hasher, &small.crop_imm((w - cw) / 2, (h - ch) / 2, cw, ch)));
        }
        hashes
    }

    /// [`Fingerprint::listed`] of untrusted image bytes, decoded within the limits.
    pub fn listed_of_bytes(bytes: &[u8]) -> Result<Vec<u64>, ImageError> {
        Ok(Self::listed(&decode_limited(bytes)?))
    }

    /// The smallest [`Fingerprint::distance`] to any of a listed photo's hashes.
    pub fn distance_to_any(&self, listed: &[u64]) -> u32 {
        listed.iter().map(|hash| self.distance(*hash)).min().unwrap_or(HASH_BITS)
    }

    /// Differing bits between a list photo's upright hash and the nearest of this photo's
    /// four.
    pub fn distance(&self, listed: u64) -> u32 {
        self.turns.iter().map(|turn| (turn ^ listed).count_ones()).min().unwrap_or(HASH_BITS)
    }

    /// As stored: four 16-digit hex hashes joined by `-`.
    pub fn to_hex(&self) -> String {
        self.turns.iter().map(|turn| format!("{turn:016x}")).collect::<Vec<_>>().join("-")
    }

    /// Reads [`Fingerprint::to_hex`].
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut turns = [0u64; 4];
        let mut parts = text.split('-');
        for turn in &mut turns {
            let part = parts.next()?;
            if part.len() != 16 {
                return None;
            }
            *turn = u64::from_str_radix(part, 16).ok()?;
        }
        parts.next().is_none().then_some(Fingerprint { turns })
    }
}

/// Reads a 16-digit hex upright hash.
pub fn hash_from_hex(text: &str) -> Option<u64> {
    (text.len() == 16).then(|| u64::from_str_radix(text, 16).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture() -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(400, 300, |x, y| {
            let inside = (x as i32 - 150).pow(2) + (y as i32 - 140).pow(2) < 90 * 90;
            if inside { image::Rgb([180, 40, 30]) } else { image::Rgb([(x / 2) as u8, (y / 2) as u8, 120]) }
        }))
    }

    #[test]
    fn a_quarter_turn_is_the_same_photo() {
        let upright = Fingerprint::of(&picture());
        let turned = Fingerprint::of(&picture().rotate90());
        assert!(turned.distance(upright.upright()) <= 4, "{}", turned.distance(upright.upright()));
    }

    #[test]
    fn hex_round_trips_and_refuses_garbage() {
        let print = Fingerprint::of(&picture());
        assert_eq!(Fingerprint::from_hex(&print.to_hex()), Some(print));
        assert_eq!(Fingerprint::from_hex("00-11"), None);
        assert_eq!(Fingerprint::from_hex(&format!("{}-0", print.to_hex())), None);
        assert_eq!(hash_from_hex("zz00000000000000"), None);
        assert_eq!(hash_from_hex(&format!("{:016x}", print.upright())), Some(print.upright()));
    }
}
