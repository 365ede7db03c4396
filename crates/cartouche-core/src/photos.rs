//! Object photos: upload (decoded within limits, cleaned of metadata, stored by the
//! SHA-256 of the clean JPEG) and download by hash.

use cartouche_image::{ImageError, clean_photo};
use cartouche_store::PhotoRecord;

use crate::audit::{self, AuditAction, Outcome};
use crate::views::{PhotoUploaded, PhotoView};
use crate::{Action, Caller, Core, CoreError};

/// Whether `text` is a photo's name: a lower-case hex SHA-256.
pub fn is_photo_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn photo_hash(text: &str) -> Result<(), CoreError> {
    if is_photo_hash(text) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "invalid_photo_hash",
            "a photo is named by the lower-case hex SHA-256 of its bytes (64 characters)",
        ))
    }
}

fn media_error(error: ImageError) -> CoreError {
    let code = match &error {
        ImageError::UnsupportedFormat => "unsupported_image",
        ImageError::TooLarge { .. } => "image_too_large",
        ImageError::TooSmall { .. } => "image_too_small",
        ImageError::Corrupt(_) => "image_unreadable",
        ImageError::Encode(_) => return CoreError::internal(error.to_string()),
    };
    CoreError::unprocessable(code, error.to_string())
}

impl Core {
    /// Stores an uploaded photo (issuers): decoded within the image limits, turned
    /// upright, re-encoded without metadata. The same photo twice is stored once.
    pub fn upload_photo(&self, caller: &Caller, bytes: &[u8]) -> Result<PhotoUploaded, CoreError> {
        self.check_uploader(caller)?;
        let clean = clean_photo(bytes).map_err(media_error)?;
        let now = self.now();
        let sha256 = clean.sha256.clone();
        let (width, height) = (clean.width, clean.height);
        let record = PhotoRecord {
            sha256: clean.sha256,
            jpeg: clean.jpeg,
            thumbnail: clean.thumbnail,
            width,
            height,
            uploaded_by: caller.actor(),
            uploaded_at: now,
        };
        let entry = audit::entry(
            now,
            Some(&caller.actor()),
            AuditAction::PhotoUpload,
            &sha256,
            Outcome::Ok,
            &format!("{width} × {height}"),
        );
        let created = self.store.put_photo(record, entry)?;
        let url = format!("/api/v1/photos/{sha256}");
        Ok(PhotoUploaded {
            view: PhotoView {
                sha256,
                media_type: "image/jpeg",
                width,
                height,
                thumbnail_url: format!("{url}/thumbnail"),
                url,
            },
            created,
        })
    }

    /// Refuses a caller who may not upload photos (faces call it before reading the
    /// upload).
    pub fn check_uploader(&self, caller: &Caller) -> Result<(), CoreError> {
        self.authorize(caller, Action::UploadPhoto, None, "photo")
    }

    /// A stored photo's JPEG (or its thumbnail). Anyone may read it: the 256-bit hash is
    /// known only to those who hold the certificate or its seal.
    ///
    /// A photo this registry does not hold is asked of the pinned peers (the photos of
    /// their certificates, which an officer here compares with the object): kept only if
    /// its bytes have the SHA-256 it is named by, then stored here, its thumbnail made
    /// here.
    pub fn photo(&self, sha256: &str, thumbnail: bool) -> Result<Vec<u8>, CoreError> {
        photo_hash(sha256)?;
        let photo = match self.store.photo(sha256)? {
            Some(photo) => photo,
            None => self
                .peer_photo(sha256)
                .ok_or_else(|| CoreError::not_found(format!("no photo {sha256} has been uploaded")))?,
        };
        Ok(if thumbnail { photo.thumbnail } else { photo.jpeg })
    }

    /// A photo named by a verified seal of a peer's, asked of that peer (never of
    /// another, never for a hash a client made up), checked against its name, stored here.
    fn peer_photo(&self, sha256: &str) -> Option<PhotoRecord> {
        use sha2::Digest;
        let url = self.peer_photo_source(sha256)?;
        let forwarder = self.federation.settings.forwarder.clone()?;
        if self.peer_unreachable(&url) {
            return None;
        }
        let bytes =
            forwarder.fetch(&format!("{url}/api/v1/photos/{sha256}"), cartouche_image::MAX_PHOTO_BYTES as u64).ok()?;
        if cartouche_model::canonical::hex(&sha2::Sha256::digest(&bytes)) != sha256 {
            tracing::warn!(peer = %url, photo = %sha256, "a peer served a photo whose bytes do not have its hash: refused");
            return None;
        }
        let clean = clean_photo(&bytes).ok()?;
        let now = self.now();
        let actor = cartouche_model::Actor {
            role: cartouche_model::Role::Admin,
            country: None,
            token_id: format!("peer:{url}"),
        };
        let record = PhotoRecord {
            sha256: sha256.to_owned(),
            jpeg: bytes,
            thumbnail: clean.thumbnail,
            width: clean.width,
            height: clean.height,
            uploaded_by: actor.clone(),
            uploaded_at: now,
        };
        let entry =
            audit::entry(now, Some(&actor), AuditAction::PhotoUpload, sha256, Outcome::Ok, &format!("from {url}"));
        if let Err(error) = self.store.put_photo(record.clone(), entry) {
            tracing::warn!(error = %error, "could not keep a peer's photo");
        }
        Some(record)
    }
}
