//! quantizer (in progress).
