//! likelihood (in progress).
