//! JSON both ways, without serde in the Wasm: config values read in place
//! ([`read`]) and log lines written field by field ([`write`]).

pub mod read;
pub mod write;

pub use read::{read, required, Error, Kind, Reader};
pub use write::{string, Object};

/// The bytes a JSON string cannot hold as they are: `"`, `\` and the
/// control characters. Where the writer escapes and the reader stops
/// copying. A table look-up a byte, as serde_json has, where three
/// comparisons took a third more instructions (docs/performance.md).
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};
