//! Integration tests of the streaming tar reader: archives written with the `tar` crate and
//! hand-built headers, the shared edge image, and damaged input.

mod bad_input;
mod edge_image;
mod formats;
mod sparse;
mod util;
