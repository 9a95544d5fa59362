//! LSMT layers: writable layer, commit, warp (TurboOCI) layers, readers and stacked device.
