//! Opens an overlaybd layer blob: tar wrapper, ZFile and LSMT detection.
