//! The little WASI an engine gets: what Rust std touches, made deterministic.
//!
//! Engines are built for wasm32-wasip2, so std imports a few WASI interfaces. We do not link a
//! WASI implementation: an engine must not see files, the environment, the network, time or
//! entropy, or its output would stop being a pure function of its inputs. Instead:
//! * `wasi:random/*` return a fixed pseudo-random sequence (std seeds `HashMap` from it);
//! * `wasi:clocks/*` `now` is always the epoch (0); waiting on a clock traps, since a sleep
//!   would block the host where the epoch deadline cannot interrupt it;
//! * `wasi:cli/environment` is empty, `wasi:cli/exit` traps with the exit status;
//! * stdout and stderr are captured (bounded) so a panic message reaches the trap error; their
//!   pollables are always ready (the only pollables an engine can get);
//! * the rest of these interfaces (stdin, terminals, input streams) traps when called;
//! * any other WASI interface (filesystem, sockets...) is refused before linking (see `abi`).

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentType, Lift, Linker, Lower, Resource, ResourceType};
use wasmtime::{Engine, StoreContextMut};

use crate::state::HostState;

/// Bytes of stdout/stderr kept for error messages.
const CONSOLE_CAP: usize = 16 << 10;
/// Largest random buffer handed out in one call.
const MAX_RANDOM: u64 = 1 << 20;

/// Per-store WASI state.
pub(crate) struct WasiState {
    rng: u64,
    console: Vec<u8>,
    console_truncated: bool,
}

impl Default for WasiState {
    fn default() -> Self {
        Self {
            rng: 0x5eed_5eed_5eed_5eed,
            console: Vec::new(),
            console_truncated: false,
        }
    }
}

impl WasiState {
    /// splitmix64: a fixed sequence, so two runs of an engine see the same "random" values.
    fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        if len > MAX_RANDOM {
            wasmtime::bail!("the engine asked for {len} random bytes");
        }
        let mut out = Vec::with_capacity(len as usize);
        while out.len() < len as usize {
            let word = self.next_u64().to_le_bytes();
            let n = (len as usize - out.len()).min(word.len());
            out.extend_from_slice(&word[..n]);
        }
        Ok(out)
    }

    fn write_console(&mut self, data: &[u8]) {
        let room = CONSOLE_CAP - self.console.len();
        self.console
            .extend_from_slice(&data[..data.len().min(room)]);
        self.console_truncated |= data.len() > room;
    }

    /// What the engine printed, for error messages.
    pub fn console_text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.console).trim().to_string();
        if self.console_truncated {
            text.push_str(" [truncated]");
        }
        text
    }
}

#[derive(ComponentType, Lift, Lower, Clone, Copy)]
#[component(record)]
struct Datetime {
    seconds: u64,
    nanoseconds: u32,
}

/// `wasi:io/error.error`; never created, but `stream-error` names it.
struct IoError;
/// `wasi:io/streams.output-stream`, for stdout and stderr only.
struct OutputStream;
/// `wasi:io/poll.pollable` of an output stream: always ready, writes never block.
struct Pollable;
/// Any other WASI resource (input streams, terminals): never handed out.
struct Opaque;

#[derive(ComponentType, Lower)]
#[component(variant)]
enum StreamError {
    #[component(name = "last-operation-failed")]
    #[allow(dead_code)]
    LastOperationFailed(Resource<IoError>),
    #[component(name = "closed")]
    #[allow(dead_code)]
    Closed,
}

type StreamResult<T> = wasmtime::Result<(Result<T, StreamError>,)>;
type Cx<'a> = StoreContextMut<'a, HostState>;

