//! Counting what a response body really delivered: the bytes the
//! platform took for the client, and whose side cut the body short.
//! The Compute shell copies fetched bodies through this.

use std::io::{self, Read, Write};

/// Whose side cut a response body short of what its headers promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The client went away (reset, closed) before it took every byte.
    Client,
    /// The origin's body failed or ended before its `Content-Length`.
    Origin,
}

impl Cut {
    /// The `error.kind` it is logged as.
    pub fn kind(self) -> &'static str {
        match self {
            Cut::Client => "client",
            Cut::Origin => "origin",
        }
    }
}

/// Why a delivery stopped: whose side cut the body, and the reason logged.
pub type CutShort = (Cut, String);

/// A fetched body up to this length is read whole before the response
/// goes: one send instead of a stream, write and finish (measured faster
/// for the 4 KiB object in docs/performance.md), and the client's bytes
/// are all handed over at once, so there is no reset to count.
pub const READ_WHOLE_MAX: u64 = 64 * 1024;

/// The largest read buffer for a streamed body. A read returns at most
/// what the platform has at hand, so a large buffer only means fewer host
/// calls on a fast origin. The allocator zeroes it whole when it is made
/// (a 256 KiB object's buffer is 256 KiB of `memory.fill`); one that grew
/// only while reads filled it touched as many bytes on this origin, whose
/// reads fill 64 KiB and more, and was not kept. docs/performance.md has
/// the 256 MiB figure with it.
const MAX_STREAM_BUFFER: u64 = 2 * 1024 * 1024;

/// The read buffer for streaming a body of `length` bytes (64 KiB when
/// the length is not known).
pub fn stream_buffer(length: Option<u64>) -> Vec<u8> {
    let size = length.map_or(64 * 1024, |l| l.clamp(1, MAX_STREAM_BUFFER));
    vec![0u8; size as usize]
}

/// Copies `body` to `out` through `buf`, counting what was written. A
/// chunk counts once the platform has taken all of it: `flush` hands a
/// short chunk on at once instead of leaving it in the writer's buffer,
/// where a later failure would lose bytes already counted (the platform
/// takes a whole buffer per write or fails). A body that ends before
/// `expected` bytes (its `Content-Length`) is cut by the origin.
pub fn copy_counted(
    body: &mut impl Read,
    out: &mut impl Write,
    buf: &mut [u8],
    expected: Option<u64>,
) -> (u64, Option<CutShort>) {
    let mut bytes = 0u64;
    loop {
        let n = match read_some(body, buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(cut) => return (bytes, Some(cut)),
        };
        if let Err(e) = out.write_all(&buf[..n]).and_then(|()| out.flush()) {
            return (
                bytes,
                Some((Cut::Client, format!("client write failed: {e}"))),
            );
        }
        bytes += n as u64;
    }
    let short = expected.filter(|&l| l != bytes);
    (bytes, short.map(|l| short_body(bytes, l)))
}

/// Reads from `body` until `buf` is full or the body ends: how much came,
/// and why it stopped early if the body failed.
pub fn fill(body: &mut impl Read, buf: &mut [u8]) -> (usize, Option<CutShort>) {
    let mut got = 0;
    while got < buf.len() {
        match read_some(body, &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(cut) => return (got, Some(cut)),
        }
    }
    (got, None)
}

/// Reads a body of `len` bytes (its `Content-Length`) whole. One that
/// fails or ends short is the origin's cut.
pub fn read_exactly(body: &mut impl Read, len: usize) -> Result<Vec<u8>, CutShort> {
    let mut buf = vec![0u8; len];
    match fill(body, &mut buf) {
        (_, Some(cut)) => Err(cut),
        (got, None) if got < len => Err(short_body(got as u64, len as u64)),
        (_, None) => Ok(buf),
    }
}

/// One read of the origin's body; a failure is the origin's cut.
fn read_some(body: &mut impl Read, buf: &mut [u8]) -> Result<usize, CutShort> {
    loop {
        match body.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((Cut::Origin, format!("origin body failed: {e}"))),
            Ok(n) => return Ok(n),
        }
    }
}

/// A body that ended before its `Content-Length`.
fn short_body(got: u64, expected: u64) -> CutShort {
    (
        Cut::Origin,
        format!("origin body ended at {got} of {expected} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client that takes `room` bytes and then resets.
    struct Client {
        got: Vec<u8>,
        room: usize,
    }

    impl Write for Client {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            if self.got.len() >= self.room {
                return Err(io::ErrorKind::ConnectionReset.into());
            }
            let n = data.len().min(self.room - self.got.len());
            self.got.extend_from_slice(&data[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_reset_client_is_counted_at_what_it_took() {
        let body = vec![7u8; 100_000];
        let mut client = Client {
            got: Vec::new(),
            room: 1_000,
        };
        let (bytes, cut) = copy_counted(&mut &body[..], &mut client, &mut [0u8; 4096], None);
        // The client took 1,000 bytes of the first 4,096 and reset: that
        // chunk did not all leave, so it is not counted.
        assert_eq!(bytes, 0);
        assert_eq!(client.got.len(), 1_000);
        assert!(matches!(cut, Some((Cut::Client, _))));
    }

    #[test]
    fn fill_stops_at_a_short_body_and_reads_no_further_than_asked() {
        let mut buf = [0u8; 20];
        let (got, cut) = fill(&mut &b"thirteen byte"[..], &mut buf);
        assert_eq!((got, cut), (13, None));
        let mut small = [0u8; 4];
        let mut body = &b"thirteen byte"[..];
        assert_eq!(fill(&mut body, &mut small).0, 4);
        assert_eq!(body, b"teen byte");
    }

    #[test]
    fn a_body_short_of_its_length_is_the_origins_cut() {
        let mut client = Client {
            got: Vec::new(),
            room: usize::MAX,
        };
        let (bytes, cut) = copy_counted(
            &mut &b"thirteen byte"[..],
            &mut client,
            &mut [0u8; 64],
            Some(100_000),
        );
        assert_eq!(bytes, 13);
        assert_eq!(
            cut,
            Some((
                Cut::Origin,
                "origin body ended at 13 of 100000 bytes".to_owned()
            ))
        );
        assert_eq!(
            read_exactly(&mut &b"thirteen byte"[..], 2000),
            Err((
                Cut::Origin,
                "origin body ended at 13 of 2000 bytes".to_owned()
            ))
        );
        assert_eq!(
            read_exactly(&mut &b"four"[..], 4).as_deref(),
            Ok(&b"four"[..])
        );
    }

    #[test]
    fn a_whole_body_is_counted_in_full() {
        let body = vec![1u8; 10_000];
        let mut client = Client {
            got: Vec::new(),
            room: usize::MAX,
        };
        let (bytes, cut) = copy_counted(&mut &body[..], &mut client, &mut [0u8; 4096], None);
        assert_eq!((bytes, cut.is_none()), (10_000, true));
        assert_eq!(client.got, body);
    }
}
