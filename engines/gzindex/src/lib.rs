//! Gzip random-access index (overlaybd gzip.meta): builder and reader.
