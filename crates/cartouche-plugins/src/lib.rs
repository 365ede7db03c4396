//! The rule plugins bundled with Cartouche: every crate in `plugins/`, built for
//! `wasm32-unknown-unknown` and turned into a component by this crate's build script, with
//! its manifest and case file. The server publishes them on first start, through the same
//! checks as any publication.

/// A bundled plugin.
#[derive(Debug, Clone, Copy)]
pub struct Bundled {
    /// Its id (from the manifest).
    pub id: &'static str,
    /// `manifest.json`.
    pub manifest: &'static str,
    /// `cases.json`.
    pub cases: &'static str,
    /// The WebAssembly component.
    pub component: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// A bundled plugin by id.
pub fn bundled(id: &str) -> Option<&'static Bundled> {
    BUNDLED.iter().find(|plugin| plugin.id == id)
}

/// Test plugins (`tests/plugins/`): not published by the server; for containment tests.
#[doc(hidden)]
pub fn test_plugin(id: &str) -> Option<&'static Bundled> {
    TEST_PLUGINS.iter().find(|plugin| plugin.id == id)
}