/// Defines the WASI imports of `component` we provide, under the versions it asks for.
pub(crate) fn add_to_linker(
    linker: &mut Linker<HostState>,
    engine: &Engine,
    component: &Component,
) -> wasmtime::Result<()> {
    // Every function of an imported WASI interface first traps; the ones implemented below then
    // replace their stub.
    linker.allow_shadowing(true);
    for (name, import) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance) = import.ty else {
            continue;
        };
        let base = name.split('@').next().unwrap_or_default();
        if !base.starts_with("wasi:") {
            continue;
        }
        let mut inst = linker.instance(name)?;
        // Interfaces re-export the resources they `use`; each name must map to one host type.
        for (export, item) in instance.exports(engine) {
            if let ComponentItem::ComponentFunc(_) = item.ty {
                let what = format!("{name}#{export}");
                inst.func_new(export, move |_, _, _, _| {
                    wasmtime::bail!("the engine called {what}, which the sandbox does not provide")
                })?;
                continue;
            }
            if !matches!(item.ty, ComponentItem::Resource(_)) {
                continue;
            }
            match export {
                "error" => {
                    inst.resource("error", ResourceType::host::<IoError>(), |_, _| Ok(()))?
                }
                "pollable" => {
                    inst.resource("pollable", ResourceType::host::<Pollable>(), |_, _| Ok(()))?
                }
                "output-stream" => inst.resource(
                    "output-stream",
                    ResourceType::host::<OutputStream>(),
                    |_, _| Ok(()),
                )?,
                other => inst.resource(other, ResourceType::host::<Opaque>(), |_, _| Ok(()))?,
            }
        }
        match base {
            "wasi:random/random" => {
                inst.func_wrap("get-random-bytes", |mut cx: Cx, (len,): (u64,)| {
                    Ok((cx.data_mut().wasi.random_bytes(len)?,))
                })?;
                inst.func_wrap("get-random-u64", |mut cx: Cx, (): ()| {
                    Ok((cx.data_mut().wasi.next_u64(),))
                })?;
            }
            "wasi:random/insecure" => {
                inst.func_wrap("get-insecure-random-bytes", |mut cx: Cx, (len,): (u64,)| {
                    Ok((cx.data_mut().wasi.random_bytes(len)?,))
                })?;
                inst.func_wrap("get-insecure-random-u64", |mut cx: Cx, (): ()| {
                    Ok((cx.data_mut().wasi.next_u64(),))
                })?;
            }
            "wasi:random/insecure-seed" => {
                inst.func_wrap("insecure-seed", |mut cx: Cx, (): ()| {
                    let wasi = &mut cx.data_mut().wasi;
                    Ok(((wasi.next_u64(), wasi.next_u64()),))
                })?;
            }
            "wasi:clocks/wall-clock" => {
                inst.func_wrap("now", |_: Cx, (): ()| {
                    Ok((Datetime {
                        seconds: 0,
                        nanoseconds: 0,
                    },))
                })?;
                inst.func_wrap("resolution", |_: Cx, (): ()| {
                    Ok((Datetime {
                        seconds: 0,
                        nanoseconds: 1,
                    },))
                })?;
            }
            "wasi:clocks/monotonic-clock" => {
                inst.func_wrap("now", |_: Cx, (): ()| Ok((0u64,)))?;
                inst.func_wrap("resolution", |_: Cx, (): ()| Ok((1u64,)))?;
            }
            "wasi:cli/environment" => {
                inst.func_wrap("get-environment", |_: Cx, (): ()| {
                    Ok((Vec::<(String, String)>::new(),))
                })?;
                inst.func_wrap("get-arguments", |_: Cx, (): ()| Ok((Vec::<String>::new(),)))?;
                inst.func_wrap("initial-cwd", |_: Cx, (): ()| Ok((None::<String>,)))?;
            }
            "wasi:cli/exit" => {
                inst.func_wrap(
                    "exit",
                    |_: Cx, (status,): (Result<(), ()>,)| -> wasmtime::Result<()> {
                        let status = if status.is_ok() { "success" } else { "failure" };
                        wasmtime::bail!("the engine called exit ({status})")
                    },
                )?;
            }
            "wasi:io/poll" => {
                inst.func_wrap("poll", |_: Cx, (list,): (Vec<Resource<Pollable>>,)| {
                    let ready: Vec<u32> = (0..list.len())
                        .filter_map(|i| u32::try_from(i).ok())
                        .collect();
                    Ok((ready,))
                })?;
                inst.func_wrap(
                    "[method]pollable.ready",
                    |_: Cx, (_,): (Resource<Pollable>,)| Ok((true,)),
                )?;
                inst.func_wrap(
                    "[method]pollable.block",
                    |_: Cx, (_,): (Resource<Pollable>,)| Ok(()),
                )?;
            }
            "wasi:cli/stdout" => {
                inst.func_wrap("get-stdout", |_: Cx, (): ()| {
                    Ok((Resource::<OutputStream>::new_own(1),))
                })?;
            }
            "wasi:cli/stderr" => {
                inst.func_wrap("get-stderr", |_: Cx, (): ()| {
                    Ok((Resource::<OutputStream>::new_own(2),))
                })?;
            }
            "wasi:io/streams" => {
                inst.func_wrap(
                    "[method]output-stream.check-write",
                    |_: Cx, (_,): (Resource<OutputStream>,)| -> StreamResult<u64> {
                        Ok((Ok(CONSOLE_CAP as u64),))
                    },
                )?;
                for name in [
                    "[method]output-stream.write",
                    "[method]output-stream.blocking-write-and-flush",
                ] {
                    inst.func_wrap(
                        name,
                        |mut cx: Cx,
                         (_, data): (Resource<OutputStream>, Vec<u8>)|
                         -> StreamResult<()> {
                            cx.data_mut().wasi.write_console(&data);
                            Ok((Ok(()),))
                        },
                    )?;
                }
                inst.func_wrap(
                    "[method]output-stream.subscribe",
                    |_: Cx, (_,): (Resource<OutputStream>,)| {
                        Ok((Resource::<Pollable>::new_own(0),))
                    },
                )?;
                for name in [
                    "[method]output-stream.flush",
                    "[method]output-stream.blocking-flush",
                ] {
                    inst.func_wrap(
                        name,
                        |_: Cx, (_,): (Resource<OutputStream>,)| -> StreamResult<()> {
                            Ok((Ok(()),))
                        },
                    )?;
                }
            }
            _ => {}
        }
    }
    linker.allow_shadowing(false);
    Ok(())
}
