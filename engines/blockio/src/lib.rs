//! Positioned I/O traits shared by the format crates.
//!
//! Every format in this project is read at random offsets (a lower layer, a ZFile block, a gzip
//! checkpoint) and written at device offsets, so the crates meet on these two traits instead of
//! `Read + Seek`, which would force `&mut` access on readers that are shared between layers.

use std::io;
use std::sync::Arc;

/// Random-access reads of a fixed-size byte source.
pub trait ReadAt {
    /// Total length in bytes.
    fn size(&self) -> u64;

    /// Reads up to `buf.len()` bytes at `offset`; returns fewer only at the end of the source.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Fills `buf` completely or fails with `UnexpectedEof`.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let n = self.read_at(offset + done as u64, &mut buf[done..])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "read of {} bytes at {offset} runs past the end ({})",
                        buf.len(),
                        self.size()
                    ),
                ));
            }
            done += n;
        }
        Ok(())
    }

    /// Reads into `buf`, zero-filling whatever lies past the end of the source.
    fn read_zero_fill(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let n = self.read_at(offset + done as u64, &mut buf[done..])?;
            if n == 0 {
                buf[done..].fill(0);
                break;
            }
            done += n;
        }
        Ok(())
    }
}

/// Positioned writes; the target grows as needed.
pub trait WriteAt {
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()>;
}

impl ReadAt for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        if start >= self.len() {
            return Ok(0);
        }
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

impl ReadAt for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.as_slice().read_at(offset, buf)
    }
}

impl WriteAt for Vec<u8> {
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let start = usize::try_from(offset)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        let end = start + buf.len();
        if self.len() < end {
            self.resize(end, 0);
        }
        self[start..end].copy_from_slice(buf);
        Ok(())
    }
}

macro_rules! forward_read_at {
    ($($ty:ty),*) => {$(
        impl<T: ReadAt + ?Sized> ReadAt for $ty {
            fn size(&self) -> u64 {
                (**self).size()
            }
            fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
                (**self).read_at(offset, buf)
            }
        }
    )*};
}
forward_read_at!(&T, &mut T, Box<T>, Arc<T>);

impl<T: WriteAt + ?Sized> WriteAt for &mut T {
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        (**self).write_at(offset, buf)
    }
}

impl<T: WriteAt + ?Sized> WriteAt for Box<T> {
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        (**self).write_at(offset, buf)
    }
}

#[cfg(unix)]
mod file {
    use super::*;
    use std::fs::File;
    use std::os::unix::fs::FileExt;

    impl ReadAt for File {
        fn size(&self) -> u64 {
            self.metadata().map(|m| m.len()).unwrap_or(0)
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            loop {
                match FileExt::read_at(self, buf, offset) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => return r,
                }
            }
        }
    }

    impl WriteAt for File {
        fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
            FileExt::write_all_at(self, buf, offset)
        }
    }
}

/// A window `[start, start + len)` of another source, addressed from 0.
#[derive(Debug, Clone)]
pub struct Slice<R> {
    inner: R,
    start: u64,
    len: u64,
}

impl<R: ReadAt> Slice<R> {
    pub fn new(inner: R, start: u64, len: u64) -> Self {
        Self { inner, start, len }
    }
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: ReadAt> ReadAt for Slice<R> {
    fn size(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        let n = buf.len().min((self.len - offset) as usize);
        self.inner.read_at(self.start + offset, &mut buf[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_reads_inside_window_only() {
        let data: Vec<u8> = (0..100u8).collect();
        let s = Slice::new(&data, 10, 20);
        let mut buf = [0u8; 30];
        assert_eq!(s.read_at(15, &mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], &[25, 26, 27, 28, 29]);
        assert!(s.read_exact_at(15, &mut buf).is_err());
        s.read_zero_fill(15, &mut buf).unwrap();
        assert_eq!(buf[5], 0);
    }

    #[test]
    fn vec_write_grows() {
        let mut v = Vec::new();
        v.write_at(4, b"ab").unwrap();
        assert_eq!(v, [0, 0, 0, 0, b'a', b'b']);
    }
}
