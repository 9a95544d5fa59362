//! ZFile: overlaybd's seekable block-compressed container (writer and verifying reader).
