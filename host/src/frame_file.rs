//! Measurement frames on disk: read bounded by what the frame's own prefix declares.
//!
//! A frame states its length in its 12-byte prefix (`docs/FRAME_FORMAT.md`); the reader checks
//! that prefix first and then reads exactly that many bytes and one more (to report trailing
//! data), so neither a huge file nor an endless stream such as `/dev/zero` is read whole.

use anyhow::{anyhow, bail, Context, Result};
use qcs_core::frame;
use std::io::Read;
use std::path::Path;

/// Reads the frame in `path`: the prefix, then `frame_len` bytes in all.
///
/// Errors name the file: it cannot be opened, it is shorter than its prefix or its declared
/// length, its prefix is invalid (magic, version, flags, `frame_len`), or it holds bytes after
/// the frame. The bytes returned still need [`frame::decode`] (CRC, fields, payload).
pub fn read_frame(path: &Path) -> Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        bail!("{}: is a directory, not a frame file", path.display());
    }
    read_frame_from(file, &path.display().to_string())
}

/// [`read_frame`] from any reader; `what` names the source in errors.
pub fn read_frame_from(reader: impl Read, what: &str) -> Result<Vec<u8>> {
    let mut reader = reader;
    let mut bytes = vec![0u8; frame::PREFIX_LEN];
    let got = read_up_to(&mut reader, &mut bytes, what)?;
    if got < frame::PREFIX_LEN {
        bail!(
            "{what}: invalid frame: {got} bytes, shorter than the {}-byte prefix",
            frame::PREFIX_LEN
        );
    }
    let len = frame::peek_len(&bytes).map_err(|e| anyhow!("{what}: invalid frame: {e}"))?;
    bytes.resize(len + 1, 0);
    let got = frame::PREFIX_LEN + read_up_to(&mut reader, &mut bytes[frame::PREFIX_LEN..], what)?;
    if got < len {
        bail!("{what}: invalid frame: truncated: field `frame_len` = {len} bytes, but the file ends after {got}");
    }
    if got > len {
        bail!(
            "{what}: invalid frame: bytes after the {len}-byte frame (field `frame_len`); \
             one frame per file"
        );
    }
    bytes.truncate(len);
    Ok(bytes)
}

/// Fills `buf` as far as the reader goes; the number of bytes read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8], what: &str) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).with_context(|| format!("{what}: cannot read")),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid prefix declaring `len` bytes.
    fn prefix(len: u32) -> Vec<u8> {
        let mut p = b"QCSF".to_vec();
        p.extend_from_slice(&1u16.to_le_bytes());
        p.extend_from_slice(&0u16.to_le_bytes());
        p.extend_from_slice(&len.to_le_bytes());
        p
    }

    #[test]
    fn an_endless_stream_is_refused_at_the_prefix() {
        let err = read_frame_from(std::io::repeat(0), "zeros").unwrap_err();
        assert!(
            err.to_string().starts_with("zeros: invalid frame: "),
            "{err}"
        );
        assert!(err.to_string().contains("magic"), "{err}");
    }

    /// Counts the bytes taken from the inner reader.
    struct Counting<R> {
        inner: R,
        taken: usize,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let k = self.inner.read(buf)?;
            self.taken += k;
            Ok(k)
        }
    }

    #[test]
    fn reads_no_more_than_the_declared_length_and_one_byte() {
        // An endless stream after a valid prefix declaring 100 bytes.
        let head = prefix(100);
        let mut r = Counting {
            inner: head.as_slice().chain(std::io::repeat(7)),
            taken: 0,
        };
        let err = read_frame_from(&mut r, "f").unwrap_err();
        assert_eq!(r.taken, 101);
        assert!(
            err.to_string().contains("bytes after the 100-byte frame"),
            "{err}"
        );
        let mut exact = prefix(100);
        exact.resize(100, 7);
        assert_eq!(read_frame_from(exact.as_slice(), "f").unwrap(), exact);
    }

    #[test]
    fn a_short_file_names_the_declared_length() {
        let mut short = prefix(100);
        short.resize(70, 0);
        let err = read_frame_from(short.as_slice(), "f").unwrap_err();
        assert_eq!(
            err.to_string(),
            "f: invalid frame: truncated: field `frame_len` = 100 bytes, but the file ends after 70"
        );
        let err = read_frame_from(&b"QCSF"[..], "f").unwrap_err();
        assert_eq!(
            err.to_string(),
            "f: invalid frame: 4 bytes, shorter than the 12-byte prefix"
        );
    }
}
