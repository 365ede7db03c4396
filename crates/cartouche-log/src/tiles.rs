//! C2SP tlog-tiles paths and entry bundles.
//!
//! A hash tile `tile/<L>/<N>[.p/<W>]` holds the hashes at tree level 8·L of nodes
//! 256·N .. 256·N+W; an entry bundle `tile/entries/<N>[.p/<W>]` holds entries 256·N ..
//! 256·N+W, each prefixed with its length as a big-endian u16. N is written in groups of
//! three digits, every group but the last prefixed with `x` (`x001/x234/067`).
//!
//! The parser is ours, not `tlog_tiles::Tile::from_path`: that one panics on a width of
//! zero (`.p/0`) and on levels from 64 to 255, and these paths come from anyone.

use crate::LogError;
use crate::tree::stored_hash_index;

/// Hashes or entries per full tile.
pub const TILE_WIDTH: u64 = 256;

/// Which kind of tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// Hashes at tree level 8·`level`.
    Hashes {
        /// The tile level (0 to 7 make sense for 64-bit sizes; up to 63 parse).
        level: u8,
    },
    /// Entries.
    Entries,
}

/// A tile's coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath {
    /// Hashes or entries.
    pub kind: TileKind,
    /// N.
    pub index: u64,
    /// W, 1 to 256; 256 is a full tile.
    pub width: u16,
}

