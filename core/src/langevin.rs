//! langevin (in progress).
