//! Helpers shared by the end-to-end tests: the real `obdtool` binary, scratch directories,
//! the shared edge image, tree pictures and the tools (e2fsck, debugfs, mount) that read
//! the converted devices independently of the engines.
#![allow(dead_code)]

pub mod convertor;
pub mod debugfs;
pub mod edge;
pub mod mount;
pub mod obd;
pub mod tree;
pub mod work;
