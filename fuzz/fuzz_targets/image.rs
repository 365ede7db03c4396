//! An uploaded photo or a photo of a QR code: the bounded decoder, the clean copy, the QR
//! scan. Invariants: never a panic; no single allocation above the decoder's cap (a
//! counting allocator aborts the run if one is asked for); a decoded image is within the
//! size limits; a clean photo is a JPEG within the stored size that decodes again.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};

use libfuzzer_sys::fuzz_target;

/// The decoder's memory cap (cartouche-image's MAX_DECODER_ALLOC) plus room for the rest.
const LARGEST_ALLOCATION: usize = 600 << 20;

struct Capped;

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        assert!(layout.size() <= LARGEST_ALLOCATION, "an allocation of {} bytes, above the cap", layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        assert!(new_size <= LARGEST_ALLOCATION, "a reallocation to {new_size} bytes, above the cap");
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = cartouche_image::decode_limited(data) {
        assert!(image.width() <= cartouche_image::MAX_SIDE_PX && image.height() <= cartouche_image::MAX_SIDE_PX);
        assert!(u64::from(image.width()) * u64::from(image.height()) <= cartouche_image::MAX_PIXELS);
        // The clean copy and the QR scan of images small enough to keep the run fast.
        if u64::from(image.width()) * u64::from(image.height()) <= 1 << 20 {
            if let Ok(clean) = cartouche_image::clean_photo(data) {
                let longest = clean.width.max(clean.height);
                assert!(longest <= cartouche_image::STORED_LONGEST_SIDE_PX);
                let again = cartouche_image::decode_limited(&clean.jpeg).expect("a clean photo decodes");
                assert_eq!((again.width(), again.height()), (clean.width, clean.height));
            }
            let _ = cartouche_seal::scan::decode_qr(data);
        }
    }
});