impl TilePath {
    /// Parses the part after `tile/`: `0/x001/234`, `entries/000.p/17`.
    pub fn parse(path: &str) -> Result<Self, LogError> {
        let bad = |reason: &str| LogError::malformed("tile path", reason.to_owned());
        if path.len() > 64 {
            return Err(bad("too long"));
        }
        let (kind, rest) = path.split_once('/').ok_or_else(|| bad("expected <level>/<N> or entries/<N>"))?;
        let kind = if kind == "entries" {
            TileKind::Entries
        } else {
            let level = crate::parse_decimal(kind)
                .filter(|level| *level <= 63)
                .ok_or_else(|| bad("the level is 0 to 63, without leading zeros"))?;
            TileKind::Hashes { level: level as u8 }
        };
        let (number, width) = match rest.split_once(".p/") {
            Some((number, width)) => {
                let width = crate::parse_decimal(width)
                    .filter(|width| (1..=255).contains(width))
                    .ok_or_else(|| bad("a partial width is 1 to 255, without leading zeros"))?;
                (number, width as u16)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let groups: Vec<&str> = number.split('/').collect();
        let mut index: u64 = 0;
        for (position, group) in groups.iter().enumerate() {
            let last = position + 1 == groups.len();
            let digits = if last {
                *group
            } else {
                group.strip_prefix('x').ok_or_else(|| bad("every group of N but the last starts with x"))?
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("N is written in groups of three digits"));
            }
            if position == 0 && !last && digits == "000" {
                return Err(bad("N has a leading zero group"));
            }
            let value: u64 = digits.parse().map_err(|_| bad("bad digits"))?;
            index = index
                .checked_mul(1000)
                .and_then(|index| index.checked_add(value))
                .ok_or_else(|| bad("N is too large"))?;
        }
        Ok(Self { kind, index, width })
    }

    /// The path under the log's prefix: `tile/0/x001/234.p/7`.
    pub fn to_path(&self) -> String {
        let mut groups = vec![format!("{:03}", self.index % 1000)];
        let mut rest = self.index / 1000;
        while rest > 0 {
            groups.push(format!("x{:03}", rest % 1000));
            rest /= 1000;
        }
        groups.reverse();
        let kind = match self.kind {
            TileKind::Hashes { level } => level.to_string(),
            TileKind::Entries => "entries".to_owned(),
        };
        let partial = if self.is_full() { String::new() } else { format!(".p/{}", self.width) };
        format!("tile/{kind}/{}{partial}", groups.join("/"))
    }

    /// Whether it is a full (immutable) tile.
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// Whether a tree of `size` leaves holds this tile (a partial tile narrower than what
    /// is there is served too, as its prefix).
    pub fn within(&self, size: u64) -> bool {
        let level = match self.kind {
            TileKind::Entries => 0,
            TileKind::Hashes { level } => level,
        };
        let Some(shift) = 8u32.checked_mul(u32::from(level)).filter(|shift| *shift < 64) else {
            return false;
        };
        let nodes = size >> shift;
        self.index
            .checked_mul(TILE_WIDTH)
            .and_then(|start| start.checked_add(u64::from(self.width)))
            .is_some_and(|end| end <= nodes)
    }

    /// The entries an entry bundle holds.
    pub fn entry_range(&self) -> std::ops::Range<u64> {
        let start = self.index.saturating_mul(TILE_WIDTH);
        start..start.saturating_add(u64::from(self.width))
    }

    /// The stored-hash indexes a hash tile is made of, in order.
    pub fn hash_indexes(&self) -> Vec<u64> {
        let level = match self.kind {
            TileKind::Hashes { level } => level,
            TileKind::Entries => 0,
        };
        self.entry_range().map(|n| stored_hash_index(level.saturating_mul(8), n)).collect()
    }
}

/// Entries as an entry bundle.
pub fn bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, LogError> {
    let mut out = Vec::with_capacity(entries.iter().map(|entry| entry.as_ref().len() + 2).sum());
    for entry in entries {
        let entry = entry.as_ref();
        let length = u16::try_from(entry.len()).map_err(|_| LogError::malformed("log entry", "over 65,535 bytes"))?;
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// The entries of an entry bundle; refuses trailing or truncated bytes.
pub fn unbundle(bytes: &[u8]) -> Result<Vec<&[u8]>, LogError> {
    let mut entries = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(LogError::malformed("entry bundle", "a truncated length"));
        }
        let length = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let Some(entry) = rest.get(2..2 + length) else {
            return Err(LogError::malformed("entry bundle", "an entry runs past the end"));
        };
        entries.push(entry);
        rest = &rest[2 + length..];
        if entries.len() > TILE_WIDTH as usize {
            return Err(LogError::malformed("entry bundle", "more than 256 entries"));
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_and_hostile_ones_are_refused() {
        for (text, kind, index, width) in [
            ("0/000", TileKind::Hashes { level: 0 }, 0, 256),
            ("1/x001/234.p/7", TileKind::Hashes { level: 1 }, 1234, 7),
            ("entries/x001/x234/067", TileKind::Entries, 1_234_067, 256),
            ("entries/005.p/255", TileKind::Entries, 5, 255),
        ] {
            let path = TilePath::parse(text).unwrap();
            assert_eq!(path, TilePath { kind, index, width });
            assert_eq!(path.to_path(), format!("tile/{text}"));
        }
        for bad in [
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/07",
            "64/000",
            "200/000",
            "01/000",
            "0/1",
            "0/001/002",
            "0/x000/001",
            "0/x1/001",
            "entries",
            "data/000",
            "0/x018/x446/x744/x073/x709/x551/616",
            "",
        ] {
            assert!(TilePath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tiles_exist_only_inside_the_tree() {
        let full = TilePath::parse("0/000").unwrap();
        assert!(!full.within(255));
        assert!(full.within(256));
        let partial = TilePath::parse("entries/001.p/3").unwrap();
        assert!(partial.within(259) && !partial.within(258));
        let level1 = TilePath::parse("1/000.p/1").unwrap();
        assert!(level1.within(256) && !level1.within(255));
        assert_eq!(partial.entry_range(), 256..259);
    }

    #[test]
    fn bundles_round_trip_and_refuse_truncation() {
        let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), Vec::new(), vec![7u8; 300]];
        let bytes = bundle(&entries).unwrap();
        assert_eq!(unbundle(&bytes).unwrap(), entries.iter().map(Vec::as_slice).collect::<Vec<_>>());
        assert!(unbundle(&bytes[..bytes.len() - 1]).is_err());
        assert!(unbundle(&[0]).is_err());
    }
}
