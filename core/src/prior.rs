//! prior (in progress).
