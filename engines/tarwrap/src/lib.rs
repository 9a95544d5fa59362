//! The overlaybd.commit tar wrapper around a registry blob.
