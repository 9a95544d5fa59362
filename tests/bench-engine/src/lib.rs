//! A benchmark engine: option `kernel` picks what runs over the source, inside wasm:
//!
//! * `zfile`: ZFile LZ4 4 KiB compression of the source (give it the uncompressed tar);
//! * `gzindex`: the gzip index pass over the source (a gzip blob);
//! * `apply`: inflate + ext4 mkfs + apply onto a host scratch file, no commit.
//!
//! Nothing is published; the host times the call. The same library calls run natively in
//! `bench`, so the two figures compare the code, not the workload.

use engine_guest::{
    EngineError, EngineInfo, Guest, HostFaults, LayerParams, LowerLayers, OptionSpec,
    PublishedLayer, ScratchFile, SourceLayer, SourceReader, export_engine,
};
use std::io::{self, Read, Seek, SeekFrom, Write};

struct Bench;

impl Guest for Bench {
    fn describe() -> EngineInfo {
        EngineInfo {
            name: "bench".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "application/vnd.convertor.bench.v1".into(),
            accepts: vec![],
            options: vec![OptionSpec {
                name: "kernel".into(),
                description: "zfile, gzindex or apply".into(),
                default_value: "zfile".into(),
                affects_output: true,
            }],
        }
    }

    fn convert_layer(
        params: LayerParams,
        source: &SourceLayer,
        _lowers: &LowerLayers,
    ) -> Result<Vec<PublishedLayer>, EngineError> {
        let kernel = params
            .options
            .iter()
            .find(|(k, _)| k == "kernel")
            .map_or("zfile", |(_, v)| v.as_str());
        let faults = HostFaults::new();
        let reader = SourceReader::new(source, &faults);
        let fail = |e: String| EngineError::InvalidInput(e);
        match kernel {
            "zfile" => zfile_pass(reader).map_err(|e| fail(e.to_string()))?,
            "gzindex" => {
                let mut b = gzindex::IndexBuilder::new(reader).map_err(|e| fail(e.to_string()))?;
                io::copy(&mut b, &mut io::sink()).map_err(|e| fail(e.to_string()))?;
                b.finish().map_err(|e| fail(e.to_string()))?;
            }
            "apply" => {
                let dev = ScratchFile::create(&faults)?;
                apply_pass(reader, dev).map_err(fail)?;
            }
            other => {
                return Err(EngineError::InvalidOption(format!(
                    "unknown kernel {other:?}"
                )));
            }
        }
        Ok(Vec::new())
    }
}

fn zfile_pass(mut reader: impl Read) -> Result<(), zfile::ZFileError> {
    let mut z = zfile::ZFileWriter::new(Discard::default(), zfile::Options::default())?;
    io::copy(&mut reader, &mut z)?;
    z.finish()?;
    Ok(())
}

fn apply_pass(reader: impl Read, mut dev: ScratchFile) -> Result<(), String> {
    const VSIZE: u64 = 64 << 30;
    dev.set_len(VSIZE).map_err(|e| e.to_string())?;
    let mut fs =
        ext4::Ext4::mkfs(dev, &ext4::MkfsOptions { size: VSIZE }).map_err(|e| e.to_string())?;
    let tar = overlaybd::source::decompress(reader).map_err(|e| e.to_string())?;
    ociapply::apply_layer(
        &mut fs,
        &mut tarstream::TarReader::new(tar),
        &Default::default(),
    )
    .map_err(|e| e.to_string())?;
    fs.flush().map_err(|e| e.to_string())?;
    Ok(())
}

/// A seekable writer that keeps nothing: the benchmark measures compression, not storage.
#[derive(Default)]
struct Discard {
    pos: u64,
    len: u64,
}

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pos += buf.len() as u64;
        self.len = self.len.max(self.pos);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Discard {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => self.len.saturating_add_signed(d),
            SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

export_engine!(Bench);
