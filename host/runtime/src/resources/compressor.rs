//! `block-compressor`: block codecs on host threads, so a single-threaded engine keeps applying
//! or reading while its blocks compress.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use wasmtime::component::Resource;

use crate::bindings::convertor::engine::host::{Codec, CompressedBatch, HostBlockCompressor};
use crate::resources::MAX_READ;
use crate::state::HostState;

/// Batches that may wait to be collected; with 16 MiB each this bounds the host memory one
/// compressor holds on the guest's behalf.
pub const MAX_PENDING: usize = 8;

type BatchResult = Result<CompressedBatch, String>;

struct Job {
    data: Vec<u8>,
    block_size: usize,
    crc_seed: Option<u32>,
    done: SyncSender<BatchResult>,
}

pub struct BlockCompressor {
    crc_seed: Option<u32>,
    jobs: Option<SyncSender<Job>>,
    pending: VecDeque<Receiver<BatchResult>>,
    workers: Vec<JoinHandle<()>>,
}

impl BlockCompressor {
    fn new(codec: Codec, crc_seed: Option<u32>, threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = sync_channel::<Job>(MAX_PENDING);
        let queue = Arc::new(Mutex::new(queue));
        let mut workers = Vec::new();
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            workers.push(
                std::thread::Builder::new()
                    .name(format!("engine-codec-{i}"))
                    .spawn(move || work(codec, &queue))?,
            );
        }
        Ok(Self {
            crc_seed,
            jobs: Some(jobs),
            pending: VecDeque::new(),
            workers,
        })
    }
}

impl Drop for BlockCompressor {
    fn drop(&mut self) {
        // Closing the queue ends the workers once they finish what they hold.
        self.jobs = None;
        self.pending.clear();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

fn work(codec: Codec, queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let _ = job
            .done
            .send(compress(codec, &job.data, job.block_size, job.crc_seed));
    }
}

fn compress(codec: Codec, data: &[u8], block_size: usize, crc_seed: Option<u32>) -> BatchResult {
    let blocks = data.len().div_ceil(block_size);
    let mut out = CompressedBatch {
        data: Vec::with_capacity(data.len() / 2),
        sizes: Vec::with_capacity(blocks),
        checksums: Vec::with_capacity(if crc_seed.is_some() { blocks } else { 0 }),
    };
    for block in data.chunks(block_size) {
        let before = out.data.len();
        match codec {
            Codec::Lz4Block => out
                .data
                .extend_from_slice(&lz4_flex::block::compress(block)),
            Codec::ZstdFrame => out
                .data
                .extend_from_slice(&ruzstd::encoding::compress_to_vec(
                    block,
                    ruzstd::encoding::CompressionLevel::Fastest,
                )),
        }
        let size = u32::try_from(out.data.len() - before)
            .map_err(|_| "a compressed block exceeds 4 GiB".to_string())?;
        out.sizes.push(size);
        if let Some(seed) = crc_seed {
            // The raw register update: crc32c_append inverts on entry and exit.
            let block = out.data.get(before..).unwrap_or_default();
            out.checksums.push(!crc32c::crc32c_append(!seed, block));
        }
    }
    Ok(out)
}

impl HostBlockCompressor for HostState {
    fn new(
        &mut self,
        codec: Codec,
        crc32c_seed: Option<u32>,
    ) -> wasmtime::Result<Resource<BlockCompressor>> {
        // The constructor cannot return an error, so running out of handles traps.
        if let Err(msg) = self.take_handle() {
            wasmtime::bail!("{msg}");
        }
        if self.compressors >= self.config.max_compressors {
            let max = self.config.max_compressors;
            let msg = self.hit(crate::error::LimitHit::Resource(format!(
                "more than {max} block compressors"
            )));
            wasmtime::bail!("{msg}");
        }
        self.compressors += 1;
        let compressor = BlockCompressor::new(codec, crc32c_seed, self.config.codec_threads)?;
        Ok(self.table.push(compressor)?)
    }

    fn submit(
        &mut self,
        this: Resource<BlockCompressor>,
        data: Vec<u8>,
        block_size: u32,
    ) -> wasmtime::Result<Result<(), String>> {
        let c = self.table.get_mut(&this)?;
        if block_size == 0 || block_size > MAX_READ {
            return Ok(Err(format!("block size {block_size} is out of range")));
        }
        if data.len() > MAX_READ as usize {
            return Ok(Err(format!(
                "a batch may hold at most {MAX_READ} bytes, not {}",
                data.len()
            )));
        }
        if c.pending.len() >= MAX_PENDING {
            return Ok(Err(format!(
                "{MAX_PENDING} batches are waiting already: collect before submitting more"
            )));
        }
        let (done, result) = sync_channel(1);
        let job = Job {
            data,
            block_size: block_size as usize,
            crc_seed: c.crc_seed,
            done,
        };
        match c.jobs.as_ref().map(|jobs| jobs.send(job)) {
            Some(Ok(())) => {
                c.pending.push_back(result);
                Ok(Ok(()))
            }
            _ => Ok(Err("the block compressor's threads are gone".into())),
        }
    }

    fn collect(
        &mut self,
        this: Resource<BlockCompressor>,
    ) -> wasmtime::Result<Result<Option<CompressedBatch>, String>> {
        let c = self.table.get_mut(&this)?;
        let Some(next) = c.pending.pop_front() else {
            return Ok(Ok(None));
        };
        Ok(match next.recv() {
            Ok(Ok(batch)) => Ok(Some(batch)),
            Ok(Err(msg)) => Err(msg),
            Err(_) => Err("a block compressor thread failed".into()),
        })
    }

    fn drop(&mut self, this: Resource<BlockCompressor>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        self.release_handle();
        Ok(())
    }
}
